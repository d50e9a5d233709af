// `keywatch serve` on loopback against the lab: /healthz, /metrics, the JSON API's shapes, a first
// check of a lab domain, double opt-in by the link in the message, one-click unsubscribe, webhook
// subscriptions with their key, the per-client rate limit, refusal of private targets unless the
// operator allows them, config errors, and a clean SIGTERM.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { useLab } from '../lab/fixture.ts';
import { runKeywatch } from '../helpers/keywatch-cli.ts';
import { api, labServeConfig, startServe, waitUntil, writeConfig, type ServeProcess } from '../helpers/watch-serve.ts';
import type { Delivery } from '../../src/service/contracts.ts';
import type { DomainView, HistoryView } from '../../src/service/views.ts';

const lab = useLab();
const RECORDER = resolve('test/helpers/recording-notifier.ts');
let tmp: string;
let serve: ServeProcess;
let strict: ServeProcess;

const received = (file: string): Delivery[] => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Delivery) : []);

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'keywatch-watch-api-'));
  const state = lab().state;
  const notifierModules = [
    { module: RECORDER, options: { channel: 'email', file: join(tmp, 'email.jsonl') } },
    { module: RECORDER, options: { channel: 'webhook', file: join(tmp, 'webhook.jsonl') } },
  ];
  // proof.required off: webhooks here are about delivery; watch-proof.test.ts tests the gate.
  serve = await startServe(writeConfig(join(tmp, 'open.json'), labServeConfig(state, join(tmp, 'open'), { notifierModules, publicUrl: 'http://keywatch.test', limits: { requestsPerHour: 1000 }, proof: { required: false } })));
  // The same lab, as a public service would run: private targets refused, 4 requests an hour per client.
  strict = await startServe(writeConfig(join(tmp, 'strict.json'), labServeConfig(state, join(tmp, 'strict'), { allowPrivate: false, notifierModules: notifierModules.slice(0, 1), limits: { requestsPerHour: 4 } })));
});

