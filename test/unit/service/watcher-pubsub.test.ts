// The domain's PubSub node gets the baseline too (not only alerts and recoveries): a node exists
// from its first publish on, so without it nobody could subscribe natively before the first alert.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AlertMessage } from '../../../src/service/contracts.ts';
import { silentLog } from '../../../src/service/log.ts';
import { Links } from '../../../src/service/messages.ts';
import { Scheduler } from '../../../src/service/scheduler.ts';
import { getDomain } from '../../../src/service/store/domains.ts';
import { deliveriesOf } from '../../../src/service/store/outbox.ts';
import { Watcher } from '../../../src/service/watcher.ts';
import { fakeReport } from './fake-report.ts';
import { harness, TIMING } from './harness.ts';

const KEY = '11'.repeat(32);
const EP = 'xmpp.x.example:5222 (192.0.2.1)';

test('pubsub on: the baseline is published to the domain\'s node once; later steady runs publish nothing', async () => {
  const h = await harness();
  try {
    const now = () => h.clock.t;
    const watcher = new Watcher({
      store: h.store,
      worker: 'w1',
      vantages: ['direct'],
      check: () => Promise.resolve(fakeReport('x.example', 'ok', { endpoints: [{ label: EP, spki: KEY, dane: 'match' }] })),
      timing: TIMING,
      links: new Links('https://keywatch.example'),
      rate: { windowMs: 3_600_000, limit: 10 },
      pubsub: { enabled: () => true, node: (domain) => domain },
      now,
      random: () => 0.5,
      log: silentLog,
    });
    const scheduler = new Scheduler({ store: h.store, worker: 'w1', concurrency: 1, leaseMs: 600_000, pollMs: 1000, now, log: silentLog, run: (d, s) => watcher.run(d, s) });
    const id = await h.add('x.example');
    await scheduler.tick();
    await scheduler.idle();
    const out = await deliveriesOf(h.store.db, { domainId: id });
    assert.deepEqual(out.map((d) => [d.channel, d.target, d.kind, d.status, d.subscription_id]), [['pubsub', 'x.example', 'subscribed', 'pending', null]]);
    const msg = JSON.parse(out[0]!.message) as AlertMessage;
    assert.equal(msg.state?.status, 'ok');
    assert.deepEqual(msg.state?.keys.map((k) => k.spkiSha256), [KEY]);

    h.clock.t = (await getDomain(h.store.db, id))!.next_due_at;
    await scheduler.tick();
    await scheduler.idle();
    assert.equal((await deliveriesOf(h.store.db, { domainId: id })).length, 1, 'a steady run publishes nothing');
  } finally {
    await h.close();
  }
});

test('pubsub off: the baseline sends nothing', async () => {
  const h = await harness();
  try {
    const id = await h.add('x.example');
    h.results.set('x.example', () => fakeReport('x.example', 'ok', { endpoints: [{ label: EP, spki: KEY, dane: 'match' }] }));
    await h.cycle();
    assert.equal((await getDomain(h.store.db, id))!.status, 'ok');
    assert.deepEqual(await deliveriesOf(h.store.db, { domainId: id }), []);
  } finally {
    await h.close();
  }
});
