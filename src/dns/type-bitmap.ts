// NSEC / NSEC3 type bitmaps (RFC 4034 §4.1.2, RFC 5155 §3.2.1): window blocks, strictly ordered.
import { DnsFormatError } from './name.ts';

/**
 * Decodes the window-block type bitmap. Strict per RFC 4034 §4.1.2: windows in increasing order,
 * each 1–32 octets long, no trailing zero octet (so no empty block). An empty bitmap is valid
 * (an NSEC3 for an empty non-terminal has one).
 */
export function decodeTypeBitmap(bitmap: Uint8Array, baseOffset = 0): number[] {
  const types: number[] = [];
  let pos = 0;
  let lastWindow = -1;
  while (pos < bitmap.length) {
    if (pos + 2 > bitmap.length) throw new DnsFormatError('type bitmap window header cut short', baseOffset + pos);
    const window = bitmap[pos]!;
    const length = bitmap[pos + 1]!;
    if (window <= lastWindow) {
      throw new DnsFormatError(`type bitmap window ${window} after window ${lastWindow} (must increase)`, baseOffset + pos);
    }
    if (length < 1 || length > 32) throw new DnsFormatError(`type bitmap window length ${length} outside 1–32`, baseOffset + pos + 1);
    if (pos + 2 + length > bitmap.length) throw new DnsFormatError('type bitmap window cut short', baseOffset + pos);
    if (bitmap[pos + 1 + length] === 0) {
      throw new DnsFormatError(`type bitmap window ${window} ends with a zero octet`, baseOffset + pos + 1 + length);
    }
    for (let i = 0; i < length; i += 1) {
      const octet = bitmap[pos + 2 + i]!;
      for (let bit = 0; bit < 8; bit += 1) {
        if (octet & (0x80 >> bit)) types.push(window * 256 + i * 8 + bit);
      }
    }
    lastWindow = window;
    pos += 2 + length;
  }
  return types;
}

/** Encodes a set of types as window blocks (duplicates ignored, any order accepted). */
export function encodeTypeBitmap(types: Iterable<number>): Uint8Array {
  const sorted = [...new Set(types)].sort((a, b) => a - b);
  const parts: number[] = [];
  let i = 0;
  while (i < sorted.length) {
    const first = sorted[i]!;
    if (!Number.isInteger(first) || first < 0 || first > 0xffff) throw new RangeError(`type ${first} outside 0–65535`);
    const window = first >> 8;
    const block = new Uint8Array(32);
    let length = 0;
    for (; i < sorted.length && sorted[i]! >> 8 === window; i += 1) {
      const low = sorted[i]! & 0xff;
      block[low >> 3]! |= 0x80 >> (low & 7);
      length = (low >> 3) + 1;
    }
    parts.push(window, length, ...block.subarray(0, length));
  }
  return Uint8Array.from(parts);
}
