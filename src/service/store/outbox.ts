// The alert log and the outbox: every message to a subscriber is a delivery row written in the
// same transaction as the state change that caused it, then sent by the outbox worker, which
// claims due rows under a lease (a crash mid-send sends again after the lease: at least once,
// with a stable delivery id the receiver can use to drop the duplicate).
import type { Selectable } from 'kysely';
import { randomUUID } from 'node:crypto';
import type { Db } from './domains.ts';
import type { AlertsTable, DeliveriesTable } from './schema.ts';

export type AlertRow = Selectable<AlertsTable>;
export type DeliveryRow = Selectable<DeliveriesTable>;
export type DeliveryStatus = 'pending' | 'sent' | 'failed' | 'suppressed' | 'cancelled';

export async function insertAlert(db: Db, a: Omit<AlertRow, 'id'>): Promise<string> {
  const id = randomUUID();
  await db.insertInto('alerts').values({ id, ...a }).execute();
  return id;
}

export async function insertDelivery(db: Db, d: Omit<DeliveryRow, 'id' | 'attempts' | 'claimed_until' | 'sent_at'>): Promise<string> {
  const id = randomUUID();
  await db.insertInto('deliveries').values({ id, attempts: 0, claimed_until: null, sent_at: null, ...d }).execute();
  return id;
}

/** Claim up to `limit` pending deliveries that are due, until now + leaseMs. */
export async function claimDueDeliveries(db: Db, now: number, leaseMs: number, limit: number): Promise<DeliveryRow[]> {
  if (limit <= 0) return [];
  const candidates = await db
    .selectFrom('deliveries')
    .select('id')
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', now)
    .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]))
    .orderBy('next_attempt_at')
    .limit(limit)
    .execute();
  const out: DeliveryRow[] = [];
  for (const { id } of candidates) {
    const r = await db
      .updateTable('deliveries')
      .set({ claimed_until: now + leaseMs })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .where((eb) => eb.or([eb('claimed_until', 'is', null), eb('claimed_until', '<', now)]))
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) continue;
    const row = await db.selectFrom('deliveries').selectAll().where('id', '=', id).executeTakeFirst();
    if (row) out.push(row);
  }
  return out;
}

export async function markSent(db: Db, id: string, now: number, attempts: number): Promise<void> {
  await db.updateTable('deliveries').set({ status: 'sent', sent_at: now, attempts, claimed_until: null, last_error: null }).where('id', '=', id).execute();
}

export async function markRetry(db: Db, id: string, attempts: number, nextAt: number, error: string): Promise<void> {
  await db.updateTable('deliveries').set({ status: 'pending', attempts, next_attempt_at: nextAt, claimed_until: null, last_error: error }).where('id', '=', id).execute();
}

export async function markFailed(db: Db, id: string, attempts: number, error: string): Promise<void> {
  await db.updateTable('deliveries').set({ status: 'failed', attempts, claimed_until: null, last_error: error }).where('id', '=', id).execute();
}

/** Pending messages of a subscription that ended, except the goodbye itself. */
export async function cancelPending(db: Db, subscriptionId: string): Promise<void> {
  await db.updateTable('deliveries').set({ status: 'cancelled', claimed_until: null }).where('subscription_id', '=', subscriptionId).where('status', '=', 'pending').where('kind', '!=', 'unsubscribed').execute();
}

export async function countByStatus(db: Db): Promise<Record<string, number>> {
  const rows = await db.selectFrom('deliveries').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('status').execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

export async function deliveriesOf(db: Db, filter: { domainId?: string; subscriptionId?: string } = {}): Promise<DeliveryRow[]> {
  let q = db.selectFrom('deliveries').selectAll();
  if (filter.domainId) q = q.where('domain_id', '=', filter.domainId);
  if (filter.subscriptionId) q = q.where('subscription_id', '=', filter.subscriptionId);
  return q.orderBy('created_at').orderBy('id').execute();
}

export async function alertsOf(db: Db, domainId: string, limit = 50): Promise<AlertRow[]> {
  return db.selectFrom('alerts').selectAll().where('domain_id', '=', domainId).orderBy('created_at', 'desc').limit(limit).execute();
}

/** The earliest time a pending delivery is due. */
export async function earliestDelivery(db: Db): Promise<number | undefined> {
  const r = await db.selectFrom('deliveries').select((eb) => eb.fn.min('next_attempt_at').as('t')).where('status', '=', 'pending').executeTakeFirst();
  return r?.t === null || r?.t === undefined ? undefined : Number(r.t);
}
