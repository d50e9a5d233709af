// `keywatch check` against every lab scenario: real nsd/unbound DNSSEC, real Prosody and
// ejabberd, real interception proxies. Each scenario's expected verdict (test/lab/scenarios.ts)
// must come out as the right finding codes and the right exit code.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useLab } from '../lab/fixture.ts';
import { labDnsArgs, runKeywatch } from '../helpers/keywatch-cli.ts';
import { runCheck, type CheckOptions } from '../../src/audit/check.ts';
import type { Report } from '../../src/audit/report.ts';
import { DnsClient } from '../../src/dns/client.ts';
import { Validator } from '../../src/dns/dnssec/validator.ts';
import { parseTrustAnchors } from '../../src/dns/dnssec/trust-anchor.ts';
import { clientFetcher } from '../../src/dns/resolver.ts';
import type { ScenarioName, Verdict } from '../lab/scenarios.ts';
import { startSocks } from '../helpers/socks-proxy.ts';
import type { CheckProgress } from '../../src/audit/check.ts';

const lab = useLab();

async function check(domain: string, extra: Partial<CheckOptions> = {}): Promise<Report> {
  const { resolver, trustAnchor, ca } = lab().state;
  const validator = new Validator(clientFetcher(new DnsClient({ servers: [resolver] })), parseTrustAnchors(trustAnchor.dnskey));
  return runCheck({ domain, service: 'xmpp', validator, caFile: ca.rootFile, allowPrivate: true, ...extra });
}

const codes = (r: Report) => r.findings.map((f) => f.code);
const serious = (r: Report) => r.findings.filter((f) => f.severity !== 'info' && f.severity !== 'ok');

/** What each scenario verdict must produce: the finding that carries it and the exit code. */
/** `canary`: the verdict shows only with a canary login (the scenario's own account). */
const EXPECT: Record<Verdict, { code?: string; anyOf?: string[]; exit: number; canary?: boolean }> = {
  ok: { exit: 0 },
  'no-dnssec': { code: 'dnssec.unsigned', exit: 1 },
  'dnssec-bogus': { anyOf: ['dane.tlsa-bogus', 'dns.srv-unusable'], exit: 2 },
  'no-tlsa': { code: 'dane.tlsa-missing', exit: 1 },
  'tlsa-mismatch': { code: 'dane.tlsa-stale', exit: 2 },
  'mitm-suspected': { code: 'dane.key-differs-on-path', exit: 2 },
  'dane-not-applicable': { code: 'dane.not-applicable', exit: 1 },
  's2s-tls-optional': { code: 'starttls.not-required', exit: 1 },
  'no-channel-binding': { code: 'sasl.no-channel-binding', exit: 1 },
  'channel-binding-failed': { code: 'sasl.channel-binding-failed', exit: 2, canary: true },
  'plus-stripped': { code: 'sasl.mechanisms-differ', exit: 2 },
};

