// The loop the scheduler and the outbox worker share: after `start`, look for work every
// `pollMs` (and at once on `kick`), never two passes at a time, nothing after `halt`. Tests
// drive `tick()` by hand without starting the timer.
export abstract class PollLoop {
  protected stopping = false;
  /** The pass in progress, if any. */
  protected ticking: Promise<number> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private started = false;

  protected constructor(private readonly pollMs: number) {}

  /** One pass over due work; returns how much it took on. */
  protected abstract pass(): Promise<number>;

  protected startPolling(): void {
    this.started = true;
    this.schedule(0);
  }

  /** Look for due work now (e.g. right after it was added). */
  kick(): void {
    if (this.started && !this.stopping) this.schedule(0);
  }

  /** Run a pass now, or join the one in progress: two overlapping passes would claim the same work. */
  tick(): Promise<number> {
    this.ticking ??= this.pass().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  /** No more passes after this one. */
  protected halt(): void {
    this.stopping = true;
    clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopping || !this.started) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      void this.tick().finally(() => this.schedule(this.pollMs));
    }, ms);
    this.timer.unref?.();
  }
}

/** Wait for `work`, but no longer than `ms`. */
export async function withinGrace(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}
