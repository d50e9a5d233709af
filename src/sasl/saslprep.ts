// SASLprep (RFC 4013, a profile of stringprep RFC 3454), "lite": what a SCRAM client needs to
// normalise the username and password it sends (RFC 5802 §2.2, Normalize()).
//
// Done: the two mappings (non-ASCII spaces → U+0020, RFC 3454 C.1.2; "commonly mapped to
// nothing" removed, B.1), NFKC, and the prohibited output of RFC 4013 §2.3 (controls,
// private use, non-characters, surrogates, inappropriate for plain text / canonical
// representation, change display properties, tagging characters).
// Not done: the bidirectional check (RFC 3454 §6) — a string mixing right-to-left and
// left-to-right characters is passed through, which at worst makes a login fail. Unassigned
// code points are allowed, as RFC 4013 allows for "queries" (a client's input).
//
// For ASCII text without control characters SASLprep is the identity, which is what every
// test vector and almost every real password is.

export class SaslprepError extends Error {
  override name = 'SaslprepError';
}

/** RFC 3454 C.1.2: non-ASCII space characters, mapped to U+0020 by RFC 4013 §2.1. */
const NON_ASCII_SPACE = new Set([0x00a0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x200b, 0x202f, 0x205f, 0x3000]);
/** RFC 3454 B.1: commonly mapped to nothing. (Code points, not a regex class: several are combining marks.) */
const MAPPED_TO_NOTHING = new Set([0x00ad, 0x034f, 0x1806, 0x180b, 0x180c, 0x180d, 0x200c, 0x200d, 0x2060, 0xfeff, ...Array.from({ length: 16 }, (_, i) => 0xfe00 + i)]);

function map(input: string): string {
  let out = '';
  for (const ch of input) {
    const cp = ch.codePointAt(0)!;
    if (NON_ASCII_SPACE.has(cp)) out += ' ';
    else if (!MAPPED_TO_NOTHING.has(cp)) out += ch;
  }
  return out;
}

/** Prohibited output (RFC 4013 §2.3), as code point ranges [from, to]. */
const PROHIBITED: ReadonlyArray<readonly [number, number, string]> = [
  [0x0000, 0x001f, 'an ASCII control character'], // C.2.1
  [0x007f, 0x007f, 'an ASCII control character'],
  [0x0080, 0x009f, 'a control character'], // C.2.2
  [0x06dd, 0x06dd, 'a control character'],
  [0x070f, 0x070f, 'a control character'],
  [0x180e, 0x180e, 'a control character'],
  [0x200e, 0x200f, 'a character that changes display properties'], // C.8
  [0x2028, 0x2029, 'a control character'],
  [0x202a, 0x202e, 'a character that changes display properties'],
  [0x2060, 0x2063, 'a control character'],
  [0x206a, 0x206f, 'a control character'],
  [0x2ff0, 0x2ffb, 'an ideographic description character'], // C.7
  [0xd800, 0xdfff, 'a surrogate code point'], // C.5
  [0xe000, 0xf8ff, 'a private-use character'], // C.3
  [0xfdd0, 0xfdef, 'a non-character code point'], // C.4
  [0xfeff, 0xfeff, 'a control character'],
  [0xfff9, 0xfffd, 'a character inappropriate for plain text'], // C.6 (FFF9-FFFC are C.2.2 too)
  [0x1d173, 0x1d17a, 'a control character'],
  [0xe0001, 0xe0001, 'a tagging character'], // C.9
  [0xe0020, 0xe007f, 'a tagging character'],
  [0xf0000, 0xffffd, 'a private-use character'],
  [0x100000, 0x10fffd, 'a private-use character'],
  [0x0340, 0x0341, 'a character that changes display properties'], // C.8
];

function prohibitedReason(cp: number): string | undefined {
  // C.4: the last two code points of every plane.
  if ((cp & 0xfffe) === 0xfffe) return 'a non-character code point';
  for (const [from, to, why] of PROHIBITED) if (cp >= from && cp <= to) return why;
  return undefined;
}

/**
 * SASLprep a username or password. Throws SaslprepError naming the problem and its position —
 * never the string itself, which may be a password.
 */
export function saslprep(input: string, what = 'the string'): string {
  const out = map(input).normalize('NFKC');
  let i = 0;
  for (const ch of out) {
    const cp = ch.codePointAt(0)!;
    // A lone surrogate iterates as one UTF-16 unit.
    const why = prohibitedReason(cp);
    if (why) throw new SaslprepError(`${what} contains ${why} (U+${cp.toString(16).toUpperCase().padStart(4, '0')}) at position ${i}, which SASLprep prohibits (RFC 4013 §2.3)`);
    i++;
  }
  return out;
}

/**
 * A SCRAM `saslname` (RFC 5802 §5.1): SASLprep, then "," → "=2C" and "=" → "=3D". Used for the
 * username (`n=`) and the authorization identity (`a=`). An empty result is refused.
 */
export function saslname(input: string, what = 'the username'): string {
  const prepped = saslprep(input, what);
  if (prepped.length === 0) throw new SaslprepError(`${what} is empty after SASLprep`);
  return prepped.replace(/=/g, '=3D').replace(/,/g, '=2C');
}
