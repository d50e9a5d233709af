// `keywatch caa` against the lab: CAA records served by nsd, signed with ldns, fetched through
// unbound and validated by keywatch. The climb (RFC 8659 §3), aliases, DNSSEC states, the
// findings, the exit codes and the JSON report; kdig is the independent judge of the records.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useLab } from '../lab/fixture.ts';
import { kdig } from '../lab/judges.ts';
import { labDnsArgs, runKeywatch } from '../helpers/keywatch-cli.ts';
import { caaRawFromText } from '../../src/caa/record.ts';
import { caaFindings, type CaaReport } from '../../src/caa/report.ts';
import { Validator } from '../../src/dns/dnssec/validator.ts';
import { parseTrustAnchors } from '../../src/dns/dnssec/trust-anchor.ts';
import { DnsClient } from '../../src/dns/client.ts';
import { clientFetcher } from '../../src/dns/resolver.ts';
import { runCheck } from '../../src/audit/check.ts';

const lab = useLab();
const ACCOUNT = 'https://acme.ca.test/acct/1';

async function caa(domain: string, ...extra: string[]): Promise<{ status: number | null; report: CaaReport; stderr: string }> {
  const r = await runKeywatch(['caa', domain, '--json', ...extra, ...labDnsArgs(lab().state)]);
  assert.equal(r.stderr, '', r.stderr);
  return { status: r.status, report: JSON.parse(r.stdout) as CaaReport, stderr: r.stderr };
}
const codes = (r: CaaReport) => r.findings.map((f) => f.code).sort();
const steps = (r: CaaReport) => r.climb.steps.map((s) => [s.name, s.security, s.records.length]);

