// When the next check is due: the interval with random jitter (so probes have no rhythm an
// interceptor could learn and step aside for), exponential back-off after checks that could not
// run, and a short delay before a confirmation re-check. Pure; the RNG is passed in.

export interface Timing {
  /** Fraction of the interval added or taken at random, 0 ≤ jitter < 1 (0.2 = ±20%). */
  jitter: number;
  /** First retry after a check that could not run; doubles each time up to backoffMaxMs. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Delay before the confirmation re-check of a change. */
  confirmDelayMs: number;
}

/** `ms` spread uniformly over ±jitter. */
export function jittered(ms: number, jitter: number, random: () => number): number {
  return Math.max(0, Math.round(ms * (1 + jitter * (2 * random() - 1))));
}

export function nextScheduled(now: number, intervalMs: number, t: Timing, random: () => number): number {
  return now + jittered(intervalMs, t.jitter, random);
}

/** After the `failures`-th check in a row that could not run (1 = the first). */
export function backoffDelay(failures: number, t: Timing): number {
  const exp = Math.min(Math.max(failures, 1) - 1, 30);
  return Math.min(t.backoffBaseMs * 2 ** exp, t.backoffMaxMs);
}

export function nextAfterFailure(now: number, failures: number, t: Timing, random: () => number): number {
  return now + jittered(backoffDelay(failures, t), t.jitter, random);
}

export function nextConfirmation(now: number, t: Timing, random: () => number): number {
  return now + jittered(t.confirmDelayMs, t.jitter, random);
}
