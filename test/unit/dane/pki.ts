// A small test PKI for the DANE tests, made with the openssl command line, and the TLSA data
// each certificate should produce computed by openssl too (`x509 -pubkey | pkey -pubin -outform
// DER | dgst`), so the expected values never come from the code under test.
//
//   root (RSA 2048) ─┬─ inter (EC P-256) ─┬─ leaf     RSA, DNS: xmpp.example.test, *.wild.example.test
//                    │                    ├─ attacker EC, DNS: xmpp.example.test (same CA, other key)
//                    │                    └─ expired  EC, DNS: xmpp.example.test, valid in January 2020
//                    └─ rogue (EC P-256)     an intermediate that issued none of the above
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PkiCert {
  pem: string;
  pemFile: string;
  keyFile: string;
  der: Uint8Array;
  /** DER SubjectPublicKeyInfo as openssl exports it. */
  spki: Uint8Array;
  spki256: string;
  spki512: string;
  cert256: string;
  cert512: string;
}

export interface Pki {
  dir: string;
  root: PkiCert;
  inter: PkiCert;
  rogue: PkiCert;
  leaf: PkiCert;
  attacker: PkiCert;
  expired: PkiCert;
  cleanup(): void;
}

const openssl = (dir: string, args: string[], input?: string) =>
  execFileSync('openssl', args, { cwd: dir, input, stdio: ['pipe', 'pipe', 'pipe'] });

function describeCert(dir: string, name: string): PkiCert {
  const pemFile = join(dir, `${name}.pem`);
  const pubPem = openssl(dir, ['x509', '-in', pemFile, '-noout', '-pubkey']).toString();
  const spki = openssl(dir, ['pkey', '-pubin', '-outform', 'DER'], pubPem);
  const der = openssl(dir, ['x509', '-in', pemFile, '-outform', 'DER']);
  // Binary goes to openssl dgst through files, never through a string.
  const file = (suffix: string, data: Buffer) => {
    const p = join(dir, `${name}.${suffix}`);
    writeFileSync(p, data);
    return p;
  };
  const spkiFile = file('spki.der', spki);
  const derFile = file('der', der);
  const digest = (alg: string, f: string) => openssl(dir, ['dgst', `-${alg}`, '-r', f]).toString().split(' ')[0]!;
  return {
    pem: readFileSync(pemFile, 'utf8'),
    pemFile,
    keyFile: join(dir, `${name}.key`),
    der,
    spki,
    spki256: digest('sha256', spkiFile),
    spki512: digest('sha512', spkiFile),
    cert256: digest('sha256', derFile),
    cert512: digest('sha512', derFile),
  };
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
const RSA = ['-newkey', 'rsa:2048'];

export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'keywatch-dane-'));
  writeFileSync(join(dir, 'ca.ext'), '[ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid:always\n');
  const leafExt = (name: string, sans: string[]) =>
    writeFileSync(
      join(dir, `${name}.ext`),
      `[leaf]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${sans.map((s) => `DNS:${s}`).join(',')}\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n`,
    );

  openssl(dir, ['req', '-x509', '-nodes', ...RSA, '-keyout', 'root.key', '-out', 'root.pem', '-subj', '/CN=keywatch test root', '-days', '30', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  let serial = 100;
  const issue = (name: string, key: string[], subj: string, ca: string, ext: string, section: string) => {
    openssl(dir, ['req', '-new', '-nodes', ...key, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subj]);
    openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-set_serial', String(serial++), '-days', '30', '-extfile', ext, '-extensions', section, '-out', `${name}.pem`]);
  };
  issue('inter', EC, '/CN=keywatch test issuing CA', 'root', 'ca.ext', 'ca');
  issue('rogue', EC, '/CN=keywatch test rogue CA', 'root', 'ca.ext', 'ca');
  leafExt('leaf', ['xmpp.example.test', '*.wild.example.test']);
  issue('leaf', RSA, '/CN=xmpp.example.test', 'inter', 'leaf.ext', 'leaf');
  leafExt('attacker', ['xmpp.example.test']);
  issue('attacker', EC, '/CN=xmpp.example.test', 'inter', 'attacker.ext', 'leaf');

  // `openssl x509 -req` cannot back-date; `openssl ca` can (-startdate/-enddate).
  leafExt('expired', ['xmpp.example.test']);
  mkdirSync(join(dir, 'issued'));
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  writeFileSync(join(dir, 'ca.cnf'), '[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=issued\nserial=serial\ndefault_md=sha256\npolicy=p\nunique_subject=no\n[p]\ncommonName=supplied\n');
  openssl(dir, ['req', '-new', '-nodes', ...EC, '-keyout', 'expired.key', '-out', 'expired.csr', '-subj', '/CN=xmpp.example.test']);
  openssl(dir, ['ca', '-batch', '-config', 'ca.cnf', '-cert', 'inter.pem', '-keyfile', 'inter.key', '-in', 'expired.csr', '-out', 'expired.pem', '-startdate', '20200101000000Z', '-enddate', '20200201000000Z', '-extfile', 'expired.ext', '-extensions', 'leaf', '-notext']);

  return {
    dir,
    root: describeCert(dir, 'root'),
    inter: describeCert(dir, 'inter'),
    rogue: describeCert(dir, 'rogue'),
    leaf: describeCert(dir, 'leaf'),
    attacker: describeCert(dir, 'attacker'),
    expired: describeCert(dir, 'expired'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export const fromHex = (h: string): Uint8Array => Buffer.from(h, 'hex');