describe('keywatch check: every lab scenario gets its verdict', () => {
  const names: ScenarioName[] = ['good', 'ejabberd', 'unsigned', 'bogus', 'expired', 'stale', 'mitm-c2s', 'mitm-all', 'notlsa', 'srv-unsigned', 's2s-optional', 's2s-bidi', 'ejabberd-s2s-optional', 'prosody-noplus', 'ejabberd-noplus', 'stolen-key', 'plus-stripped'];
  for (const name of names) {
    it(`${name}`, async () => {
      const d = lab().domain(name);
      const want = EXPECT[d.expect.verdict];
      const r = await check(d.domain, want.canary ? { canary: { jid: d.account.jid, password: d.account.password } } : {});
      const summary = `${name}: ${r.summary}\n${r.findings.map((f) => `${f.severity} ${f.code}: ${f.title}`).join('\n')}`;
      assert.equal(r.exitCode, want.exit, summary);
      if (want.code) assert.ok(codes(r).includes(want.code), summary);
      if (want.anyOf) assert.ok(want.anyOf.some((c) => codes(r).includes(c)), summary);
      if (d.expect.verdict === 'ok') assert.deepEqual(serious(r), [], summary);
      // No scenario without an interceptor may raise a critical key finding.
      if (!d.keys.interceptor) assert.ok(!codes(r).includes('dane.key-differs-on-path'), summary);
    });
  }

  it('good: three endpoints (STARTTLS c2s, XEP-0368 direct TLS, s2s), each presenting the published key', async () => {
    const d = lab().domain('good');
    const r = await check(d.domain);
    assert.deepEqual(r.endpoints.map((e) => [e.protocol, e.port]).sort(), [['xmpp-c2s', 5222], ['xmpp-s2s', 5269], ['xmpps-c2s', 5223]]);
    for (const e of r.endpoints) {
      assert.equal(e.probe?.tls?.leaf.spkiSha256, d.keys.server.spkiSha256, e.label);
      assert.equal(e.daneVerdict?.verdict, 'match', e.label);
      assert.equal(e.probe?.tls?.pkix.valid, true, e.label);
    }
    // The chain of trust the page shows: root by the anchor, then test. and good.test. by their DS.
    assert.deepEqual(r.chain?.filter((c) => ['.', 'test.', 'good.test.'].includes(c.zone)).map((c) => [c.zone, c.security, c.via]), [
      ['.', 'secure', 'trust-anchor'],
      ['test.', 'secure', 'ds'],
      ['good.test.', 'secure', 'ds'],
    ]);
    assert.equal(r.status, 'ok');
  });

  it('mitm-c2s: the critical finding names the two client endpoints and not 5269', async () => {
    const d = lab().domain('mitm-c2s');
    const r = await check(d.domain);
    const f = r.findings.filter((x) => x.code === 'dane.key-differs-on-path');
    const named = f.flatMap((x) => x.endpoints).sort();
    assert.deepEqual(named, [`${d.host}:5222 (${d.address})`, `${d.host}:5223 (${d.address})`]);
    assert.ok(f.every((x) => x.severity === 'critical'));
    assert.ok(f.every((x) => (x.evidence as { presented: string }).presented === d.keys.interceptor!.spkiSha256));
  });

  it('mitm-c2s: the interceptor accepts anonymous suites the real server refuses (the jabber.ru tell)', async () => {
    const d = lab().domain('mitm-c2s');
    const r = await check(d.domain);
    const anon = r.findings.filter((x) => x.code === 'tls.anonymous-accepted');
    assert.deepEqual(anon.flatMap((x) => x.endpoints).sort(), [`${d.host}:5222 (${d.address})`, `${d.host}:5223 (${d.address})`]);
    assert.ok(anon.every((x) => x.severity === 'critical'), 'critical: the other endpoint of the host refuses them');
    assert.ok(codes(r).includes('tls.params-differ'));
    const good = await check(lab().domain('good').domain);
    assert.ok(good.endpoints.every((e) => e.anonymous?.outcome === 'refused'), 'Prosody refuses anonymous suites');
  });

  it('mitm-all: an error that explains it cannot tell a renewal from an interceptor on every path, with records', async () => {
    const d = lab().domain('mitm-all');
    const r = await check(d.domain);
    const f = r.findings.find((x) => x.code === 'dane.tlsa-stale');
    assert.ok(f, r.summary);
    assert.equal(f.severity, 'error');
    assert.match(f.detail, /cannot rule out an interceptor/);
    assert.match(f.remediation ?? '', new RegExp(`_5222\\._tcp\\.${d.host.replaceAll('.', '\\.')}\\. 3600 IN TLSA 3 1 1 ${d.keys.interceptor!.spkiSha256}`));
  });

  it('stale: the records to publish name the key actually deployed', async () => {
    const d = lab().domain('stale');
    const r = await check(d.domain);
    const f = r.findings.find((x) => x.code === 'dane.tlsa-stale');
    assert.ok(f, r.summary);
    assert.ok(f.remediation?.includes(`3 1 1 ${d.keys.server.spkiSha256}`), JSON.stringify(f));
    assert.equal(f.endpoints.length, 3);
  });

  it('unsigned: the TLSA records are reported as ignored, not matched', async () => {
    const r = await check(lab().domain('unsigned').domain);
    assert.ok(codes(r).includes('dane.tlsa-ignored'), r.summary);
    assert.ok(r.endpoints.every((e) => !e.dane.applies && e.daneVerdict === undefined));
  });

  it('against the system trust store the lab CA is unknown: untrusted for clients, yet DANE-EE still matches', async () => {
    const { resolver, trustAnchor } = lab().state;
    const validator = new Validator(clientFetcher(new DnsClient({ servers: [resolver] })), parseTrustAnchors(trustAnchor.dnskey));
    const r = await runCheck({ domain: lab().domain('good').domain, service: 'xmpp', validator, allowPrivate: true });
    const d = lab().domain('good');
    const f = r.findings.filter((x) => x.code === 'tls.cert-untrusted');
    const bySeverity = Object.fromEntries(f.map((x) => [x.severity, x.endpoints.sort()]));
    // Clients rely on PKIX (error, one finding for both client endpoints); peer servers may use DANE, which matches (warning).
    assert.deepEqual(bySeverity, { error: [`${d.host}:5222 (${d.address})`, `${d.host}:5223 (${d.address})`], warning: [`${d.host}:5269 (${d.address})`] });
    assert.ok(f.every((x) => /DANE-EE record that matches ignores names and dates/.test(x.detail)));
    assert.ok(r.endpoints.every((e) => e.daneVerdict?.verdict === 'match'));
  });

  it('through a SOCKS5 proxy: every connection gets its own credentials (its own Tor circuit), DNS stays local', async () => {
    const proxy = await startSocks();
    try {
      const d = lab().domain('good');
      const r = await check(d.domain, { socks: { host: '127.0.0.1', port: proxy.server.port } });
      assert.equal(r.exitCode, 0, r.summary);
      const connections =
        r.endpoints.reduce((n, e) => n + 1 + (e.anonymous ? 1 : 0) + (e.keyTypes?.length ?? 0) + (e.sasl?.connections ?? 0), 0) + (r.streamIds ?? []).reduce((n, s) => n + (s.collection?.connections ?? 0), 0);
      assert.equal(proxy.usernames.length, connections);
      assert.equal(new Set(proxy.usernames).size, connections, 'fresh credentials per connection');
      assert.deepEqual([...new Set(proxy.targets)].sort(), [`${d.address}:5222`, `${d.address}:5223`, `${d.address}:5269`]);
      assert.ok(r.endpoints.every((e) => e.probe?.socksUsername && proxy.usernames.includes(e.probe.socksUsername)));
    } finally {
      await proxy.server.close();
    }
  });

  it('progress: one event when discovered, then a start and an end per endpoint', async () => {
    const events: CheckProgress[] = [];
    const r = await check(lab().domain('good').domain, { onProgress: (p) => events.push(p) });
    assert.deepEqual(events[0], { kind: 'discovered', endpoints: 3, refused: 0 });
    assert.equal(events.filter((e) => e.kind === 'probing').length, 3);
    const ends = events.filter((e) => e.kind === 'probed');
    assert.deepEqual(ends.map((e) => e.done), [1, 2, 3]);
    assert.ok(ends.every((e) => e.total === 3 && e.ok));
    assert.equal(r.endpoints.length, 3);
  });

  it('every finding above info across all scenarios says what to do about it', async () => {
    const missing: string[] = [];
    for (const d of lab().state.domains) {
      const r = await check(d.domain);
      for (const f of r.findings) if (f.severity !== 'info' && !f.remediation) missing.push(`${d.scenario}: ${f.code}`);
    }
    assert.deepEqual(missing, []);
  });

  it('without --allow-private, loopback endpoints are refused and the status is unknown', async () => {
    const r = await check(lab().domain('good').domain, { allowPrivate: false });
    assert.equal(r.exitCode, 3);
    assert.equal(r.status, 'unknown');
    assert.ok(r.endpoints.every((e) => e.refused && e.addressPolicy.class === 'loopback' && !e.probe));
    assert.ok(codes(r).includes('endpoint.address-refused'));
  });
});

