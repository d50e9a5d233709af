// Channel-binding data from real TLS connections on loopback. The expected values come from the
// other end: a Node TLS server's own view (its Finished messages, its exporter), and `openssl
// s_server -keymatexport` for tls-exporter, an implementation independent of Node's bindings.
// tls-server-end-point hashes are checked against `openssl dgst` over the DER certificate.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as netServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect, createServer, type SecureVersion, type TLSSocket } from 'node:tls';
import { bindingData, endPointHash, EXPORTER_LABEL, preferredTypes, tlsServerEndPoint } from '../../../src/sasl/channel-binding.ts';

let dir: string;
const openssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });

interface Made {
  key: string;
  cert: string;
  der: Buffer;
}
function make(name: string, newkey: string[], sign: string[] = []): Made {
  openssl(['req', '-x509', ...newkey, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-nodes', '-subj', '/CN=cb.test', '-days', '2', ...sign]);
  return { key: readFileSync(join(dir, `${name}.key`), 'utf8'), cert: readFileSync(join(dir, `${name}.pem`), 'utf8'), der: openssl(['x509', '-in', `${name}.pem`, '-outform', 'DER']) };
}
/** openssl's digest of the DER certificate: the independent expected value. */
const dgst = (name: string, alg: string) => {
  openssl(['x509', '-in', `${name}.pem`, '-outform', 'DER', '-out', `${name}.der`]);
  return openssl(['dgst', `-${alg}`, '-r', `${name}.der`]).toString().split(' ')[0]!;
};

let ec384: Made, rsaSha1: Made, pss384: Made, ed25519: Made, ec256: Made;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'keywatch-cb-'));
  ec256 = make('ec256', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], ['-sha256']);
  ec384 = make('ec384', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'], ['-sha384']);
  rsaSha1 = make('rsasha1', ['-newkey', 'rsa:2048'], ['-sha1']);
  pss384 = make('pss384', ['-newkey', 'rsa:2048'], ['-sigopt', 'rsa_padding_mode:pss', '-sha384']);
  ed25519 = make('ed25519', ['-newkey', 'ed25519']);
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('tls-server-end-point (RFC 5929 §4.1): the hash follows the signature algorithm', () => {
  it('ECDSA with SHA-384 → SHA-384; ECDSA with SHA-256 → SHA-256', () => {
    const a = tlsServerEndPoint(ec384.der);
    assert.ok(a.ok, JSON.stringify(a));
    assert.equal(a.data.toString('hex'), dgst('ec384', 'sha384'));
    const b = tlsServerEndPoint(ec256.der);
    assert.ok(b.ok);
    assert.equal(b.data.toString('hex'), dgst('ec256', 'sha256'));
  });
  it('RSA with SHA-1 → SHA-256 (MD5 and SHA-1 are replaced)', () => {
    const r = tlsServerEndPoint(rsaSha1.der);
    assert.ok(r.ok);
    assert.equal(r.data.toString('hex'), dgst('rsasha1', 'sha256'));
    assert.match(r.detail, /sha1WithRSAEncryption/);
  });
  it('RSASSA-PSS takes the hash from its parameters (SHA-384 here)', () => {
    const h = endPointHash(pss384.der);
    assert.deepEqual(h.ok && h.hash, 'sha384');
    const r = tlsServerEndPoint(pss384.der);
    assert.ok(r.ok);
    assert.equal(r.data.toString('hex'), dgst('pss384', 'sha384'));
  });
  it('Ed25519: no hash defined, so the type is unavailable (not guessed)', () => {
    const r = tlsServerEndPoint(ed25519.der);
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.reason : '', /Ed25519.*RFC 5929 leaves tls-server-end-point undefined/);
  });
  it('garbage is a reason, never a throw', () => {
    for (const bad of [Buffer.alloc(0), Buffer.from('30030201', 'hex'), Buffer.from('not a certificate'), ec256.der.subarray(0, 40)]) {
      const r = endPointHash(bad);
      assert.equal(r.ok, false);
    }
  });
});

/** A Node TLS server whose per-connection view we record. */
async function tlsServer(id: Made, maxVersion: SecureVersion) {
  const views: Array<{ finished?: Buffer; peerFinished?: Buffer; exporter: Buffer; reused: boolean; version: string | null }> = [];
  const server = createServer({ key: id.key, cert: id.cert, maxVersion, minVersion: 'TLSv1.2' }, (s) => {
    views.push({ finished: s.getFinished(), peerFinished: s.getPeerFinished(), exporter: s.exportKeyingMaterial(32, EXPORTER_LABEL, Buffer.alloc(0)), reused: s.isSessionReused(), version: s.getProtocol() });
    s.on('error', () => undefined);
    s.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, views, close: () => new Promise<void>((r) => server.close(() => r())) };
}

function client(port: number, o: { session?: Buffer; maxVersion?: SecureVersion } = {}): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...(o.session ? { session: o.session } : {}), ...(o.maxVersion ? { maxVersion: o.maxVersion } : {}) });
    s.once('secureConnect', () => {
      s.resume(); // let the server's close arrive
      resolve(s);
    });
    s.once('error', reject);
  });
}

