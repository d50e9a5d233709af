// Parsing and checking certificates costs more CPU than the TLS handshake that fetched them
// (X.509 decoding, SAN decoding with asn1js, signature checks), and keywatch sees the same few
// certificates over and over: on every port of a host, and at every poll. So the pure functions
// of a certificate's bytes are memoised here, keyed by the SHA-256 of the DER, in bounded maps
// (oldest out first). Results are shared: callers must treat them as read-only.
import { createHash } from 'node:crypto';

export const derKey = (der: Uint8Array): string => createHash('sha256').update(der).digest('base64');

export function memoByDer<T>(max: number, fn: (der: Uint8Array) => T): (der: Uint8Array) => T {
  const cache = new Map<string, T>();
  return (der) => {
    const key = derKey(der);
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const value = fn(der);
    if (cache.size >= max) cache.delete(cache.keys().next().value!);
    cache.set(key, value);
    return value;
  };
}
