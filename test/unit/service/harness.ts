// A watch service core on a real SQLite file (or a given PostgreSQL database) with an injected clock, RNG and check function:
// the scheduler, watcher and outbox exactly as the service wires them, minus the network.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Report } from '../../../src/audit/report.ts';
import { silentLog } from '../../../src/service/log.ts';
import { Links } from '../../../src/service/messages.ts';
import { OutboxWorker } from '../../../src/service/outbox-worker.ts';
import { Scheduler } from '../../../src/service/scheduler.ts';
import { addDomain } from '../../../src/service/store/domains.ts';
import type { DatabaseConfig } from '../../../src/service/store/open.ts';
import { Store } from '../../../src/service/store/store.ts';
import { subscribe } from '../../../src/service/store/subscriptions.ts';
import type { Timing } from '../../../src/service/timing.ts';
import { Watcher, type CheckFn } from '../../../src/service/watcher.ts';
import { RecordingNotifier } from '../../helpers/recording-notifier.ts';
import type { Vantage } from '../../../src/service/observe.ts';

export const TIMING: Timing = { jitter: 0.2, backoffBaseMs: 60_000, backoffMaxMs: 16 * 60_000, confirmDelayMs: 10_000 };
export const T0 = Date.UTC(2030, 0, 1);

export interface Harness {
  dir: string;
  store: Store;
  clock: { t: number };
  /** What the next check of a domain returns (or throws), per vantage. */
  results: Map<string, (vantage: Vantage) => Report>;
  checks: Array<{ domain: string; vantage: Vantage; purpose: string }>;
  watcher: Watcher;
  scheduler: Scheduler;
  outbox: OutboxWorker;
  email: RecordingNotifier;
  /** Random values handed out in turn (then 0.5). */
  randoms: number[];
  add(name: string, intervalMs?: number): Promise<string>;
  subscribe(domainId: string, target: string, confirmed?: boolean): Promise<void>;
  /** One scheduler tick, waiting for the runs it started. */
  cycle(): Promise<number>;
  close(): Promise<void>;
}

export async function harness(opts: { vantages?: Vantage[]; concurrency?: number; rateLimit?: number; worker?: string; dir?: string; check?: CheckFn; database?: DatabaseConfig } = {}): Promise<Harness> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'keywatch-svc-'));
  const store = await Store.open(opts.database ?? { kind: 'sqlite', file: join(dir, 'keywatch.sqlite') });
  const clock = { t: T0 };
  const now = () => clock.t;
  const randoms: number[] = [];
  const random = () => randoms.shift() ?? 0.5;
  const results = new Map<string, (v: Vantage) => Report>();
  const checks: Harness['checks'] = [];
  const check: CheckFn =
    opts.check ??
    ((d, vantage, purpose) => {
      checks.push({ domain: d.name, vantage, purpose });
      const f = results.get(d.name);
      if (!f) return Promise.reject(new Error(`no result scripted for ${d.name}`));
      try {
        return Promise.resolve(f(vantage));
      } catch (e) {
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  const email = new RecordingNotifier('email');
  const outbox = new OutboxWorker({ store, notifiers: new Map([['email', email]]), concurrency: 2, maxAttempts: 3, retryBaseMs: 30_000, retryMaxMs: 600_000, leaseMs: 60_000, pollMs: 1000, sendTimeoutMs: 5000, now, random, log: silentLog });
  const watcher = new Watcher({
    store,
    worker: opts.worker ?? 'w1',
    vantages: opts.vantages ?? ['direct'],
    check,
    timing: TIMING,
    links: new Links('https://keywatch.example'),
    rate: { windowMs: 3_600_000, limit: opts.rateLimit ?? 10 },
    now,
    random,
    log: silentLog,
  });
  const scheduler = new Scheduler({ store, worker: opts.worker ?? 'w1', concurrency: opts.concurrency ?? 2, leaseMs: 600_000, pollMs: 1000, now, log: silentLog, run: (d, s) => watcher.run(d, s) });
  return {
    dir,
    store,
    clock,
    results,
    checks,
    watcher,
    scheduler,
    outbox,
    email,
    randoms,
    async add(name, intervalMs = 3_600_000) {
      return (await addDomain(store.db, { name, service: 'xmpp', intervalMs, now: clock.t })).row.id;
    },
    async subscribe(domainId, target, confirmed = true) {
      await subscribe(store.db, { domainId, channel: 'email', target, origin: 'api', now: clock.t, confirm: confirmed ? { kind: 'now' } : { kind: 'token', tokenHash: 'x', expiresAt: clock.t + 1000 } });
    },
    async cycle() {
      const n = await scheduler.tick();
      await scheduler.idle();
      return n;
    },
    async close() {
      await store.close();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
