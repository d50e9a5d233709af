// The alert policy end to end on the lab's `watch` scenario (Prosody, signed zone, TLSA 3 1 1 with
// a 2-second TTL, a next key ready): the whole service in-process — real checks, directly and
// through a SOCKS proxy standing in for Tor, real SQLite, the real scheduler and outbox — with a
// recording notifier as the email channel. A MITM (the server suddenly presenting a key no TLSA
// record names) raises exactly one alert, after a confirmation re-check, and exactly one recovery
// when it clears; a DANE rollover done by the procedure (publish, wait two TTLs, swap, wait,
// withdraw) raises nothing.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { useLab } from '../lab/fixture.ts';
import { resignZone, swapProsodyCertificate, zoneRecords } from '../lab/mutate.ts';
import { startSocks, type Proxy } from '../helpers/socks-proxy.ts';
import { RecordingNotifier } from '../helpers/recording-notifier.ts';
import { api, waitUntil } from '../helpers/watch-serve.ts';
import { parseConfig } from '../../src/service/config.ts';
import { WatchService } from '../../src/service/service.ts';
import { runCheck } from '../../src/audit/check.ts';
import { makeValidator } from '../../src/dns/resolver.ts';
import type { DomainView } from '../../src/service/views.ts';

const lab = useLab();
let tmp: string;
let svc: WatchService;
let proxy: Proxy;
let original: string[];
const email = new RecordingNotifier('email');
const chat = new RecordingNotifier('xmpp');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const kinds = () => email.received.map((d) => d.message.kind);
const count = (kind: string) => kinds().filter((k) => k === kind).length;

async function view(): Promise<DomainView> {
  return (await api(svc.api!.url, `/api/domains/${lab().domain('watch').domain}`)).json as unknown as DomainView;
}

async function runsSince(t: number) {
  const d = lab().domain('watch');
  return svc.store.db
    .selectFrom('runs')
    .innerJoin('domains', 'domains.id', 'runs.domain_id')
    .select(['runs.purpose', 'runs.outcome', 'runs.status', 'runs.alarms', 'runs.started_at'])
    .where('domains.name', '=', d.domain)
    .where('runs.started_at', '>=', t)
    .orderBy('runs.started_at')
    .execute();
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'keywatch-watch-alerts-'));
  const { state } = lab();
  const d = lab().domain('watch');
  original = zoneRecords(state, d.domain);
  proxy = await startSocks();
  const config = parseConfig({
    dataDir: tmp,
    listen: { host: '127.0.0.1', port: 0 },
    dns: { resolvers: [`${state.resolver.address}:${state.resolver.port}`], trustAnchor: join(state.dir, 'trust-anchor.ds'), timeoutMs: 2000 },
    caFile: state.ca.rootFile,
    allowPrivate: true,
    socks: `socks5://127.0.0.1:${proxy.server.port}`,
    schedule: { intervalSeconds: 1, minIntervalSeconds: 1, provenMinIntervalSeconds: 1, jitter: 0.2, confirmDelaySeconds: 0.3, pollSeconds: 0.1, concurrency: 2 },
    check: { timeoutMs: 5000, concurrency: 4, extraHandshakes: false, streamIds: 0 },
    outbox: { pollSeconds: 0.1 },
    limits: { messagesPerHour: 100 },
  });
  svc = await WatchService.start(config, { notifiers: [email, chat] });
  const added = await api(svc.api!.url, '/api/domains', { body: { domain: d.domain, intervalSeconds: 1 } });
  assert.equal(added.status, 202, JSON.stringify(added.json));
  const sub = await api(svc.api!.url, '/api/subscriptions', { body: { domain: d.domain, channel: 'email', target: 'admin@watch.test' } });
  assert.equal(sub.status, 202, JSON.stringify(sub.json));
  const confirm = await waitUntil('the confirmation message', () => email.received.find((m) => m.message.kind === 'confirm-subscription'));
  const link = new URL(confirm.message.links.confirm!);
  assert.equal((await api(svc.api!.url, link.pathname + link.search)).json.status, 'confirmed');
  await waitUntil('the first check', async () => ((await view()).status === 'new' ? undefined : true));
});

