// base32hex (RFC 4648 §7, the "Extended Hex Alphabet"), as NSEC3 uses it: lowercase, no padding
// (RFC 5155 §3.3). Its ordering preserves the ordering of the hashes, which is why NSEC3 chose it.

const ALPHABET = '0123456789abcdefghijklmnopqrstuv';

/** base32hex without padding, lowercase (the form NSEC3 owner names use). */
export function base32hexEncode(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >>> bits) & 31];
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/** Value of one base32hex character (ASCII only: '0'-'9', 'a'-'v', 'A'-'V'), or -1. */
function base32hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  if (lower >= 0x61 && lower <= 0x76 && code <= 0x7a) return lower - 0x61 + 10;
  return -1;
}

/**
 * Decodes unpadded base32hex, either case. Returns undefined for anything that is not the exact
 * encoding of some byte string: a foreign character, padding, an impossible length (1, 3 or 6
 * characters mod 8), or non-zero leftover bits (which would let two spellings denote one hash).
 */
export function base32hexDecode(text: string): Uint8Array | undefined {
  const rem = text.length % 8;
  if (rem === 1 || rem === 3 || rem === 6) return undefined;
  const out = new Uint8Array(Math.floor((text.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let pos = 0;
  for (let i = 0; i < text.length; i++) {
    const value = base32hexValue(text.charCodeAt(i));
    if (value < 0) return undefined;
    buffer = ((buffer << 5) | value) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[pos++] = (buffer >>> bits) & 0xff;
    }
  }
  if ((buffer & ((1 << bits) - 1)) !== 0) return undefined;
  return out;
}
