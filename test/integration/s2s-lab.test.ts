// Server-to-server checks and stream-id predictability against real servers: the lab's Prosody
// 0.12 and ejabberd 23.01 with different s2s settings per virtual host (STARTTLS required or
// optional, XEP-0288 bidi, TLSA for 5269 published or not, certificate-only peers), and a small
// XMPP endpoint that issues predictable stream ids (test/helpers/predictable-xmpp.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { useLab } from '../lab/fixture.ts';
import { SECURE_PEER_DOMAIN } from '../lab/xmpp-servers.ts';
import { labDnsArgs, runKeywatch } from '../helpers/keywatch-cli.ts';
import { startPredictableXmpp, type IdMode } from '../helpers/predictable-xmpp.ts';
import { startSocks } from '../helpers/socks-proxy.ts';
import { startServer } from '../unit/probe/servers.ts';
import { runCheck, type CheckOptions } from '../../src/audit/check.ts';
import type { Report } from '../../src/audit/report.ts';
import { renderReport } from '../../src/audit/render-report.ts';
import { analyzeStreamIds, collectStreamIds, streamIdFindings, type StreamIdRole } from '../../src/audit/stream-ids.ts';
import { DnsClient } from '../../src/dns/client.ts';
import { Validator } from '../../src/dns/dnssec/validator.ts';
import { parseTrustAnchors } from '../../src/dns/dnssec/trust-anchor.ts';
import { clientFetcher } from '../../src/dns/resolver.ts';

const lab = useLab();
const CHECKER = 'checker.keywatch.test';

async function check(domain: string, extra: Partial<CheckOptions> = {}): Promise<Report> {
  const { resolver, trustAnchor, ca } = lab().state;
  const validator = new Validator(clientFetcher(new DnsClient({ servers: [resolver] })), parseTrustAnchors(trustAnchor.dnskey));
  return runCheck({ domain, service: 'xmpp', validator, caFile: ca.rootFile, allowPrivate: true, checkerDomain: CHECKER, extraHandshakes: false, ...extra });
}

const s2sLabel = (name: Parameters<ReturnType<typeof lab>['domain']>[0]) => {
  const d = lab().domain(name);
  return `${d.host}:5269 (${d.address})`;
};
const on = (r: Report, label: string) => r.findings.filter((f) => f.endpoints.includes(label)).map((f) => `${f.code}:${f.severity}`).sort();
const codes = (r: Report) => r.findings.map((f) => f.code);
/** Findings of this area above info (other judges, e.g. SASL, may warn about the same domains). */
const MINE = /^(xmpp\.s2s-|xmpp\.stream-id-|starttls\.|xmpp\.features-failed)/;
const serious = (r: Report) => r.findings.filter((f) => MINE.test(f.code) && f.severity !== 'info' && f.severity !== 'ok').map((f) => `${f.code}:${f.severity}`);
const summary = (r: Report) => `${r.summary}\n${r.findings.map((f) => `${f.severity} ${f.code} ${f.endpoints.join(' ')}: ${f.title}`).join('\n')}`;

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const t0 = Date.now();
  while (!cond() && Date.now() - t0 < ms) await new Promise((r) => setTimeout(r, 20));
}