describe('keywatch caa against the lab', () => {
  it('kdig sees the same records keywatch reads at caa.test, with the AD bit', async () => {
    const k = await kdig(lab().state.resolver, 'caa.test', 'CAA');
    assert.equal(k.ad, true);
    const { report } = await caa('caa.test');
    const bytes = (t: string) => Buffer.from(caaRawFromText(t).value).toString('hex') + caaRawFromText(t).tag.toLowerCase();
    assert.deepEqual(report.records.map((r) => bytes(r.text)).sort(), k.answers.map(bytes).sort());
    assert.equal(report.records.length, 3);
  });

  it('xmpp.caa.test: found at the parent, secure; your CA and account may issue → no findings, exit 0', async () => {
    const { status, report } = await caa('xmpp.caa.test', '--ca', 'ca.test', '--account-uri', ACCOUNT, '--validation-methods', 'dns-01');
    assert.deepEqual(steps(report), [
      ['xmpp.caa.test.', 'secure', 0],
      ['caa.test.', 'secure', 3],
    ]);
    assert.equal(report.climb.state, 'found');
    assert.equal(report.climb.security, 'secure');
    assert.equal(report.policy!.pinned, true);
    assert.deepEqual(report.policy!.methods, ['dns-01']);
    assert.deepEqual([report.evaluation.name.allowed, report.evaluation.wildcard.allowed], [true, false]);
    assert.deepEqual(codes(report), []);
    assert.equal(status, 0);
    // the recommended set keeps the pinned account and method already published
    assert.match(report.recommended.zone, /^xmpp\.caa\.test\. 300 IN CAA 0 issue "ca\.test; accounturi=https:\/\/acme\.ca\.test\/acct\/1; validationmethods=dns-01"$/m);
  });

  it('host.sub.caa.test: the grandparent, through an empty non-terminal', async () => {
    const { report } = await caa('host.sub.caa.test');
    assert.deepEqual(steps(report), [
      ['host.sub.caa.test.', 'secure', 0],
      ['sub.caa.test.', 'secure', 0],
      ['caa.test.', 'secure', 3],
    ]);
  });

  it('another CA, or another account, named explicitly: caa.ca-not-authorised, exit 2; not named: exit 0', async () => {
    const le = await caa('caa.test', '--ca', 'letsencrypt.org');
    assert.equal(le.status, 2);
    assert.ok(codes(le.report).includes('caa.ca-not-authorised'));
    assert.equal(le.report.evaluation.name.basis, 'not-listed');
    const other = await caa('caa.test', '--ca', 'ca.test', '--account-uri', 'https://acme.ca.test/acct/2');
    assert.equal(other.status, 2);
    assert.equal(other.report.evaluation.name.basis, 'account');
    const implicit = await caa('caa.test');
    assert.deepEqual([implicit.status, codes(implicit.report)], [0, []]);
  });

  it('own.caa.test: its own set, no accounturi → caa.accounturi-missing, exit 1', async () => {
    const { status, report } = await caa('own.caa.test');
    assert.deepEqual(steps(report), [['own.caa.test.', 'secure', 1]]);
    assert.deepEqual(codes(report), ['caa.accounturi-missing', 'caa.iodef-missing', 'caa.issuewild-missing']);
    assert.equal(status, 1);
    const f = report.findings.find((x) => x.code === 'caa.accounturi-missing')!;
    assert.match(f.detail, /jabber\.ru/);
    assert.match(f.remediation!, /own\.caa\.test\. 300 IN CAA 0 issue "letsencrypt\.org; accounturi=<ACCOUNT-URL>"/);
  });

  it('alias.caa.test: the CNAME is followed to own.caa.test\'s set (caa.via-alias)', async () => {
    const { report } = await caa('alias.caa.test');
    assert.equal(report.climb.relevant!.owner, 'own.caa.test.');
    assert.deepEqual(report.climb.relevant!.aliases, ['alias.caa.test. CNAME own.caa.test.']);
    assert.ok(codes(report).includes('caa.via-alias'));
  });

  it('alias-good.caa.test: a CNAME to a name without CAA; the climb continues at caa.test, not in good.test (RFC 8659, not 6844)', async () => {
    const { report } = await caa('alias-good.caa.test');
    assert.deepEqual(steps(report), [
      ['alias-good.caa.test.', 'secure', 0],
      ['caa.test.', 'secure', 3],
    ]);
    assert.deepEqual(report.climb.steps[0]!.aliases, ['alias-good.caa.test. CNAME xmpp.good.test.']);
  });

  it('www.caa-unsigned.test: insecure climb → caa.unsigned, and no accounturi → caa.accounturi-missing; exit 1', async () => {
    const { status, report } = await caa('www.caa-unsigned.test');
    assert.deepEqual(steps(report), [
      ['www.caa-unsigned.test.', 'insecure', 0],
      ['caa-unsigned.test.', 'insecure', 1],
    ]);
    assert.equal(report.climb.steps[0]!.insecureAt, 'caa-unsigned.test.');
    assert.ok(codes(report).includes('caa.unsigned'));
    assert.ok(codes(report).includes('caa.accounturi-missing'));
    assert.match(report.findings.find((f) => f.code === 'caa.unsigned')!.detail, /lookups at www\.caa-unsigned\.test\., caa-unsigned\.test\. are unsigned \(DNSSEC ends at caa-unsigned\.test\.\)/);
    assert.equal(status, 1);
  });

  it('features.test (no CAA anywhere; the scenario domains all publish one): caa.none, the recommendation, exit 1; with the account the set is complete', async () => {
    const { status, report } = await caa('features.test');
    assert.deepEqual(steps(report), [
      ['features.test.', 'secure', 0],
      ['test.', 'secure', 0],
    ]);
    assert.deepEqual([report.climb.state, codes(report), status], ['none', ['caa.none'], 1]);
    assert.equal(report.recommended.complete, false);
    const pinned = await caa('features.test', '--account-uri', 'https://acme-v02.api.letsencrypt.org/acme/acct/42', '--iodef', 'security@features.test', '--validation-methods', 'dns-01');
    assert.equal(pinned.report.recommended.complete, true);
    assert.deepEqual(pinned.report.recommended.zone.split('\n'), [
      'features.test. 3600 IN CAA 0 issue "letsencrypt.org; accounturi=https://acme-v02.api.letsencrypt.org/acme/acct/42; validationmethods=dns-01"',
      'features.test. 3600 IN CAA 0 issuewild ";"',
      'features.test. 3600 IN CAA 0 iodef "mailto:security@features.test"',
    ]);
    assert.equal(pinned.status, 1, 'still no CAA published: warning');
  });

  it('expired.test: every signature expired → caa.bogus, exit 2', async () => {
    const { status, report } = await caa('expired.test');
    assert.equal(report.climb.state, 'bogus');
    assert.deepEqual(codes(report), ['caa.bogus']);
    assert.ok(report.findings[0]!.detail.includes('rrsig.expired'), report.findings[0]!.detail);
    assert.equal(status, 2);
  });

  it('a resolver that does not answer: caa.lookup-failed, exit 3', async () => {
    const { trustAnchor, net } = lab().state;
    const r = await runKeywatch(['caa', 'caa.test', '--json', '--resolver', `127.${net}.0.99:53`, '--trust-anchor', trustAnchor.ds, '--dns-timeout', '300']);
    assert.equal(r.status, 3, r.stdout + r.stderr);
    const report = JSON.parse(r.stdout) as CaaReport;
    assert.deepEqual([report.status, codes(report)], ['unknown', ['caa.lookup-failed']]);
  });

  it('text output: the climb with its DNSSEC states, the records explained, the findings, the recommended records', async () => {
    const r = await runKeywatch(['caa', 'www.caa-unsigned.test', ...labDnsArgs(lab().state)]);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stdout, /^keywatch caa www\.caa-unsigned\.test/);
    assert.match(r.stdout, /www\.caa-unsigned\.test\. +! insecure +none \(no CAA\) +unsigned below caa-unsigned\.test\./);
    assert.match(r.stdout, /caa-unsigned\.test\. +! insecure +1 CAA record/);
    assert.match(r.stdout, /0 issue "letsencrypt\.org"\n +letsencrypt\.org may issue for caa-unsigned\.test/);
    assert.match(r.stdout, /WARNING +caa\.accounturi-missing/);
    assert.match(r.stdout, /Recommended CAA records \(replace <ACCOUNT-URL> first\)\n {2}www\.caa-unsigned\.test\. 3600 IN CAA 0 issue/);
    assert.match(r.stdout, /certbot show_account/);
    assert.match(r.stdout, /\nWARNING: CAA for www\.caa-unsigned\.test: 1 record at caa-unsigned\.test\.; letsencrypt\.org: may issue/);
    assert.ok(!r.stdout.includes('\u001b['), 'no colour when stdout is not a terminal');
  });

  it('caaFindings (for keywatch check) gives the same findings from a validator', async () => {
    const { resolver, trustAnchor } = lab().state;
    const v = new Validator(clientFetcher(new DnsClient({ servers: [resolver] })), parseTrustAnchors(trustAnchor.dnskey));
    const findings = await caaFindings('own.caa.test', v);
    assert.deepEqual(findings.map((f) => f.code).sort(), ['caa.accounturi-missing', 'caa.iodef-missing', 'caa.issuewild-missing']);
    assert.ok(findings.every((f) => f.endpoints.length === 0));
  });
  it('keywatch check judges CAA too: nothing to say for a scenario domain pinned to its account, caa.* for one without', async () => {
    const { state } = lab();
    const v = new Validator(clientFetcher(new DnsClient({ servers: [state.resolver] })), parseTrustAnchors(state.trustAnchor.dnskey));
    const good = await runCheck({ domain: 'good.test', service: 'xmpp', validator: v, caFile: state.ca.rootFile, allowPrivate: true, extraHandshakes: false, streamIds: 0 });
    assert.deepEqual(good.findings.filter((f) => f.code.startsWith('caa.')), []);
    const features = await runCheck({ domain: 'features.test', service: 'xmpp', validator: v, caFile: state.ca.rootFile, allowPrivate: true, extraHandshakes: false, streamIds: 0 });
    const none = features.findings.find((f) => f.code === 'caa.none');
    assert.ok(none, features.findings.map((f) => f.code).join(', '));
    assert.match(none.remediation ?? '', /features\.test\. 3600 IN CAA 0 issue "letsencrypt\.org; accounturi=<ACCOUNT-URL>"/);
    const off = await runCheck({ domain: 'features.test', service: 'xmpp', validator: v, allowPrivate: true, extraHandshakes: false, streamIds: 0, caa: false });
    assert.ok(!off.findings.some((f) => f.code.startsWith('caa.')));
  });
});
