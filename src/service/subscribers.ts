// Subscribing, confirming and unsubscribing, for every face (JSON API, XMPP bot): the rules in
// one place. Email needs double opt-in (a confirm-subscription message with a link); a webhook is
// confirmed at once and gets its HMAC key in the answer; an XMPP user who asks the bot is
// confirmed by asking (the message came from that JID). Messages go through the outbox, counted
// against the subscriber's rate limit like alerts.
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { classifyAddress } from '../audit/address-policy.ts';
import type { Channel } from './contracts.ts';
import { confirmMessage, subscribedMessage, type Links } from './messages.ts';
import type { Db, DomainRow } from './store/domains.ts';
import { getDomain } from './store/domains.ts';
import { cancelPending, insertDelivery } from './store/outbox.ts';
import type { Store } from './store/store.ts';
import { byUnsubscribeToken, confirmByToken, markUnsubscribed, newToken, subscribe, takeRateSlot, tokenHash, findSubscription, type SubscriptionRow } from './store/subscriptions.ts';
import { loadDomainState } from './views.ts';
import type { RateLimit } from './watcher.ts';

export class SubscriptionError extends Error {
  override name = 'SubscriptionError';
  constructor(
    readonly code: 'invalid-target' | 'channel-unavailable' | 'rate-limited' | 'unknown-token' | 'expired-token',
    message: string,
  ) {
    super(message);
  }
}

export interface SubscribersOptions {
  store: Store;
  links: Links;
  /** Channels that have a notifier (read at each request: the service's notifier map). */
  channels: { has(channel: Channel): boolean };
  confirmTtlMs: number;
  rate: RateLimit;
  allowPrivate: boolean;
  now: () => number;
  onDeliveries?: () => void;
}

export type SubscribeResult =
  | { status: 'confirmation-sent'; subscriptionId: string }
  | { status: 'subscribed'; subscriptionId: string; secret?: string }
  | { status: 'already-subscribed'; subscriptionId: string };

