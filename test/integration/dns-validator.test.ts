// keywatch's own DNSSEC validation against the lab, judged against unbound (an independent
// validator anchored at the same root): for every scenario both must reach the same verdict,
// and keywatch must explain the failures precisely.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useLab } from '../lab/fixture.ts';
import { delv, kdig } from '../lab/judges.ts';
import { SCENARIOS, type DnssecState } from '../lab/scenarios.ts';
import { Validator, type Fetcher } from '../../src/dns/dnssec/validator.ts';
import { parseTrustAnchors } from '../../src/dns/dnssec/trust-anchor.ts';
import { DnsClient } from '../../src/dns/client.ts';
import { clientFetcher } from '../../src/dns/resolver.ts';
import { RRType, typeToString } from '../../src/dns/types.ts';
import { nameToString } from '../../src/dns/name.ts';
import type { Security } from '../../src/dns/dnssec/problems.ts';

const lab = useLab();

function validator(now?: () => number): Validator {
  const { resolver, trustAnchor } = lab().state;
  return new Validator(clientFetcher(new DnsClient({ servers: [resolver] })), parseTrustAnchors(trustAnchor.dnskey), now ? { now } : {});
}

const asSecurity = (s: DnssecState | 'absent'): Security => (s === 'absent' ? 'secure' : s);

/** delv's verdict, anchored at the lab root. */
const delvVerdict = (name: string, type: string) => {
  const { resolver, trustAnchor, dir } = lab().state;
  return delv(resolver, trustAnchor.ds, dir, name, type);
};

/** unbound's verdict from its answer: SERVFAIL = bogus, AD = secure, else insecure. */
async function unboundVerdict(name: string, type: string): Promise<Security> {
  const a = await kdig(lab().state.resolver, name, type);
  if (a.rcode === 'SERVFAIL') return 'bogus';
  return a.ad ? 'secure' : 'insecure';
}

describe('keywatch validates every lab scenario like unbound and delv do', () => {
  for (const s of SCENARIOS) {
    it(`${s.name}: SRV ${s.expect.srv}, TLSA ${s.expect.tlsa}`, async () => {
      const d = lab().domain(s.name);
      const v = validator();
      for (const e of d.endpoints) {
        const srv = await v.lookup(e.srvName, RRType.SRV);
        assert.equal(srv.security, s.expect.srv, `${e.srvName} SRV: ${JSON.stringify(srv.problems)}`);
        assert.equal(srv.security, await unboundVerdict(e.srvName, 'SRV'));
        const tlsa = await v.lookup(e.tlsaName, RRType.TLSA);
        assert.equal(tlsa.security, asSecurity(s.expect.tlsa), `${e.tlsaName} TLSA: ${JSON.stringify(tlsa.problems)}`);
        assert.equal(tlsa.security, await unboundVerdict(e.tlsaName, 'TLSA'));
        assert.equal(tlsa.security, await delvVerdict(e.tlsaName, 'TLSA'), `delv on ${e.tlsaName} TLSA`);
        if (s.expect.tlsa === 'absent') assert.equal(tlsa.rcode, 'NXDOMAIN');
      }
    });
  }
});

describe('keywatch explains why', () => {
  it('good: the chain runs root → test. → good.test. with the keys the lab made', async () => {
    const d = lab().domain('good');
    const r = await validator().lookup(d.endpoints[0]!.tlsaName, RRType.TLSA);
    assert.equal(r.security, 'secure');
    assert.deepEqual(r.chain.map((l) => [l.zone, l.security, l.via]), [
      ['.', 'secure', 'trust-anchor'],
      ['test.', 'secure', 'ds'],
      ['good.test.', 'secure', 'ds'],
    ]);
    const good = r.chain[2]!;
    assert.ok(good.dnskeys.some((k) => k.keyTag === d.zone.kskTag && k.role === 'KSK' && k.matchedByDs));
    assert.deepEqual(r.answer[0]!.records.sort(), d.tlsa.filter((t) => t.startsWith(`${d.endpoints[0]!.tlsaName}.`)).map((t) => t.split(' ').slice(4).join(' ')).sort());
    assert.equal(r.answer[0]!.signatures[0]!.keyTag, d.zone.zskTag);
  });

  it('bogus: names the RRset and the key whose signature does not verify', async () => {
    const d = lab().domain('bogus');
    const r = await validator().lookup(d.endpoints[0]!.tlsaName, RRType.TLSA);
    assert.equal(r.security, 'bogus');
    const p = r.problems.find((x) => x.code === 'rrsig.invalid');
    assert.ok(p, JSON.stringify(r.problems));
    assert.equal(p.keyTag, d.zone.zskTag);
    assert.match(p.message, /_5222\._tcp\.xmpp\.bogus\.test\. TLSA/);
  });

  it('expired: says which key signature expired and when', async () => {
    const d = lab().domain('expired');
    const r = await validator().lookup(d.endpoints[0]!.srvName, RRType.SRV);
    assert.equal(r.security, 'bogus');
    const p = r.problems.find((x) => x.code === 'rrsig.expired');
    assert.ok(p, JSON.stringify(r.problems));
    assert.equal(p.zone, 'expired.test.');
    const expiredAt = Date.parse(/expired at (\S+)/.exec(p.message)![1]!);
    assert.ok(expiredAt < Date.now() - 29 * 86400_000 && expiredAt > Date.now() - 31 * 86400_000, p.message);
  });

  it('time is injected: the good zone is bogus (expired) 60 days from now, and not yet valid 2 days ago', async () => {
    const name = lab().domain('good').endpoints[0]!.tlsaName;
    const later = await validator(() => Math.floor(Date.now() / 1000) + 60 * 86400).lookup(name, RRType.TLSA);
    assert.equal(later.security, 'bogus');
    assert.ok(later.problems.some((p) => p.code === 'rrsig.expired'));
    const earlier = await validator(() => Math.floor(Date.now() / 1000) - 2 * 86400).lookup(name, RRType.TLSA);
    assert.equal(earlier.security, 'bogus');
    assert.ok(earlier.problems.some((p) => p.code === 'rrsig.not-yet-valid'));
  });

  it('unsigned: insecure, with the zone cut where DNSSEC ends', async () => {
    const r = await validator().lookup(lab().domain('unsigned').endpoints[0]!.tlsaName, RRType.TLSA);
    assert.equal(r.security, 'insecure');
    assert.equal(r.insecureAt, 'unsigned.test.');
  });

  it('a wrong trust anchor makes everything bogus at the root', async () => {
    const { resolver } = lab().state;
    const fetch = clientFetcher(new DnsClient({ servers: [resolver] }));
    const other = '. IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D';
    const r = await new Validator(fetch, parseTrustAnchors(other)).lookup(lab().domain('good').endpoints[0]!.tlsaName, RRType.TLSA);
    assert.equal(r.security, 'bogus');
    assert.equal(r.chain[0]!.zone, '.');
    assert.ok(r.problems.some((p) => p.code === 'anchor.no-matching-key'), JSON.stringify(r.problems));
  });
});

