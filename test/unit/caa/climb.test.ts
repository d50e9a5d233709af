// The Relevant RRset (RFC 8659 §3) climbed over a fake DNS map: which names are asked, in which
// order, where the climb stops, and how each step's DNSSEC state carries into the result.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { baseName, findRelevantCaa, stepFromValidation } from '../../../src/caa/climb.ts';
import type { ValidationResult } from '../../../src/dns/dnssec/validator.ts';
import { fakeLookup } from './fake-dns.ts';

describe('climbing to the Relevant RRset', () => {
  it('found at the name itself: one lookup', async () => {
    const dns = fakeLookup({ 'example.org': { records: ['0 issue "ca.example"'] } });
    const c = await findRelevantCaa('example.org', dns);
    assert.equal(c.state, 'found');
    assert.deepEqual(dns.asked, ['example.org.']);
    assert.equal(c.relevant!.owner, 'example.org.');
  });

  it('found at the parent, then at the grandparent (through an empty non-terminal)', async () => {
    const zone = { 'example.org': { records: ['0 issue "ca.example"'] }, 'xmpp.example.org': {}, 'host.sub.example.org': {} };
    const parent = fakeLookup(zone);
    const c1 = await findRelevantCaa('xmpp.example.org', parent);
    assert.deepEqual(parent.asked, ['xmpp.example.org.', 'example.org.']);
    assert.deepEqual([c1.state, c1.relevant!.name, c1.steps[0]!.rcode], ['found', 'example.org.', 'NOERROR']);
    const grand = fakeLookup(zone);
    const c2 = await findRelevantCaa('host.sub.example.org', grand);
    assert.deepEqual(grand.asked, ['host.sub.example.org.', 'sub.example.org.', 'example.org.']);
    assert.equal(c2.relevant!.records[0], '0 issue "ca.example"');
  });

  it('the first non-empty set wins: a child\'s own set hides the parent\'s', async () => {
    const dns = fakeLookup({ 'example.org': { records: ['0 issue ";"'] }, 'www.example.org': { records: ['0 issue "ca.example"'] } });
    const c = await findRelevantCaa('www.example.org', dns);
    assert.deepEqual(dns.asked, ['www.example.org.']);
    assert.equal(c.relevant!.records[0], '0 issue "ca.example"');
  });

  it('X.Y.Z with no CAA anywhere: every label down to the TLD is asked, never the root', async () => {
    const dns = fakeLookup({});
    const c = await findRelevantCaa('X.Y.Z', dns);
    assert.equal(c.state, 'none');
    assert.deepEqual(dns.asked, ['X.Y.Z.', 'Y.Z.', 'Z.']);
    assert.equal(c.relevant, undefined);
  });

  it('a CNAME is followed for the lookup, but the climb goes on from the queried name (no RFC 6844 target climbing)', async () => {
    const zone = {
      'example.org': { records: ['0 issue "ours.example"'] },
      'alias.example.org': { cname: 'www.hoster.example' },
      'hoster.example': { records: ['0 issue "theirs.example"'] },
      'www.hoster.example': {},
      'direct.example.org': { cname: 'cdn.hoster.example' },
      'cdn.hoster.example': { records: ['0 issue "cdn-ca.example"'] },
    };
    const dns = fakeLookup(zone);
    const c = await findRelevantCaa('alias.example.org', dns);
    assert.deepEqual(dns.asked, ['alias.example.org.', 'example.org.'], 'hoster.example. is never asked');
    assert.equal(c.relevant!.records[0], '0 issue "ours.example"');
    assert.deepEqual(c.steps[0]!.aliases, ['alias.example.org. CNAME www.hoster.example.']);

    const d = await findRelevantCaa('direct.example.org', fakeLookup(zone));
    assert.equal(d.relevant!.owner, 'cdn.hoster.example.', 'the alias target\'s own set is the answer at the name');
    assert.equal(d.relevant!.records[0], '0 issue "cdn-ca.example"');
  });

  it('bogus midway: the climb stops there, with the problem, and never reaches the parent\'s records', async () => {
    const dns = fakeLookup({ 'example.org': { records: ['0 issue "ca.example"'] }, 'sub.example.org': { security: 'bogus' } });
    const c = await findRelevantCaa('www.sub.example.org', dns);
    assert.equal(c.state, 'bogus');
    assert.equal(c.security, 'bogus');
    assert.deepEqual(dns.asked, ['www.sub.example.org.', 'sub.example.org.']);
    assert.equal(c.relevant, undefined);
    assert.equal(c.steps[1]!.problems[0]!.code, 'rrsig.invalid');
  });

  it('a failed lookup (SERVFAIL, or the lookup throwing) stops the climb as failed', async () => {
    const c = await findRelevantCaa('www.example.org', fakeLookup({ 'www.example.org': { security: 'indeterminate' }, 'example.org': { records: ['0 issue ";"'] } }));
    assert.deepEqual([c.state, c.steps.length], ['failed', 1]);
    const thrown = await findRelevantCaa('www.example.org', () => Promise.reject(new Error('socket closed')));
    assert.equal(thrown.state, 'failed');
    assert.equal(thrown.steps[0]!.problems[0]!.message, 'socket closed');
  });

  it('security is the weakest of the steps: an unsigned child above a signed parent makes it insecure', async () => {
    const c = await findRelevantCaa('www.example.org', fakeLookup({ 'www.example.org': { security: 'insecure' }, 'example.org': { records: ['0 issue ";"'] } }));
    assert.deepEqual([c.state, c.security], ['found', 'insecure']);
    const s = await findRelevantCaa('www.example.org', fakeLookup({ 'example.org': { records: ['0 issue ";"'] } }));
    assert.equal(s.security, 'secure');
  });

  it('a wildcard name climbs from its base (RelevantCAASet(*.X) = RelevantCAASet(X))', async () => {
    assert.deepEqual(baseName('*.example.org'), { name: 'example.org.', wildcard: true });
    const dns = fakeLookup({ 'example.org': { records: ['0 issue ";"'] } });
    await findRelevantCaa('*.example.org', dns);
    assert.deepEqual(dns.asked, ['example.org.']);
  });

  it('a validator result becomes a step: the CAA set at the end of the alias chain', () => {
    const r: ValidationResult = {
      name: 'alias.example.org.',
      type: 'CAA',
      rcode: 'NOERROR',
      security: 'secure',
      answer: [
        { name: 'alias.example.org.', type: 'CNAME', ttl: 300, records: ['own.example.org.'], security: 'secure', signatures: [] },
        { name: 'own.example.org.', type: 'CAA', ttl: 600, records: ['0 issue "letsencrypt.org"'], security: 'secure', signatures: [] },
      ],
      chain: [],
      problems: [],
      ede: [],
    };
    const s = stepFromValidation(r);
    assert.deepEqual([s.owner, s.ttl, s.records, s.aliases], ['own.example.org.', 600, ['0 issue "letsencrypt.org"'], ['alias.example.org. CNAME own.example.org.']]);
  });
});
