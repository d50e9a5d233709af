// The scheduler with an injected clock and RNG on a real SQLite store: jittered intervals,
// exponential back-off after checks that could not run, leases (another worker waits; a
// restarted worker takes its own back at once), bounded concurrency, and graceful stop.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { claimDue, getDomain, releaseClaims } from '../../../src/service/store/domains.ts';
import { backoffDelay, jittered } from '../../../src/service/timing.ts';
import { silentLog } from '../../../src/service/log.ts';
import { Scheduler } from '../../../src/service/scheduler.ts';
import { fakeReport } from './fake-report.ts';
import { harness, TIMING, T0 } from './harness.ts';

const HOUR = 3_600_000;

test('jitter: the next check is the interval ±20%, drawn from the injected RNG', async () => {
  assert.equal(jittered(HOUR, 0.2, () => 0), 0.8 * HOUR);
  assert.equal(jittered(HOUR, 0.2, () => 0.5), HOUR);
  assert.equal(jittered(HOUR, 0.2, () => 0.999999), Math.round(HOUR * (1 + 0.2 * (2 * 0.999999 - 1))));
  const h = await harness();
  try {
    const ids = [await h.add('a.example'), await h.add('b.example')];
    h.results.set('a.example', () => fakeReport('a.example', 'ok'));
    h.results.set('b.example', () => fakeReport('b.example', 'ok'));
    h.randoms.push(0, 1); // one draw per run for its next time: the extremes, -20% and +20%
    assert.equal(await h.cycle(), 2);
    const due = await Promise.all(ids.map(async (id) => (await getDomain(h.store.db, id))!.next_due_at - T0));
    assert.deepEqual(due.sort((a, b) => a - b), [0.8 * HOUR, 1.2 * HOUR], 'two domains checked together are next due at different times');
    // Nothing is due until then.
    h.clock.t += 0.79 * HOUR;
    assert.equal(await h.cycle(), 0);
    h.clock.t += 0.42 * HOUR;
    assert.equal(await h.cycle(), 2);
  } finally {
    await h.close();
  }
});

test('back-off: checks that cannot run are retried after 1, 2, 4 … minutes up to the cap; a success resets it', async () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, TIMING) / 60_000), [1, 2, 4, 8, 16, 16]);
  const h = await harness();
  try {
    const id = await h.add('down.example');
    let fail = true;
    h.results.set('down.example', () => {
      if (fail) throw new Error('the resolver timed out');
      return fakeReport('down.example', 'ok');
    });
    const delays: number[] = [];
    for (let i = 0; i < 6; i++) {
      h.randoms.push(0.5); // no jitter on the back-off
      assert.equal(await h.cycle(), 1, `attempt ${i + 1}`);
      const d = (await getDomain(h.store.db, id))!;
      assert.equal(d.consecutive_failures, i + 1);
      assert.match(d.last_error ?? '', /resolver timed out/);
      delays.push((d.next_due_at - h.clock.t) / 60_000);
      h.clock.t = d.next_due_at;
    }
    assert.deepEqual(delays, [1, 2, 4, 8, 16, 16]);
    // An "unknown" report (nothing could be probed) backs off the same way.
    fail = false;
    h.results.set('down.example', () => fakeReport('down.example', 'unknown'));
    await h.cycle();
    assert.equal((await getDomain(h.store.db, id))!.consecutive_failures, 7);
    h.clock.t = (await getDomain(h.store.db, id))!.next_due_at;
    h.results.set('down.example', () => fakeReport('down.example', 'ok'));
    await h.cycle();
    const d = (await getDomain(h.store.db, id))!;
    assert.equal(d.consecutive_failures, 0);
    assert.equal(d.last_error, null);
    assert.equal(d.status, 'ok');
    assert.ok(d.next_due_at - h.clock.t >= 0.8 * HOUR, 'back on the regular interval');
    // The failed runs are in the history, with their errors.
    const runs = await h.store.db.selectFrom('runs').select(['outcome', 'error']).where('domain_id', '=', id).execute();
    assert.equal(runs.filter((r) => r.outcome === 'inconclusive').length, 7);
  } finally {
    await h.close();
  }
});