describe('a lab endpoint with predictable stream ids is flagged, by mode', () => {
  const expected: Record<IdMode, string[]> = {
    counter: ['xmpp.stream-id-counter'],
    timestamp: ['xmpp.stream-id-timestamp'],
    'timestamp-hex': ['xmpp.stream-id-timestamp'],
    short: ['xmpp.stream-id-short'],
    prefix: ['xmpp.stream-id-shared-prefix'],
    repeat: ['xmpp.stream-id-repeat'],
    none: ['xmpp.stream-id-missing'],
    uuid4: [],
  };
  for (const [mode, want] of Object.entries(expected) as Array<[IdMode, string[]]>) {
    for (const role of ['c2s', 's2s'] as StreamIdRole[]) {
      it(`${mode} (${role}): ${want.join(', ') || 'nothing'}`, async () => {
        const server = await startPredictableXmpp({ mode });
        try {
          const c = await collectStreamIds({ address: server.address, port: server.port, role, domain: 'predictable.test', from: CHECKER, count: 16 });
          assert.equal(c.connections, 16);
          assert.deepEqual(c.failures, []);
          assert.deepEqual(c.ids, server.issued, 'every id the server issued, in order');
          const stats = analyzeStreamIds(c.ids, { now: new Date() });
          const f = streamIdFindings({ host: 'predictable.test', role, endpoints: [`predictable.test:${server.port}`], ids: c.ids, headersWithoutId: c.headersWithoutId, stats });
          const flagged = f.filter((x) => x.severity !== 'info').map((x) => x.code);
          assert.deepEqual(flagged, want, JSON.stringify({ ids: c.ids.slice(0, 4), stats, findings: f.map((x) => x.title) }));
          // The statistics travel with the finding.
          for (const x of f) assert.equal((x.evidence as { stats: { count: number } }).stats.count, c.ids.length);
          // Polite: every stream was closed with </stream:stream>.
          await until(() => server.politeCloses === 16);
          assert.equal(server.politeCloses, 16);
        } finally {
          await server.close();
        }
      });
    }
  }

  it('through SOCKS5: every collection connection gets fresh credentials', async () => {
    const server = await startPredictableXmpp({ mode: 'counter' });
    const proxy = await startSocks();
    try {
      const c = await collectStreamIds({ address: server.address, port: server.port, role: 'c2s', domain: 'predictable.test', count: 5, socks: { host: '127.0.0.1', port: proxy.server.port } });
      assert.equal(c.ids.length, 5);
      assert.equal(proxy.usernames.length, 5);
      assert.equal(new Set(proxy.usernames).size, 5);
      assert.deepEqual(c.socksUsernames, proxy.usernames);
      assert.deepEqual([...new Set(proxy.targets)], [`${server.address}:${server.port}`]);
    } finally {
      await proxy.server.close();
      await server.close();
    }
  });

  it('a silent endpoint costs a bounded time: each connection times out, and the collection gives up after three', async () => {
    const silent = await startServer(() => undefined);
    try {
      const t0 = performance.now();
      const c = await collectStreamIds({ address: '127.0.0.1', port: silent.port, role: 'c2s', domain: 'predictable.test', count: 10, timeoutMs: 300 });
      assert.equal(c.connections, 3);
      assert.deepEqual(c.ids, []);
      assert.ok(c.failures.every((f) => f.kind === 'timeout'), JSON.stringify(c.failures));
      assert.ok(performance.now() - t0 < 3000);
    } finally {
      await silent.close();
    }
  });
});

