// Change detection and the alert policy: pure decisions first, then the whole path on a real
// store with an injected clock — an alert only after the confirmation re-check agrees, to
// confirmed subscribers only, never repeated while the state persists, a recovery when it clears,
// no alert for a key change whose TLSA record was published first, and per-subscriber rate limits.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { observe } from '../../../src/service/observe.ts';
import { assess, decide } from '../../../src/service/policy.ts';
import { compareVantages } from '../../../src/service/vantage.ts';
import { getDomain } from '../../../src/service/store/domains.ts';
import { deliveriesOf } from '../../../src/service/store/outbox.ts';
import type { AlertMessage } from '../../../src/service/contracts.ts';
import { fakeReport, finding } from './fake-report.ts';
import { harness, TIMING } from './harness.ts';

const OLD = '11'.repeat(32);
const NEW = '22'.repeat(32);
const ROGUE = 'ee'.repeat(32);
const EP = 'xmpp.x.example:5222 (192.0.2.1)';

test('decide: baseline first, then worse/better only through a confirmation; unknown never moves the state', () => {
  const ok = { status: 'ok' as const, alarms: [] };
  const crit = { status: 'critical' as const, alarms: ['dane.tlsa-stale'] };
  assert.deepEqual(decide({ status: 'new', alarms: [] }, crit, 'scheduled'), { kind: 'baseline' });
  assert.deepEqual(decide(ok, crit, 'scheduled'), { kind: 'confirming', direction: 'worse' });
  assert.deepEqual(decide({ ...ok, pending: { direction: 'worse' } }, crit, 'confirm'), { kind: 'alert', newAlarms: ['dane.tlsa-stale'] });
  assert.deepEqual(decide({ ...ok, pending: { direction: 'worse' } }, ok, 'confirm'), { kind: 'unconfirmed' });
  assert.deepEqual(decide(crit, crit, 'scheduled'), { kind: 'steady' }, 'no repeat while it persists');
  assert.deepEqual(decide(crit, { status: 'critical', alarms: ['dane.tlsa-stale', 'key-unpublished:ab'] }, 'scheduled'), { kind: 'confirming', direction: 'worse' }, 'a new alarm on top is worse');
  assert.deepEqual(decide(crit, ok, 'scheduled'), { kind: 'confirming', direction: 'better' });
  assert.deepEqual(decide({ ...crit, pending: { direction: 'better' } }, ok, 'confirm'), { kind: 'recovery' });
  assert.deepEqual(decide(ok, { status: 'warning', alarms: [] }, 'scheduled'), { kind: 'change' }, 'ok → warning alarms nobody');
  assert.deepEqual(decide(ok, { status: 'unknown', alarms: [] }, 'scheduled'), { kind: 'inconclusive' });
});

test('assess: a key no TLSA names, stripped -PLUS mechanisms and a key differing between vantages are alarms', () => {
  const direct = observe('direct', fakeReport('x.example', 'critical', { findings: [finding('dane.tlsa-stale', 'error', [EP])], endpoints: [{ label: EP, spki: ROGUE, dane: 'mismatch', mechanisms: ['SCRAM-SHA-1'] }] }));
  const tor = observe('tor', fakeReport('x.example', 'ok', { endpoints: [{ label: EP, spki: OLD, dane: 'match', mechanisms: ['SCRAM-SHA-1', 'SCRAM-SHA-1-PLUS'] }] }));
  const vf = compareVantages([direct, tor]);
  assert.deepEqual(vf.map((f) => [f.code, f.severity]), [['watch.vantage-differs', 'critical']]);
  const baseline = [{ endpoint: EP, protocol: 'xmpp-c2s', spkiSha256: OLD, mechanisms: ['SCRAM-SHA-1', 'SCRAM-SHA-1-PLUS'] }];
  const a = assess([direct, tor], vf, baseline);
  assert.equal(a.status, 'critical');
  assert.deepEqual(a.alarms, ['dane.tlsa-stale', `key-unpublished:${ROGUE}`, `sasl.plus-stripped:${EP}`, 'watch.vantage-differs']);
  assert.ok(a.findings.some((f) => f.vantage === 'watch'));
  // Same key both ways, only the chain differs: a warning, no alarm.
  const t2 = observe('tor', fakeReport('x.example', 'ok', { endpoints: [{ label: EP, spki: OLD, dane: 'match' }] }));
  const d2 = observe('direct', fakeReport('x.example', 'ok', { endpoints: [{ label: EP, spki: OLD, dane: 'match' }] }));
  d2.endpoints[0]!.chainSha256 = ['ff'];
  assert.deepEqual(compareVantages([d2, t2]).map((f) => f.severity), ['warning']);
  assert.equal(assess([d2, t2], compareVantages([d2, t2])).status, 'warning');
});

