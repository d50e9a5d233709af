// Watched domains: adding, claiming due work under a lease, releasing it. Claims are optimistic
// (an UPDATE that only succeeds while the row is unclaimed or its lease has expired), so several
// workers on one PostgreSQL database never run the same domain at once, and a crashed worker's
// domains are picked up again once its leases expire (or at once when it restarts).
import type { Kysely, Selectable } from 'kysely';
import { randomUUID } from 'node:crypto';
import type { Database, DomainsTable } from './schema.ts';

export type Db = Kysely<Database>;
export type DomainRow = Selectable<DomainsTable>;

export async function findDomain(db: Db, name: string, service: string): Promise<DomainRow | undefined> {
  return db.selectFrom('domains').selectAll().where('name', '=', name).where('service', '=', service).executeTakeFirst();
}

export async function getDomain(db: Db, id: string): Promise<DomainRow | undefined> {
  return db.selectFrom('domains').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Watch a domain (again): a new row is due at once; an existing one is reactivated. */
export async function addDomain(db: Db, d: { name: string; service: string; intervalMs: number; now: number }): Promise<{ row: DomainRow; created: boolean }> {
  const inserted = await db
    .insertInto('domains')
    .values({
      id: randomUUID(),
      name: d.name,
      service: d.service,
      interval_ms: d.intervalMs,
      active: 1,
      created_at: d.now,
      next_due_at: d.now,
      consecutive_failures: 0,
      status: 'new',
      alarms: '[]',
    })
    .onConflict((oc) => oc.columns(['name', 'service']).doNothing())
    .executeTakeFirst();
  const created = Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1;
  if (!created) await db.updateTable('domains').set({ active: 1 }).where('name', '=', d.name).where('service', '=', d.service).where('active', '=', 0).execute();
  const row = await findDomain(db, d.name, d.service);
  if (!row) throw new Error(`domain ${d.name} vanished while being added`);
  return { row, created };
}

export async function countActive(db: Db): Promise<number> {
  const r = await db.selectFrom('domains').select((eb) => eb.fn.countAll<number>().as('n')).where('active', '=', 1).executeTakeFirst();
  return Number(r?.n ?? 0);
}

export async function listDomains(db: Db, limit = 100, offset = 0): Promise<DomainRow[]> {
  return db.selectFrom('domains').selectAll().where('active', '=', 1).orderBy('name').orderBy('service').limit(limit).offset(offset).execute();
}

/** Claim up to `limit` due domains for `worker` until now + leaseMs; returns the claimed rows. */
export async function claimDue(db: Db, worker: string, now: number, leaseMs: number, limit: number, exclude: ReadonlySet<string> = new Set()): Promise<DomainRow[]> {
  if (limit <= 0) return [];
  const candidates = await db
    .selectFrom('domains')
    .select('id')
    .where('active', '=', 1)
    .where('next_due_at', '<=', now)
    .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]))
    .orderBy('next_due_at')
    .limit(limit + exclude.size)
    .execute();
  const claimed: DomainRow[] = [];
  for (const { id } of candidates) {
    if (claimed.length >= limit) break;
    if (exclude.has(id)) continue;
    const r = await db
      .updateTable('domains')
      .set({ claimed_by: worker, claimed_until: now + leaseMs })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]))
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) continue; // another worker was faster
    const row = await getDomain(db, id);
    if (row) claimed.push(row);
  }
  return claimed;
}

/** At start: this worker's leases from before a crash are void, their domains due as they were. */
export async function releaseClaims(db: Db, worker: string): Promise<number> {
  const r = await db.updateTable('domains').set({ claimed_by: null, claimed_until: null }).where('claimed_by', '=', worker).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Give a claimed domain back unfinished (shutdown): due at `dueAt`. */
export async function requeue(db: Db, id: string, worker: string, dueAt: number): Promise<void> {
  await db.updateTable('domains').set({ claimed_by: null, claimed_until: null, next_due_at: dueAt }).where('id', '=', id).where('claimed_by', '=', worker).execute();
}

/** The earliest time any unclaimed active domain is due (undefined when none is watched). */
export async function earliestDue(db: Db): Promise<number | undefined> {
  const r = await db.selectFrom('domains').select((eb) => eb.fn.min('next_due_at').as('t')).where('active', '=', 1).where('claimed_by', 'is', null).executeTakeFirst();
  return r?.t === null || r?.t === undefined ? undefined : Number(r.t);
}

export async function setDomainInterval(db: Db, id: string, intervalMs: number): Promise<void> {
  await db.updateTable('domains').set({ interval_ms: intervalMs }).where('id', '=', id).execute();
}

export async function setControl(db: Db, id: string, hash: string, now: number): Promise<void> {
  await db.updateTable('domains').set({ control_hash: hash, control_proven_at: now }).where('id', '=', id).execute();
}
