// The outbox worker on a real store: a delivery that fails is retried with exponential back-off
// (or the receiver's Retry-After), a permanent failure stops at once, attempts are counted, and
// a worker started afresh on the same database sends what an earlier one left pending.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { silentLog } from '../../../src/service/log.ts';
import { OutboxWorker, retryDelay } from '../../../src/service/outbox-worker.ts';
import { deliveriesOf, insertDelivery } from '../../../src/service/store/outbox.ts';
import { RecordingNotifier } from '../../helpers/recording-notifier.ts';
import { harness } from './harness.ts';

const message = (domain: string) => JSON.stringify({ kind: 'alert', domain, subject: `CRITICAL: ${domain}`, text: 'x\n', links: { page: 'p', unsubscribe: 'u' } });

test('retries with back-off, honours Retry-After, stops at a permanent failure or after maxAttempts', async () => {
  assert.deepEqual([1, 2, 3, 4, 10].map((a) => retryDelay(a, { retryBaseMs: 30_000, retryMaxMs: 600_000 })), [30_000, 60_000, 120_000, 240_000, 600_000]);
  const h = await harness();
  try {
    const id = await h.add('x.example');
    const add = (target: string, channel = 'email') =>
      insertDelivery(h.store.db, { alert_id: null, subscription_id: null, domain_id: id, channel, target, kind: 'alert', message: message('x.example'), status: 'pending', next_attempt_at: h.clock.t, last_error: null, created_at: h.clock.t });
    const flaky = await add('flaky@x.example');
    h.email.script.push({ ok: false, error: 'connection refused' }, { ok: false, error: '451 try later', retryAfterMs: 5000 });
    h.randoms.push(0.5);
    await h.outbox.tick();
    let row = (await deliveriesOf(h.store.db)).find((d) => d.id === flaky)!;
    assert.equal(row.status, 'pending');
    assert.equal(row.attempts, 1);
    assert.equal(row.next_attempt_at - h.clock.t, 30_000);
    assert.equal(row.last_error, 'connection refused');
    await h.outbox.tick();
    assert.equal(h.email.received.length, 0, 'not due yet');
    h.clock.t += 30_000;
    await h.outbox.tick();
    row = (await deliveriesOf(h.store.db)).find((d) => d.id === flaky)!;
    assert.equal(row.next_attempt_at - h.clock.t, 5000, "the receiver's Retry-After");
    h.clock.t += 5000;
    await h.outbox.tick();
    row = (await deliveriesOf(h.store.db)).find((d) => d.id === flaky)!;
    assert.equal(row.status, 'sent');
    assert.equal(row.attempts, 3);
    assert.equal(h.email.received[0]?.attempt, 3);
    assert.equal(h.email.received[0]?.id, flaky, 'the delivery id is stable across attempts');

    const gone = await add('gone@x.example');
    h.email.script.push({ ok: false, permanent: true, error: '550 no such user' });
    await h.outbox.tick();
    row = (await deliveriesOf(h.store.db)).find((d) => d.id === gone)!;
    assert.deepEqual([row.status, row.attempts, row.last_error], ['failed', 1, '550 no such user']);

    const stubborn = await add('down@x.example');
    for (let i = 0; i < 3; i++) {
      h.email.script.push({ ok: false, error: 'timeout' });
      h.clock.t += 3_600_000;
      await h.outbox.tick();
    }
    row = (await deliveriesOf(h.store.db)).find((d) => d.id === stubborn)!;
    assert.deepEqual([row.status, row.attempts], ['failed', 3], 'maxAttempts is 3 in the harness');

    const nochannel = await add('https://hook.example/x', 'webhook');
    await h.outbox.tick();
    row = (await deliveriesOf(h.store.db)).find((d) => d.id === nochannel)!;
    assert.equal(row.status, 'failed');
    assert.match(row.last_error ?? '', /no notifier is configured for channel webhook/);
  } finally {
    await h.close();
  }
});

test('a new worker on the same database sends what the last one left pending (and what it had claimed, once the lease expired)', async () => {
  const h = await harness();
  try {
    const id = await h.add('x.example');
    for (const t of ['a@x.example', 'b@x.example']) {
      await insertDelivery(h.store.db, { alert_id: null, subscription_id: null, domain_id: id, channel: 'email', target: t, kind: 'alert', message: message('x.example'), status: 'pending', next_attempt_at: h.clock.t, last_error: null, created_at: h.clock.t });
    }
    // A worker claimed b and died before recording anything.
    await h.store.db.updateTable('deliveries').set({ claimed_until: h.clock.t + 60_000 }).where('target', '=', 'b@x.example').execute();
    const notifier = new RecordingNotifier('email');
    const fresh = new OutboxWorker({ store: h.store, notifiers: new Map([['email', notifier]]), concurrency: 4, maxAttempts: 5, retryBaseMs: 1000, retryMaxMs: 10_000, leaseMs: 60_000, pollMs: 1000, sendTimeoutMs: 1000, now: () => h.clock.t, random: () => 0.5, log: silentLog });
    await fresh.tick();
    assert.deepEqual(notifier.received.map((d) => d.target), ['a@x.example']);
    h.clock.t += 60_001;
    await fresh.tick();
    assert.deepEqual(notifier.received.map((d) => d.target), ['a@x.example', 'b@x.example']);
    assert.ok((await deliveriesOf(h.store.db)).every((d) => d.status === 'sent'));
  } finally {
    await h.close();
  }
});