test('leases: a claimed domain is not claimed by another worker until the lease expires; a restarted worker takes its own back at once', async () => {
  const h = await harness();
  try {
    const id = await h.add('leased.example');
    const mine = await claimDue(h.store.db, 'w1', h.clock.t, 60_000, 5);
    assert.deepEqual(mine.map((d) => d.id), [id]);
    assert.deepEqual(await claimDue(h.store.db, 'w2', h.clock.t + 59_999, 60_000, 5), [], 'w2 waits while the lease holds');
    // w1 crashed; w2 takes over once the lease has expired.
    const taken = await claimDue(h.store.db, 'w2', h.clock.t + 60_001, 60_000, 5);
    assert.deepEqual(taken.map((d) => d.claimed_by), ['w2']);
    // w2 crashes too and restarts: its start-up releases its own claims, so the domain is due again at once.
    assert.equal(await releaseClaims(h.store.db, 'w2'), 1);
    const again = await claimDue(h.store.db, 'w2', h.clock.t + 60_002, 60_000, 5);
    assert.deepEqual(again.map((d) => d.id), [id]);
    assert.equal(again[0]!.next_due_at, T0, 'still due when it was: no check was skipped');
  } finally {
    await h.close();
  }
});

test('concurrency: no more checks at once than configured; the rest wait for a free slot', async () => {
  const h = await harness({ concurrency: 2 });
  try {
    let running = 0;
    let peak = 0;
    const gates: Array<() => void> = [];
    for (const n of ['a', 'b', 'c', 'd', 'e']) {
      await h.add(`${n}.example`);
    }
    const sched = new Scheduler({
      store: h.store,
      worker: 'w1',
      concurrency: 2,
      leaseMs: 600_000,
      pollMs: 1000,
      now: () => h.clock.t,
      log: silentLog,
      run: async (d, s) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise<void>((r) => gates.push(r));
        running--;
        h.results.set(d.name, () => fakeReport(d.name, 'ok'));
        return h.watcher.run(d, s);
      },
    });
    assert.equal(await sched.tick(), 2);
    assert.equal(await sched.tick(), 0, 'no free slot');
    gates.shift()!();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(await sched.tick(), 1, 'one slot freed');
    while (gates.length) gates.shift()!();
    await sched.idle();
    assert.equal(peak, 2);
  } finally {
    await h.close();
  }
});

test('graceful stop: a check that outlives the grace period is requeued, due at once, and its late result is not recorded', async () => {
  const h = await harness();
  try {
    const id = await h.add('slow.example');
    let release!: () => void;
    const sched = new Scheduler({
      store: h.store,
      worker: 'w1',
      concurrency: 2,
      leaseMs: 600_000,
      pollMs: 1000,
      now: () => h.clock.t,
      log: silentLog,
      run: async (d, s) => {
        await new Promise<void>((r) => (release = r));
        h.results.set(d.name, () => fakeReport(d.name, 'ok'));
        return h.watcher.run(d, s);
      },
    });
    assert.equal(await sched.tick(), 1);
    h.clock.t += 5000;
    const requeued = await sched.stop(100);
    assert.equal(requeued, 1);
    const d = (await getDomain(h.store.db, id))!;
    assert.equal(d.claimed_by, null);
    assert.equal(d.next_due_at, h.clock.t, 'due at once for the next start');
    assert.equal(await sched.tick(), 0, 'a stopped scheduler takes no work');
    release();
    await sched.idle();
    const runs = await h.store.db.selectFrom('runs').selectAll().where('domain_id', '=', id).execute();
    assert.deepEqual(runs, [], 'the aborted run wrote nothing');
  } finally {
    await h.close();
  }
});

test('a run that fails outright gives its claim back, due again after the failure delay (not after the whole lease)', async () => {
  const h = await harness();
  try {
    const id = await h.add('broken.example');
    const sched = new Scheduler({
      store: h.store,
      worker: 'w1',
      concurrency: 2,
      leaseMs: 600_000,
      pollMs: 1000,
      failureDelayMs: 30_000,
      now: () => h.clock.t,
      log: silentLog,
      run: () => Promise.reject(new Error('database is locked')),
    });
    assert.equal(await sched.tick(), 1);
    await sched.idle();
    const d = (await getDomain(h.store.db, id))!;
    assert.equal(d.claimed_by, null);
    assert.equal(d.next_due_at, h.clock.t + 30_000);
  } finally {
    await h.close();
  }
});