describe('keywatch check --service smtp against real SMTP servers', () => {
  it('mail: every key the MX serves (RSA and ECDSA) is published; exit 0', async () => {
    const d = lab().mailDomain('mail');
    const r = await check(d.domain, { service: 'smtp' });
    assert.equal(r.exitCode, 0, r.findings.map((f) => `${f.code}: ${f.title}`).join('\n'));
    assert.equal(r.endpoints.length, 1);
    const e = r.endpoints[0]!;
    assert.equal(e.protocol, 'smtp');
    assert.equal(e.dane.applies && e.dane.tlsaName, d.mx[0]!.tlsaName);
    const served = Object.fromEntries((e.keyTypes ?? []).filter((k) => k.outcome === 'served').map((k) => [k.family, k.spkiSha256]));
    assert.deepEqual(served, { ecdsa: d.mx[0]!.keys.ec.spkiSha256, rsa: d.mx[0]!.keys.rsa.spkiSha256 });
  });

  it('mail-partial: the RSA key is served but not published: an error with its 3 1 1 record; exit 2', async () => {
    const d = lab().mailDomain('mail-partial');
    const r = await check(d.domain, { service: 'smtp' });
    assert.equal(r.exitCode, 2, r.summary);
    const f = r.findings.find((x) => x.code === 'dane.key-type-unpublished');
    assert.ok(f, r.summary);
    assert.equal(f.severity, 'error');
    assert.match(f.remediation ?? '', new RegExp(`^${d.mx[0]!.tlsaName.replaceAll('.', '\\.')}\\. 3600 IN TLSA 3 1 1 ${d.mx[0]!.keys.rsa.spkiSha256}$`, 'm'));
    assert.ok(!codes(r).includes('dane.key-differs-on-path'), 'a second key type is not an interception');
  });
});

