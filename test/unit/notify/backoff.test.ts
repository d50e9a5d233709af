import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DELIVERY_BACKOFF, nextAttemptDelay, parseRetryAfter, RECONNECT_BACKOFF } from '../../../src/notify/backoff.ts';

const P = { baseMs: 1000, capMs: 60_000, maxRetryAfterMs: 600_000 };

describe('nextAttemptDelay', () => {
  it('doubles per attempt, jittered within [d/2, d]', () => {
    for (const [attempt, d] of [[1, 1000], [2, 2000], [3, 4000], [4, 8000]] as const) {
      assert.equal(nextAttemptDelay(attempt, undefined, P, () => 0), d / 2);
      assert.equal(nextAttemptDelay(attempt, undefined, P, () => 1), d);
      for (let i = 0; i < 50; i++) {
        const v = nextAttemptDelay(attempt, undefined, P);
        assert.ok(v >= d / 2 && v <= d, `${attempt}: ${v}`);
      }
    }
  });

  it('is capped, also for absurd attempt numbers', () => {
    assert.equal(nextAttemptDelay(7, undefined, P, () => 1), 60_000);
    assert.equal(nextAttemptDelay(1e9, undefined, P, () => 1), 60_000);
    assert.equal(nextAttemptDelay(Number.POSITIVE_INFINITY, undefined, P, () => 0), 500);
    assert.equal(nextAttemptDelay(0, undefined, P, () => 0), 500);
    assert.equal(nextAttemptDelay(-3, undefined, P, () => 0), 500);
  });

  it("honours the receiver's Retry-After when later, up to its own cap", () => {
    assert.equal(nextAttemptDelay(1, 120_000, P, () => 0), 120_000);
    assert.equal(nextAttemptDelay(5, 100, P, () => 0), 8000);
    assert.equal(nextAttemptDelay(1, 10 * 3_600_000, P, () => 0), 600_000);
    assert.equal(nextAttemptDelay(1, Number.NaN, P, () => 0), 500);
  });

  it('has sensible defaults', () => {
    assert.equal(nextAttemptDelay(1, undefined, undefined, () => 1), DELIVERY_BACKOFF.baseMs);
    assert.equal(nextAttemptDelay(30, undefined, undefined, () => 1), DELIVERY_BACKOFF.capMs);
    assert.equal(nextAttemptDelay(30, undefined, RECONNECT_BACKOFF, () => 1), 300_000);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2024-05-01T12:00:00Z');
  it('reads delay-seconds and HTTP-dates', () => {
    assert.equal(parseRetryAfter('120', now), 120_000);
    assert.equal(parseRetryAfter(' 0 ', now), 0);
    assert.equal(parseRetryAfter('Wed, 01 May 2024 12:05:00 GMT', now), 300_000);
    assert.equal(parseRetryAfter('Wed, 01 May 2024 11:00:00 GMT', now), 0);
  });
  it('ignores what is neither', () => {
    for (const v of [undefined, '', '-5', '1.5', 'soon', '2024-05-01', '99999999999999']) assert.equal(parseRetryAfter(v, now), undefined, String(v));
  });
});
