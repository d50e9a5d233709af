// The DNS client against the lab's validating unbound: AD on secure data, SERVFAIL on bogus data
// unless CD=1 asks for it anyway (which is how keywatch fetches what it validates itself), and
// the resolver's Extended DNS Error surfaced in the decoded answer.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DnsClient } from '../../src/dns/client.ts';
import { EdeCode, RRType, Rcode } from '../../src/dns/types.ts';
import { useLab } from '../lab/fixture.ts';

const lab = useLab();

function labClient(): DnsClient {
  return new DnsClient({ servers: [lab().state.resolver], timeoutMs: 5000, attempts: 2 });
}

describe('DnsClient against the lab resolver (unbound)', () => {
  it('secure TLSA: AD=1, two TLSA records and their RRSIG', async () => {
    const r = await labClient().query('_5222._tcp.xmpp.good.test', 'TLSA', { cd: false });
    assert.equal(r.rcode, Rcode.NOERROR);
    assert.equal(r.flags.ad, true);
    assert.equal(r.answer.filter((x) => x.type === RRType.TLSA).length, 2);
    const sigs = r.answer.filter((x) => x.type === RRType.RRSIG);
    assert.ok(sigs.length >= 1);
    assert.ok(sigs.every((s) => s.data?.type === 'RRSIG' && s.data.typeCovered === RRType.TLSA));
    assert.equal(r.edns?.dnssecOk, true, 'the resolver echoes DO');
  });

  it('bogus TLSA: SERVFAIL with CD=0, the records themselves with CD=1', async () => {
    const c = labClient();
    const name = '_5222._tcp.xmpp.bogus.test';
    const checked = await c.query(name, 'TLSA', { cd: false });
    assert.equal(checked.rcode, Rcode.SERVFAIL);
    assert.equal(checked.answer.length, 0);
    const unchecked = await c.query(name, 'TLSA', { cd: true });
    assert.equal(unchecked.rcode, Rcode.NOERROR);
    assert.equal(unchecked.flags.ad, false);
    assert.ok(unchecked.answer.filter((x) => x.type === RRType.TLSA).length >= 1);
    assert.ok(unchecked.answer.some((x) => x.type === RRType.RRSIG));
  });

  it('expired signatures: SERVFAIL carrying EDE 7 (Signature Expired), or 6 once unbound cached the verdict', async () => {
    const r = await labClient().query('_xmpp-client._tcp.expired.test', 'SRV', { cd: false });
    assert.equal(r.rcode, Rcode.SERVFAIL);
    const codes = r.edns?.ede.map((e) => e.code) ?? [];
    assert.ok(
      codes.includes(EdeCode['Signature Expired']) || codes.includes(EdeCode['DNSSEC Bogus']),
      `want EDE 7 or 6, got ${JSON.stringify(r.edns?.ede)}`,
    );
  });

  it('a second identical query comes from the cache', async () => {
    const c = labClient();
    await c.query('_5222._tcp.xmpp.good.test', 'TLSA');
    const again = await c.query('_5222._tcp.xmpp.good.test', 'TLSA');
    assert.equal(again.fromCache, true);
    assert.equal(c.stats.sent, 1);
  });
});
