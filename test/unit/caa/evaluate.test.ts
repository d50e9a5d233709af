// Who may issue: every example of RFC 8659 §3–§4 and the RFC 8657 accounturi/validationmethods
// cases, evaluated from a record set found by the real climb over a fake DNS map.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findRelevantCaa } from '../../../src/caa/climb.ts';
import { caaPolicy, decide, type Decision, type IssuanceRequest } from '../../../src/caa/evaluate.ts';
import { readPropertyText } from '../../../src/caa/record.ts';
import { fakeLookup } from './fake-dns.ts';

/** Publish `records` at `owner`, climb from `name`, and decide for `req` (name and wildcard). */
async function verdict(owner: string, records: string[], name: string, req: IssuanceRequest): Promise<{ name: Decision; wildcard: Decision }> {
  const climb = await findRelevantCaa(name, fakeLookup({ [owner]: { records } }));
  const props = (climb.relevant?.records ?? []).map(readPropertyText);
  return { name: decide(climb, props, req, false), wildcard: decide(climb, props, req, true) };
}
const may = async (owner: string, records: string[], name: string, ca: string, extra: Omit<IssuanceRequest, 'ca'> = {}) => {
  const v = await verdict(owner, records, name, { ca, ...extra });
  return [v.name.allowed, v.wildcard.allowed];
};

describe('RFC 8659 §4.2: issue', () => {
  const certs = ['0 issue "ca1.example.net"', '0 issue "ca2.example.org"'];
  it('certs.example.com: only ca1.example.net or ca2.example.org', async () => {
    assert.deepEqual(await may('certs.example.com', certs, 'certs.example.com', 'ca1.example.net'), [true, true]);
    assert.deepEqual(await may('certs.example.com', certs, 'certs.example.com', 'ca2.example.org'), [true, true]);
    const other = await verdict('certs.example.com', certs, 'certs.example.com', { ca: 'letsencrypt.org' });
    assert.equal(other.name.allowed, false);
    assert.equal(other.name.basis, 'not-listed');
    assert.match(other.name.explanation, /only ca1\.example\.net and ca2\.example\.org/);
  });

  it('the issuer domain matches without regard to case', async () => {
    assert.deepEqual(await may('certs.example.com', certs, 'certs.example.com', 'CA1.Example.NET'), [true, true]);
  });

  it('nocerts.example.com issue ";": no CA may issue', async () => {
    const v = await verdict('nocerts.example.com', ['0 issue ";"'], 'nocerts.example.com', { ca: 'ca1.example.net' });
    assert.deepEqual([v.name.allowed, v.name.basis, v.wildcard.allowed], [false, 'no-issuer', false]);
  });

  it('malformed.example.com "%%%%%" forbids issuance (treated as an empty issuer)', async () => {
    const v = await verdict('malformed.example.com', ['0 issue "%%%%%"'], 'malformed.example.com', { ca: 'ca1.example.net' });
    assert.deepEqual([v.name.allowed, v.name.basis], [false, 'no-issuer']);
  });

  it('authorisations add up: an empty issuer beside a named one is just the named one', async () => {
    assert.deepEqual(await may('example.com', ['0 issue ";"', '0 issue "ca1.example.net"'], 'example.com', 'ca1.example.net'), [true, true]);
  });

  it('accountable.example.com "ca1.example.net; account=230123": a CA-defined parameter does not stop ca1', async () => {
    const v = await verdict('accountable.example.com', ['0 issue "ca1.example.net; account=230123"'], 'accountable.example.com', { ca: 'ca1.example.net' });
    assert.equal(v.name.allowed, true);
  });
});

