// A per-key fixed-window rate limit in memory (per process: behind several workers, each counts
// its own). Bounded: the oldest windows are dropped when it tracks too many keys.

export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number,
    private readonly maxKeys = 100_000,
  ) {}

  /** Count one request for `key`: `ok`, or how long until the window reopens. */
  take(key: string): { ok: true } | { ok: false; retryAfterMs: number } {
    const now = this.now();
    let w = this.windows.get(key);
    if (!w || now - w.start >= this.windowMs) {
      this.windows.delete(key);
      w = { start: now, count: 0 };
      this.windows.set(key, w);
      if (this.windows.size > this.maxKeys) this.windows.delete(this.windows.keys().next().value!);
    }
    if (w.count >= this.limit) return { ok: false, retryAfterMs: w.start + this.windowMs - now };
    w.count++;
    return { ok: true };
  }
}
