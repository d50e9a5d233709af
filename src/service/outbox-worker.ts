// The outbox worker: sends pending deliveries through the notifier registered for their channel,
// retries with exponential back-off (or the receiver's Retry-After), and marks permanent failures.
// Every state change is written to the database before the next step, so a restart resumes where
// the last one stopped; a crash between sending and recording sends again after the lease (the
// delivery id stays the same, so receivers can drop the duplicate).
import type { AlertMessage, Channel, Delivery, DeliveryResult, Notifier } from './contracts.ts';
import { errorText, type Log } from './log.ts';
import type { Metrics } from './metrics.ts';
import { claimDueDeliveries, markFailed, markRetry, markSent, type DeliveryRow } from './store/outbox.ts';
import type { Store } from './store/store.ts';
import { getSubscription } from './store/subscriptions.ts';
import { jittered } from './timing.ts';
import { PollLoop, withinGrace } from './poll-loop.ts';

export interface OutboxOptions {
  store: Store;
  notifiers: ReadonlyMap<Channel, Notifier>;
  concurrency: number;
  /** Attempts before a delivery is given up (marked failed). */
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** How long a claimed delivery is ours; a send must end within it. */
  leaseMs: number;
  pollMs: number;
  /** Time limit for one send (a notifier that hangs is a failed attempt). */
  sendTimeoutMs: number;
  now: () => number;
  random: () => number;
  log: Log;
  metrics?: Metrics;
}

export function retryDelay(attempt: number, o: Pick<OutboxOptions, 'retryBaseMs' | 'retryMaxMs'>): number {
  return Math.min(o.retryBaseMs * 2 ** Math.min(Math.max(attempt, 1) - 1, 30), o.retryMaxMs);
}

export class OutboxWorker extends PollLoop {
  private readonly inflight = new Set<Promise<void>>();

  constructor(private readonly o: OutboxOptions) {
    super(o.pollMs);
  }

  start(): void {
    this.startPolling();
  }

  /** Send what is due, up to `concurrency` at once; resolves when those sends are recorded. */
  protected async pass(): Promise<number> {
    let sent = 0;
    while (!this.stopping) {
      let batch: DeliveryRow[];
      try {
        batch = await claimDueDeliveries(this.o.store.db, this.o.now(), this.o.leaseMs, this.o.concurrency);
      } catch (e) {
        this.o.log.error({ event: 'outbox-claim-failed', error: errorText(e) }, 'could not claim deliveries');
        return sent;
      }
      if (batch.length === 0) return sent;
      await Promise.all(
        batch.map((d) => {
          const p = this.deliver(d).catch((e: unknown) => this.o.log.error({ event: 'delivery-error', delivery: d.id, error: errorText(e) }, 'recording a delivery failed'));
          this.inflight.add(p);
          return p.finally(() => this.inflight.delete(p));
        }),
      );
      sent += batch.length;
    }
    return sent;
  }

  private async deliver(row: DeliveryRow): Promise<void> {
    const { o } = this;
    const attempt = row.attempts + 1;
    const channel = row.channel as Channel;
    const notifier = o.notifiers.get(channel);
    if (!notifier) {
      await markFailed(o.store.db, row.id, attempt, `no notifier is configured for channel ${channel}`);
      o.metrics?.deliveries.inc({ channel, result: 'failed' });
      o.log.warn({ event: 'delivery-failed', delivery: row.id, channel, kind: row.kind, permanent: true }, `no notifier for ${channel}`);
      return;
    }
    let message: AlertMessage;
    try {
      message = JSON.parse(row.message) as AlertMessage;
    } catch (e) {
      await markFailed(o.store.db, row.id, attempt, `stored message is not JSON: ${errorText(e)}`);
      return;
    }
    const secret = row.subscription_id && channel === 'webhook' ? ((await getSubscription(o.store.db, row.subscription_id))?.secret ?? undefined) : undefined;
    const delivery: Delivery = { id: row.id, channel, target: row.target, message, attempt, ...(secret ? { secret } : {}) };
    let result: DeliveryResult;
    try {
      result = await withTimeout(notifier.send(delivery), o.sendTimeoutMs);
    } catch (e) {
      result = { ok: false, error: errorText(e) };
    }
    const now = o.now();
    const fields = { event: 'delivery', delivery: row.id, channel, kind: row.kind, domain: message.domain, attempt };
    if (result.ok) {
      await markSent(o.store.db, row.id, now, attempt);
      o.metrics?.deliveries.inc({ channel, result: 'sent' });
      o.log.info({ ...fields, result: 'sent' }, `${row.kind} for ${message.domain} sent by ${channel}`);
      return;
    }
    const error = result.error ?? 'the notifier reported a failure';
    if (result.permanent || attempt >= o.maxAttempts) {
      await markFailed(o.store.db, row.id, attempt, error);
      o.metrics?.deliveries.inc({ channel, result: 'failed' });
      o.log.warn({ ...fields, result: 'failed', permanent: result.permanent === true, error }, `${row.kind} for ${message.domain} by ${channel} failed for good`);
      return;
    }
    const delay = result.retryAfterMs !== undefined ? Math.min(Math.max(result.retryAfterMs, 0), o.retryMaxMs) : jittered(retryDelay(attempt, o), 0.2, o.random);
    await markRetry(o.store.db, row.id, attempt, now + delay, error);
    o.metrics?.deliveries.inc({ channel, result: 'retry' });
    o.log.warn({ ...fields, result: 'retry', retryInMs: delay, error }, `${row.kind} for ${message.domain} by ${channel} failed, retrying`);
  }

  /** Stop claiming; wait up to graceMs for sends in flight (unfinished ones are resent after their lease). */
  async stop(graceMs: number): Promise<void> {
    this.halt();
    await withinGrace(Promise.all([this.ticking, ...this.inflight]), graceMs);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`the notifier did not answer within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}
