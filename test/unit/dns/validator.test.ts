// The validator's behaviour when the world misbehaves: an upstream that fails, answers
// SERVFAIL even with CD=1, or sends an endless CNAME chain, costs a bounded amount and yields
// "indeterminate" or "bogus" with a reason — never a crash or a hang.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Validator, type FetchedResponse, type Fetcher } from '../../../src/dns/dnssec/validator.ts';
import { defaultTrustAnchor } from '../../../src/dns/dnssec/trust-anchor.ts';
import { nameToString, parseName, nameToWire } from '../../../src/dns/name.ts';
import { RRType } from '../../../src/dns/types.ts';
import type { DnsRecord } from '../../../src/dns/message.ts';
import { decodeRdata } from '../../../src/dns/rdata.ts';

const cname = (owner: string, target: string): DnsRecord => {
  const rdata = nameToWire(parseName(target));
  return { name: parseName(owner), type: RRType.CNAME, class: 1, ttl: 60, rdata, data: decodeRdata(RRType.CNAME, rdata) };
};

describe('validator under hostile or failing upstreams', () => {
  it('an upstream that throws gives indeterminate with the error, not an exception', async () => {
    const fetch: Fetcher = () => Promise.reject(new Error('all resolvers timed out'));
    const r = await new Validator(fetch, defaultTrustAnchor()).lookup('example.org.', RRType.A);
    assert.equal(r.security, 'indeterminate');
    assert.ok(r.problems.some((p) => p.code === 'upstream.failed' && /timed out/.test(p.message)));
  });

  it('SERVFAIL with checking disabled is indeterminate (the records could not be had)', async () => {
    const fetch: Fetcher = () => Promise.resolve({ rcode: 2, answer: [], authority: [] });
    const r = await new Validator(fetch, defaultTrustAnchor()).lookup('example.org.', RRType.TLSA);
    assert.equal(r.security, 'indeterminate');
    assert.equal(r.rcode, 'SERVFAIL');
  });

  it('a CNAME loop is detected and reported, with a bounded number of queries', async () => {
    let queries = 0;
    const fetch: Fetcher = (name) => {
      queries++;
      const n = nameToString(name);
      const next = n === 'a.example.' ? 'b.example.' : 'a.example.';
      const resp: FetchedResponse = n.endsWith('example.') ? { rcode: 0, answer: [cname(n, next)], authority: [] } : { rcode: 2, answer: [], authority: [] };
      return Promise.resolve(resp);
    };
    const r = await new Validator(fetch, defaultTrustAnchor()).lookup('a.example.', RRType.A);
    assert.ok(r.problems.some((p) => p.code === 'cname.loop'), JSON.stringify(r.problems));
    assert.notEqual(r.security, 'secure');
    assert.ok(queries < 20, `queries: ${queries}`);
  });

  it('an endless CNAME chain stops at the limit', async () => {
    let i = 0;
    const fetch: Fetcher = (name) => {
      const n = nameToString(name);
      if (!n.endsWith('chain.example.')) return Promise.resolve({ rcode: 2, answer: [], authority: [] });
      return Promise.resolve({ rcode: 0, answer: [cname(n, `c${++i}.chain.example.`)], authority: [] });
    };
    const r = await new Validator(fetch, defaultTrustAnchor(), { maxCnameChain: 5 }).lookup('c0.chain.example.', RRType.A);
    assert.ok(r.problems.some((p) => p.code === 'cname.too-long'), JSON.stringify(r.problems));
    assert.ok(i <= 7, `followed ${i} links`);
  });
});

describe('DNAME (RFC 6672)', () => {
  const dname = (owner: string, target: string): DnsRecord => {
    const rdata = nameToWire(parseName(target));
    return { name: parseName(owner), type: RRType.DNAME, class: 1, ttl: 60, rdata, data: decodeRdata(RRType.DNAME, rdata) };
  };
  const answering = (answer: DnsRecord[]): Fetcher => (name) =>
    Promise.resolve(nameToString(name).endsWith('example.') ? { rcode: 0, answer, authority: [] } : { rcode: 2, answer: [], authority: [] });

  it('a synthesised CNAME that does not follow from the DNAME is bogus, whatever else holds', async () => {
    const forged = answering([dname('old.example.', 'new.example.'), cname('www.old.example.', 'www.attacker.example.')]);
    const r = await new Validator(forged, defaultTrustAnchor()).lookup('www.old.example.', RRType.A);
    assert.equal(r.security, 'bogus');
    assert.ok(r.problems.some((p) => p.code === 'dname.synthesis-mismatch' && /gives www\.new\.example\./.test(p.message)), JSON.stringify(r.problems));
  });

  it('a rewrite past 255 octets is refused (YXDOMAIN)', async () => {
    const long = `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.${'d'.repeat(50)}.example.`;
    const r = await new Validator(answering([dname('old.example.', long)]), defaultTrustAnchor()).lookup(`${'x'.repeat(40)}.old.example.`, RRType.A);
    assert.ok(r.problems.some((p) => p.code === 'dname.name-too-long'), JSON.stringify(r.problems));
    assert.equal(r.security, 'bogus');
  });
});
