// Domain names as the DNS sees them: a list of labels, each an arbitrary octet string.
//
// Names are kept as raw bytes, never as text, because DNSSEC signs the exact wire octets: a label
// may hold 0x00, 0xFF, '.', or uppercase letters, and decoding to a JS string (as general DNS
// libraries do) loses that. The root label is not stored: the root name is the empty list.
//
// Limits (RFC 1035 §2.3.4, §3.1): a label holds 1–63 octets, a whole name at most 255 octets in
// uncompressed wire form (each label's length octet included, plus the final zero octet).

/** A domain name: labels from left (most specific) to right, without the empty root label. */
export interface DnsName {
  readonly labels: readonly Uint8Array[];
}

/** Hostile or malformed wire data; `offset` is the byte in the buffer where the problem lies. */
export class DnsFormatError extends Error {
  /** What is wrong, without the offset. */
  readonly reason: string;
  readonly offset: number;
  constructor(reason: string, offset: number) {
    super(`${reason} (at byte offset ${offset})`);
    this.name = 'DnsFormatError';
    this.reason = reason;
    this.offset = offset;
  }
}

/** Presentation-format (zone file text) input that cannot be parsed. */
export class DnsSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DnsSyntaxError';
  }
}

export const MAX_LABEL_LENGTH = 63;
export const MAX_NAME_WIRE_LENGTH = 255;
/**
 * Compression pointers followed within one name. A name has at most 127 labels and an encoder
 * needs at most one pointer per label, so more is hostile: without this cap, a chain of pointers
 * to pointers would cost ~32K hops per name in a 64 KiB message, for every name in it.
 */
export const MAX_POINTER_HOPS = 127;

export const ROOT: DnsName = Object.freeze({ labels: Object.freeze([]) });

/** Builds a name from labels, checking the RFC 1035 size limits (throws RangeError). */
export function nameFromLabels(labels: readonly Uint8Array[]): DnsName {
  let length = 1;
  for (const label of labels) {
    if (label.length === 0) throw new RangeError('empty label inside a domain name');
    if (label.length > MAX_LABEL_LENGTH) throw new RangeError(`label of ${label.length} octets (the limit is 63)`);
    length += label.length + 1;
  }
  if (length > MAX_NAME_WIRE_LENGTH) throw new RangeError(`name of ${length} wire octets (the limit is 255)`);
  return { labels: [...labels] };
}

/** Length of the name in uncompressed wire form (root = 1). */
export function nameWireLength(name: DnsName): number {
  let length = 1;
  for (const label of name.labels) length += label.length + 1;
  return length;
}

// ---------------------------------------------------------------------------------------------
// Presentation format (RFC 1035 §5.1): labels separated by '.', '\X' quotes X literally and
// '\DDD' is the octet with decimal value DDD. Names here are always absolute; a trailing dot is
// optional because keywatch has no notion of an origin.

const CODE_BACKSLASH = 0x5c;
const CODE_DOT = 0x2e;

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

/** Parses a domain name in presentation format, e.g. `"a\\.b.example."` or `"."`. */
export function parseName(text: string): DnsName {
  if (text === '') throw new DnsSyntaxError('empty domain name');
  if (text === '.') return ROOT;
  if (text === '@') throw new DnsSyntaxError('"@" (the zone origin) is not supported: write the name in full');
  const labels: Uint8Array[] = [];
  let current: number[] = [];
  let wireLength = 1;
  const endLabel = (position: number) => {
    if (current.length === 0) throw new DnsSyntaxError(`empty label at character ${position} in "${text}"`);
    if (current.length > MAX_LABEL_LENGTH) {
      throw new DnsSyntaxError(`label of ${current.length} octets ending at character ${position} in "${text}" (the limit is 63)`);
    }
    wireLength += current.length + 1;
    if (wireLength > MAX_NAME_WIRE_LENGTH) {
      throw new DnsSyntaxError(`name "${text}" is longer than 255 octets in wire form`);
    }
    labels.push(Uint8Array.from(current));
    current = [];
  };
  let i = 0;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (code === CODE_DOT) {
      endLabel(i);
      i += 1;
      // A single trailing dot marks the name absolute; anything after it is a new label.
      if (i === text.length) return { labels };
      continue;
    }
    if (code === CODE_BACKSLASH) {
      const next = text.charCodeAt(i + 1);
      if (Number.isNaN(next)) throw new DnsSyntaxError(`backslash at the end of "${text}"`);
      if (isDigit(next)) {
        const digits = text.slice(i + 1, i + 4);
        if (!/^[0-9]{3}$/.test(digits)) {
          throw new DnsSyntaxError(`bad escape "\\${digits}" at character ${i} in "${text}": \\DDD needs three decimal digits`);
        }
        const value = Number(digits);
        if (value > 255) throw new DnsSyntaxError(`bad escape "\\${digits}" at character ${i} in "${text}": above 255`);
        current.push(value);
        i += 4;
        continue;
      }
      if (next < 0x20 || next > 0x7e) {
        throw new DnsSyntaxError(`bad escape at character ${i} in "${text}": only printable ASCII may follow "\\"`);
      }
      current.push(next);
      i += 2;
      continue;
    }
    // Unescaped octets must be printable ASCII: whitespace would end a zone-file token, and a
    // non-ASCII character has no single octet (an IDN must be given in its xn-- A-label form).
    if (code <= 0x20 || code > 0x7e) {
      throw new DnsSyntaxError(
        `character U+${code.toString(16).toUpperCase().padStart(4, '0')} at position ${i} in "${text}" must be written as \\DDD (IDNs as xn-- A-labels)`,
      );
    }
    current.push(code);
    i += 1;
  }
  endLabel(text.length);
  return { labels };
}

