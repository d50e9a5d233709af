// The watch service assembled: store, validator, scheduler + watcher, outbox worker, notifiers,
// subscribers, the HTTP server. `WatchService.start(config)` is what `keywatch serve` runs; tests
// start it in-process with an injected clock, RNG or check function where they need to.
import { join } from 'node:path';
import { runCheck } from '../audit/check.ts';
import type { ServiceKind } from '../audit/discover.ts';
import { makeValidator } from '../dns/resolver.ts';
import type { Validator } from '../dns/dnssec/validator.ts';
import { startApi, type ApiServer } from './api.ts';
import { CanaryVault, loadCanary } from './canary-store.ts';
import { subscriptionCommands } from './commands.ts';
import type { ServiceConfig } from './config.ts';
import type { Channel, Notifier, SubscriptionCommands } from './contracts.ts';
import { errorText, silentLog, type Log } from './log.ts';
import { Links } from './messages.ts';
import { Metrics } from './metrics.ts';
import { loadNotifiers } from './notifiers.ts';
import { OutboxWorker } from './outbox-worker.ts';
import { RateLimiter } from './rate-limit.ts';
import { Scheduler } from './scheduler.ts';
import { addDomain, countActive, findDomain, type DomainRow } from './store/domains.ts';
import type { DatabaseConfig } from './store/open.ts';
import { Store } from './store/store.ts';
import { Subscribers } from './subscribers.ts';
import { normalizeDomain, normalizeService, TargetError, vetTarget } from './targets.ts';
import { loadDomainState } from './views.ts';
import { Watcher, type CheckFn } from './watcher.ts';

export interface ServiceDeps {
  now?: () => number;
  random?: () => number;
  log?: Log;
  /** Replaces runCheck (tests of the scheduler and policy without a network). */
  check?: CheckFn;
  /** Notifiers besides those the configuration names. */
  notifiers?: Notifier[];
  /** Start the HTTP server (default true). */
  http?: boolean;
}

const HOUR = 3_600_000;

export function databaseConfig(c: ServiceConfig): DatabaseConfig {
  return c.database ? { kind: 'postgres', url: c.database.url, poolSize: c.database.poolSize } : { kind: 'sqlite', file: join(c.dataDir!, 'keywatch.sqlite') };
}

export class WatchService {
  readonly metrics: Metrics;
  readonly links: Links;
  readonly scheduler: Scheduler;
  readonly outbox: OutboxWorker;
  readonly subscribers: Subscribers;
  readonly commands: SubscriptionCommands;
  readonly limiter: RateLimiter;
  readonly watcher: Watcher;
  /** Seals and opens canary passwords (secrets.keyFile); without a key, canaries are refused. */
  readonly canaries: CanaryVault;
  api?: ApiServer;
  private stopped?: Promise<void>;

  private constructor(
    readonly config: ServiceConfig,
    readonly store: Store,
    readonly validator: Validator,
    readonly notifiers: Map<Channel, Notifier>,
    readonly log: Log,
    readonly now: () => number,
    readonly random: () => number,
    check: CheckFn | undefined,
  ) {
    const c = config;
    this.canaries = new CanaryVault(c.secrets.keyFile);
    this.metrics = new Metrics(store);
    this.links = new Links(c.publicUrl);
    this.limiter = new RateLimiter(c.limits.requestsPerHour, HOUR, now);
    const rate = { windowMs: HOUR, limit: c.limits.messagesPerHour };
    const timing = {
      jitter: c.schedule.jitter,
      backoffBaseMs: c.schedule.backoffBaseSeconds * 1000,
      backoffMaxMs: c.schedule.backoffMaxSeconds * 1000,
      confirmDelayMs: c.schedule.confirmDelaySeconds * 1000,
    };
    this.outbox = new OutboxWorker({
      store,
      notifiers,
      concurrency: c.outbox.concurrency,
      maxAttempts: c.outbox.maxAttempts,
      retryBaseMs: c.outbox.retryBaseSeconds * 1000,
      retryMaxMs: c.outbox.retryMaxSeconds * 1000,
      leaseMs: c.outbox.sendTimeoutSeconds * 1000 * 2,
      pollMs: c.outbox.pollSeconds * 1000,
      sendTimeoutMs: c.outbox.sendTimeoutSeconds * 1000,
      now,
      random,
      log,
      metrics: this.metrics,
    });
    this.watcher = new Watcher({
      store,
      worker: c.workerId,
      vantages: c.vantages,
      check: check ?? this.realCheck(),
      canary: (d) => loadCanary(store.db, this.canaries, d),
      timing,
      links: this.links,
      rate,
      pubsub: { enabled: () => notifiers.has('pubsub'), node: (domain: string, service: string) => (service === 'xmpp' ? domain : `${domain}/${service}`) },
      now,
      random,
      log,
      metrics: this.metrics,
      onDeliveries: () => this.outbox.kick(),
    });
    this.scheduler = new Scheduler({
      store,
      worker: c.workerId,
      concurrency: c.schedule.concurrency,
      leaseMs: c.schedule.leaseSeconds * 1000,
      pollMs: c.schedule.pollSeconds * 1000,
      failureDelayMs: c.schedule.backoffBaseSeconds * 1000,
      now,
      log,
      run: (d, signal) => this.watcher.run(d, signal),
    });
    this.subscribers = new Subscribers({
      store,
      links: this.links,
      channels: notifiers,
      confirmTtlMs: c.limits.confirmTtlHours * HOUR,
      rate,
      allowPrivate: c.allowPrivate,
      now,
      onDeliveries: () => this.outbox.kick(),
    });
    this.commands = subscriptionCommands({
      store,
      links: this.links,
      subscribers: this.subscribers,
      watch: (d, s) => this.watch(d, s).then((r) => r.row),
      limiter: new RateLimiter(c.limits.requestsPerHour, HOUR, now),
      allowPrivate: c.allowPrivate,
    });
  }

