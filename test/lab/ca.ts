// The lab's test PKI, made with the openssl command line: a root CA, an intermediate that
// issues every server certificate (as Let's Encrypt's intermediates do), and leaf certificates
// for the scenario domains. A MITM's certificate comes from the same intermediate, so it is
// exactly as "valid" as the real one: only the key differs (the jabber.ru case).
import { createHash, createPublicKey, X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './procs.ts';

export type KeyType = 'ec-p256' | 'ec-p384' | 'rsa-2048' | 'ed25519';

export interface IssuedCert {
  /** Base path: `${base}.crt`, `${base}.key`, `${base}.chain.pem` (leaf + intermediate). */
  certFile: string;
  keyFile: string;
  chainFile: string;
  /** Leaf, intermediate and key in one PEM (ejabberd's certfiles format). */
  bundleFile: string;
  certPem: string;
  /** SHA-256 of the DER SubjectPublicKeyInfo, hex: the data of a TLSA 3 1 1 record. */
  spkiSha256: string;
  spkiSha512: string;
  certSha256: string;
}

export interface TestCa {
  dir: string;
  rootFile: string;
  intermediateFile: string;
  /** SPKI SHA-256 of the intermediate: the data of a TLSA 2 1 1 record. */
  intermediateSpkiSha256: string;
  rootSpkiSha256: string;
  issue(name: string, opts: LeafOptions): Promise<IssuedCert>;
}

export interface LeafOptions {
  keyType?: KeyType;
  /** A private key made beforehand with `generateKey` (of `keyType`), instead of a new one. */
  keyFile?: string;
  dnsNames: string[];
  /** RFC 6125/7673 SRV-IDs, e.g. `_xmpp-client.good.test`. */
  srvNames?: string[];
  /** XEP-0178 id-on-xmppAddr values. */
  xmppAddrs?: string[];
  days?: number;
}

function keyArgs(type: KeyType): string[] {
  switch (type) {
    case 'ec-p256':
      return ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
    case 'ec-p384':
      return ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'];
    case 'rsa-2048':
      return ['-newkey', 'rsa:2048'];
    case 'ed25519':
      return ['-newkey', 'ed25519'];
  }
}

/**
 * Make a private key on its own. RSA key generation is by far the slowest step of issuing a
 * certificate (0.2–0.7 s for 2048 bits here), so the lab starts it before the CA exists.
 */
export async function generateKey(file: string, type: KeyType): Promise<string> {
  const alg: Record<KeyType, string[]> = {
    'ec-p256': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
    'ec-p384': ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'],
    'rsa-2048': ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
    ed25519: ['-algorithm', 'ED25519'],
  };
  await run('openssl', ['genpkey', ...alg[type], '-out', file]);
  return file;
}

const sha = (alg: string, data: Buffer) => createHash(alg).update(data).digest('hex');

export function spkiDer(pem: string): Buffer {
  return createPublicKey(pem).export({ type: 'spki', format: 'der' });
}

function fingerprints(pem: string) {
  const spki = spkiDer(pem);
  return {
    spkiSha256: sha('sha256', spki),
    spkiSha512: sha('sha512', spki),
    certSha256: sha('sha256', new X509Certificate(pem).raw),
  };
}

export async function createTestCa(dir: string): Promise<TestCa> {
  mkdirSync(dir, { recursive: true });
  const rootKey = join(dir, 'root.key');
  const rootFile = join(dir, 'root.crt');
  const intKey = join(dir, 'intermediate.key');
  const intCsr = join(dir, 'intermediate.csr');
  const intermediateFile = join(dir, 'intermediate.crt');
  const caExt = join(dir, 'ca.ext');
  writeFileSync(
    caExt,
    [
      '[v3_ca]',
      'basicConstraints = critical, CA:TRUE, pathlen:0',
      'keyUsage = critical, keyCertSign, cRLSign',
      'subjectKeyIdentifier = hash',
      'authorityKeyIdentifier = keyid:always',
      '',
    ].join('\n'),
  );
  await run('openssl', [
    'req', '-x509', '-nodes', ...keyArgs('ec-p384'), '-keyout', rootKey, '-out', rootFile,
    '-subj', '/O=keywatch lab/CN=keywatch lab root CA', '-days', '3650',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await run('openssl', [
    'req', '-new', '-nodes', ...keyArgs('ec-p256'), '-keyout', intKey, '-out', intCsr,
    '-subj', '/O=keywatch lab/CN=keywatch lab issuing CA R1',
  ]);
  await run('openssl', [
    'x509', '-req', '-in', intCsr, '-CA', rootFile, '-CAkey', rootKey, '-set_serial', '0x1001',
    '-days', '3650', '-extfile', caExt, '-extensions', 'v3_ca', '-out', intermediateFile,
  ]);
  const intPem = readFileSync(intermediateFile, 'utf8');
  let serial = 0x2000;

  async function issue(name: string, opts: LeafOptions): Promise<IssuedCert> {
    const base = join(dir, name);
    const keyFile = opts.keyFile ?? `${base}.key`;
    const certFile = `${base}.crt`;
    const csr = `${base}.csr`;
    const ext = `${base}.ext`;
    const keyType = opts.keyType ?? 'ec-p256';
    const san = [
      ...opts.dnsNames.map((n) => `DNS:${n}`),
      ...(opts.srvNames ?? []).map((n) => `otherName:1.3.6.1.5.5.7.8.7;IA5STRING:${n}`),
      ...(opts.xmppAddrs ?? []).map((n) => `otherName:1.3.6.1.5.5.7.8.5;UTF8:${n}`),
    ];
    const usage = keyType === 'rsa-2048' ? 'digitalSignature, keyEncipherment' : 'digitalSignature';
    writeFileSync(
      ext,
      [
        '[leaf]',
        'basicConstraints = critical, CA:FALSE',
        `keyUsage = critical, ${usage}`,
        'extendedKeyUsage = serverAuth, clientAuth',
        `subjectAltName = ${san.join(', ')}`,
        'subjectKeyIdentifier = hash',
        'authorityKeyIdentifier = keyid',
        '',
      ].join('\n'),
    );
    const keyOpts = opts.keyFile ? ['-key', opts.keyFile] : [...keyArgs(keyType), '-keyout', keyFile];
    await run('openssl', ['req', '-new', '-nodes', ...keyOpts, '-out', csr, '-subj', `/CN=${opts.dnsNames[0]}`]);
    await run('openssl', [
      'x509', '-req', '-in', csr, '-CA', intermediateFile, '-CAkey', intKey, '-set_serial', String(serial++),
      '-days', String(opts.days ?? 825), '-extfile', ext, '-extensions', 'leaf', '-out', certFile,
    ]);
    const certPem = readFileSync(certFile, 'utf8');
    const chainFile = `${base}.chain.pem`;
    const bundleFile = `${base}.bundle.pem`;
    writeFileSync(chainFile, certPem + intPem);
    writeFileSync(bundleFile, certPem + intPem + readFileSync(keyFile, 'utf8'));
    return { certFile, keyFile, chainFile, bundleFile, certPem, ...fingerprints(certPem) };
  }

  return {
    dir,
    rootFile,
    intermediateFile,
    intermediateSpkiSha256: fingerprints(intPem).spkiSha256,
    rootSpkiSha256: fingerprints(readFileSync(rootFile, 'utf8')).spkiSha256,
    issue,
  };
}