describe('tls-unique and tls-exporter on live connections', () => {
  it('TLS 1.2 full handshake: tls-unique is the client Finished, as the server sees it; tls-exporter refused', async () => {
    const srv = await tlsServer(ec256, 'TLSv1.2');
    try {
      const c = await client(srv.port);
      const u = bindingData(c, 'tls-unique');
      assert.ok(u.ok, JSON.stringify(u));
      assert.equal(u.data.length, 12, 'TLS 1.2 verify_data');
      await new Promise((r) => c.once('close', r));
      const view = srv.views[0]!;
      assert.equal(view.reused, false);
      assert.deepEqual(u.data, view.peerFinished);
      const e = bindingData(c, 'tls-exporter');
      assert.equal(e.ok, false);
      assert.deepEqual(preferredTypes('TLSv1.2'), ['tls-unique', 'tls-server-end-point']);
    } finally {
      await srv.close();
    }
  });

  it('TLS 1.2 resumed (abbreviated) handshake: tls-unique is the server Finished, which came first', async () => {
    const srv = await tlsServer(ec256, 'TLSv1.2');
    try {
      const first = await client(srv.port);
      const session = await new Promise<Buffer>((resolve) => {
        const s = first.getSession();
        if (s) resolve(s);
        else first.once('session', resolve);
      });
      await new Promise((r) => first.once('close', r));
      const second = await client(srv.port, { session });
      assert.equal(second.isSessionReused(), true, 'the server resumed the session');
      const u = bindingData(second, 'tls-unique');
      assert.ok(u.ok);
      await new Promise((r) => second.once('close', r));
      const view = srv.views[1]!;
      assert.equal(view.reused, true);
      assert.deepEqual(u.data, view.finished, "the server's own Finished");
      assert.notDeepEqual(u.data, view.peerFinished);
      assert.match(u.detail, /server's Finished message of the abbreviated/);
    } finally {
      await srv.close();
    }
  });

  it('TLS 1.3: tls-exporter equals the server\'s exporter; tls-unique refused although Node has Finished bytes', async () => {
    const srv = await tlsServer(ec256, 'TLSv1.3');
    try {
      const c = await client(srv.port);
      assert.equal(c.getProtocol(), 'TLSv1.3');
      assert.ok(c.getFinished()?.length, 'Node returns a Finished message on TLS 1.3');
      const u = bindingData(c, 'tls-unique');
      assert.equal(u.ok, false);
      assert.match(!u.ok ? u.reason : '', /undefined for TLS 1\.3/);
      const e = bindingData(c, 'tls-exporter');
      assert.ok(e.ok);
      assert.equal(e.data.length, 32);
      const p = bindingData(c, 'tls-server-end-point');
      await new Promise((r) => c.once('close', r));
      assert.deepEqual(e.data, srv.views[0]!.exporter);
      assert.ok(p.ok);
      assert.equal(p.data.toString('hex'), dgst('ec256', 'sha256'));
    } finally {
      await srv.close();
    }
  });

  it('tls-exporter equals what `openssl s_server -keymatexport` prints (no context = empty context on TLS 1.3)', async () => {
    // A free port: bind, read, close, hand it to openssl.
    const probe = netServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const child = spawn('openssl', ['s_server', '-accept', `127.0.0.1:${port}`, '-key', 'ec256.key', '-cert', 'ec256.pem', '-tls1_3', '-keymatexport', EXPORTER_LABEL, '-keymatexportlen', '32', '-naccept', '1'], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    try {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`openssl s_server did not start: ${out}`)), 10_000);
        child.stdout.on('data', () => out.includes('ACCEPT') && (clearTimeout(t), resolve()));
      });
      const c = await client(port);
      const e = bindingData(c, 'tls-exporter');
      assert.ok(e.ok);
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no keying material from openssl: ${out}`)), 10_000);
        const check = () => /Keying material: ([0-9A-F]+)/i.test(out) && (clearTimeout(t), resolve());
        check();
        child.stdout.on('data', check);
      });
      c.destroy();
      const printed = /Keying material: ([0-9A-F]+)/i.exec(out)![1]!.toLowerCase();
      assert.equal(e.data.toString('hex'), printed);
    } finally {
      child.kill();
    }
  });
});