  /** Open the store (migrating it), load the notifiers, start the scheduler, the outbox and the HTTP server. */
  static async start(config: ServiceConfig, deps: ServiceDeps = {}): Promise<WatchService> {
    const log = deps.log ?? silentLog;
    const now = deps.now ?? Date.now;
    const random = deps.random ?? Math.random;
    const store = await Store.open(databaseConfig(config));
    let svc: WatchService | undefined;
    try {
      const { validator } = makeValidator({ resolvers: config.dns.resolvers, ...(config.dns.trustAnchor ? { trustAnchor: config.dns.trustAnchor } : {}), timeoutMs: config.dns.timeoutMs });
      const notifiers = new Map<Channel, Notifier>();
      svc = new WatchService(config, store, validator, notifiers, log, now, random, deps.check);
      const ctx = { config, log, commands: svc.commands, state: (domain: string, service = 'xmpp') => svc!.state(domain, service) };
      for (const [channel, n] of await loadNotifiers(config, ctx)) notifiers.set(channel, n);
      for (const n of deps.notifiers ?? []) notifiers.set(n.channel, n);
      if (deps.http !== false) svc.api = await startApi(svc);
      await svc.scheduler.start();
      svc.outbox.start();
      log.info(
        { event: 'started', worker: config.workerId, database: store.kind, listen: svc.api?.url, vantages: config.vantages, channels: [...notifiers.keys()], domains: await countActive(store.db) },
        `keywatch serve: watching, ${svc.api ? `listening on ${svc.api.url}` : 'no HTTP'}`,
      );
      return svc;
    } catch (e) {
      if (svc) await svc.stop(0).catch(() => undefined);
      else await store.close();
      throw e;
    }
  }

  private realCheck(): CheckFn {
    const c = this.config;
    const socks = c.socks ? parseSocksUrl(c.socks) : undefined;
    return (domain, vantage) =>
      runCheck({
        domain: domain.name,
        service: domain.service as ServiceKind,
        validator: this.validator,
        ...(c.caFile ? { caFile: c.caFile } : {}),
        ...(vantage === 'tor' && socks ? { socks } : {}),
        allowPrivate: c.allowPrivate,
        concurrency: c.check.concurrency,
        timeoutMs: c.check.timeoutMs,
        ...(c.checkerDomain ? { checkerDomain: c.checkerDomain } : {}),
        extraHandshakes: c.check.extraHandshakes,
        streamIds: c.check.streamIds,
        shuffle: this.random,
        ...(domain.canary ? { canary: domain.canary } : {}),
      });
  }

  /**
   * Watch a domain: validate the name, look up its endpoints (refusing private targets unless
   * allowed), add it due at once. An already watched domain is returned as it is.
   */
  async watch(domainText: unknown, serviceText: unknown, intervalSeconds?: number): Promise<{ row: DomainRow; created: boolean }> {
    const c = this.config;
    const name = normalizeDomain(domainText, c.allowPrivate);
    const service = normalizeService(serviceText);
    const existing = await findDomain(this.store.db, name, service);
    if (existing?.active === 1) return { row: existing, created: false };
    if ((await countActive(this.store.db)) >= c.limits.maxDomains) throw new TargetError('no-endpoints', `this service watches its maximum of ${c.limits.maxDomains} domains`);
    await vetTarget(this.validator, name, service, c.allowPrivate);
    const interval = intervalSeconds ?? c.schedule.intervalSeconds;
    const out = await addDomain(this.store.db, { name, service, intervalMs: Math.round(interval * 1000), now: this.now() });
    if (out.created) this.log.info({ event: 'domain-added', domain: name, service }, `now watching ${name} (${service})`);
    this.scheduler.kick();
    return out;
  }

  async state(domain: string, service = 'xmpp') {
    const row = await findDomain(this.store.db, domain.toLowerCase().replace(/\.$/, ''), service);
    return row ? loadDomainState(this.store.db, row, this.links) : undefined;
  }

  /**
   * Graceful stop: stop taking work, let running checks finish within `graceMs` (the rest are
   * requeued), let sends in flight finish, close notifiers, the HTTP server and the database.
   */
  stop(graceMs = this.config.shutdownGraceSeconds * 1000): Promise<void> {
    this.stopped ??= (async () => {
      this.log.info({ event: 'stopping', graceMs, running: this.scheduler.running }, 'keywatch serve: stopping');
      this.api?.stopAccepting();
      const requeued = await this.scheduler.stop(graceMs);
      await this.outbox.stop(Math.min(graceMs, 5000));
      for (const n of this.notifiers.values()) await n.close().catch((e: unknown) => this.log.warn({ event: 'notifier-close-failed', channel: n.channel, error: errorText(e) }, 'closing a notifier failed'));
      await this.api?.close();
      await this.store.close();
      this.log.info({ event: 'stopped', requeued }, 'keywatch serve: stopped');
    })();
    return this.stopped;
  }
}

function parseSocksUrl(text: string): { host: string; port: number } {
  const m = /^(?:socks5h?:\/\/)?(\[[0-9a-fA-F:.]+\]|[^:/]+):(\d{1,5})\/?$/.exec(text)!;
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}