after(async () => {
  await svc?.stop(5000);
  const { state } = lab();
  const d = lab().domain('watch');
  await swapProsodyCertificate(state, d.domain, d.keys.server, d.address);
  await resignZone(state, d.domain, () => original);
  await proxy?.server.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('watch: alerts on the lab', () => {
  it('the baseline is the served, published key, seen directly and through the proxy (fresh credentials each connection)', async () => {
    const d = lab().domain('watch');
    const v = await view();
    assert.notEqual(v.status, 'critical', JSON.stringify(v.latest));
    assert.deepEqual(new Set(v.state?.keys.map((k) => k.spkiSha256)), new Set([d.keys.server.spkiSha256]));
    assert.deepEqual(v.latest?.vantages.map((x) => x.vantage).sort(), ['direct', 'tor']);
    assert.ok(proxy.targets.some((t) => t.startsWith(`${d.address}:`)), 'the tor vantage went through the proxy');
    assert.equal(new Set(proxy.usernames).size, proxy.usernames.length, 'a fresh SOCKS username per connection: a fresh circuit each');
    assert.deepEqual(kinds().filter((k) => k === 'alert' || k === 'recovery'), []);
  });

  it('a MITM raises exactly one alert, after the confirmation re-check; one recovery when it clears', async () => {
    const { state } = lab();
    const d = lab().domain('watch');
    const rogue = d.keys.next!; // a valid certificate whose key no TLSA record names (yet)
    const t0 = Date.now();
    await swapProsodyCertificate(state, d.domain, rogue, d.address);
    const alert = await waitUntil('the alert', () => email.received.find((m) => m.message.kind === 'alert'), 30_000);
    assert.equal(alert.target, 'admin@watch.test');
    assert.match(alert.message.subject, /^CRITICAL: watch\.test: /);
    assert.ok(alert.message.text.includes(rogue.spkiSha256), 'the alert names the rogue key');
    assert.ok(alert.message.state?.keys.every((k) => k.spkiSha256 === rogue.spkiSha256));
    assert.match(alert.message.links.unsubscribe, /\/api\/unsubscribe\?token=/);
    const runs = await runsSince(t0);
    const at = runs.findIndex((r) => r.outcome === 'alert');
    assert.ok(at > 0, JSON.stringify(runs));
    assert.equal(runs[at]!.purpose, 'confirm', 'the alert came from the confirmation re-check');
    assert.equal(runs[at - 1]!.outcome, 'confirming', 'after a first sighting');
    assert.ok((JSON.parse(runs[at]!.alarms) as string[]).includes(`key-unpublished:${rogue.spkiSha256}`));

    await sleep(4000); // several more checks of the same MITM
    assert.equal(count('alert'), 1, `no repeats: ${kinds().join(', ')}`);
    assert.equal((await view()).status, 'critical');

    await swapProsodyCertificate(state, d.domain, d.keys.server, d.address);
    const recovery = await waitUntil('the recovery', () => email.received.find((m) => m.message.kind === 'recovery'), 30_000);
    assert.match(recovery.message.subject, /^RECOVERED: watch\.test is (OK|WARNING) again/);
    await sleep(3000);
    assert.equal(count('alert'), 1);
    assert.equal(count('recovery'), 1);
    const history = (await api(svc.api!.url, `/api/domains/${d.domain}/history?limit=500`)).json as { transitions: Array<{ kind: string }> };
    assert.deepEqual(history.transitions.map((t) => t.kind).filter((k) => k === 'alert' || k === 'recovery').reverse(), ['alert', 'recovery']);
  });

  it('a DANE rollover by the procedure raises no alert: publish the next key, wait two TTLs, swap, wait, withdraw the old', async () => {
    const { state } = lab();
    const d = lab().domain('watch');
    const next = d.keys.next!;
    const before = email.received.length;
    const t0 = Date.now();
    await resignZone(state, d.domain, (recs) => [...recs, ...[5222, 5223, 5269].map((p) => `_${p}._tcp.${d.host}. 2 IN TLSA 3 1 1 ${next.spkiSha256}`)]);
    await sleep(4500); // two TTLs: every cache has the new record
    await swapProsodyCertificate(state, d.domain, next, d.address);
    await waitUntil('the new key in the confirmed state', async () => ((await view()).state?.keys.every((k) => k.spkiSha256 === next.spkiSha256) ? true : undefined), 20_000);
    await sleep(4500);
    await resignZone(state, d.domain, (recs) => recs.filter((r) => !r.includes(d.keys.server.spkiSha256)));
    await sleep(4500);
    const v = await view();
    assert.notEqual(v.status, 'critical', JSON.stringify(v.latest));
    assert.deepEqual(email.received.slice(before).map((m) => m.message.kind), [], 'no message at any step');
    const runs = await runsSince(t0);
    assert.ok(runs.length >= 8, `checked throughout: ${runs.length} runs`);
    assert.deepEqual(runs.filter((r) => r.outcome === 'alert' || r.outcome === 'recovery'), []);
    assert.deepEqual(runs.filter((r) => (JSON.parse(r.alarms) as string[]).some((a) => a.startsWith('key-unpublished:'))), [], 'the new key matched its TLSA record every time it was seen');
    // Put the old key back the same way, so the scenario ends as it began (the service is still watching).
    await resignZone(state, d.domain, (recs) => [...recs, ...[5222, 5223, 5269].map((p) => `_${p}._tcp.${d.host}. 2 IN TLSA 3 1 1 ${d.keys.server.spkiSha256}`)]);
    await sleep(4500);
    await swapProsodyCertificate(state, d.domain, d.keys.server, d.address);
    await sleep(2000);
    assert.deepEqual(email.received.slice(before).map((m) => m.message.kind), []);
  });
});

describe('watch: the chat bot\'s commands (SubscriptionCommands)', () => {
  it('subscribe, list, status and unsubscribe for a JID, with refusals in words', async () => {
    const c = svc.commands;
    const d = lab().domain('watch');
    const sub = await c.subscribe(d.domain.toUpperCase(), 'xmpp', 'alice@xmpp.test');
    assert.equal(sub.ok, true, sub.message);
    assert.match(sub.message, /^Subscribed to watch\.test/);
    assert.equal((await c.subscribe(d.domain, 'xmpp', 'alice@xmpp.test')).message.startsWith('You are already subscribed'), true);
    assert.deepEqual(await c.list('xmpp', 'alice@xmpp.test'), [d.domain]);
    const st = await c.status(d.domain);
    assert.equal(st?.domain, d.domain);
    assert.notEqual(st?.status, 'critical');
    assert.ok(st?.keys.length);
    assert.equal((await view()).subscribers, 2, 'the email subscriber and the JID');
    const bad = await c.subscribe('192.0.2.1', 'xmpp', 'alice@xmpp.test');
    assert.equal(bad.ok, false);
    assert.match(bad.message, /is an address/);
    assert.equal((await c.subscribe(d.domain, 'xmpp', 'not a jid')).ok, false);
    assert.equal(await c.status('never-added.test'), undefined);
    assert.deepEqual(await c.unsubscribe(d.domain, 'xmpp', 'alice@xmpp.test'), { ok: true, message: 'Unsubscribed from watch.test.' });
    assert.equal((await c.unsubscribe(d.domain, 'xmpp', 'alice@xmpp.test')).ok, false);
    assert.deepEqual(await c.list('xmpp', 'alice@xmpp.test'), []);
    assert.deepEqual(chat.received, [], 'the bot answers in the chat; nothing goes through the outbox');
    // No webhook notifier in this service: the API refuses such subscriptions.
    const hook = await api(svc.api!.url, '/api/subscriptions', { body: { domain: d.domain, channel: 'webhook', target: 'https://hooks.example.org/x' } });
    assert.deepEqual([hook.status, hook.json.error], [400, 'channel-unavailable']);
  });
});

describe('runCheck: random probe order (shuffle)', () => {
  it('probes the endpoints in the order the RNG draws, and reports them in discovery order', async () => {
    const { state } = lab();
    const d = lab().domain('good');
    const { validator } = makeValidator({ resolvers: [`${state.resolver.address}:${state.resolver.port}`], trustAnchor: state.trustAnchor.ds });
    const order = async (shuffle?: () => number) => {
      const probed: string[] = [];
      const r = await runCheck({ domain: d.domain, service: 'xmpp', validator, caFile: state.ca.rootFile, allowPrivate: true, concurrency: 1, extraHandshakes: false, streamIds: 0, ...(shuffle ? { shuffle } : {}), onProgress: (p) => p.kind === 'probing' && probed.push(p.label) });
      return { probed, reported: r.endpoints.map((e) => e.label) };
    };
    const plain = await order();
    assert.deepEqual(plain.probed, plain.reported, 'without an RNG: discovery order');
    // Fisher–Yates from the last index down: draws of 0 rotate the first endpoint to the end.
    const zeros = await order(() => 0);
    assert.deepEqual(zeros.reported, plain.reported, 'the report keeps discovery order');
    assert.deepEqual(zeros.probed, [...plain.reported.slice(1), plain.reported[0]]);
    const seen = new Set<string>();
    for (const r of [0.1, 0.5, 0.9]) seen.add((await order(() => r)).probed.join(','));
    assert.ok(seen.size > 1, 'different draws, different orders');
  });
});
