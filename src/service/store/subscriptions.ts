// Subscribers of a domain: one row per (domain, channel, target). Email subscriptions start
// unconfirmed with a double opt-in token (only its SHA-256 is stored); unsubscribing keeps the row
// (and its history) with unsubscribed_at set. The rate limit is a fixed window per subscription.
import type { Selectable } from 'kysely';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Db } from './domains.ts';
import type { SubscriptionsTable } from './schema.ts';

export type SubscriptionRow = Selectable<SubscriptionsTable>;

export const newToken = (): string => randomBytes(24).toString('base64url');
export const tokenHash = (token: string): string => createHash('sha256').update(token).digest('hex');

export interface SubscribeInput {
  domainId: string;
  channel: string;
  target: string;
  origin: string;
  now: number;
  /** Confirmed at once (the XMPP bot: the JID spoke for itself) or by a token (email). */
  confirm: { kind: 'now' } | { kind: 'token'; tokenHash: string; expiresAt: number };
  secret?: string;
}

export type SubscribeOutcome =
  | { kind: 'created'; row: SubscriptionRow }
  /** Existed unconfirmed or unsubscribed: renewed with fresh tokens. */
  | { kind: 'renewed'; row: SubscriptionRow }
  | { kind: 'exists'; row: SubscriptionRow };

export async function findSubscription(db: Db, domainId: string, channel: string, target: string): Promise<SubscriptionRow | undefined> {
  return db.selectFrom('subscriptions').selectAll().where('domain_id', '=', domainId).where('channel', '=', channel).where('target', '=', target).executeTakeFirst();
}

export async function subscribe(db: Db, s: SubscribeInput): Promise<SubscribeOutcome> {
  const confirmed = s.confirm.kind === 'now' ? s.now : null;
  const confirmHash = s.confirm.kind === 'token' ? s.confirm.tokenHash : null;
  const confirmExpires = s.confirm.kind === 'token' ? s.confirm.expiresAt : null;
  const existing = await findSubscription(db, s.domainId, s.channel, s.target);
  if (existing && existing.unsubscribed_at === null && existing.confirmed_at !== null) return { kind: 'exists', row: existing };
  if (existing) {
    await db
      .updateTable('subscriptions')
      .set({ confirmed_at: confirmed, confirm_token_hash: confirmHash, confirm_expires_at: confirmExpires, unsubscribed_at: null, unsubscribe_token: newToken(), origin: s.origin, ...(s.secret ? { secret: s.secret } : {}) })
      .where('id', '=', existing.id)
      .execute();
    return { kind: 'renewed', row: (await getSubscription(db, existing.id))! };
  }
  const id = randomUUID();
  await db
    .insertInto('subscriptions')
    .values({
      id,
      domain_id: s.domainId,
      channel: s.channel,
      target: s.target,
      created_at: s.now,
      origin: s.origin,
      confirmed_at: confirmed,
      confirm_token_hash: confirmHash,
      confirm_expires_at: confirmExpires,
      unsubscribe_token: newToken(),
      secret: s.secret ?? null,
      unsubscribed_at: null,
      window_start: 0,
      window_count: 0,
    })
    .execute();
  return { kind: 'created', row: (await getSubscription(db, id))! };
}

export async function getSubscription(db: Db, id: string): Promise<SubscriptionRow | undefined> {
  return db.selectFrom('subscriptions').selectAll().where('id', '=', id).executeTakeFirst();
}

export type ConfirmOutcome = { kind: 'confirmed' | 'already'; row: SubscriptionRow } | { kind: 'expired'; row: SubscriptionRow } | { kind: 'unknown' };

export async function confirmByToken(db: Db, token: string, now: number): Promise<ConfirmOutcome> {
  const row = await db.selectFrom('subscriptions').selectAll().where('confirm_token_hash', '=', tokenHash(token)).executeTakeFirst();
  if (!row || row.unsubscribed_at !== null) return { kind: 'unknown' };
  if (row.confirmed_at !== null) return { kind: 'already', row };
  if (row.confirm_expires_at !== null && row.confirm_expires_at < now) return { kind: 'expired', row };
  await db.updateTable('subscriptions').set({ confirmed_at: now }).where('id', '=', row.id).execute();
  return { kind: 'confirmed', row: { ...row, confirmed_at: now } };
}

export async function byUnsubscribeToken(db: Db, token: string): Promise<SubscriptionRow | undefined> {
  return db.selectFrom('subscriptions').selectAll().where('unsubscribe_token', '=', token).executeTakeFirst();
}

export async function markUnsubscribed(db: Db, id: string, now: number): Promise<void> {
  await db.updateTable('subscriptions').set({ unsubscribed_at: now, confirm_token_hash: null }).where('id', '=', id).where('unsubscribed_at', 'is', null).execute();
}

/** Confirmed, not unsubscribed: who hears about this domain. */
export async function activeSubscriptions(db: Db, domainId: string): Promise<SubscriptionRow[]> {
  return db.selectFrom('subscriptions').selectAll().where('domain_id', '=', domainId).where('confirmed_at', 'is not', null).where('unsubscribed_at', 'is', null).orderBy('created_at').execute();
}

export async function countActiveSubscriptions(db: Db, domainId: string): Promise<number> {
  const r = await db
    .selectFrom('subscriptions')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('domain_id', '=', domainId)
    .where('confirmed_at', 'is not', null)
    .where('unsubscribed_at', 'is', null)
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

/** The domains (name, service) a target hears about on a channel. */
export async function domainsOfTarget(db: Db, channel: string, target: string): Promise<Array<{ name: string; service: string }>> {
  return db
    .selectFrom('subscriptions')
    .innerJoin('domains', 'domains.id', 'subscriptions.domain_id')
    .select(['domains.name as name', 'domains.service as service'])
    .where('subscriptions.channel', '=', channel)
    .where('subscriptions.target', '=', target)
    .where('subscriptions.confirmed_at', 'is not', null)
    .where('subscriptions.unsubscribed_at', 'is', null)
    .orderBy('domains.name')
    .execute();
}

/**
 * Take one message slot of the subscription's window (`limit` per `windowMs`); false when the
 * window is full. Call inside the transaction that creates the delivery.
 */
export async function takeRateSlot(db: Db, sub: Pick<SubscriptionRow, 'id'>, now: number, windowMs: number, limit: number): Promise<boolean> {
  const row = await db.selectFrom('subscriptions').select(['window_start', 'window_count']).where('id', '=', sub.id).executeTakeFirst();
  if (!row) return false;
  if (now - row.window_start >= windowMs) {
    await db.updateTable('subscriptions').set({ window_start: now, window_count: 1 }).where('id', '=', sub.id).execute();
    return true;
  }
  if (row.window_count >= limit) return false;
  await db.updateTable('subscriptions').set({ window_count: row.window_count + 1 }).where('id', '=', sub.id).execute();
  return true;
}