test('a MITM raises exactly one alert after the confirmation re-check, to confirmed subscribers only; a recovery follows when it clears', async () => {
  const h = await harness();
  try {
    const id = await h.add('x.example');
    await h.subscribe(id, 'admin@x.example');
    await h.subscribe(id, 'unconfirmed@x.example', false);
    const good = () => fakeReport('x.example', 'ok', { endpoints: [{ label: EP, spki: OLD, dane: 'match' }] });
    const mitm = () => fakeReport('x.example', 'critical', { findings: [finding('dane.tlsa-stale', 'error', [EP])], endpoints: [{ label: EP, spki: ROGUE, dane: 'mismatch' }] });
    h.results.set('x.example', good);
    await h.cycle();
    let d = (await getDomain(h.store.db, id))!;
    assert.equal(d.status, 'ok');

    h.results.set('x.example', mitm);
    h.clock.t = d.next_due_at;
    await h.cycle();
    d = (await getDomain(h.store.db, id))!;
    assert.equal(d.status, 'ok', 'not confirmed yet');
    assert.equal(d.pending_status, 'critical');
    assert.ok(d.next_due_at - h.clock.t <= TIMING.confirmDelayMs * 1.2, 'the confirmation re-check comes soon');
    assert.deepEqual(await deliveriesOf(h.store.db, { domainId: id }), [], 'nothing is sent before confirmation');

    h.clock.t = d.next_due_at;
    await h.cycle();
    assert.equal(h.checks.at(-1)?.purpose, 'confirm');
    d = (await getDomain(h.store.db, id))!;
    assert.equal(d.status, 'critical');
    assert.equal(d.pending_status, null);
    let out = await deliveriesOf(h.store.db, { domainId: id });
    assert.deepEqual(out.map((x) => [x.kind, x.target, x.status]), [['alert', 'admin@x.example', 'pending']]);
    const msg = JSON.parse(out[0]!.message) as AlertMessage;
    assert.equal(msg.kind, 'alert');
    assert.match(msg.subject, /^CRITICAL: x\.example: /);
    assert.equal(msg.previousStatus, 'ok');
    assert.ok(msg.text.includes(ROGUE), 'the rogue key is named');
    assert.ok(msg.text.split('\n').every((l) => l.length <= 100), 'lines ≤ 100 characters');
    assert.match(msg.links.unsubscribe, /^https:\/\/keywatch\.example\/api\/unsubscribe\?token=[A-Za-z0-9_-]{20,}$/);
    assert.equal(msg.state?.keys[0]?.spkiSha256, ROGUE);

    // The MITM persists for many checks: no second alert.
    for (let i = 0; i < 4; i++) {
      h.clock.t = (await getDomain(h.store.db, id))!.next_due_at;
      await h.cycle();
    }
    assert.equal((await deliveriesOf(h.store.db, { domainId: id })).length, 1);

    // It clears: confirmed, then one recovery.
    h.results.set('x.example', good);
    for (let i = 0; i < 3; i++) {
      h.clock.t = (await getDomain(h.store.db, id))!.next_due_at;
      await h.cycle();
    }
    out = await deliveriesOf(h.store.db, { domainId: id });
    assert.deepEqual(out.map((x) => x.kind), ['alert', 'recovery']);
    assert.match((JSON.parse(out[1]!.message) as AlertMessage).subject, /^RECOVERED: x\.example is OK again/);
    const transitions = await h.store.db.selectFrom('transitions').select(['kind', 'from_status', 'to_status']).where('domain_id', '=', id).orderBy('at').execute();
    assert.deepEqual(transitions.map((t) => `${t.kind}:${t.from_status}>${t.to_status}`), ['baseline:new>ok', 'alert:ok>critical', 'recovery:critical>ok']);

    // The outbox sends both through the channel's notifier, once each.
    await h.outbox.tick();
    assert.deepEqual(h.email.received.map((r) => [r.message.kind, r.target, r.attempt]), [['alert', 'admin@x.example', 1], ['recovery', 'admin@x.example', 1]]);
  } finally {
    await h.close();
  }
});

