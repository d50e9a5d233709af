// How often one chat user may make the bot work: a token bucket per sender (each command takes
// a token, tokens come back at a steady rate), in a map bounded in entries so that a flood of
// senders costs bounded memory. When a sender runs dry the bot says so once, then stays quiet
// until tokens come back.

export interface SenderLimitOptions {
  /** Commands a sender may send in a burst. */
  burst: number;
  /** Tokens regained per minute. */
  perMinute: number;
  /** Senders remembered at most (the least recently seen are forgotten first). */
  maxSenders?: number;
  now?: () => number;
}

export type LimitVerdict = 'allow' | 'warn' | 'drop';

export class SenderLimit {
  private readonly buckets = new Map<string, { tokens: number; at: number; warned: boolean }>();
  private readonly now: () => number;
  private readonly maxSenders: number;

  constructor(private readonly o: SenderLimitOptions) {
    this.now = o.now ?? Date.now;
    this.maxSenders = o.maxSenders ?? 10_000;
  }

  take(sender: string): LimitVerdict {
    const t = this.now();
    let b = this.buckets.get(sender);
    if (b) {
      this.buckets.delete(sender);
      b.tokens = Math.min(this.o.burst, b.tokens + ((t - b.at) / 60_000) * this.o.perMinute);
      b.at = t;
    } else {
      if (this.buckets.size >= this.maxSenders) this.buckets.delete(this.buckets.keys().next().value!);
      b = { tokens: this.o.burst, at: t, warned: false };
    }
    this.buckets.set(sender, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      b.warned = false;
      return 'allow';
    }
    if (b.warned) return 'drop';
    b.warned = true;
    return 'warn';
  }
}