after(() => {
  for (const p of [serve, strict]) if (p && p.child.exitCode === null) p.child.kill('SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

describe('keywatch serve: health, metrics and domains', () => {
  it('/healthz answers ok with the database reachable', async () => {
    const r = await api(serve.url, '/healthz');
    assert.equal(r.status, 200);
    assert.deepEqual({ status: r.json.status, database: r.json.database }, { status: 'ok', database: 'ok' });
    assert.equal(r.headers.get('cache-control'), 'no-store');
  });

  it('POST /api/domains watches a lab domain; its first check gives the DomainState and the Report', async () => {
    const d = lab().domain('good');
    const added = await api(serve.url, '/api/domains', { body: { domain: `${d.domain.toUpperCase()}.` } });
    assert.equal(added.status, 202, JSON.stringify(added.json));
    assert.equal(added.json.domain, d.domain, 'normalised: lower case, no trailing dot');
    assert.equal(added.json.status, 'new');
    assert.equal(added.headers.get('location'), `/api/domains/${d.domain}`);
    const view = await waitUntil('the first check', async () => {
      const r = await api(serve.url, `/api/domains/${d.domain}`);
      return r.json.status === 'new' ? undefined : (r.json as unknown as DomainView);
    });
    // good.test has no alarm; its status is ok, or warning for advice that other checks add (SASL, s2s).
    assert.ok(view.status === 'ok' || view.status === 'warning', JSON.stringify(view.latest));
    assert.equal(view.status, view.report?.status, 'the confirmed state is the first check\'s');
    assert.equal(view.watched, true);
    assert.equal(view.service, 'xmpp');
    assert.ok(view.nextCheckAt && Date.parse(view.nextCheckAt) > Date.now());
    assert.equal(view.state?.status, view.status);
    assert.ok(view.state?.findings.every((f) => f.severity === 'warning'));
    assert.equal(view.state?.url, `http://keywatch.test/domains/${d.domain}`);
    assert.deepEqual(new Set(view.state?.keys.map((k) => k.spkiSha256)), new Set([d.keys.server.spkiSha256]), 'the key every endpoint presents');
    assert.equal(view.state?.keys.length, d.endpoints.length);
    assert.equal(view.report?.schema, 'keywatch.check-report/1');
    assert.equal(view.report?.domain, d.domain);
    assert.deepEqual(view.latest?.vantages.map((v) => [v.vantage, v.status]), [['direct', view.status]]);

    const again = await api(serve.url, '/api/domains', { body: { domain: d.domain } });
    assert.equal(again.status, 200, 'already watched');

    const history = (await api(serve.url, `/api/domains/${d.domain}/history`)).json as unknown as HistoryView;
    assert.equal(history.runs.length, 1);
    assert.equal(history.runs[0]!.outcome, 'baseline');
    const seen = history.runs[0]!.vantages[0]!.endpoints;
    assert.deepEqual(new Set(seen.map((e) => e.spkiSha256)), new Set([d.keys.server.spkiSha256]));
    assert.ok(seen.every((e) => e.dane === 'match' && e.chainSha256?.length));
    assert.deepEqual(history.transitions.map((t) => [t.kind, t.from, t.to]), [['baseline', 'new', view.status]]);

    const list = await api(serve.url, '/api/domains');
    assert.deepEqual((list.json.domains as Array<{ domain: string }>).map((x) => x.domain), [d.domain]);
  });

  it('refuses bad input with a JSON error naming the problem', async () => {
    const cases: Array<[unknown, number, string]> = [
      [{ domain: '192.0.2.1' }, 400, 'invalid-domain'],
      [{ domain: 'a..b' }, 400, 'invalid-domain'],
      [{ domain: 'good.test', service: 'gopher' }, 400, 'invalid-service'],
      [{ domain: 'nxdomain-here.test' }, 422, 'no-endpoints'],
      [{ domain: 'good.test', intervalSeconds: 5 }, 403, 'interval-too-short'],
      ['{not json', 400, 'invalid-json'],
    ];
    for (const [body, status, code] of cases) {
      const r = await api(serve.url, '/api/domains', { body });
      assert.equal(r.status, status, `${JSON.stringify(body)}: ${JSON.stringify(r.json)}`);
      assert.equal(r.json.error, code);
      assert.equal(typeof r.json.message, 'string');
    }
    const wrongType = await api(serve.url, '/api/domains', { body: 'domain=x', headers: { 'content-type': 'text/plain' } });
    assert.equal(wrongType.status, 415);
    assert.equal((await api(serve.url, '/api/domains/notwatched.test')).status, 404);
    assert.equal((await api(serve.url, '/api/domains/good.test/history?limit=0')).status, 400);
    assert.equal((await api(serve.url, '/nope')).status, 404);
    assert.equal((await api(serve.url, '/healthz', { method: 'POST' })).status, 405);
  });

  it('/metrics is Prometheus text with checks, durations, alerts, pending deliveries and domains', async () => {
    const res = await fetch(`${serve.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await res.text();
    assert.match(text, /^keywatch_checks_total\{vantage="direct",status="(ok|warning)"\} [1-9]\d*$/m);
    assert.match(text, /^keywatch_check_duration_seconds_bucket\{le="\+Inf",vantage="direct"\} [1-9]\d*$/m);
    assert.match(text, /^keywatch_domains_watched 1$/m);
    assert.match(text, /^keywatch_deliveries_pending \d+$/m);
    assert.match(text, /^# TYPE keywatch_alerts_total counter$/m);
  });
});

describe('keywatch serve: subscriptions', () => {
  it('email: double opt-in through the link in the message, then one-click unsubscribe by the link every message carries', async () => {
    const d = lab().domain('good');
    const mail = join(tmp, 'email.jsonl');
    const r = await api(serve.url, '/api/subscriptions', { body: { domain: d.domain, channel: 'email', target: 'admin@good.test' } });
    assert.equal(r.status, 202, JSON.stringify(r.json));
    assert.equal(r.json.status, 'confirmation-sent');
    const confirm = await waitUntil('the confirmation message', () => received(mail).find((m) => m.message.kind === 'confirm-subscription'));
    assert.equal(confirm.target, 'admin@good.test');
    assert.equal(confirm.channel, 'email');
    assert.match(confirm.message.subject, /Confirm keywatch alerts for good\.test/);
    const link = confirm.message.links.confirm!;
    assert.match(link, /^http:\/\/keywatch\.test\/api\/confirm\?token=[A-Za-z0-9_-]+$/);
    assert.ok(confirm.message.text.includes(link), 'the link is in the text');
    let view = (await api(serve.url, `/api/domains/${d.domain}`)).json as unknown as DomainView;
    assert.equal(view.subscribers, 0, 'not before confirmation');

    const path = new URL(link).pathname + new URL(link).search;
    const ok = await api(serve.url, path);
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    assert.deepEqual({ status: ok.json.status, domain: ok.json.domain, channel: ok.json.channel, target: ok.json.target }, { status: 'confirmed', domain: d.domain, channel: 'email', target: 'admin@good.test' });
    assert.equal((await api(serve.url, path)).json.status, 'already-confirmed');
    view = (await api(serve.url, `/api/domains/${d.domain}`)).json as unknown as DomainView;
    assert.equal(view.subscribers, 1);
    const welcome = await waitUntil('the welcome message', () => received(mail).find((m) => m.message.kind === 'subscribed'));
    assert.equal(welcome.message.state?.status, view.state?.status, 'the welcome carries the current state');

    const again = await api(serve.url, '/api/subscriptions', { body: { domain: d.domain, target: 'admin@good.test' } });
    assert.deepEqual([again.status, again.json.status], [200, 'already-subscribed']);

    const unsub = new URL(welcome.message.links.unsubscribe);
    const u = await api(serve.url, unsub.pathname + unsub.search);
    assert.deepEqual([u.status, u.json.status], [200, 'unsubscribed']);
    assert.equal((await api(serve.url, unsub.pathname + unsub.search, { method: 'POST' })).json.status, 'already-unsubscribed', 'RFC 8058 one-click POST works too');
    view = (await api(serve.url, `/api/domains/${d.domain}`)).json as unknown as DomainView;
    assert.equal(view.subscribers, 0);

    assert.equal((await api(serve.url, '/api/confirm?token=AAAAAAAAAAAAAAAAAAAAAAAA')).status, 404);
    assert.equal((await api(serve.url, '/api/unsubscribe?token=x')).status, 404);
    const bad = await api(serve.url, '/api/subscriptions', { body: { domain: d.domain, channel: 'email', target: 'not an address' } });
    assert.deepEqual([bad.status, bad.json.error], [400, 'invalid-target']);
  });

  it('webhook: subscribed at once, the HMAC key in the answer, a first signed message carrying it', async () => {
    const d = lab().domain('good');
    const r = await api(serve.url, '/api/subscriptions', { body: { domain: d.domain, channel: 'webhook', target: 'http://127.0.0.1:9/hook' } });
    assert.equal(r.status, 202, JSON.stringify(r.json));
    assert.equal(r.json.status, 'subscribed');
    assert.match(String(r.json.secret), /^[A-Za-z0-9_-]{40,}$/);
    const first = await waitUntil('the webhook message', () => received(join(tmp, 'webhook.jsonl')).find((m) => m.message.kind === 'subscribed'));
    assert.equal(first.secret, r.json.secret);
    assert.equal(first.target, 'http://127.0.0.1:9/hook');
  });

  it('XMPP users are sent to the bot; a subscription to a domain the service refuses is refused', async () => {
    const r = await api(strict.url, '/api/subscriptions', { body: { domain: 'good.test', channel: 'email', target: 'a@b.example' } });
    assert.deepEqual([r.status, r.json.error], [403, 'private-target'], 'the domain itself is refused first on the strict service');
    const x = await api(serve.url, '/api/subscriptions', { body: { domain: 'good.test', channel: 'xmpp', target: 'a@b.c' } });
    assert.deepEqual([x.status, x.json.error], [400, 'invalid-channel']);
  });
});

describe('keywatch serve: public-service safety', () => {
  it('refuses private targets unless allowPrivate, and rate-limits each client address', async () => {
    const d = lab().domain('good');
    const refused = await api(strict.url, '/api/domains', { body: { domain: d.domain } });
    assert.equal(refused.status, 403);
    assert.equal(refused.json.error, 'private-target');
    assert.match(String(refused.json.message), new RegExp(`${d.address.replaceAll('.', '\\.')} \\(loopback\\)`));
    const single = await api(strict.url, '/api/domains', { body: { domain: 'localhost' } });
    assert.deepEqual([single.status, single.json.error], [403, 'private-target']);
    // The strict service allows 4 requests an hour per client, counted across both POST routes (one was spent above).
    const third = await api(strict.url, '/api/domains', { body: { domain: d.domain } });
    assert.equal(third.status, 403);
    const limited = await api(strict.url, '/api/domains', { body: { domain: d.domain } });
    assert.equal(limited.status, 429, JSON.stringify(limited.json));
    assert.equal(limited.json.error, 'rate-limited');
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    const strictView = await api(strict.url, '/api/domains');
    assert.deepEqual(strictView.json.domains, [], 'nothing was added');
  });

  it('a bad config is one line naming the field; --check-config validates without starting', async () => {
    const bad = writeConfig(join(tmp, 'bad.json'), { dataDir: join(tmp, 'x'), schedule: { jitter: 2 }, listen: { port: 'eighty' } });
    const r = await runKeywatch(['serve', '--config', bad]);
    assert.equal(r.status, 3);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /bad\.json: listen\.port: .*number/);
    assert.match(r.stderr, /schedule\.jitter: must be from 0 to 0\.9/);
    const env = await runKeywatch(['serve', '--config', writeConfig(join(tmp, 'ok.json'), { dataDir: join(tmp, 'y') }), '--check-config'], { KEYWATCH_LISTEN: 'nope' });
    assert.equal(env.status, 3);
    assert.match(env.stderr, /KEYWATCH_LISTEN: must be HOST:PORT/);
    const good = await runKeywatch(['serve', '--config', join(tmp, 'ok.json'), '--check-config']);
    assert.equal(good.status, 0, good.stderr);
    writeFileSync(join(tmp, 'notjson.json'), '{');
    assert.match((await runKeywatch(['serve', '--config', join(tmp, 'notjson.json')])).stderr, /notjson\.json: not valid JSON/);
    assert.match((await runKeywatch(['serve', '--config', join(tmp, 'missing.json')])).stderr, /missing\.json: no such file/);
  });

  it('SIGTERM: a graceful stop, exit 0, the last log line says stopped', async () => {
    serve.child.kill('SIGTERM');
    const { code } = await serve.exited;
    assert.equal(code, 0, serve.stderr());
    assert.ok(serve.logs.some((l) => l.event === 'signal' && l.signal === 'SIGTERM'));
    assert.equal(serve.logs.at(-1)?.event, 'stopped');
    assert.ok(serve.logs.every((l) => typeof l.time === 'string' && typeof l.level === 'string' && typeof l.msg === 'string'), 'every line is a JSON log object');
  });
});
