// When to try a failed delivery again (the service's outbox asks), and when the XMPP bot dials
// its server again. Exponential back-off with jitter, so that a receiver that was down for an
// hour is not hit by every queued delivery in the same second when it comes back, with a cap so
// that a long outage still gets a try every so often, and the receiver's own Retry-After
// honoured when it names a later time.

export interface BackoffPolicy {
  /** Delay before the second attempt, before jitter. */
  baseMs: number;
  /** No computed delay exceeds this (before jitter). */
  capMs: number;
  /** A receiver's Retry-After is honoured up to this; a larger one is cut to it. */
  maxRetryAfterMs: number;
}

/** Deliveries: 30 s, 1 min, 2 min … up to an hour between tries; Retry-After up to 6 h. */
export const DELIVERY_BACKOFF: BackoffPolicy = { baseMs: 30_000, capMs: 3_600_000, maxRetryAfterMs: 6 * 3_600_000 };

/** Reconnecting the XMPP bot: 1 s, 2 s, 4 s … up to 5 min. */
export const RECONNECT_BACKOFF: BackoffPolicy = { baseMs: 1_000, capMs: 300_000, maxRetryAfterMs: 300_000 };

/**
 * Milliseconds to wait after failed attempt number `attempt` (1 = the first try) before the next.
 *
 * The exponential delay d = min(cap, base · 2^(attempt−1)) is jittered to a uniform value in
 * [d/2, d] ("equal jitter": never less than half, so a burst of failures still spreads out but
 * no retry comes back at once). A receiver's `retryAfterMs` wins when it is later than that,
 * up to `maxRetryAfterMs`.
 *
 * `random` returns a number in [0, 1); tests pass a fixed one.
 */
export function nextAttemptDelay(
  attempt: number,
  retryAfterMs?: number,
  policy: BackoffPolicy = DELIVERY_BACKOFF,
  random: () => number = Math.random,
): number {
  const n = Number.isFinite(attempt) ? Math.max(1, Math.floor(attempt)) : 1;
  // 2^(n−1) overflows nothing before the cap applies: compare exponents, not products.
  const exp = Math.min(n - 1, 52);
  const d = Math.min(policy.capMs, policy.baseMs * 2 ** exp);
  const r = Math.min(Math.max(random(), 0), 1);
  const jittered = Math.round(d / 2 + (r * d) / 2);
  if (retryAfterMs === undefined || !Number.isFinite(retryAfterMs) || retryAfterMs <= 0) return jittered;
  return Math.max(jittered, Math.min(Math.round(retryAfterMs), policy.maxRetryAfterMs));
}

/**
 * An HTTP Retry-After value (RFC 9110 §10.2.3: delay-seconds or an HTTP-date) in milliseconds
 * from `now`; undefined when absent or malformed. A date in the past gives 0.
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d{1,10}$/.test(v)) return Number(v) * 1000;
  // Only the IMF-fixdate form and its obsolete siblings parse with Date; reject bare numbers with signs etc.
  if (!/^[A-Za-z]{3},? /.test(v) && !/^[A-Za-z]+day, /.test(v)) return undefined;
  const t = Date.parse(v);
  if (Number.isNaN(t)) return undefined;
  return Math.max(0, t - now);
}
