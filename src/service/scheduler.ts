// The scheduler: claims due domains under a lease, runs at most `concurrency` at once, and on
// shutdown stops taking work, lets running checks finish within a grace period and gives the
// rest back (due at once, for the next start or another worker). The clock is injected; `tick()`
// can be driven by hand (tests) or by the timer `start()` sets up.
import { errorText, type Log } from './log.ts';
import { claimDue, releaseClaims, requeue, type DomainRow } from './store/domains.ts';
import type { Store } from './store/store.ts';
import { PollLoop, withinGrace } from './poll-loop.ts';

export interface SchedulerOptions {
  store: Store;
  worker: string;
  concurrency: number;
  /** How long a claim holds; a check must finish within it (longer than any check can take). */
  leaseMs: number;
  /** How often the timer looks for due work. */
  pollMs: number;
  /** A run that failed outright (a database error, a bug) is given back, due again after this. */
  failureDelayMs?: number;
  now: () => number;
  log: Log;
  /** Runs one claimed domain; must record its outcome (and release the claim) itself. */
  run: (domain: DomainRow, signal: AbortSignal) => Promise<unknown>;
}

interface Job {
  domain: DomainRow;
  done: Promise<void>;
  abort: AbortController;
}

export class Scheduler extends PollLoop {
  private readonly jobs = new Map<string, Job>();

  constructor(private readonly o: SchedulerOptions) {
    super(o.pollMs);
  }

  get running(): number {
    return this.jobs.size;
  }

  get accepting(): boolean {
    return !this.stopping;
  }

  /** Void this worker's leases left by a crash, then poll for due work. */
  async start(): Promise<void> {
    const released = await releaseClaims(this.o.store.db, this.o.worker);
    if (released) this.o.log.info({ event: 'requeued', worker: this.o.worker, domains: released }, `${released} domain(s) claimed before a restart are due again`);
    this.startPolling();
  }

  /** Claim as much due work as there are free slots and start it; returns how many started. */
  protected async pass(): Promise<number> {
    if (this.stopping) return 0;
    const free = this.o.concurrency - this.jobs.size;
    if (free <= 0) return 0;
    let claimed: DomainRow[];
    try {
      claimed = await claimDue(this.o.store.db, this.o.worker, this.o.now(), this.o.leaseMs, free, new Set(this.jobs.keys()));
    } catch (e) {
      this.o.log.error({ event: 'claim-failed', error: errorText(e) }, 'could not claim due work');
      return 0;
    }
    for (const domain of claimed) {
      const abort = new AbortController();
      const done = this.o
        .run(domain, abort.signal)
        .then(
          () => undefined,
          async (e: unknown) => {
            this.o.log.error({ event: 'run-failed', domain: domain.name, service: domain.service, error: errorText(e) }, `${domain.name}: the run failed`);
            // Release the claim rather than wait for the lease: due again after a pause (not at once, in case it fails again).
            if (!abort.signal.aborted) await requeue(this.o.store.db, domain.id, this.o.worker, this.o.now() + (this.o.failureDelayMs ?? 60_000)).catch(() => undefined);
          },
        )
        .finally(() => {
          this.jobs.delete(domain.id);
          this.kick();
        });
      this.jobs.set(domain.id, { domain, done, abort });
    }
    return claimed.length;
  }

  /** Resolves when every running job has ended (tests). */
  async idle(): Promise<void> {
    while (this.jobs.size > 0 || this.ticking) {
      await Promise.all([...this.jobs.values()].map((j) => j.done));
      await this.ticking;
    }
  }

  /**
   * Stop taking work; wait up to `graceMs` for running checks; abort and requeue the rest (due
   * at once). Returns how many were requeued.
   */
  async stop(graceMs: number): Promise<number> {
    this.halt();
    await this.ticking;
    await withinGrace(Promise.all([...this.jobs.values()].map((j) => j.done)), graceMs);
    const left = [...this.jobs.values()];
    for (const job of left) {
      job.abort.abort();
      await requeue(this.o.store.db, job.domain.id, this.o.worker, this.o.now()).catch((e: unknown) =>
        this.o.log.error({ event: 'requeue-failed', domain: job.domain.name, error: errorText(e) }, 'could not requeue'),
      );
      this.o.log.warn({ event: 'requeued', domain: job.domain.name, service: job.domain.service }, `${job.domain.name}: check still running at shutdown, requeued`);
    }
    return left.length;
  }
}
