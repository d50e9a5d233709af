// The extra handshakes against in-test servers on 127.0.0.1: a server holding RSA, ECDSA and
// Ed25519 certificates at once, servers that accept or refuse anonymous/NULL suites, servers
// behind XMPP and SMTP STARTTLS (to show every extra handshake goes through the dialogue), and
// servers that fail in ways that must read as "could not tell", never as "refused".
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { createSecureContext, TLSSocket, type SecureContextOptions } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { probeEndpoint, type ProbeOptions } from '../../../src/probe/probe.ts';
import { KEY_FAMILIES, probeAnonymous, probeKeyType, probeKeyTypes, type KeyFamily } from '../../../src/probe/variants.ts';
import type { IssuedCert } from '../../lab/ca.ts';
import { makePki, onLines, startServer, streamXmlForever, type TestPki, type TestServer } from './servers.ts';

// Accepts anonymous and NULL suites as well as the usual ones (what the jabber.ru box did).
const ANON_OK: SecureContextOptions = { ciphers: 'ALL:aNULL:eNULL@SECLEVEL=0', dhparam: 'auto' };

describe('extra handshakes (variants.ts)', () => {
  let pki: TestPki;
  let rsa: IssuedCert;
  let ed: IssuedCert;
  let intermediateDer: Buffer;
  const servers: TestServer[] = [];
  const read = (f: string) => readFileSync(f, 'utf8');
  /** Leaf + intermediate and key for each issued certificate. */
  const ids = () => {
    const ecId = { key: pki.key, cert: pki.leafPem + pki.intermediatePem };
    const rsaId = { key: read(rsa.keyFile), cert: rsa.certPem + pki.intermediatePem };
    const edId = { key: read(ed.keyFile), cert: ed.certPem + pki.intermediatePem };
    return { ecId, rsaId, edId };
  };
  const multi = (extra: SecureContextOptions = {}): SecureContextOptions => {
    const { ecId, rsaId, edId } = ids();
    return { key: [rsaId.key, ecId.key, edId.key], cert: [rsaId.cert, ecId.cert, edId.cert], ...extra };
  };

  /** Server side of TLS on an accepted socket. */
  const upgrade = (s: Socket, opts: SecureContextOptions): TLSSocket => {
    const tls = new TLSSocket(s, { isServer: true, secureContext: createSecureContext(opts) });
    tls.on('error', () => undefined);
    return tls;
  };
  const serve = async (h: (s: Socket) => void) => {
    const s = await startServer(h);
    servers.push(s);
    return s;
  };
  const tlsServer = (opts: SecureContextOptions) => serve((s) => void upgrade(s, opts));
  const base = (port: number, extra: Partial<ProbeOptions> = {}): ProbeOptions => ({
    address: '127.0.0.1',
    port,
    protocol: 'tls',
    serviceDomain: 'example.test',
    caFile: pki.ca.rootFile,
    timeoutMs: 5000,
    ...extra,
  });

  before(async () => {
    pki = await makePki(); // its leaf is EC P-256
    rsa = await pki.ca.issue('rsa', { keyType: 'rsa-2048', dnsNames: ['example.test'] });
    ed = await pki.ca.issue('ed', { keyType: 'ed25519', dnsNames: ['example.test'] });
    intermediateDer = new X509Certificate(pki.intermediatePem).raw;
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    pki.cleanup();
  });

  describe('key types', () => {
    it('a server with RSA, ECDSA and Ed25519 certificates: each family gets its own key and chain', async () => {
      const server = await tlsServer(multi());
      const r = await probeKeyTypes(base(server.port));
      assert.equal(server.connections, 3, 'one connection per family');
      const expected: Record<KeyFamily, { spki: string; keyType: string }> = {
        ecdsa: { spki: pki.leaf.spkiSha256, keyType: 'ec' },
        rsa: { spki: rsa.spkiSha256, keyType: 'rsa' },
        ed25519: { spki: ed.spkiSha256, keyType: 'ed25519' },
      };
      assert.deepEqual(r.map((k) => k.family), ['ecdsa', 'rsa', 'ed25519']);
      for (const k of r) {
        assert.equal(k.outcome, 'served', JSON.stringify({ ...k, chain: undefined }));
        assert.equal(k.spkiSha256, expected[k.family].spki, k.family);
        assert.equal(k.keyType, expected[k.family].keyType);
        assert.equal(k.leaf?.spkiSha256, k.spkiSha256);
        // The chain as sent: leaf + the intermediate, nothing appended from a trust store.
        assert.equal(k.chain?.length, 2);
        assert.ok(k.chain[1]!.equals(intermediateDer));
        assert.equal(k.pkix?.valid, true, k.pkix?.reason);
        assert.equal(k.nameMatches, true);
        assert.equal(k.version, 'TLSv1.3');
      }
      // Three different keys: the main probe sees only one of them.
      assert.equal(new Set(r.map((k) => k.spkiSha256)).size, 3);
    });

    it('TLS 1.2: the suite authentication matches the family', async () => {
      const server = await tlsServer(multi({ maxVersion: 'TLSv1.2' }));
      const r = await probeKeyTypes(base(server.port));
      const byFamily = Object.fromEntries(r.map((k) => [k.family, k]));
      assert.equal(byFamily.ecdsa?.outcome, 'served');
      assert.match(byFamily.ecdsa?.cipher ?? '', /_ECDSA_/);
      assert.equal(byFamily.rsa?.outcome, 'served');
      assert.match(byFamily.rsa?.cipher ?? '', /_RSA_/);
      assert.equal(byFamily.rsa?.spkiSha256, rsa.spkiSha256);
      // OpenSSL authenticates Ed25519 with the ECDSA suites in TLS 1.2.
      assert.equal(byFamily.ed25519?.outcome, 'served');
      assert.equal(byFamily.ed25519?.spkiSha256, ed.spkiSha256);
      for (const k of r) assert.equal(k.version, 'TLSv1.2');
    });

    it('an RSA-only TLS 1.3 server: RSA served (RSA-PSS is offered), the others not-served with the alert', async () => {
      const { rsaId } = ids();
      const server = await tlsServer({ ...rsaId, minVersion: 'TLSv1.3' });
      const r = await probeKeyTypes(base(server.port));
      const byFamily = Object.fromEntries(r.map((k) => [k.family, k]));
      assert.equal(byFamily.rsa?.outcome, 'served', byFamily.rsa?.error);
      assert.equal(byFamily.rsa?.spkiSha256, rsa.spkiSha256);
      for (const f of ['ecdsa', 'ed25519'] as const) {
        assert.equal(byFamily[f]?.outcome, 'not-served');
        assert.equal(byFamily[f]?.alert, 'handshake_failure');
        assert.equal(byFamily[f]?.stage, 'tls');
        assert.equal(byFamily[f]?.spkiSha256, undefined);
      }
    });

    it('an ECDSA-only TLS 1.2 server: RSA not-served', async () => {
      const { ecId } = ids();
      const server = await tlsServer({ ...ecId, maxVersion: 'TLSv1.2' });
      const r = await probeKeyType(base(server.port), 'rsa');
      assert.equal(r.outcome, 'not-served');
      assert.equal(r.alert, 'handshake_failure');
    });

    it('the main probe passes sigalgs down: the same server shows the key that was asked for', async () => {
      const server = await tlsServer(multi());
      const asRsa = await probeEndpoint(base(server.port, { sigalgs: KEY_FAMILIES.rsa.sigalgs }));
      const asEc = await probeEndpoint(base(server.port, { sigalgs: KEY_FAMILIES.ecdsa.sigalgs }));
      assert.ok(asRsa.ok && asEc.ok);
      assert.equal(asRsa.tls.leaf.spkiSha256, rsa.spkiSha256);
      assert.equal(asEc.tls.leaf.spkiSha256, pki.leaf.spkiSha256);
    });
  });

  describe('anonymous and NULL suites', () => {
    it('a server that accepts them: accepted, with suite and version, and no certificate', async () => {
      const server = await tlsServer({ ...ids().ecId, ...ANON_OK });
      const r = await probeAnonymous(base(server.port));
      assert.equal(r.outcome, 'accepted', r.error);
      assert.equal(r.version, 'TLSv1.2');
      assert.match(r.cipher ?? '', /_anon_/);
      assert.equal(r.spkiSha256, undefined);
      assert.equal(r.error, undefined);
      // The main probe still gets the certificate: it offers no anonymous suite.
      const main = await probeEndpoint(base(server.port));
      assert.ok(main.ok, JSON.stringify(main));
      assert.equal(main.tls.leaf.spkiSha256, pki.leaf.spkiSha256);
    });

    it('a server that accepts only NULL encryption: accepted, and the key it authenticated with', async () => {
      const server = await tlsServer({ ...ids().rsaId, ciphers: 'eNULL:!aNULL@SECLEVEL=0', maxVersion: 'TLSv1.2' });
      const r = await probeAnonymous(base(server.port));
      assert.equal(r.outcome, 'accepted', r.error);
      assert.match(r.cipher ?? '', /_RSA_WITH_NULL_/);
      assert.equal(r.spkiSha256, rsa.spkiSha256);
    });

    it('an old stack that speaks only TLS 1.0: still found (TLS 1.0 to 1.2 are offered)', async () => {
      const server = await tlsServer({ ...ids().ecId, ...ANON_OK, minVersion: 'TLSv1', maxVersion: 'TLSv1' });
      const r = await probeAnonymous(base(server.port));
      assert.equal(r.outcome, 'accepted', r.error);
      assert.equal(r.version, 'TLSv1');
    });

    it('a normal server refuses: refused, with the alert', async () => {
      const server = await tlsServer(ids().ecId);
      const r = await probeAnonymous(base(server.port));
      assert.equal(r.outcome, 'refused');
      assert.equal(r.alert, 'handshake_failure');
      assert.equal(r.stage, 'tls');
      assert.equal(r.errorKind, 'tls');
      assert.equal(r.cipher, undefined);
    });

    it('a TLS 1.3-only server refuses with protocol_version: refused', async () => {
      const server = await tlsServer({ ...ids().ecId, minVersion: 'TLSv1.3' });
      const r = await probeAnonymous(base(server.port));
      assert.equal(r.outcome, 'refused');
      assert.equal(r.alert, 'protocol_version');
    });
  });

  describe('could not tell is not refused', () => {
    it('a server that closes the connection on the ClientHello: unknown', async () => {
      const server = await serve((s) => s.once('data', () => s.destroy()));
      const anon = await probeAnonymous(base(server.port));
      assert.equal(anon.outcome, 'unknown');
      assert.equal(anon.errorKind, 'closed');
      assert.equal(anon.alert, undefined);
      const [k] = await probeKeyTypes(base(server.port), ['ecdsa']);
      assert.equal(k?.outcome, 'unknown');
      assert.equal(k?.errorKind, 'closed');
    });

    it('a server that answers with something other than TLS: unknown (a TLS error, but no alert)', async () => {
      const server = await serve((s) => s.once('data', () => s.end('HTTP/1.0 400 Bad Request\r\n\r\n')));
      const anon = await probeAnonymous(base(server.port));
      assert.equal(anon.outcome, 'unknown');
      assert.equal(anon.stage, 'tls');
      assert.equal(anon.alert, undefined);
    });

    it('silence: unknown, timeout, within the time limit', async () => {
      const server = await serve(() => undefined);
      const t0 = performance.now();
      const r = await probeKeyType(base(server.port, { timeoutMs: 300 }), 'rsa');
      assert.equal(r.outcome, 'unknown');
      assert.equal(r.errorKind, 'timeout');
      assert.ok(performance.now() - t0 < 3000);
    });

    it('nothing listening: unknown (TCP refused is not a TLS refusal)', async () => {
      const server = await serve(() => undefined);
      const port = server.port;
      await server.close();
      const r = await probeAnonymous(base(port));
      assert.equal(r.outcome, 'unknown');
      assert.equal(r.errorKind, 'refused');
      assert.equal(r.stage, 'connect');
    });
  });

  describe('through STARTTLS', () => {
    const xmppServer = (tlsOpts: SecureContextOptions | 'failure') => {
      const seen = { dialogues: 0, to: [] as string[] };
      const server = serve((s) => {
        let buf = '';
        let phase = 0;
        const onData = (b: Buffer) => {
          buf += b.toString();
          if (phase === 0 && buf.includes('<stream:stream') && buf.includes('>')) {
            phase = 1;
            seen.to.push(/to='([^']*)'/.exec(buf)?.[1] ?? /to="([^"]*)"/.exec(buf)?.[1] ?? '');
            s.write(
              "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='v1' from='example.test' version='1.0'>" +
                "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>",
            );
          }
          if (phase === 1 && buf.includes('<starttls')) {
            phase = 2;
            seen.dialogues++;
            if (tlsOpts === 'failure') {
              s.end("<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>");
              return;
            }
            s.off('data', onData);
            s.write("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", () => void upgrade(s, tlsOpts));
          }
        };
        s.on('data', onData);
      });
      return { seen, server };
    };

    it('XMPP: every extra handshake does the STARTTLS dialogue first', async () => {
      const { seen, server } = xmppServer(multi(ANON_OK));
      const { port } = await server;
      const o = base(port, { protocol: 'xmpp-c2s' });
      const anon = await probeAnonymous(o);
      const keys = await probeKeyTypes(o);
      assert.equal(anon.outcome, 'accepted', anon.error);
      assert.match(anon.cipher ?? '', /_anon_/);
      assert.deepEqual(
        keys.map((k) => [k.family, k.outcome, k.spkiSha256]),
        [
          ['ecdsa', 'served', pki.leaf.spkiSha256],
          ['rsa', 'served', rsa.spkiSha256],
          ['ed25519', 'served', ed.spkiSha256],
        ],
      );
      assert.equal(seen.dialogues, 4);
      assert.deepEqual(seen.to, ['example.test', 'example.test', 'example.test', 'example.test']);
      assert.equal((await server).connections, 4);
    });

    it('XMPP: <failure/> to <starttls/> is unknown at the starttls stage, not refused', async () => {
      const { server } = xmppServer('failure');
      const o = base((await server).port, { protocol: 'xmpp-c2s' });
      const anon = await probeAnonymous(o);
      assert.equal(anon.outcome, 'unknown');
      assert.equal(anon.stage, 'starttls');
      assert.equal(anon.errorKind, 'starttls-refused');
      const [k] = await probeKeyTypes(o, ['rsa']);
      assert.equal(k?.outcome, 'unknown');
      assert.equal(k?.stage, 'starttls');
    });

    it('XMPP: the byte limit holds for the extra handshakes too', async () => {
      const server = await serve(streamXmlForever);
      const r = await probeAnonymous(base(server.port, { protocol: 'xmpp-c2s', maxBytes: 64 * 1024 }));
      assert.equal(r.outcome, 'unknown');
      assert.equal(r.errorKind, 'byte-limit');
    });

    it('SMTP: STARTTLS, then the server refuses anonymous suites with an alert', async () => {
      const ehlo: string[] = [];
      const server = await serve((s) => {
        s.write('220 mx.example.test ESMTP\r\n');
        let upgraded = false;
        onLines(s, (l) => {
          if (upgraded) return;
          if (/^EHLO /.test(l)) {
            ehlo.push(l);
            s.write('250-mx.example.test\r\n250 STARTTLS\r\n');
          } else if (l === 'STARTTLS') {
            upgraded = true;
            s.write('220 go ahead\r\n', () => void upgrade(s, ids().ecId));
          }
        });
      });
      const o = base(server.port, { protocol: 'smtp', checkerDomain: 'checker.example' });
      const anon = await probeAnonymous(o);
      assert.equal(anon.outcome, 'refused');
      assert.equal(anon.alert, 'handshake_failure');
      const [k] = await probeKeyTypes(o, ['ecdsa']);
      assert.equal(k?.outcome, 'served');
      assert.deepEqual(ehlo, ['EHLO checker.example', 'EHLO checker.example']);
    });
  });
});