describe('RFC 8659 §4.3: issuewild', () => {
  const wild = ['0 issue "ca1.example.net"', '0 issuewild "ca2.example.org"'];
  it('wild.example.com: ca1 for names, ca2 for wildcards, also for sub.wild (no CAA there)', async () => {
    for (const name of ['wild.example.com', 'sub.wild.example.com']) {
      assert.deepEqual(await may('wild.example.com', wild, name, 'ca1.example.net'), [true, false], name);
      assert.deepEqual(await may('wild.example.com', wild, name, 'ca2.example.org'), [false, true], name);
    }
  });

  it('wild2.example.com issue only: ca1 for names and wildcards', async () => {
    assert.deepEqual(await may('wild2.example.com', ['0 issue "ca1.example.net"'], 'wild2.example.com', 'ca1.example.net'), [true, true]);
    assert.deepEqual(await may('wild2.example.com', ['0 issue "ca1.example.net"'], 'sub.wild2.example.com', 'ca2.example.org'), [false, false]);
  });

  it('wild3.example.com issuewild ca2 + issue ";": ca2 for wildcards only, nobody for the names', async () => {
    const set = ['0 issuewild "ca2.example.org"', '0 issue ";"'];
    assert.deepEqual(await may('wild3.example.com', set, 'wild3.example.com', 'ca2.example.org'), [false, true]);
    assert.deepEqual(await may('wild3.example.com', set, 'sub.wild3.example.com', 'ca1.example.net'), [false, false]);
  });

  it('wild3.example.com issuewild ca2 alone: ca2 for wildcards, any CA for the names', async () => {
    const set = ['0 issuewild "ca2.example.org"'];
    const v = await verdict('wild3.example.com', set, 'wild3.example.com', { ca: 'ca1.example.net' });
    assert.deepEqual([v.name.allowed, v.name.basis, v.wildcard.allowed], [true, 'unrestricted', false]);
    assert.deepEqual(await may('wild3.example.com', set, 'wild3.example.com', 'ca2.example.org'), [true, true]);
  });

  it('issuewild ";" forbids wildcards only', async () => {
    assert.deepEqual(await may('example.com', ['0 issue "ca1.example.net"', '0 issuewild ";"'], 'example.com', 'ca1.example.net'), [true, false]);
  });
});

describe('RFC 8659 §4.4 and §4.5, and §3 (a set with no issue property)', () => {
  it('report.example.com: the iodef records change nothing for issue', async () => {
    const set = ['0 issue "ca1.example.net"', '0 iodef "mailto:security@example.com"', '0 iodef "https://iodef.example.com/"'];
    assert.deepEqual(await may('report.example.com', set, 'report.example.com', 'ca1.example.net'), [true, true]);
    assert.deepEqual(await may('report.example.com', set, 'report.example.com', 'ca2.example.org'), [false, false]);
  });

  it('an RRset of only iodef or unknown tags restricts nothing', async () => {
    const v = await verdict('example.com', ['0 iodef "mailto:security@example.com"', '0 isue "ca1.example.net"'], 'example.com', { ca: 'anyca.example' });
    assert.deepEqual([v.name.allowed, v.name.basis, v.wildcard.allowed], [true, 'unrestricted', true]);
  });

  it('new.example.com: 128 tbs "Unknown" stops even the CA the set names', async () => {
    const v = await verdict('new.example.com', ['0 issue "ca1.example.net"', '128 tbs "Unknown"'], 'new.example.com', { ca: 'ca1.example.net' });
    assert.deepEqual([v.name.allowed, v.name.basis, v.wildcard.allowed], [false, 'critical-tag', false]);
  });

  it('the same tag without the critical flag is ignored', async () => {
    assert.deepEqual(await may('new.example.com', ['0 issue "ca1.example.net"', '0 tbs "Unknown"'], 'new.example.com', 'ca1.example.net'), [true, true]);
  });

  it('flag 1 on an unknown tag stops Let\'s Encrypt (it reads flag 1 as critical), not others', async () => {
    const set = ['0 issue "letsencrypt.org"', '0 issue "ca1.example.net"', '1 tbs "x"'];
    assert.deepEqual(await may('example.com', set, 'example.com', 'letsencrypt.org'), [false, false]);
    assert.deepEqual(await may('example.com', set, 'example.com', 'ca1.example.net'), [true, true]);
  });

  it('§3: no CAA anywhere (X.Y.Z) → any CA; found at B.C for A.B.C → that set applies', async () => {
    const none = await verdict('unrelated.example', ['0 issue ";"'], 'x.y.z', { ca: 'ca1.example.net' });
    assert.deepEqual([none.name.allowed, none.name.basis], [true, 'no-caa']);
    assert.deepEqual(await may('b.c', ['0 issue "example.com"'], 'a.b.c', 'example.com'), [true, true]);
    assert.deepEqual(await may('b.c', ['0 issue "example.com"'], 'a.b.c', 'ca1.example.net'), [false, false]);
  });
});

