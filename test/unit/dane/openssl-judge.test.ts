// Cross-check with OpenSSL's own DANE implementation: `openssl s_server` serves the test PKI on
// 127.0.0.1, `openssl s_client -dane_tlsa_rrdata` judges each record, and matchTlsa judges the
// chain s_client printed (-showcerts) with the same record. The two verdicts must agree.
// s_server binds port 0 and prints the port it got, so there is no port race.
import assert from 'node:assert/strict';
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { matchTlsa } from '../../../src/dane/tlsa-match.ts';
import { makePki, type Pki } from './pki.ts';

interface Server { child: ChildProcess; port: number }

/** Every s_server started, stopped by PID in `after` whether or not it came up. */
const children: ChildProcess[] = [];

let pki: Pki;
let withChain: Server;
let leafOnly: Server;

function startServer(args: string[]): Promise<Server> {
  const child = spawn('openssl', ['s_server', ...args, '-accept', '127.0.0.1:0', '-www'], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`s_server did not start:\n${out}`)), 10_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /ACCEPT 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]) });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`s_server exited (${code}):\n${out}`));
    });
  });
}

interface Judged { ok: boolean; chain: Uint8Array[]; raw: string }

function sClient(server: Server, domain: string, rrdata: string): Promise<Judged> {
  const args = ['s_client', '-connect', `127.0.0.1:${server.port}`, '-showcerts', '-CAfile', pki.root.pemFile, '-dane_tlsa_domain', domain, '-dane_tlsa_rrdata', rrdata, '-dane_ee_no_namechecks'];
  return new Promise((resolve, reject) => {
    const child = execFile('openssl', args, { timeout: 15_000 }, (err, stdout) => {
      // s_client exits non-zero on some verify failures; the output is what we judge by.
      if (!stdout) return reject(err ?? new Error('s_client printed nothing'));
      const pems = stdout.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
      const code = /Verify return code: (\d+)/.exec(stdout)?.[1];
      resolve({ ok: code === '0', chain: pems.map((p) => new Uint8Array(new X509Certificate(p).raw)), raw: stdout });
    });
    child.stdin?.end();
  });
}

before(async () => {
  pki = makePki();
  const chainFile = join(pki.dir, 'chain-inter.pem');
  writeFileSync(chainFile, pki.inter.pem);
  withChain = await startServer(['-cert', pki.leaf.pemFile, '-key', pki.leaf.keyFile, '-cert_chain', chainFile]);
  leafOnly = await startServer(['-cert', pki.leaf.pemFile, '-key', pki.leaf.keyFile]);
});

after(() => {
  for (const c of children) if (c.exitCode === null && c.pid) process.kill(c.pid);
  pki?.cleanup();
});

describe('matchTlsa agrees with openssl s_client DANE', () => {
  const cases: { name: string; server: () => Server; domain?: string; rr: () => string; expect: boolean }[] = [
    { name: '3 1 1 leaf', server: () => withChain, rr: () => `3 1 1 ${pki.leaf.spki256}`, expect: true },
    { name: '3 1 1 other key', server: () => withChain, rr: () => `3 1 1 ${pki.attacker.spki256}`, expect: false },
    { name: '3 0 1 leaf', server: () => withChain, rr: () => `3 0 1 ${pki.leaf.cert256}`, expect: true },
    { name: '3 0 1 other cert', server: () => withChain, rr: () => `3 0 1 ${pki.attacker.cert256}`, expect: false },
    { name: '2 1 1 intermediate', server: () => withChain, rr: () => `2 1 1 ${pki.inter.spki256}`, expect: true },
    { name: '2 1 1 unrelated CA', server: () => withChain, rr: () => `2 1 1 ${pki.rogue.spki256}`, expect: false },
    { name: '2 1 1 intermediate, wrong name', server: () => withChain, domain: 'other.example.test', rr: () => `2 1 1 ${pki.inter.spki256}`, expect: false },
    { name: '2 1 1 intermediate, wildcard name', server: () => withChain, domain: 'a.wild.example.test', rr: () => `2 1 1 ${pki.inter.spki256}`, expect: true },
    { name: '2 1 1 intermediate not sent', server: () => leafOnly, rr: () => `2 1 1 ${pki.inter.spki256}`, expect: false },
    { name: '2 1 0 intermediate not sent', server: () => leafOnly, rr: () => `2 1 0 ${Buffer.from(pki.inter.spki).toString('hex')}`, expect: true },
    { name: '2 1 0 root not sent', server: () => withChain, rr: () => `2 1 0 ${Buffer.from(pki.root.spki).toString('hex')}`, expect: true },
  ];

  for (const c of cases) {
    it(c.name, async () => {
      const domain = c.domain ?? 'xmpp.example.test';
      const judged = await sClient(c.server(), domain, c.rr());
      assert.ok(judged.chain.length > 0, judged.raw);
      assert.equal(judged.ok, c.expect, `openssl: ${c.name}\n${judged.raw}`);
      const [u, s, m, hex] = c.rr().split(' ');
      const record = { usage: Number(u), selector: Number(s), matchingType: Number(m), data: Buffer.from(hex!, 'hex') };
      const ours = matchTlsa([record], judged.chain, { service: 'xmpp', pkix: { valid: true }, referenceNames: [domain], now: new Date() });
      assert.equal(ours.verdict === 'match', judged.ok, `keywatch disagrees with openssl on ${c.name}: ${JSON.stringify(ours.results)}`);
      // openssl: "matched EE/TA certificate at depth N", or for a TA key it was not sent:
      // "signed the certificate at depth N" (so the TA sits at N + 1, which is what we report).
      const line = /DANE TLSA \d \d \d \S+ (matched|signed)[^\n]* at depth (\d+)/.exec(judged.raw);
      if (judged.ok) {
        assert.ok(line, judged.raw);
        const depth = Number(line[2]) + (line[1] === 'signed' ? 1 : 0);
        assert.equal(ours.results[0]!.matchedDepth, depth);
      }
    });
  }
});
