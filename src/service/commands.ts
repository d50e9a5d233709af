// SubscriptionCommands (contracts.ts) for the XMPP chat bot and any other command interface:
// `subscribe DOMAIN`, `unsubscribe DOMAIN`, `status DOMAIN`, `list`. Answers are one short line
// of plain text for the chat; refusals say why.
import type { Channel, DomainState, SubscriptionCommands } from './contracts.ts';
import type { Links } from './messages.ts';
import type { RateLimiter } from './rate-limit.ts';
import { findDomain, type DomainRow } from './store/domains.ts';
import type { Store } from './store/store.ts';
import { domainsOfTarget } from './store/subscriptions.ts';
import { SubscriptionError, type Subscribers } from './subscribers.ts';
import { normalizeDomain, TargetError } from './targets.ts';
import { loadDomainState } from './views.ts';

export interface CommandDeps {
  store: Store;
  links: Links;
  subscribers: Subscribers;
  /** Watch a domain (vetted like POST /api/domains); returns its row. */
  watch: (domain: string, service: string) => Promise<DomainRow>;
  limiter: RateLimiter;
  allowPrivate: boolean;
}

const SERVICE = 'xmpp';

export function subscriptionCommands(d: CommandDeps): SubscriptionCommands {
  const refuse = (e: unknown): { ok: false; message: string } => {
    if (e instanceof TargetError || e instanceof SubscriptionError) return { ok: false, message: e.message };
    throw e;
  };
  return {
    async subscribe(domainText: string, channel: Channel, target: string) {
      try {
        const limited = d.limiter.take(`${channel}:${target}`);
        if (!limited.ok) return { ok: false, message: `Too many requests; try again in ${Math.ceil(limited.retryAfterMs / 60000)} minutes.` };
        const row = await d.watch(domainText, SERVICE);
        const r = await d.subscribers.subscribe(row, channel, target, 'xmpp-bot');
        const page = d.links.page(row.name, row.service);
        if (r.status === 'already-subscribed') return { ok: true, message: `You are already subscribed to ${row.name}. ${page}` };
        if (r.status === 'confirmation-sent') return { ok: true, message: `A confirmation message is on its way to ${target}.` };
        return { ok: true, message: `Subscribed to ${row.name}: you will hear when its keys stop matching, and when that clears. ${page}` };
      } catch (e) {
        return refuse(e);
      }
    },
    async unsubscribe(domainText: string, channel: Channel, target: string) {
      try {
        const name = normalizeDomain(domainText, d.allowPrivate);
        const row = await findDomain(d.store.db, name, SERVICE);
        const done = row ? await d.subscribers.unsubscribeTarget(row, channel, target) : false;
        return done ? { ok: true, message: `Unsubscribed from ${name}.` } : { ok: false, message: `You were not subscribed to ${name}.` };
      } catch (e) {
        return refuse(e);
      }
    },
    async status(domainText: string): Promise<DomainState | undefined> {
      let name: string;
      try {
        name = normalizeDomain(domainText, d.allowPrivate);
      } catch {
        return undefined;
      }
      const row = await findDomain(d.store.db, name, SERVICE);
      return row ? loadDomainState(d.store.db, row, d.links) : undefined;
    },
    async list(channel: Channel, target: string): Promise<string[]> {
      return (await domainsOfTarget(d.store.db, channel, target)).map((x) => (x.service === SERVICE ? x.name : `${x.name} (${x.service})`));
    },
  };
}