describe('keywatch check on the command line', () => {
  const args = (domain: string, ...more: string[]) => ['check', domain, ...labDnsArgs(lab().state), '--ca-file', lab().state.ca.rootFile, '--allow-private', ...more];

  it('text report: endpoints, the critical finding with its code, the summary; exit 2', async () => {
    const d = lab().domain('mitm-c2s');
    const r = await runKeywatch(args(d.domain));
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stdout, /CRITICAL +dane\.key-differs-on-path/);
    assert.ok(r.stdout.includes(`${d.host}:5222 (${d.address})`));
    assert.match(r.stdout.trimEnd().split('\n').pop()!, /^CRITICAL: mitm-c2s\.test \(xmpp\): 3 endpoints, 3 probed/);
    assert.ok(!r.stdout.includes('\u001b['), 'no colour when stdout is not a terminal');
  });

  it('--json: the documented report, exit 0 on good', async () => {
    const r = await runKeywatch(args(lab().domain('good').domain, '--json'));
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout) as Report;
    assert.equal(report.schema, 'keywatch.check-report/1');
    assert.equal(report.status, 'ok');
    assert.equal(report.endpoints.length, 3);
    assert.ok(report.endpoints.every((e) => typeof e.probe?.tls?.chain[0] === 'string'), 'chains are base64 strings');
  });

  it('bad usage exits 3 with one line', async () => {
    for (const bad of [['check', 'good.test', '--service', 'gopher'], ['check', 'good.test', '--socks', 'tor'], ['check', 'good.test', '--concurrency', '0'], ['check', '127.0.0.1'], ['check', 'good.test', ...labDnsArgs(lab().state), '--ca-file', '/nonexistent.pem', '--allow-private']]) {
      const r = await runKeywatch(bad);
      assert.equal(r.status, 3, `${bad.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /^keywatch: /);
    }
  });
});
