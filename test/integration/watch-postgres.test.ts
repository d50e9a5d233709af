// The store's one query layer on PostgreSQL (a throw-away server, not the lab): migrations on a
// fresh database and from an earlier version, claims that two workers race for, and the whole
// alert path — baseline, a MITM confirmed and alerted once, recovery, the outbox sending both.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { appliedMigrations, migrate, MIGRATIONS } from '../../src/service/store/migrations.ts';
import { openDatabase } from '../../src/service/store/open.ts';
import { Store } from '../../src/service/store/store.ts';
import { addDomain, claimDue, findDomain, getDomain } from '../../src/service/store/domains.ts';
import { deliveriesOf } from '../../src/service/store/outbox.ts';
import { fakeReport, finding } from '../unit/service/fake-report.ts';
import { harness } from '../unit/service/harness.ts';

let pg: TestPostgres;
before(async () => (pg = await startPostgres()), { timeout: 60_000 });
after(async () => pg?.stop());

async function freshDatabase(name: string): Promise<string> {
  const admin = openDatabase({ kind: 'postgres', url: pg.url });
  await sql.raw(`create database ${name}`).execute(admin.db);
  await admin.close();
  return pg.url.replace(/\/postgres$/, `/${name}`);
}

test('migrations: fresh, and from the first version with rows kept; times come back as numbers', async () => {
  const all = Object.keys(MIGRATIONS).sort();
  const url = await freshDatabase('kw_migrate');
  const old = openDatabase({ kind: 'postgres', url });
  assert.deepEqual(await migrate(old.db, all[0]), [all[0]]);
  await sql`insert into domains (id, name, service, interval_ms, active, created_at, next_due_at, consecutive_failures, status, alarms) values ('d1', 'example.org', 'xmpp', 60000, 1, 1, ${Date.UTC(2030, 0, 1)}, 0, 'ok', '[]')`.execute(old.db);
  await old.close();
  const store = await Store.open({ kind: 'postgres', url });
  try {
    assert.equal(store.kind, 'postgres');
    assert.deepEqual(await appliedMigrations(store.db), all);
    const row = await findDomain(store.db, 'example.org', 'xmpp');
    assert.equal(row?.next_due_at, Date.UTC(2030, 0, 1), 'bigint milliseconds read back as a number');
    assert.equal(row?.control_hash, null);
    assert.deepEqual(await migrate(store.db), []);
  } finally {
    await store.close();
  }
});

test('claims: two workers racing for the same due domains never get the same one', async () => {
  const store = await Store.open({ kind: 'postgres', url: await freshDatabase('kw_claims') });
  try {
    const now = Date.UTC(2030, 0, 1);
    for (let i = 0; i < 20; i++) await addDomain(store.db, { name: `d${i}.example`, service: 'xmpp', intervalMs: 60_000, now });
    const [a, b] = await Promise.all([claimDue(store.db, 'a', now, 60_000, 15), claimDue(store.db, 'b', now, 60_000, 15)]);
    const ids = [...a, ...b].map((d) => d.id);
    assert.equal(new Set(ids).size, ids.length, 'no domain claimed twice');
    assert.ok(a.length > 0 && b.length > 0, `both got work (a ${a.length}, b ${b.length})`);
    // A worker that lost a race for some candidates takes the rest on its next tick.
    const [a2, b2] = await Promise.all([claimDue(store.db, 'a', now, 60_000, 15), claimDue(store.db, 'b', now, 60_000, 15)]);
    const all = [...ids, ...[...a2, ...b2].map((d) => d.id)];
    assert.equal(new Set(all).size, all.length, 'still none twice');
    assert.equal(all.length, 20, 'every due domain claimed once');
  } finally {
    await store.close();
  }
});

test('the alert path on PostgreSQL: one alert after confirmation, one recovery, both sent', async () => {
  const h = await harness({ database: { kind: 'postgres', url: await freshDatabase('kw_alerts') } });
  try {
    const EP = 'xmpp.x.example:5222 (192.0.2.1)';
    const id = await h.add('x.example');
    await h.subscribe(id, 'admin@x.example');
    const good = () => fakeReport('x.example', 'ok', { endpoints: [{ label: EP, spki: '11'.repeat(32), dane: 'match' }] });
    const mitm = () => fakeReport('x.example', 'critical', { findings: [finding('dane.tlsa-stale', 'error', [EP])], endpoints: [{ label: EP, spki: 'ee'.repeat(32), dane: 'mismatch' }] });
    for (const r of [good, mitm, mitm, mitm, good, good]) {
      h.results.set('x.example', r);
      h.clock.t = (await getDomain(h.store.db, id))!.next_due_at;
      await h.cycle();
    }
    const out = await deliveriesOf(h.store.db, { domainId: id });
    assert.deepEqual(out.map((d) => d.kind), ['alert', 'recovery']);
    await h.outbox.tick();
    assert.deepEqual(h.email.received.map((d) => d.message.kind), ['alert', 'recovery']);
    const outcomes = (await h.store.db.selectFrom('runs').select('outcome').where('domain_id', '=', id).orderBy('started_at').execute()).map((r) => r.outcome);
    assert.deepEqual(outcomes, ['baseline', 'confirming', 'alert', 'steady', 'confirming', 'recovery']);
  } finally {
    await h.close();
  }
});