describe('every signing algorithm and answer shape, against unbound and delv', () => {
  // The list comes from the lab's catalogue, so a zone added there is tested here.
  it('covers algorithms 8, 10, 13, 14, 15 and 16, and SHA-1', () => {
    const numbers = new Set([13, ...lab().state.dnsZones.map((z) => z.algorithmNumber)]);
    for (const n of [5, 8, 10, 13, 14, 15, 16]) assert.ok(numbers.has(n), `a lab zone signed with algorithm ${n}`);
  });

  it('each query reaches the expected verdict, and unbound and delv agree except where documented', async () => {
    const v = validator();
    for (const z of lab().state.dnsZones) {
      for (const q of z.queries) {
        const name = `${q.name}.${z.zone}`;
        const r = await v.lookup(name, RRType[q.type as keyof typeof RRType]);
        const what = `${name} ${q.type} (${z.algorithm}; ${q.why})`;
        assert.equal(r.security, q.expect, `${what}: ${JSON.stringify(r.problems)}`);
        assert.equal(r.rcode, q.rcode, what);
        assert.equal(await unboundVerdict(name, q.type), q.unbound ?? q.expect, `unbound on ${what}`);
        assert.equal(await delvVerdict(name, q.type), q.unbound ?? q.expect, `delv on ${what}`);
        if (q.expect === 'insecure') assert.equal(r.insecureAt, z.zone, `${what}: where DNSSEC ends`);
        if (q.problem) assert.ok(r.problems.some((p) => p.code === q.problem), `${what}: want ${q.problem}, got ${JSON.stringify(r.problems)}`);
      }
    }
  });

  it('a DNAME answer shows the signed DNAME, the synthesised CNAME and the final RRset', async () => {
    const z = lab().state.dnsZones.find((x) => x.label === 'features')!;
    const r = await validator().lookup(`_xmpp-client._tcp.old.${z.zone}`, RRType.SRV);
    assert.deepEqual(r.answer.map((a) => [a.name, a.type, a.security]), [
      [`old.${z.zone}`, 'DNAME', 'secure'],
      [`_xmpp-client._tcp.old.${z.zone}`, 'CNAME', 'secure'],
      ['_xmpp-client._tcp.good.test.', 'SRV', 'secure'],
    ]);
  });

  it('a wildcard answer is secure only with the proof that the exact name does not exist', async () => {
    const z = lab().state.dnsZones.find((x) => x.label === 'features')!;
    const r = await validator().lookup(`anything.wild.${z.zone}`, RRType.TXT);
    assert.equal(r.security, 'secure');
    assert.equal(r.answer[0]!.signatures[0]!.wildcard, true);
  });
});

describe('validated zones are reused across lookups until their TTL', () => {
  it('a second lookup in the same zone fetches only its answer; after the TTL the chain is checked again', async () => {
    const { resolver, trustAnchor } = lab().state;
    const upstream = clientFetcher(new DnsClient({ servers: [resolver], cacheSize: 0 }));
    const fetched: string[] = [];
    const fetch: Fetcher = (name, type) => {
      fetched.push(`${nameToString(name)} ${typeToString(type)}`);
      return upstream(name, type);
    };
    let now = Math.floor(Date.now() / 1000);
    const v = new Validator(fetch, parseTrustAnchors(trustAnchor.dnskey), { now: () => now });
    const d = lab().domain('good');
    assert.equal((await v.lookup(d.endpoints[0]!.tlsaName, RRType.TLSA)).security, 'secure');
    assert.ok(fetched.some((f) => f === 'good.test. DNSKEY'), fetched.join(', '));

    fetched.length = 0;
    const again = await v.lookup(d.endpoints[0]!.srvName, RRType.SRV);
    assert.equal(again.security, 'secure');
    assert.deepEqual(fetched, [`${d.endpoints[0]!.srvName}. SRV`], 'only the answer is fetched');
    assert.deepEqual(again.chain.map((l) => l.zone), ['.', 'test.', 'good.test.'], 'the chain is still shown');

    now += 301; // the lab's DNSKEY and DS TTLs are 300 s
    fetched.length = 0;
    assert.equal((await v.lookup(d.endpoints[0]!.srvName, RRType.SRV)).security, 'secure');
    assert.ok(fetched.includes('good.test. DNSKEY') && fetched.includes('good.test. DS'), fetched.join(', '));
  });
});