describe('real Prosody and ejabberd: stream ids with no weakness seen, statistics shown', () => {
  it('Prosody (good): UUIDv4, 122 bits apparent entropy, no repeats, on c2s and s2s', async () => {
    const r = await check(lab().domain('good').domain, { streamIds: 16 });
    assert.deepEqual(r.streamIds?.map((s) => s.role).sort(), ['c2s', 's2s']);
    for (const s of r.streamIds ?? []) {
      assert.equal(s.collection?.connections, 16);
      assert.ok(s.ids.length >= 18, `${s.role}: ${s.ids.length} ids`);
      assert.equal(s.stats.layout, 'uuid');
      assert.deepEqual(s.stats.uuidVersions, [4]);
      assert.equal(s.stats.apparentBits, 122);
      assert.deepEqual(s.stats.repeats, []);
    }
    assert.deepEqual(codes(r).filter((c) => c.startsWith('xmpp.stream-id-')), [], summary(r));
    const text = renderReport(r, { color: false });
    assert.match(text, /Stream ids\n {2}xmpp\.good\.test c2s: \d+ ids \(16 fresh connections to xmpp\.good\.test:5222/);
    assert.match(text, /UUID v4, 36 characters, about 122 bits apparent entropy \(uuid\), no repeats\n.*\n {4}no weakness seen/);
  });

  it('ejabberd: decimal numbers below 2^64, about 64 bits apparent entropy, no repeats, on c2s and s2s', async () => {
    const r = await check(lab().domain('ejabberd').domain, { streamIds: 16 });
    assert.equal(r.streamIds?.length, 2);
    for (const s of r.streamIds ?? []) {
      assert.equal(s.stats.layout, 'decimal');
      assert.equal(s.stats.method, 'numeric-range');
      assert.ok(s.stats.apparentBits > 62 && s.stats.apparentBits < 65.5, `${s.role}: ${s.stats.apparentBits}`);
      assert.ok(s.ids.every((id) => BigInt(id) <= 1n << 64n));
      assert.deepEqual(s.stats.repeats, []);
    }
    assert.deepEqual(codes(r).filter((c) => c.startsWith('xmpp.stream-id-')), [], summary(r));
  });
});

describe('s2s settings of the lab servers produce the matching findings', () => {
  it('Prosody, STARTTLS required, DANE on (good): dialback only (a note), nothing about TLS or TLSA, looks like Prosody', async () => {
    const r = await check(lab().domain('good').domain, { streamIds: 2 });
    const label = s2sLabel('good');
    assert.deepEqual(on(r, label), ['xmpp.s2s-dialback-only:info'], summary(r));
    const e = r.endpoints.find((x) => x.label === label)!;
    assert.equal(e.probe?.starttls && 'required' in e.probe.starttls && e.probe.starttls.required, true);
    assert.equal(e.daneVerdict?.verdict, 'match');
    assert.match(r.findings.find((f) => f.code === 'xmpp.s2s-dialback-only')!.remediation!, /^This looks like Prosody \(.*UUIDv4.*\)\. .*s2s_secure_auth = true/);
    assert.deepEqual(serious(r), [], summary(r));
  });

  it('ejabberd, STARTTLS required, DANE on: EXTERNAL offered even without a client certificate, plus dialback; looks like ejabberd', async () => {
    const r = await check(lab().domain('ejabberd').domain, { streamIds: 2 });
    assert.deepEqual(on(r, s2sLabel('ejabberd')), ['xmpp.s2s-external-offered:info'], summary(r));
    const f = r.findings.find((x) => x.code === 'xmpp.s2s-external-offered')!;
    assert.deepEqual((f.evidence as { mechanisms: string[] }).mechanisms, ['EXTERNAL']);
    assert.match(f.remediation!, /This looks like ejabberd .*remove mod_s2s_dialback/);
    assert.deepEqual(serious(r), [], summary(r));
  });

  it('Prosody, STARTTLS optional on this host (s2s-optional): starttls.not-required on 5269 only; exit 1', async () => {
    const d = lab().domain('s2s-optional');
    const r = await check(d.domain, { streamIds: 0 });
    const f = r.findings.filter((x) => x.code === 'starttls.not-required');
    assert.deepEqual(f.flatMap((x) => x.endpoints), [s2sLabel('s2s-optional')], summary(r));
    assert.match(f[0]!.detail, /tells peer servers that TLS is optional and offers them dialback before TLS/);
    assert.match(f[0]!.remediation!, /s2s_require_encryption = true/);
    assert.deepEqual(serious(r), ['starttls.not-required:warning'], summary(r));
    assert.ok(r.exitCode >= 1);
    // The client ports of the same Prosody still require it.
    assert.ok(r.endpoints.filter((e) => e.port === 5222).every((e) => e.probe?.starttls && 'required' in e.probe.starttls && e.probe.starttls.required));
  });

  it('ejabberd, STARTTLS optional on this host (host_config): starttls.not-required on 5269; exit 1', async () => {
    const r = await check(lab().domain('ejabberd-s2s-optional').domain, { streamIds: 0 });
    assert.deepEqual(on(r, s2sLabel('ejabberd-s2s-optional')), ['starttls.not-required:warning', 'xmpp.s2s-external-offered:info'], summary(r));
    assert.match(r.findings.find((x) => x.code === 'starttls.not-required')!.remediation!, /s2s_use_starttls: required/);
    assert.deepEqual(serious(r), ['starttls.not-required:warning'], summary(r));
    // The other ejabberd host keeps the global `required`.
    const other = await check(lab().domain('ejabberd').domain, { streamIds: 0 });
    assert.ok(!codes(other).includes('starttls.not-required'), summary(other));
  });

  it('DANE off (notlsa): publish TLSA for 5269 — the 3 1 1 of the key served and the 2 1 1 of the lab CA', async () => {
    const d = lab().domain('notlsa');
    const r = await check(d.domain, { streamIds: 0 });
    const f = r.findings.find((x) => x.code === 'xmpp.s2s-dane-missing');
    assert.ok(f, summary(r));
    assert.deepEqual(f.endpoints, [s2sLabel('notlsa')]);
    const lines = f.remediation!.split('\n');
    assert.ok(lines.includes(`_5269._tcp.${d.host}. 3600 IN TLSA 3 1 1 ${d.keys.server.spkiSha256}`), f.remediation);
    assert.ok(lines.includes(`_5269._tcp.${d.host}. 3600 IN TLSA 2 1 1 ${lab().state.ca.intermediateSpkiSha256}`), f.remediation);
    assert.match(f.remediation!, /use_dane = true/);
    assert.ok(codes(r).includes('dane.tlsa-missing'));
    // DANE on: no such finding.
    const good = await check(lab().domain('good').domain, { streamIds: 0 });
    assert.ok(!codes(good).includes('xmpp.s2s-dane-missing'), summary(good));
  });

  it('XEP-0288 bidi on one Prosody host (s2s-bidi): noted after TLS; the status stays ok', async () => {
    const r = await check(lab().domain('s2s-bidi').domain, { streamIds: 0 });
    assert.deepEqual(on(r, s2sLabel('s2s-bidi')), ['xmpp.s2s-bidi:info', 'xmpp.s2s-dialback-only:info'], summary(r));
    assert.deepEqual(serious(r), [], summary(r));
    const good = await check(lab().domain('good').domain, { streamIds: 0 });
    assert.ok(!codes(good).includes('xmpp.s2s-bidi'), 'mod_s2s_bidi is loaded on that one host only');
    assert.match(renderReport(r, { color: false }), /SASL \(none\); dialback; bidi/);
  });

  it('a peer Prosody must authenticate by certificate (s2s_secure_domains): refused after TLS, noted as certificate-only, not as a failure', async () => {
    const r = await check(lab().domain('good').domain, { checkerDomain: SECURE_PEER_DOMAIN, streamIds: 0 });
    const label = s2sLabel('good');
    assert.deepEqual(on(r, label), ['xmpp.s2s-certificate-required:info'], summary(r));
    const e = r.endpoints.find((x) => x.label === label)!;
    assert.equal(e.probe?.stage, 'features');
    assert.match(e.probe?.error?.message ?? '', /<not-authorized\/>/);
    assert.deepEqual(serious(r), [], summary(r));
    // ejabberd offers EXTERNAL to the same peer and lets it try.
    const ej = await check(lab().domain('ejabberd').domain, { checkerDomain: SECURE_PEER_DOMAIN, streamIds: 0 });
    assert.ok(codes(ej).includes('xmpp.s2s-external-offered'), summary(ej));
  });
});

describe('keywatch check --stream-ids on the command line', () => {
  const args = (domain: string, ...more: string[]) => ['check', domain, ...labDnsArgs(lab().state), '--ca-file', lab().state.ca.rootFile, '--allow-private', '--quick', ...more];

  it('--stream-ids 3 --json: three fresh connections per role, the probes\' ids first', async () => {
    const r = await runKeywatch(args(lab().domain('ejabberd').domain, '--stream-ids', '3', '--json'));
    assert.ok(r.status === 0 || r.status === 1, r.stderr); // other judges may warn
    const report = JSON.parse(r.stdout) as Report;
    assert.deepEqual(report.streamIds?.map((s) => [s.role, s.collection?.connections]).sort(), [['c2s', 3], ['s2s', 3]]);
    for (const s of report.streamIds ?? []) assert.equal(s.ids.length, s.fromProbes + 3);
  });

  it('--quick alone opens no stream-id connections but still judges the probes\' ids', async () => {
    const r = await runKeywatch(args(lab().domain('good').domain));
    assert.ok(r.status === 0 || r.status === 1, r.stderr); // other judges (SASL) may warn about Prosody
    assert.match(r.stdout, /xmpp\.good\.test c2s: 3 ids \(3 from the probes\)/);
    assert.match(r.stdout, /no weakness seen \(too few ids for statistics\)/);
  });

  it('a bad --stream-ids is a usage error (exit 3, one line)', async () => {
    for (const bad of ['65', '-1', 'many']) {
      const r = await runKeywatch(args('good.test', '--stream-ids', bad));
      assert.equal(r.status, 3, r.stderr);
      assert.match(r.stderr.trim(), /^keywatch: --stream-ids must be an integer from 0 to 64/);
    }
  });
});
