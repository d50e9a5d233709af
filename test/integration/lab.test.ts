// Proves the lab itself, with judges independent of keywatch (kdig against unbound, openssl
// s_client, Node's own TLS): every scenario's DNS answers carry the DNSSEC state the scenario
// declares, both XMPP servers accept STARTTLS and logins, and every interceptor shows a
// different key from the real server while still relaying a working XMPP stream.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useLab } from '../lab/fixture.ts';
import { kdig, opensslConnect, spkiSha256, xmppSession, type KdigAnswer } from '../lab/judges.ts';
import { run } from '../lab/procs.ts';
import { SCENARIOS, type DnssecState } from '../lab/scenarios.ts';

const lab = useLab();

function assertState(a: KdigAnswer, want: DnssecState | 'absent', what: string): void {
  const seen = `${a.rcode}${a.ad ? ' +AD' : ''}`;
  switch (want) {
    case 'secure':
      assert.ok(a.rcode === 'NOERROR' && a.ad && a.answers.length > 0, `${what}: want NOERROR with AD and data, got ${seen}\n${a.raw}`);
      break;
    case 'insecure':
      assert.ok(a.rcode === 'NOERROR' && !a.ad && a.answers.length > 0, `${what}: want NOERROR without AD, got ${seen}\n${a.raw}`);
      break;
    case 'bogus':
      assert.equal(a.rcode, 'SERVFAIL', `${what}: want SERVFAIL, got ${seen}\n${a.raw}`);
      break;
    case 'absent':
      // Authenticated denial: the name does not exist, and the NSEC3 proof validated.
      assert.ok(a.rcode === 'NXDOMAIN' && a.ad, `${what}: want NXDOMAIN with AD, got ${seen}\n${a.raw}`);
      break;
  }
}

describe('DNSSEC: unbound, anchored at the lab root, agrees with every scenario', () => {
  for (const s of SCENARIOS) {
    it(`${s.name}: SRV is ${s.expect.srv}, TLSA is ${s.expect.tlsa}`, async () => {
      const d = lab().domain(s.name);
      const { resolver } = lab().state;
      for (const e of d.endpoints) {
        assertState(await kdig(resolver, e.srvName, 'SRV'), s.expect.srv, `${e.srvName} SRV`);
        const tlsa = await kdig(resolver, e.tlsaName, 'TLSA');
        assertState(tlsa, s.expect.tlsa, `${e.tlsaName} TLSA`);
        if (s.expect.tlsa === 'secure' || s.expect.tlsa === 'insecure') {
          const published = d.tlsa.filter((r) => r.startsWith(`${e.tlsaName}.`)).map((r) => r.split(' ').slice(4).join(' '));
          assert.deepEqual(tlsa.answers.map((x) => x.toLowerCase()).sort(), published.sort());
        }
      }
    });
  }

  it('explains the failures with Extended DNS Errors (RFC 8914)', async () => {
    const { resolver, files } = lab().state;
    // A cached bogus answer only says "6 DNSSEC Bogus": drop those so the reason is fresh.
    await run('unbound-control', ['-c', files.unboundConf, 'flush_bogus']);
    const expired = await kdig(resolver, lab().domain('expired').endpoints[0]!.srvName, 'SRV');
    assert.equal(expired.ede?.code, 7, `want EDE 7 Signature Expired:\n${expired.raw}`);
    const bogus = await kdig(resolver, lab().domain('bogus').endpoints[0]!.tlsaName, 'TLSA');
    assert.equal(bogus.ede?.code, 6, `want EDE 6 DNSSEC Bogus:\n${bogus.raw}`);
  });

  it('the good zone publishes 3 1 1 for the server key and 2 1 1 for the issuing CA', () => {
    const d = lab().domain('good');
    for (const e of d.endpoints) {
      const recs = d.tlsa.filter((r) => r.startsWith(`${e.tlsaName}.`)).map((r) => r.split(' ').slice(4).join(' '));
      assert.deepEqual(recs.sort(), [`2 1 1 ${lab().state.ca.intermediateSpkiSha256}`, `3 1 1 ${d.keys.server.spkiSha256}`].sort());
    }
  });
});

