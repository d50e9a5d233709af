// The store's migrations on a fresh database and on one left at an earlier version (its rows
// survive), the SQLite settings the service relies on, and that migrating twice does nothing.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { appliedMigrations, migrate, MIGRATIONS } from '../../../src/service/store/migrations.ts';
import { openDatabase } from '../../../src/service/store/open.ts';
import { Store } from '../../../src/service/store/store.ts';
import { addDomain, findDomain } from '../../../src/service/store/domains.ts';

let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'keywatch-store-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

const ALL = Object.keys(MIGRATIONS).sort();

test('a fresh database gets every migration, WAL, foreign keys and a busy timeout', async () => {
  const file = join(dir, 'fresh', 'keywatch.sqlite');
  const store = await Store.open({ kind: 'sqlite', file });
  try {
    assert.deepEqual(await appliedMigrations(store.db), ALL);
    const pragma = async (name: string) => Object.values((await sql.raw(`pragma ${name}`).execute(store.db)).rows[0] as object)[0] as unknown;
    assert.equal(pragma && (await pragma('journal_mode')), 'wal');
    assert.equal(await pragma('foreign_keys'), 1);
    assert.equal(await pragma('busy_timeout'), 5000);
    const tables = (await sql<{ name: string }>`select name from sqlite_master where type = 'table' order by name`.execute(store.db)).rows.map((r) => r.name);
    for (const t of ['domains', 'runs', 'observations', 'findings', 'transitions', 'subscriptions', 'alerts', 'deliveries']) assert.ok(tables.includes(t), `table ${t}: ${tables.join(', ')}`);
    // Foreign keys are enforced: a run for a domain that does not exist is refused.
    await assert.rejects(
      store.db.insertInto('runs').values({ id: 'r', domain_id: 'nope', purpose: 'scheduled', started_at: 0, finished_at: 0, status: 'ok', summary: '', alarms: '[]', outcome: 'steady', error: null }).execute(),
      /FOREIGN KEY/,
    );
  } finally {
    await store.close();
  }
});

test('an existing database at an earlier version is migrated forward and keeps its rows; a second start migrates nothing', async () => {
  const file = join(dir, 'old', 'keywatch.sqlite');
  const old = openDatabase({ kind: 'sqlite', file });
  assert.deepEqual(await migrate(old.db, ALL[0]), [ALL[0]]);
  // A domain written by the old version (no proof-of-control columns yet).
  await sql`insert into domains (id, name, service, interval_ms, active, created_at, next_due_at, consecutive_failures, status, alarms) values ('d1', 'example.org', 'xmpp', 60000, 1, 1, 2, 0, 'ok', '[]')`.execute(old.db);
  await assert.rejects(sql`select control_hash from domains`.execute(old.db), /no such column/);
  await old.close();

  const store = await Store.open({ kind: 'sqlite', file });
  try {
    assert.deepEqual(await appliedMigrations(store.db), ALL);
    const row = await findDomain(store.db, 'example.org', 'xmpp');
    assert.equal(row?.id, 'd1');
    assert.equal(row?.status, 'ok');
    assert.equal(row?.control_hash, null);
    assert.equal(row?.next_due_at, 2);
    assert.deepEqual(await migrate(store.db), [], 'nothing left to run');
    // The new tables work alongside the old rows.
    const added = await addDomain(store.db, { name: 'example.net', service: 'xmpp', intervalMs: 1000, now: 5 });
    assert.equal(added.created, true);
    assert.equal((await addDomain(store.db, { name: 'example.net', service: 'xmpp', intervalMs: 1000, now: 6 })).created, false, 'adding twice keeps one row');
  } finally {
    await store.close();
  }
});

test('a database that cannot be opened is one clear error', async () => {
  const { DatabaseOpenError } = await import('../../../src/service/store/open.ts');
  const blocker = join(dir, 'a-file');
  writeFileSync(blocker, 'not a directory');
  assert.throws(() => openDatabase({ kind: 'sqlite', file: join(blocker, 'x.sqlite') }), (e: unknown) => e instanceof DatabaseOpenError && e.message.includes(`cannot open the SQLite database ${blocker}`));
});