// Octets that have a meaning in zone files are quoted with '\X' so the output parses back.
const SPECIAL = new Set([0x2e, 0x5c, 0x22, 0x28, 0x29, 0x3b, 0x40, 0x24, 0x20]); // . \ " ( ) ; @ $ space

/** Appends one label in presentation form: printable ASCII as is, specials as `\X`, others `\DDD`. */
export function labelToString(label: Uint8Array): string {
  let out = '';
  for (const octet of label) {
    if (SPECIAL.has(octet)) out += '\\' + String.fromCharCode(octet);
    else if (octet > 0x20 && octet < 0x7f) out += String.fromCharCode(octet);
    else out += '\\' + octet.toString(10).padStart(3, '0');
  }
  return out;
}

/** Presentation format, always absolute (with the trailing dot); the root is ".". */
export function nameToString(name: DnsName): string {
  if (name.labels.length === 0) return '.';
  let out = '';
  for (const label of name.labels) out += labelToString(label) + '.';
  return out;
}

// ---------------------------------------------------------------------------------------------
// Wire format (RFC 1035 §3.1, §4.1.4).

/**
 * The same bytes as a plain Uint8Array, so that slice() copies: on a Buffer, slice() returns a
 * view that would alias (and keep alive) the whole message.
 */
export function plainBytes(buf: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(buf) === Uint8Array.prototype ? buf : new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Uncompressed wire form: length-prefixed labels and the terminating zero octet. */
export function nameToWire(name: DnsName): Uint8Array {
  const out = new Uint8Array(nameWireLength(name));
  writeNameInto(name, out, 0);
  return out;
}

/** Writes the uncompressed wire form at `offset`; returns the offset after it. */
export function writeNameInto(name: DnsName, out: Uint8Array, offset: number): number {
  let pos = offset;
  for (const label of name.labels) {
    out[pos] = label.length;
    out.set(label, pos + 1);
    pos += label.length + 1;
  }
  out[pos] = 0;
  return pos + 1;
}

export interface NameFromWireOptions {
  /** Follow compression pointers (RFC 1035 §4.1.4). Default true. */
  allowCompression?: boolean;
  /** The name's own octets (up to the terminator or first pointer) must end before this offset. */
  end?: number;
}

/**
 * Reads a possibly compressed name at `offset`. `next` is the offset just after the name's own
 * octets (after the first pointer, if any), where the following field starts.
 *
 * Bounded against hostile input: every pointer must point strictly before the start of the run
 * of labels that contains it, so each jump lands earlier than the last and no loop is possible;
 * at most MAX_POINTER_HOPS pointers are followed; the decompressed name must fit in 255 octets;
 * label types 01 and 10 (RFC 6891 §5, obsolete extended labels) are refused.
 */
export function nameFromWire(
  input: Uint8Array,
  offset: number,
  options: NameFromWireOptions = {},
): { name: DnsName; next: number } {
  const buf = plainBytes(input);
  const allowCompression = options.allowCompression ?? true;
  const end = Math.min(options.end ?? buf.length, buf.length);
  const labels: Uint8Array[] = [];
  let wireLength = 1;
  let pos = offset;
  let limit = end; // the current run of labels may not read at or past this offset
  let runStart = offset;
  let next = -1; // set at the first pointer
  let hops = 0;
  for (;;) {
    if (pos >= limit) {
      throw new DnsFormatError(next < 0 ? 'domain name runs past the end of its data' : 'compressed name runs past the end of the message', pos);
    }
    const length = buf[pos] ?? 0;
    const kind = length & 0xc0;
    if (kind === 0xc0) {
      if (!allowCompression) throw new DnsFormatError('compression pointer where this field forbids compression', pos);
      if (pos + 1 >= limit) throw new DnsFormatError('compression pointer cut short', pos);
      const target = ((length & 0x3f) << 8) | (buf[pos + 1] ?? 0);
      if (target >= runStart) {
        throw new DnsFormatError(`compression pointer to ${target} does not point backwards (loop or forward pointer)`, pos);
      }
      hops += 1;
      if (hops > MAX_POINTER_HOPS) throw new DnsFormatError(`more than ${MAX_POINTER_HOPS} compression pointers in one name`, pos);
      if (next < 0) next = pos + 2;
      runStart = target;
      limit = buf.length;
      pos = target;
      continue;
    }
    if (kind !== 0) throw new DnsFormatError(`unsupported label type 0x${kind.toString(16)}`, pos);
    if (length === 0) {
      return { name: { labels }, next: next < 0 ? pos + 1 : next };
    }
    if (pos + 1 + length > limit) throw new DnsFormatError('label runs past the end of its data', pos);
    wireLength += length + 1;
    if (wireLength > MAX_NAME_WIRE_LENGTH) throw new DnsFormatError('domain name longer than 255 octets', pos);
    labels.push(buf.slice(pos + 1, pos + 1 + length)); // a copy: never pin or alias the message
    pos += length + 1;
  }
}

// ---------------------------------------------------------------------------------------------
// Comparison and canonical form. DNS names compare case-insensitively for ASCII letters only
// (RFC 4343); every other octet, including those ≥ 0x80, compares exactly.

function lowerOctet(octet: number): number {
  return octet >= 0x41 && octet <= 0x5a ? octet + 0x20 : octet;
}

/** Lowercases ASCII A–Z in a label; returns the same array when nothing changes. */
export function canonicalLabel(label: Uint8Array): Uint8Array {
  let i = 0;
  while (i < label.length && !(label[i]! >= 0x41 && label[i]! <= 0x5a)) i += 1;
  if (i === label.length) return label;
  const out = new Uint8Array(label); // a copy, even when given a Buffer
  for (; i < out.length; i += 1) out[i] = lowerOctet(out[i]!);
  return out;
}

/** Canonical form (RFC 4034 §6.2): ASCII uppercase letters replaced by lowercase. */
export function canonicalName(name: DnsName): DnsName {
  return { labels: name.labels.map(canonicalLabel) };
}

/** Compares two labels as lowercased octet strings; a prefix sorts first. */
export function compareLabels(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i += 1) {
    const d = lowerOctet(a[i]!) - lowerOctet(b[i]!);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/**
 * Canonical DNS name order (RFC 4034 §6.1): compare label by label starting from the root side,
 * each label as a lowercased octet string; when one name runs out of labels first, it sorts first.
 */
export function compareNames(a: DnsName, b: DnsName): number {
  let i = a.labels.length - 1;
  let j = b.labels.length - 1;
  for (; i >= 0 && j >= 0; i -= 1, j -= 1) {
    const d = compareLabels(a.labels[i]!, b.labels[j]!);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  if (i === j) return 0;
  return i < j ? -1 : 1;
}

/** Equality ignoring ASCII case (RFC 4343). */
export function nameEquals(a: DnsName, b: DnsName): boolean {
  if (a.labels.length !== b.labels.length) return false;
  for (let i = 0; i < a.labels.length; i += 1) {
    const x = a.labels[i]!;
    const y = b.labels[i]!;
    if (x.length !== y.length || compareLabels(x, y) !== 0) return false;
  }
  return true;
}

/** True when `child` equals `parent` or lies below it (every name is a subdomain of the root). */
export function isSubdomainOf(child: DnsName, parent: DnsName): boolean {
  const skip = child.labels.length - parent.labels.length;
  if (skip < 0) return false;
  for (let i = 0; i < parent.labels.length; i += 1) {
    const x = child.labels[skip + i]!;
    const y = parent.labels[i]!;
    if (x.length !== y.length || compareLabels(x, y) !== 0) return false;
  }
  return true;
}

/** True when the leftmost label is exactly "*" (RFC 4592 §2.1.1). */
export function isWildcard(name: DnsName): boolean {
  const first = name.labels[0];
  return first !== undefined && first.length === 1 && first[0] === 0x2a;
}

/**
 * The value an RRSIG's Labels field has for this owner (RFC 4034 §3.1.3): the root and a
 * leftmost "*" label are not counted.
 */
export function labelCount(name: DnsName): number {
  return isWildcard(name) ? name.labels.length - 1 : name.labels.length;
}

/** The name without its leftmost label; undefined for the root, which has no parent. */
export function parentName(name: DnsName): DnsName | undefined {
  if (name.labels.length === 0) return undefined;
  return { labels: name.labels.slice(1) };
}

/** The ancestor with only the rightmost `count` labels (used for wildcard owner reconstruction). */
export function nameSuffix(name: DnsName, count: number): DnsName {
  if (count < 0 || count > name.labels.length) throw new RangeError(`name has ${name.labels.length} labels, asked for ${count}`);
  return { labels: name.labels.slice(name.labels.length - count) };
}

/** `prefix` + `suffix`, e.g. `_25._tcp` + `mail.example.` (throws RangeError beyond 255 octets). */
export function concatNames(prefix: DnsName, suffix: DnsName): DnsName {
  return nameFromLabels([...prefix.labels, ...suffix.labels]);
}

/** A new leftmost label, e.g. `*` for a wildcard or a base32hex NSEC3 hash (throws RangeError). */
export function prependLabel(name: DnsName, label: Uint8Array | string): DnsName {
  const bytes = typeof label === 'string' ? labelFromAscii(label) : label;
  return nameFromLabels([bytes, ...name.labels]);
}

function labelFromAscii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code > 0xff) throw new RangeError('label text must be single octets');
    out[i] = code;
  }
  return out;
}
