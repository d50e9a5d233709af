// The TLSA records keywatch writes must be byte-identical, on the wire, to those of the DANE
// tools admins already trust: hash-slinger's `tlsa --create`, ldns' `ldns-dane create` and
// GnuTLS' `danetool --tlsa-rr`, for RSA, P-256, P-384 and Ed25519 keys; from a certificate, a
// chain (2 1 1 of the issuer), a private key and a public key.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadKeyFile } from '../../../src/setup/key-material.ts';
import { planOwner, sightingFromChain } from '../../../src/setup/tlsa-records.ts';
import { renderRecordsZone } from '../../../src/setup/render-records.ts';
import type { RecordsReport } from '../../../src/setup/records.ts';
import { rdataFromString } from '../../../src/dns/rdata.ts';
import { parseName, nameToWire } from '../../../src/dns/name.ts';
import { RRType } from '../../../src/dns/types.ts';

const HOST = 'mx.example.org';
const PORT = 25;
const OWNER = `_${PORT}._tcp.${HOST}`;

const KEYS: Record<string, string[]> = {
  'RSA 2048': ['-newkey', 'rsa:2048'],
  'ECDSA P-256': ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'],
  'ECDSA P-384': ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'],
  Ed25519: ['-newkey', 'ed25519'],
};

let dir: string;
const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });

/** One TLSA line of any tool's output, as (owner wire, rdata wire) in hex. */
function wireOf(line: string): { owner: string; rdata: string } {
  const m = /^(\S+)\s+(?:\d+\s+)?IN\s+TLSA\s+\(?\s*([0-9a-fA-F\s]+?)\s*\)?\s*(?:;.*)?$/.exec(line.trim());
  assert.ok(m, `not a TLSA line: ${line}`);
  const rdataText = m[2]!.trim().split(/\s+/);
  // danetool writes the fields as two-digit hex octets ("03 01 01"): the same numbers.
  const text = `${Number.parseInt(rdataText[0]!, 10)} ${Number.parseInt(rdataText[1]!, 10)} ${Number.parseInt(rdataText[2]!, 10)} ${rdataText.slice(3).join('')}`;
  return {
    owner: Buffer.from(nameToWire(parseName(m[1]!.toLowerCase()))).toString('hex'),
    rdata: Buffer.from(rdataFromString(RRType.TLSA, text)).toString('hex'),
  };
}

const tlsaLines = (out: string) => out.split('\n').filter((l) => /\sTLSA\s/.test(l) && !l.startsWith(';'));

/** keywatch's zone output for one owner, from a sighting. */
function keywatchLines(files: { chain?: string; key?: string }): string[] {
  const [k] = loadKeyFile(join(dir, (files.chain ?? files.key)!));
  assert.ok(k);
  const sighting = k.certificate ? sightingFromChain([k.certificate.der, ...(k.issuer?.certificate ? [k.issuer.certificate.der] : [])], 'current', ['file']) : { role: 'current' as const, spkiSha256: k.spkiSha256, spki: k.spki, seenOn: ['file'] };
  assert.ok(sighting);
  const plan = planOwner({ owner: OWNER, endpoints: [`${HOST}:${PORT}`], dane: { applies: true }, keys: [sighting] });
  const report: RecordsReport = { schema: 'keywatch.records/1', keywatch: 'test', domain: 'example.org', service: 'smtp', keySource: 'files', dnssec: [], owners: [plan], unseen: [] };
  return tlsaLines(renderRecordsZone(report));
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'keywatch-tlsa-tools-'));
  sh('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=Tools Test CA', '-days', '30', '-addext', 'basicConstraints=critical,CA:TRUE']);
  for (const [name, args] of Object.entries(KEYS)) {
    const f = name.replace(/\W+/g, '-');
    sh('openssl', ['req', ...args, '-nodes', '-keyout', `${f}.key`, '-out', `${f}.csr`, '-subj', `/CN=${HOST}`, '-addext', `subjectAltName=DNS:${HOST}`]);
    sh('openssl', ['x509', '-req', '-in', `${f}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-days', '10', '-copy_extensions', 'copy', '-out', `${f}.crt`]);
    writeFileSync(join(dir, `${f}.chain.pem`), readFileSync(join(dir, `${f}.crt`), 'utf8') + readFileSync(join(dir, 'ca.crt'), 'utf8'));
    writeFileSync(join(dir, `${f}.pub`), sh('openssl', ['pkey', '-in', `${f}.key`, '-pubout']));
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('TLSA records are byte-identical to hash-slinger, ldns-dane and danetool', () => {
  for (const name of Object.keys(KEYS)) {
    const f = name.replace(/\W+/g, '-');
    it(`${name}: 3 1 1 of the leaf, 2 1 1 of its issuer`, () => {
      const ours = keywatchLines({ chain: `${f}.chain.pem` }).map(wireOf);
      assert.equal(ours.length, 2, 'a 3 1 1 and a 2 1 1');
      const [ee, ta] = ours;

      const hashSlinger = tlsaLines(sh('tlsa', ['--create', '--certificate', `${f}.crt`, '--port', String(PORT), '--usage', '3', '--selector', '1', '--mtype', '1', '--output', 'rfc', HOST])).map(wireOf);
      const ldns = tlsaLines(sh('ldns-dane', ['-c', `${f}.chain.pem`, 'create', HOST, String(PORT), '3', '1', '1'])).map(wireOf);
      const gnutls = tlsaLines(sh('danetool', ['--tlsa-rr', `--host=${HOST}`, `--port=${PORT}`, `--load-certificate=${f}.crt`])).map(wireOf);
      assert.deepEqual([hashSlinger, ldns, gnutls].map((x) => x.length), [1, 1, 1]);
      for (const tool of [hashSlinger[0], ldns[0], gnutls[0]]) assert.deepEqual(ee, tool);

      const taSlinger = tlsaLines(sh('tlsa', ['--create', '--certificate', 'ca.crt', '--port', String(PORT), '--usage', '2', '--selector', '1', '--mtype', '1', '--output', 'rfc', HOST])).map(wireOf);
      const taLdns = tlsaLines(sh('ldns-dane', ['-c', `${f}.chain.pem`, 'create', HOST, String(PORT), '2', '1', '1'])).map(wireOf);
      const taGnutls = tlsaLines(sh('danetool', ['--tlsa-rr', '--ca', `--host=${HOST}`, `--port=${PORT}`, '--load-certificate=ca.crt'])).map(wireOf);
      for (const tool of [taSlinger[0], taLdns[0], taGnutls[0]]) assert.deepEqual(ta, tool);
    });

    it(`${name}: from the private key and from the public key, the same 3 1 1 as danetool --load-pubkey`, () => {
      const fromKey = keywatchLines({ key: `${f}.key` }).map(wireOf);
      const fromPub = keywatchLines({ key: `${f}.pub` }).map(wireOf);
      const gnutls = tlsaLines(sh('danetool', ['--tlsa-rr', `--host=${HOST}`, `--port=${PORT}`, `--load-pubkey=${f}.pub`])).map(wireOf);
      assert.equal(fromKey.length, 1);
      assert.deepEqual(fromKey, gnutls);
      assert.deepEqual(fromPub, gnutls);
    });
  }
});