// \s covers tabs and line breaks; other control characters are refused separately (hasControl).
const EMAIL = /^[^\s@<>()[\]\\,;:"]{1,64}@[a-z0-9-]+(\.[a-z0-9-]+)+$/i;
const BARE_JID = /^[^\s@/"&'<>:]{1,1023}@[a-z0-9.-]+$/i;
const hasControl = (s: string) => [...s].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f);

/** Checks a target's shape for its channel and returns it normalised. */
export function normalizeTarget(channel: Channel, target: unknown, allowPrivate: boolean): string {
  if (typeof target !== 'string' || target.trim() === '') throw new SubscriptionError('invalid-target', 'target: required');
  const t = target.trim();
  if (t.length > 2000) throw new SubscriptionError('invalid-target', 'target: too long');
  if (hasControl(t)) throw new SubscriptionError('invalid-target', 'target: control characters are not allowed');
  switch (channel) {
    case 'email':
      if (!EMAIL.test(t) || t.length > 254) throw new SubscriptionError('invalid-target', 'target: not an email address (name@example.org)');
      return t.replace(/@.*$/, (d) => d.toLowerCase());
    case 'xmpp':
      if (!BARE_JID.test(t)) throw new SubscriptionError('invalid-target', 'target: not a bare JID (user@example.org)');
      return t.toLowerCase();
    case 'webhook': {
      let url: URL;
      try {
        url = new URL(t);
      } catch {
        throw new SubscriptionError('invalid-target', 'target: not a URL');
      }
      if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:')) throw new SubscriptionError('invalid-target', 'target: a webhook URL must be https://');
      if (url.username || url.password) throw new SubscriptionError('invalid-target', 'target: no credentials in the URL; the HMAC signature authenticates the service');
      const host = url.hostname.replace(/^\[|\]$/g, '');
      if (!allowPrivate && (host === 'localhost' || host.endsWith('.localhost') || !host.includes('.') || (isIP(host) && !classifyAddress(host).public))) {
        throw new SubscriptionError('invalid-target', 'target: the webhook host is not a public address');
      }
      return url.toString();
    }
    case 'pubsub':
      throw new SubscriptionError('channel-unavailable', 'PubSub subscriptions are made with an XMPP client on the node itself');
  }
}

export class Subscribers {
  constructor(private readonly o: SubscribersOptions) {}

  private input(d: DomainRow, unsubscribeToken: string) {
    return { domain: d.name, service: d.service, page: this.o.links.page(d.name, d.service), unsubscribe: this.o.links.unsubscribe(unsubscribeToken) };
  }

  async subscribe(d: DomainRow, channel: Channel, targetIn: unknown, origin: 'api' | 'xmpp-bot'): Promise<SubscribeResult> {
    const { o } = this;
    if (!o.channels.has(channel)) throw new SubscriptionError('channel-unavailable', `channel: ${channel} messages are not configured on this service`);
    const target = normalizeTarget(channel, targetIn, o.allowPrivate);
    const now = o.now();
    const state = await loadDomainState(o.store.db, d, o.links);
    let queued = false;
    const result = await o.store.transaction(async (trx): Promise<SubscribeResult> => {
      if (channel === 'email') {
        const token = newToken();
        const out = await subscribe(trx, { domainId: d.id, channel, target, origin, now, confirm: { kind: 'token', tokenHash: tokenHash(token), expiresAt: now + o.confirmTtlMs } });
        if (out.kind === 'exists') return { status: 'already-subscribed', subscriptionId: out.row.id };
        const msg = confirmMessage(this.input(d, out.row.unsubscribe_token), channel, target, o.links.confirm(token), Math.round(o.confirmTtlMs / 3_600_000));
        queued = await this.queue(trx, d, out.row, msg.kind, JSON.stringify(msg), now, true);
        return { status: 'confirmation-sent', subscriptionId: out.row.id };
      }
      const secret = channel === 'webhook' ? randomBytes(32).toString('base64url') : undefined;
      const out = await subscribe(trx, { domainId: d.id, channel, target, origin, now, confirm: { kind: 'now' }, ...(secret ? { secret } : {}) });
      if (out.kind === 'exists') return { status: 'already-subscribed', subscriptionId: out.row.id };
      // The bot answers in the chat itself; a webhook gets a first signed message, which shows the set-up works.
      if (channel === 'webhook') {
        const msg = subscribedMessage(this.input(d, out.row.unsubscribe_token), state);
        queued = await this.queue(trx, d, out.row, msg.kind, JSON.stringify(msg), now, false);
      }
      return { status: 'subscribed', subscriptionId: out.row.id, ...(secret ? { secret } : {}) };
    });
    if (queued) o.onDeliveries?.();
    return result;
  }

  /** Queue a message to one subscriber; with `strict`, a full rate window refuses the request instead. */
  private async queue(trx: Db, d: DomainRow, sub: SubscriptionRow, kind: string, message: string, now: number, strict: boolean): Promise<boolean> {
    const allowed = await takeRateSlot(trx, sub, now, this.o.rate.windowMs, this.o.rate.limit);
    if (!allowed && strict) throw new SubscriptionError('rate-limited', `too many messages to ${sub.target} lately; try again later`);
    await insertDelivery(trx, {
      alert_id: null,
      subscription_id: sub.id,
      domain_id: d.id,
      channel: sub.channel,
      target: sub.target,
      kind,
      message,
      status: allowed ? 'pending' : 'suppressed',
      next_attempt_at: now,
      last_error: allowed ? null : 'rate limit',
      created_at: now,
    });
    return allowed;
  }

  /** Double opt-in: the link's token confirms the subscription; a welcome message with the current state follows. */
  async confirm(token: unknown): Promise<{ status: 'confirmed' | 'already-confirmed'; domain: string; service: string; channel: string; target: string }> {
    const { o } = this;
    if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{16,100}$/.test(token)) throw new SubscriptionError('unknown-token', 'token: unknown or already used');
    const now = o.now();
    let queued = false;
    const out = await o.store.transaction(async (trx) => {
      const r = await confirmByToken(trx, token, now);
      if (r.kind === 'unknown') throw new SubscriptionError('unknown-token', 'token: unknown or already used');
      if (r.kind === 'expired') throw new SubscriptionError('expired-token', 'token: this confirmation link has expired; subscribe again for a new one');
      const d = (await getDomain(trx, r.row.domain_id))!;
      if (r.kind === 'confirmed') {
        const state = await loadDomainState(trx, d, o.links);
        const msg = subscribedMessage(this.input(d, r.row.unsubscribe_token), state);
        queued = await this.queue(trx, d, r.row, msg.kind, JSON.stringify(msg), now, false);
      }
      return { status: r.kind === 'confirmed' ? ('confirmed' as const) : ('already-confirmed' as const), domain: d.name, service: d.service, channel: r.row.channel, target: r.row.target };
    });
    if (queued) o.onDeliveries?.();
    return out;
  }

  /** One-click unsubscribe by the token every message carries; pending messages to it are cancelled. */
  async unsubscribeByToken(token: unknown): Promise<{ status: 'unsubscribed' | 'already-unsubscribed'; domain: string; service: string; channel: string; target: string }> {
    const { o } = this;
    if (typeof token !== 'string' || !/^[A-Za-z0-9_-]{16,100}$/.test(token)) throw new SubscriptionError('unknown-token', 'token: unknown');
    return o.store.transaction(async (trx) => {
      const row = await byUnsubscribeToken(trx, token);
      if (!row) throw new SubscriptionError('unknown-token', 'token: unknown');
      const d = (await getDomain(trx, row.domain_id))!;
      const already = row.unsubscribed_at !== null;
      if (!already) {
        await markUnsubscribed(trx, row.id, o.now());
        await cancelPending(trx, row.id);
      }
      return { status: already ? ('already-unsubscribed' as const) : ('unsubscribed' as const), domain: d.name, service: d.service, channel: row.channel, target: row.target };
    });
  }

  /** Unsubscribe a known target (the XMPP bot's `unsubscribe DOMAIN`). */
  async unsubscribeTarget(d: DomainRow, channel: Channel, target: string): Promise<boolean> {
    const { o } = this;
    return o.store.transaction(async (trx) => {
      const row = await findSubscription(trx, d.id, channel, target);
      if (!row || row.unsubscribed_at !== null) return false;
      await markUnsubscribed(trx, row.id, o.now());
      await cancelPending(trx, row.id);
      return true;
    });
  }
}