describe('XMPP servers accept STARTTLS on their lab addresses', () => {
  for (const name of ['good', 'ejabberd'] as const) {
    it(`${name}: openssl s_client completes STARTTLS and verifies the chain (PKIX and DANE)`, async () => {
      const d = lab().domain(name);
      for (const e of d.endpoints) {
        const tlsa = d.tlsa.filter((r) => r.startsWith(`${e.tlsaName}.`)).map((r) => r.split(' ').slice(4).join(' '));
        const r = await opensslConnect({
          address: e.address,
          port: e.port,
          domain: d.domain,
          tls: e.tls,
          server: e.service === 'xmpp-server',
          caFile: lab().state.ca.rootFile,
          tlsa,
          tlsaDomain: d.domain,
        });
        assert.equal(r.verifyCode, 0, `${e.service} ${e.port}: ${r.verifyText}`);
        assert.match(r.dane ?? '', /DANE TLSA \d \d \d .* matched/, `${e.service}: DANE did not match\n${r.raw}`);
        assert.equal(spkiSha256(r.leaf), d.keys.server.spkiSha256);
      }
    });

    it(`${name}: the canary account logs in over TLS, and SCRAM is offered`, async () => {
      const d = lab().domain(name);
      const e = d.endpoints.find((x) => x.service === 'xmpp-client')!;
      const [user] = d.account.jid.split('@');
      const good = await xmppSession({ ...e, domain: d.domain, login: { user: user!, password: d.account.password } });
      assert.equal(good.auth, 'success');
      assert.ok(good.mechanisms.some((m) => m.startsWith('SCRAM-SHA-')), `mechanisms: ${good.mechanisms.join(' ')}`);
      const bad = await xmppSession({ ...e, domain: d.domain, login: { user: user!, password: 'not-the-password' } });
      assert.equal(bad.auth, 'failure');
    });
  }
});

describe('interceptors present their own key, with a certificate from the same CA', () => {
  for (const name of ['mitm-c2s', 'mitm-all'] as const) {
    it(`${name}: each endpoint shows the key the scenario says, and XMPP still works through it`, async () => {
      const d = lab().domain(name);
      const interceptor = d.keys.interceptor;
      assert.ok(interceptor, 'scenario has an interceptor key');
      assert.notEqual(interceptor.spkiSha256, d.keys.server.spkiSha256);
      for (const e of d.endpoints) {
        const server = e.service === 'xmpp-server';
        const r = await opensslConnect({ ...e, domain: d.domain, server, caFile: lab().state.ca.rootFile });
        assert.equal(r.verifyCode, 0, `PKIX must accept the interceptor too (the jabber.ru case): ${r.verifyText}`);
        const want: string = e.presents === 'interceptor' ? interceptor.spkiSha256 : d.keys.server.spkiSha256;
        assert.equal(spkiSha256(r.leaf), want, `${e.service}:${e.port} presents the ${e.presents}'s key`);
        assert.equal(e.matchesTlsa, e.presents === 'server');
        // Through the interceptor the session goes on: features arrive from the real server.
        const s = await xmppSession({ ...e, domain: d.domain, server });
        assert.equal(spkiSha256(s.leaf), want);
        assert.match(s.features, server ? /dialback|<mechanisms/ : /<mechanisms/);
      }
    });
  }

  it('mitm-c2s: port 5269 of the same host still presents the published key', () => {
    const d = lab().domain('mitm-c2s');
    const s2s = d.endpoints.find((e) => e.service === 'xmpp-server')!;
    assert.equal(s2s.presents, 'server');
    assert.equal(s2s.matchesTlsa, true);
    assert.ok(d.endpoints.filter((e) => e.service !== 'xmpp-server').every((e) => e.presents === 'interceptor' && !e.matchesTlsa));
  });

  it('stale: the server presents a key that is not the one its TLSA records name', async () => {
    const d = lab().domain('stale');
    const e = d.endpoints[0]!;
    const r = await opensslConnect({ ...e, domain: d.domain, caFile: lab().state.ca.rootFile });
    assert.equal(spkiSha256(r.leaf), d.keys.server.spkiSha256);
    assert.ok(d.keys.retired && d.keys.retired.spkiSha256 !== d.keys.server.spkiSha256);
    assert.ok(d.tlsa.every((t) => t.endsWith(d.keys.retired!.spkiSha256)));
  });
});
