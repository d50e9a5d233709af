// Webhook signatures: what keywatch sends and what a receiver checks.
//
//   X-Keywatch-Timestamp: 1714564800                      (Unix seconds of this attempt)
//   X-Keywatch-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>
//
// The secret is the subscription's key, used as UTF-8 bytes. Signing the timestamp with the
// body lets a receiver refuse an old request replayed by someone who captured it: it accepts
// only timestamps within a few minutes of its clock, and deduplicates by X-Keywatch-Delivery
// (a retry carries the same delivery id with a fresh timestamp and signature).
//
// This file has no other imports than node:crypto so receivers can copy the recipe (docs/NOTIFY.md).
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Keywatch-Signature';
export const TIMESTAMP_HEADER = 'X-Keywatch-Timestamp';
export const DELIVERY_HEADER = 'X-Keywatch-Delivery';

/** Default replay window: a receiver refuses timestamps further than this from its clock. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

const toBytes = (b: string | Uint8Array) => (typeof b === 'string' ? Buffer.from(b, 'utf8') : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

function mac(secret: string, timestamp: string, body: string | Uint8Array): Buffer {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${timestamp}.`, 'utf8').update(toBytes(body)).digest();
}

/** The X-Keywatch-Signature value for a body sent at `timestamp` (Unix seconds, as sent). */
export function signWebhook(secret: string, timestamp: string | number, body: string | Uint8Array): string {
  return `sha256=${mac(secret, String(timestamp), body).toString('hex')}`;
}

export type VerifyFailure = 'missing-header' | 'bad-timestamp' | 'outside-window' | 'bad-signature-format' | 'signature-mismatch';

export interface VerifyOptions {
  /** The subscription's secret; several during a key change (any one may match). */
  secret: string | readonly string[];
  /** The request body exactly as received (bytes, or the same bytes decoded as UTF-8). */
  body: string | Uint8Array;
  /** X-Keywatch-Timestamp as received. */
  timestamp: string | undefined | null;
  /** X-Keywatch-Signature as received. */
  signature: string | undefined | null;
  /** Accepted distance between the timestamp and `now`, seconds (default 300). */
  toleranceSeconds?: number;
  /** Milliseconds since the epoch (default: Date.now()). */
  now?: number;
}

/**
 * Checks a received webhook: the timestamp is within the replay window and the signature is the
 * HMAC of `timestamp.body` under the secret, compared in constant time.
 */
export function verifyWebhookSignature(o: VerifyOptions): { ok: true } | { ok: false; reason: VerifyFailure } {
  if (!o.timestamp || !o.signature) return { ok: false, reason: 'missing-header' };
  if (!/^\d{1,12}$/.test(o.timestamp)) return { ok: false, reason: 'bad-timestamp' };
  const tolerance = o.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const now = (o.now ?? Date.now()) / 1000;
  if (Math.abs(now - Number(o.timestamp)) > tolerance) return { ok: false, reason: 'outside-window' };
  const m = /^sha256=([0-9a-fA-F]{64})$/.exec(o.signature.trim());
  if (!m) return { ok: false, reason: 'bad-signature-format' };
  const given = Buffer.from(m[1]!, 'hex');
  const secrets = typeof o.secret === 'string' ? [o.secret] : o.secret;
  let match = false;
  // Every secret is tried, so the time taken does not tell which one matched.
  for (const s of secrets) if (timingSafeEqual(mac(s, o.timestamp, o.body), given)) match = true;
  return match ? { ok: true } : { ok: false, reason: 'signature-mismatch' };
}