describe('RFC 8657: accounturi and validationmethods', () => {
  const A1 = 'https://example.net/account/1234';
  const A2 = 'https://example.net/account/2345';
  const two = [`0 issue "example.net; accounturi=${A1}"`, `0 issue "example.net; accounturi=${A2}"`];

  it('two accounts authorised by two records: each may issue, a third may not', async () => {
    assert.deepEqual(await may('example.com', two, 'example.com', 'example.net', { accountUri: A1 }), [true, true]);
    assert.deepEqual(await may('example.com', two, 'example.com', 'example.net', { accountUri: A2 }), [true, true]);
    const v = await verdict('example.com', two, 'example.com', { ca: 'example.net', accountUri: 'https://example.net/account/9' });
    assert.deepEqual([v.name.allowed, v.name.basis], [false, 'account']);
    assert.match(v.name.explanation, /only to https:\/\/example\.net\/account\/1234 and https:\/\/example\.net\/account\/2345/);
  });

  it('with no account given, the decision names the condition', async () => {
    const v = await verdict('example.com', two, 'example.com', { ca: 'example.net' });
    assert.equal(v.name.allowed, true);
    assert.deepEqual(v.name.conditions, [`only to account ${A1} and ${A2}`]);
  });

  it('two accounturi in one record: that record authorises nobody, not even one of them', async () => {
    const set = [`0 issue "example.net; accounturi=${A1}; accounturi=${A2}"`];
    const v = await verdict('example.com', set, 'example.com', { ca: 'example.net', accountUri: A1 });
    assert.deepEqual([v.name.allowed, v.name.basis], [false, 'no-issuer']);
  });

  it('an accounturi on another CA\'s record pins only that CA; an unpinned record for ours still lets any account in', async () => {
    const set = [`0 issue "ca2.example.org; accounturi=https://ca2.example.org/acct/1"`, '0 issue "example.net"'];
    assert.deepEqual(await may('example.com', set, 'example.com', 'example.net', { accountUri: 'https://example.net/account/77' }), [true, true]);
    assert.deepEqual(await may('example.com', set, 'example.com', 'ca2.example.org', { accountUri: 'https://ca2.example.org/acct/2' }), [false, false]);
  });

  it('an account URL of another CA in our record makes it unsatisfiable', async () => {
    const set = ['0 issue "pki.goog; accounturi=https://acme-v02.api.letsencrypt.org/acme/acct/1"'];
    assert.deepEqual(await may('example.com', set, 'example.com', 'pki.goog'), [false, false]);
  });

  it('Let\'s Encrypt treats its ACMEv1 reg/N URL as the same account as acct/N', async () => {
    const set = ['0 issue "letsencrypt.org; accounturi=https://acme-v01.api.letsencrypt.org/acme/reg/42"'];
    assert.deepEqual(await may('example.com', set, 'example.com', 'letsencrypt.org', { accountUri: 'https://acme-v02.api.letsencrypt.org/acme/acct/42' }), [true, true]);
    assert.deepEqual(await may('example.com', set, 'example.com', 'letsencrypt.org', { accountUri: 'https://acme-v02.api.letsencrypt.org/acme/acct/43' }), [false, false]);
  });

  it('validationmethods restricts the methods: dns-01,xyz-01 = two records of one method each', async () => {
    const one = ['0 issue "example.net; validationmethods=dns-01,xyz-01"'];
    const split = ['0 issue "example.net; validationmethods=dns-01"', '0 issue "example.net; validationmethods=xyz-01"'];
    for (const set of [one, split]) {
      assert.deepEqual(await may('example.com', set, 'example.com', 'example.net', { methods: ['dns-01'] }), [true, true]);
      assert.deepEqual(await may('example.com', set, 'example.com', 'example.net', { methods: ['xyz-01'] }), [true, true]);
      const v = await verdict('example.com', set, 'example.com', { ca: 'example.net', methods: ['http-01'] });
      assert.deepEqual([v.name.allowed, v.name.basis], [false, 'method']);
    }
  });

  it('one account per method (RFC 8657 Appendix A): account and method must come from the same record', async () => {
    const set = [`0 issue "example.net; accounturi=${A1}; validationmethods=dns-01"`, `0 issue "example.net; accounturi=${A2}; validationmethods=http-01"`];
    assert.deepEqual(await may('example.com', set, 'example.com', 'example.net', { accountUri: A1, methods: ['dns-01'] }), [true, true]);
    assert.deepEqual(await may('example.com', set, 'example.com', 'example.net', { accountUri: A1, methods: ['http-01'] }), [false, false]);
    assert.deepEqual(await may('example.com', set, 'example.com', 'example.net', { accountUri: A2, methods: ['http-01'] }), [true, true]);
  });

  it('the policy summary: pinned only when every grant names an account; methods the union', () => {
    const props = [`0 issue "example.net; accounturi=${A1}; validationmethods=dns-01"`, `0 issuewild "example.net; accounturi=${A1}; validationmethods=tls-alpn-01"`].map(readPropertyText);
    const p = caaPolicy(props);
    assert.equal(p.pinned, true);
    assert.deepEqual(p.methods, ['dns-01', 'tls-alpn-01']);
    const loose = caaPolicy([...props, readPropertyText('0 issue "other.example"')]);
    assert.equal(loose.pinned, false);
    assert.equal(loose.methods, 'any');
    assert.equal(caaPolicy([readPropertyText('0 iodef "mailto:a@b.example"')]).name.unrestricted, true);
  });
});