test('a blip the confirmation re-check does not see again raises nothing; a rollover by the procedure raises nothing', async () => {
  const h = await harness();
  try {
    const id = await h.add('x.example');
    await h.subscribe(id, 'admin@x.example');
    const with_ = (spki: string, dane: 'match' | 'mismatch', status: 'ok' | 'critical' = 'ok') =>
      fakeReport('x.example', status, { ...(status === 'critical' ? { findings: [finding('dane.tlsa-stale', 'error')] } : {}), endpoints: [{ label: EP, spki, dane }] });
    const next = async () => {
      h.clock.t = (await getDomain(h.store.db, id))!.next_due_at;
      await h.cycle();
    };
    h.results.set('x.example', () => with_(OLD, 'match'));
    await h.cycle();
    h.results.set('x.example', () => with_(ROGUE, 'mismatch', 'critical'));
    await next(); // seen once…
    h.results.set('x.example', () => with_(OLD, 'match'));
    await next(); // …but not by the re-check
    assert.equal((await getDomain(h.store.db, id))!.status, 'ok');
    // Rollover: the new key's TLSA record was published first, so the new key matches when it appears.
    h.results.set('x.example', () => with_(NEW, 'match'));
    await next();
    await next();
    assert.deepEqual(await deliveriesOf(h.store.db, { domainId: id }), []);
    const outcomes = (await h.store.db.selectFrom('runs').select('outcome').where('domain_id', '=', id).orderBy('started_at').execute()).map((r) => r.outcome);
    assert.deepEqual(outcomes, ['baseline', 'confirming', 'unconfirmed', 'steady', 'steady']);
  } finally {
    await h.close();
  }
});

test('per-subscriber rate limit: beyond the limit, alerts are kept but marked suppressed', async () => {
  const h = await harness({ rateLimit: 1 });
  try {
    const id = await h.add('x.example', 600_000); // checks every 10 minutes: alert and recovery fall in one hour's window
    await h.subscribe(id, 'admin@x.example');
    const good = () => fakeReport('x.example', 'ok', { endpoints: [{ label: EP, spki: OLD, dane: 'match' }] });
    const bad = () => fakeReport('x.example', 'critical', { findings: [finding('dane.tlsa-stale', 'error')], endpoints: [{ label: EP, spki: ROGUE, dane: 'mismatch' }] });
    h.results.set('x.example', good);
    await h.cycle();
    for (const r of [bad, bad, good, good]) {
      h.results.set('x.example', r);
      h.clock.t = (await getDomain(h.store.db, id))!.next_due_at;
      await h.cycle();
    }
    const out = await deliveriesOf(h.store.db, { domainId: id });
    assert.deepEqual(out.map((x) => [x.kind, x.status]), [['alert', 'pending'], ['recovery', 'suppressed']]);
    assert.match(out[1]!.last_error ?? '', /rate limit/);
  } finally {
    await h.close();
  }
});
