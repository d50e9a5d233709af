// Killing `keywatch serve` (SIGKILL, a child process) in the middle of a poll, with an alert
// waiting in the outbox because its receiver is down, and starting it again on the same data
// directory: no subscription, observation or pending alert is lost, the interrupted poll is run
// again at once, and the alert is delivered exactly once when the receiver is back.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { useLab } from '../lab/fixture.ts';
import { swapProsodyCertificate } from '../lab/mutate.ts';
import { api, labServeConfig, startServe, waitUntil, writeConfig, type ServeProcess } from '../helpers/watch-serve.ts';
import type { Delivery } from '../../src/service/contracts.ts';

const lab = useLab();
let tmp: string;
let first: ServeProcess | undefined;
let second: ServeProcess | undefined;

const received = (file: string): Delivery[] => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Delivery) : []);

/** The service's database, read the way an operator would (read-only, beside the running service). */
function query<T>(dataDir: string, sql: string): T[] {
  const db = new BetterSqlite3(join(dataDir, 'keywatch.sqlite'), { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 2000');
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

before(() => (tmp = mkdtempSync(join(tmpdir(), 'keywatch-watch-restart-'))));
after(async () => {
  for (const p of [first, second]) if (p && p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  const d = lab().domain('watch-restart');
  await swapProsodyCertificate(lab().state, d.domain, d.keys.server, d.address);
  rmSync(tmp, { recursive: true, force: true });
});

it('SIGKILL during a poll, with an alert pending: the restart loses nothing and delivers the alert once', async () => {
  const { state } = lab();
  const d = lab().domain('watch-restart');
  const dataDir = join(tmp, 'data');
  const mail = join(tmp, 'email.jsonl');
  const down = join(tmp, 'receiver-down');
  const config = writeConfig(
    join(tmp, 'keywatch.json'),
    labServeConfig(state, dataDir, {
      workerId: 'restart-test',
      schedule: { intervalSeconds: 1, minIntervalSeconds: 1, provenMinIntervalSeconds: 1, confirmDelaySeconds: 0.3, pollSeconds: 0.1 },
      outbox: { pollSeconds: 0.1, retryBaseSeconds: 1, retryMaxSeconds: 2, maxAttempts: 100 },
      limits: { messagesPerHour: 100 },
      notifierModules: [{ module: resolve('test/helpers/recording-notifier.ts'), options: { channel: 'email', file: mail, failFile: down } }],
    }),
  );
  first = await startServe(config);
  assert.equal((await api(first.url, '/api/domains', { body: { domain: d.domain, intervalSeconds: 1 } })).status, 202);
  assert.equal((await api(first.url, '/api/subscriptions', { body: { domain: d.domain, target: 'admin@watch-restart.test' } })).status, 202);
  const confirm = await waitUntil('the confirmation message', () => received(mail).find((m) => m.message.kind === 'confirm-subscription'));
  const link = new URL(confirm.message.links.confirm!);
  assert.equal((await api(first.url, link.pathname + link.search)).json.status, 'confirmed');
  await waitUntil('the first check', async () => ((await api(first!.url, `/api/domains/${d.domain}`)).json.status !== 'new' ? true : undefined));

  // The receiver goes down, then the server starts presenting a key no TLSA record names.
  writeFileSync(down, '');
  await swapProsodyCertificate(state, d.domain, d.keys.next!, d.address);
  await waitUntil(
    'a failed attempt at the alert',
    () => query<{ n: number }>(dataDir, "select count(*) as n from deliveries where kind = 'alert' and status = 'pending' and attempts >= 1")[0]!.n === 1 || undefined,
    30_000,
    50,
  );
  const metrics = await (await fetch(`${first.url}/metrics`)).text();
  assert.match(metrics, /^keywatch_deliveries_pending [1-9]/m);
  assert.match(metrics, /^keywatch_alerts_total\{kind="alert"\} 1$/m);

  // Kill it while a poll is running: the domain's lease is held in the database.
  await waitUntil('a poll in progress', () => query<{ c: string | null }>(dataDir, 'select claimed_by as c from domains')[0]!.c === 'restart-test' || undefined, 10_000, 5);
  first.child.kill('SIGKILL');
  const exit = await first.exited;
  assert.equal(exit.signal, 'SIGKILL');

  const [dom] = query<{ claimed_by: string | null; status: string }>(dataDir, 'select claimed_by, status from domains');
  assert.equal(dom!.claimed_by, 'restart-test', 'killed in the middle of a poll (its lease was still held)');
  assert.equal(dom!.status, 'critical');
  const subsBefore = query<{ id: string; confirmed_at: number | null }>(dataDir, 'select id, confirmed_at from subscriptions');
  const obsBefore = query<{ id: string }>(dataDir, 'select id from observations').map((r) => r.id);
  const pending = query<{ id: string; attempts: number }>(dataDir, "select id, attempts from deliveries where kind = 'alert' and status = 'pending'");
  assert.equal(subsBefore.length, 1);
  assert.ok(subsBefore[0]!.confirmed_at);
  assert.equal(pending.length, 1);
  assert.equal(received(mail).filter((m) => m.message.kind === 'alert').length, 0, 'nothing got through while the receiver was down');

  // The receiver is back; the service starts again on the same data directory.
  unlinkSync(down);
  second = await startServe(config);
  const requeued = await second.waitForLog((l) => l.event === 'requeued');
  assert.equal(requeued.domains, 1, 'the interrupted poll is due again at once');
  const alert = await waitUntil('the alert, after the restart', () => received(mail).find((m) => m.message.kind === 'alert'), 30_000);
  assert.equal(alert.id, pending[0]!.id, 'the very delivery that was pending');
  assert.equal(alert.target, 'admin@watch-restart.test');
  assert.ok(alert.attempt > pending[0]!.attempts);
  await waitUntil('new observations', () => query<{ n: number }>(dataDir, 'select count(*) as n from observations')[0]!.n > obsBefore.length + 2 || undefined, 20_000);

  const obsAfter = new Set(query<{ id: string }>(dataDir, 'select id from observations').map((r) => r.id));
  assert.deepEqual(obsBefore.filter((id) => !obsAfter.has(id)), [], 'every observation made before the kill is still there');
  assert.deepEqual(query<{ id: string; confirmed_at: number | null }>(dataDir, 'select id, confirmed_at from subscriptions'), subsBefore);
  const view = await api(second.url, `/api/domains/${d.domain}`);
  assert.equal(view.json.subscribers, 1);
  assert.equal(view.json.status, 'critical', 'the confirmed state survived: no new baseline');
  await new Promise((r) => setTimeout(r, 2000));
  assert.equal(received(mail).filter((m) => m.message.kind === 'alert').length, 1, 'delivered once, and no second alert for the state that persisted');
  // (A check that caught Prosody mid-reload may add an `unconfirmed` blip; those alert nobody.)
  assert.deepEqual(query<{ kind: string }>(dataDir, "select kind from transitions where kind != 'unconfirmed' order by at").map((t) => t.kind), ['baseline', 'alert']);

  second.child.kill('SIGTERM');
  assert.equal((await second.exited).code, 0);
});
