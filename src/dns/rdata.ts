// RDATA: the typed meaning of each record type keywatch reads, the exact bytes DNSSEC signs,
// and the zone-file text form admins read and paste.
//
// Three representations meet here:
//   wire    the bytes in a message; for a few old types embedded names may be compressed
//           (RFC 3597 §4), so rdataFromMessage() expands them — the raw rdata a record keeps
//           is always uncompressed, which is what canonical form (RFC 4034 §6.2) starts from;
//   typed   decodeRdata() → RData, strict: any length that does not add up is a DnsFormatError;
//   text    rdataToString() / rdataFromString(), RFC 1035 §5.1 presentation format plus the
//           generic "\# len hex" form of RFC 3597 §5 for everything else.
import { base32hexDecode, base32hexEncode } from './base32hex.ts';
import {
  DnsFormatError,
  DnsSyntaxError,
  canonicalName,
  nameFromWire,
  nameToString,
  nameToWire,
  parseName,
  plainBytes,
  type DnsName,
} from './name.ts';
import { RRClass, RRType, algorithmFromString, typeFromString, typeToString } from './types.ts';

// ---------------------------------------------------------------------------------------------
// Bounded reading

/**
 * Reads fields from `buf[start, end)`, refusing to read past `end`. `base` is added to offsets in
 * error messages when `buf` is a copy of rdata taken from a larger message.
 */
export class WireReader {
  pos: number;
  private readonly buf: Uint8Array;
  constructor(
    buf: Uint8Array,
    start: number,
    readonly end: number,
    private readonly base = 0,
    /** When true, bytes() returns views into `buf` instead of copies (for buffers the caller owns). */
    private readonly share = false,
  ) {
    this.buf = plainBytes(buf);
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number, what: string): void {
    if (n > this.end - this.pos) {
      throw new DnsFormatError(`${what} cut short: needs ${n} bytes, ${this.end - this.pos} left`, this.base + this.pos);
    }
  }

  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++]!;
  }

  u16(what: string): number {
    this.need(2, what);
    const b = this.buf;
    const p = this.pos;
    this.pos += 2;
    return (b[p]! << 8) | b[p + 1]!;
  }

  u32(what: string): number {
    this.need(4, what);
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return b[p]! * 0x1000000 + ((b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!);
  }

  /** The next `n` bytes: a copy, or a view when the reader was made with `share`. */
  bytes(n: number, what: string): Uint8Array {
    this.need(n, what);
    const start = this.pos;
    this.pos += n;
    return this.share ? this.buf.subarray(start, this.pos) : this.buf.slice(start, this.pos);
  }

  /** Everything up to `end` (copy or view, as bytes()). */
  rest(): Uint8Array {
    return this.bytes(this.end - this.pos, 'data');
  }

  /** A name that must lie within this reader's range (pointers may reach back anywhere). */
  name(what: string, allowCompression: boolean): DnsName {
    try {
      const { name, next } = nameFromWire(this.buf, this.pos, { end: this.end, allowCompression });
      this.pos = next;
      return name;
    } catch (error) {
      if (error instanceof DnsFormatError) throw new DnsFormatError(`${what}: ${error.reason}`, this.base + error.offset);
      throw error;
    }
  }

  expectEnd(what: string): void {
    if (this.pos !== this.end) {
      throw new DnsFormatError(`${this.end - this.pos} unexpected bytes after ${what}`, this.base + this.pos);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Where names sit inside rdata

/** A field of an rdata layout: a fixed number of octets, a domain name, a <character-string>, or the remainder. */
type Field = number | 'name' | 'string' | 'rest';

const T = RRType;

/** Layouts of every type that embeds domain names and is either compressible or canonicalised (A6 is handled apart). */
const LAYOUTS = new Map<number, readonly Field[]>([
  [T.NS, ['name']], // RFC 1035 §3.3.11
  [T.MD, ['name']],
  [T.MF, ['name']],
  [T.CNAME, ['name']],
  [T.SOA, ['name', 'name', 20]], // MNAME RNAME SERIAL REFRESH RETRY EXPIRE MINIMUM
  [T.MB, ['name']],
  [T.MG, ['name']],
  [T.MR, ['name']],
  [T.PTR, ['name']],
  [T.MINFO, ['name', 'name']],
  [T.MX, [2, 'name']],
  [T.RP, ['name', 'name']], // RFC 1183
  [T.AFSDB, [2, 'name']],
  [T.RT, [2, 'name']],
  [T.SIG, [18, 'name', 'rest']], // RFC 2535: fixed fields, signer, signature
  [T.PX, [2, 'name', 'name']], // RFC 2163
  [T.NXT, ['name', 'rest']], // RFC 2535
  [T.NAPTR, [2, 2, 'string', 'string', 'string', 'name']], // RFC 3403
  [T.KX, [2, 'name']], // RFC 2230
  [T.SRV, [6, 'name']], // RFC 2782
  [T.DNAME, ['name']], // RFC 6672
  [T.RRSIG, [18, 'name', 'rest']], // RFC 4034 §3.1
]);

/**
 * Types whose embedded names a receiver expands (RFC 3597 §4): MUST for the RFC 1035 types,
 * SHOULD for RP, AFSDB, RT, SIG, PX, NXT, NAPTR and SRV. DNAME is added: RFC 6672 §2.5 forbids
 * *sending* its target compressed, but reading a pointer costs nothing and RFC 2672 was silent.
 * Names in every other type are never compressed; a pointer there is a format error.
 */
const COMPRESSIBLE = new Set<number>([
  T.NS, T.MD, T.MF, T.CNAME, T.SOA, T.MB, T.MG, T.MR, T.PTR, T.MINFO, T.MX,
  T.RP, T.AFSDB, T.RT, T.SIG, T.PX, T.NXT, T.NAPTR, T.SRV,
  T.DNAME,
]);

/**
 * Types whose embedded names are lowercased in canonical form: RFC 4034 §6.2 item 3 as corrected
 * by RFC 6840 §5.1, which removes NSEC (its Next Domain Name keeps its case) and keeps RRSIG.
 * HINFO is listed by RFC 4034 but holds no names, so it needs no work.
 */
const CANONICAL_LOWERCASE = new Set<number>([
  T.NS, T.MD, T.MF, T.CNAME, T.SOA, T.MB, T.MG, T.MR, T.PTR, T.MINFO, T.MX,
  T.RP, T.AFSDB, T.RT, T.SIG, T.PX, T.NXT, T.NAPTR, T.KX, T.SRV, T.DNAME, T.A6, T.RRSIG,
]);

function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let pos = 0;
  for (const part of parts) {
    out.set(part, pos);
    pos += part.length;
  }
  return out;
}

/** Walks a layout, copying fixed fields and passing each name through `mapName`. */
function rewriteNames(
  reader: WireReader,
  layout: readonly Field[],
  typeName: string,
  allowCompression: boolean,
  mapName: (name: DnsName) => DnsName,
): Uint8Array {
  const parts: Uint8Array[] = [];
  let fieldIndex = 0;
  for (const field of layout) {
    fieldIndex += 1;
    const what = `${typeName} rdata field ${fieldIndex}`;
    if (field === 'name') parts.push(nameToWire(mapName(reader.name(what, allowCompression))));
    else if (field === 'string') {
      const length = reader.u8(what);
      parts.push(Uint8Array.of(length), reader.bytes(length, what));
    } else if (field === 'rest') parts.push(reader.rest());
    else parts.push(reader.bytes(field, what));
  }
  reader.expectEnd(`${typeName} rdata`);
  return concatBytes(parts);
}

/** A6 (RFC 2874 §3.1.1): prefix length, the address suffix octets, then the prefix name if any. */
function rewriteA6(reader: WireReader, mapName: (name: DnsName) => DnsName): Uint8Array {
  const prefixLength = reader.u8('A6 prefix length');
  if (prefixLength > 128) throw new DnsFormatError(`A6 prefix length ${prefixLength} above 128`, reader.pos - 1);
  const suffix = reader.bytes((128 - prefixLength + 7) >> 3, 'A6 address suffix');
  const parts = [Uint8Array.of(prefixLength), suffix];
  if (prefixLength > 0) parts.push(nameToWire(mapName(reader.name('A6 prefix name', false))));
  reader.expectEnd('A6 rdata');
  return concatBytes(parts);
}

const identity = (name: DnsName) => name;

/**
 * The raw rdata of the record whose rdata occupies `msg[start, end)`, with names decompressed for
 * the types where compression is allowed (see COMPRESSIBLE). A copy, unless `share` is set and the
 * type needs no decompression: then a view of `msg` (for a message buffer the caller owns).
 * Offsets in errors are offsets in `msg`.
 */
export function rdataFromMessage(msg: Uint8Array, start: number, end: number, type: number, share = false): Uint8Array {
  const layout = COMPRESSIBLE.has(type) ? LAYOUTS.get(type) : undefined;
  if (layout === undefined) return share ? plainBytes(msg).subarray(start, end) : plainBytes(msg).slice(start, end);
  return rewriteNames(new WireReader(msg, start, end), layout, typeToString(type), true, identity);
}

/**
 * Canonical form of uncompressed rdata for signing and RRset ordering (RFC 4034 §6.2, RFC 6840
 * §5.1): embedded names lowercased for the listed types, every other byte untouched.
 * Always returns a new array. Throws DnsFormatError if the rdata does not fit the type's layout.
 */
export function canonicalRdata(type: number, rdata: Uint8Array): Uint8Array {
  if (!CANONICAL_LOWERCASE.has(type)) return new Uint8Array(rdata);
  const reader = new WireReader(rdata, 0, rdata.length);
  if (type === T.A6) return rewriteA6(reader, canonicalName);
  const layout = LAYOUTS.get(type);
  if (layout === undefined) return new Uint8Array(rdata);
  return rewriteNames(reader, layout, typeToString(type), false, canonicalName);
}

// ---------------------------------------------------------------------------------------------
// NSEC / NSEC3 type bitmaps (RFC 4034 §4.1.2, RFC 5155 §3.2.1)

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

// ---------------------------------------------------------------------------------------------
// Typed rdata

export interface AData { type: 'A'; address: string }
export interface AaaaData { type: 'AAAA'; address: string }
export interface TargetData { type: 'NS' | 'CNAME' | 'DNAME' | 'PTR'; target: DnsName }
export interface SoaData {
  type: 'SOA';
  mname: DnsName;
  rname: DnsName;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}
export interface MxData { type: 'MX'; preference: number; exchange: DnsName }
/** TXT strings stay bytes: they need not be UTF-8 (RFC 1035 §3.3.14). */
export interface TxtData { type: 'TXT'; strings: Uint8Array[] }
export interface SrvData { type: 'SRV'; priority: number; weight: number; port: number; target: DnsName }
export interface TlsaData { type: 'TLSA'; usage: number; selector: number; matchingType: number; data: Uint8Array }
export interface CaaData { type: 'CAA'; flags: number; critical: boolean; tag: string; value: Uint8Array }
export interface DsData { type: 'DS' | 'CDS'; keyTag: number; algorithm: number; digestType: number; digest: Uint8Array }
export interface DnskeyData { type: 'DNSKEY' | 'CDNSKEY'; flags: number; protocol: number; algorithm: number; publicKey: Uint8Array }
export interface RrsigData {
  type: 'RRSIG';
  typeCovered: number;
  algorithm: number;
  labels: number;
  originalTtl: number;
  /** Seconds since the epoch modulo 2^32 (RFC 4034 §3.1.5: compare with serial arithmetic). */
  expiration: number;
  inception: number;
  keyTag: number;
  signerName: DnsName;
  signature: Uint8Array;
}
export interface NsecData { type: 'NSEC'; nextDomain: DnsName; types: number[] }
export interface Nsec3Data {
  type: 'NSEC3';
  hashAlgorithm: number;
  flags: number;
  optOut: boolean;
  iterations: number;
  salt: Uint8Array;
  nextHashedOwner: Uint8Array;
  types: number[];
}
export interface Nsec3ParamData { type: 'NSEC3PARAM'; hashAlgorithm: number; flags: number; iterations: number; salt: Uint8Array }
export interface EdnsOption { code: number; data: Uint8Array }
export interface OptData { type: 'OPT'; options: EdnsOption[] }

export type RData =
  | AData
  | AaaaData
  | TargetData
  | SoaData
  | MxData
  | TxtData
  | SrvData
  | TlsaData
  | CaaData
  | DsData
  | DnskeyData
  | RrsigData
  | NsecData
  | Nsec3Data
  | Nsec3ParamData
  | OptData;

function isAlphanumeric(octet: number): boolean {
  return (octet >= 0x30 && octet <= 0x39) || (octet >= 0x41 && octet <= 0x5a) || (octet >= 0x61 && octet <= 0x7a);
}

type Decoder = (r: WireReader, base: number) => RData;

const DECODERS = new Map<number, Decoder>([
  [T.A, (r) => ({ type: 'A', address: formatIpv4(r.bytes(4, 'A address')) })],
  [T.AAAA, (r) => ({ type: 'AAAA', address: formatIpv6(r.bytes(16, 'AAAA address')) })],
  [T.NS, (r) => ({ type: 'NS', target: r.name('NS target', false) })],
  [T.CNAME, (r) => ({ type: 'CNAME', target: r.name('CNAME target', false) })],
  [T.DNAME, (r) => ({ type: 'DNAME', target: r.name('DNAME target', false) })],
  [T.PTR, (r) => ({ type: 'PTR', target: r.name('PTR target', false) })],
  [
    T.SOA,
    (r) => ({
      type: 'SOA',
      mname: r.name('SOA MNAME', false),
      rname: r.name('SOA RNAME', false),
      serial: r.u32('SOA SERIAL'),
      refresh: r.u32('SOA REFRESH'),
      retry: r.u32('SOA RETRY'),
      expire: r.u32('SOA EXPIRE'),
      minimum: r.u32('SOA MINIMUM'),
    }),
  ],
  [T.MX, (r) => ({ type: 'MX', preference: r.u16('MX preference'), exchange: r.name('MX exchange', false) })],
  [
    T.TXT,
    (r, base) => {
      // RFC 1035 §3.3.14: one or more <character-string>s.
      if (r.remaining === 0) throw new DnsFormatError('TXT rdata without any string', base + r.pos);
      const strings: Uint8Array[] = [];
      while (r.remaining > 0) strings.push(r.bytes(r.u8('TXT string length'), 'TXT string'));
      return { type: 'TXT', strings };
    },
  ],
  [
    T.SRV,
    (r) => ({
      type: 'SRV',
      priority: r.u16('SRV priority'),
      weight: r.u16('SRV weight'),
      port: r.u16('SRV port'),
      target: r.name('SRV target', false),
    }),
  ],
  [
    T.TLSA,
    (r) => ({
      type: 'TLSA',
      usage: r.u8('TLSA usage'),
      selector: r.u8('TLSA selector'),
      matchingType: r.u8('TLSA matching type'),
      data: r.rest(),
    }),
  ],
  [
    T.CAA,
    (r, base) => {
      const flags = r.u8('CAA flags');
      const tagStart = r.pos;
      const tagLength = r.u8('CAA tag length');
      // RFC 8659 §4.1: the tag length MUST be at least 1 and tags MUST hold only ASCII letters
      // and digits. (The 15-octet limit was a SHOULD in RFC 6844 and is not enforced on input.)
      if (tagLength === 0) throw new DnsFormatError('CAA tag length 0', base + tagStart);
      const tag = r.bytes(tagLength, 'CAA tag');
      if (!tag.every(isAlphanumeric)) throw new DnsFormatError('CAA tag holds a character other than A–Z, a–z, 0–9', base + tagStart + 1);
      return { type: 'CAA', flags, critical: (flags & 0x80) !== 0, tag: String.fromCharCode(...tag), value: r.rest() };
    },
  ],
  [T.DS, (r) => decodeDs('DS', r)],
  [T.CDS, (r) => decodeDs('CDS', r)],
  [T.DNSKEY, (r) => decodeDnskey('DNSKEY', r)],
  [T.CDNSKEY, (r) => decodeDnskey('CDNSKEY', r)],
  [
    T.RRSIG,
    (r) => ({
      type: 'RRSIG',
      typeCovered: r.u16('RRSIG type covered'),
      algorithm: r.u8('RRSIG algorithm'),
      labels: r.u8('RRSIG labels'),
      originalTtl: r.u32('RRSIG original TTL'),
      expiration: r.u32('RRSIG expiration'),
      inception: r.u32('RRSIG inception'),
      keyTag: r.u16('RRSIG key tag'),
      // RFC 4034 §3.1.7: the signer's name MUST NOT be compressed.
      signerName: r.name('RRSIG signer name', false),
      signature: r.rest(),
    }),
  ],
  [
    T.NSEC,
    (r, base) => {
      // RFC 4034 §4.1.1: the Next Domain Name MUST NOT be compressed.
      const nextDomain = r.name('NSEC next domain name', false);
      const bitmapStart = base + r.pos;
      return { type: 'NSEC', nextDomain, types: decodeTypeBitmap(r.rest(), bitmapStart) };
    },
  ],
  [
    T.NSEC3,
    (r, base) => {
      const hashAlgorithm = r.u8('NSEC3 hash algorithm');
      const flags = r.u8('NSEC3 flags');
      const iterations = r.u16('NSEC3 iterations');
      const salt = r.bytes(r.u8('NSEC3 salt length'), 'NSEC3 salt');
      const hashAt = base + r.pos;
      const hashLength = r.u8('NSEC3 hash length');
      if (hashLength === 0) throw new DnsFormatError('NSEC3 next hashed owner name of length 0', hashAt);
      const nextHashedOwner = r.bytes(hashLength, 'NSEC3 next hashed owner name');
      const bitmapStart = base + r.pos;
      return {
        type: 'NSEC3',
        hashAlgorithm,
        flags,
        optOut: (flags & 0x01) !== 0, // RFC 5155 §3.1.2.1
        iterations,
        salt,
        nextHashedOwner,
        types: decodeTypeBitmap(r.rest(), bitmapStart),
      };
    },
  ],
  [
    T.NSEC3PARAM,
    (r) => ({
      type: 'NSEC3PARAM',
      hashAlgorithm: r.u8('NSEC3PARAM hash algorithm'),
      flags: r.u8('NSEC3PARAM flags'),
      iterations: r.u16('NSEC3PARAM iterations'),
      salt: r.bytes(r.u8('NSEC3PARAM salt length'), 'NSEC3PARAM salt'),
    }),
  ],
  [
    T.OPT,
    (r) => {
      // RFC 6891 §6.1.2: {code, length, data} triples filling the rdata.
      const options: EdnsOption[] = [];
      while (r.remaining > 0) {
        const code = r.u16('EDNS option code');
        options.push({ code, data: r.bytes(r.u16('EDNS option length'), `EDNS option ${code}`) });
      }
      return { type: 'OPT', options };
    },
  ],
]);

function decodeDs(type: 'DS' | 'CDS', r: WireReader): DsData {
  return {
    type,
    keyTag: r.u16(`${type} key tag`),
    algorithm: r.u8(`${type} algorithm`),
    digestType: r.u8(`${type} digest type`),
    digest: r.rest(),
  };
}

function decodeDnskey(type: 'DNSKEY' | 'CDNSKEY', r: WireReader): DnskeyData {
  return {
    type,
    flags: r.u16(`${type} flags`),
    protocol: r.u8(`${type} protocol`),
    algorithm: r.u8(`${type} algorithm`),
    publicKey: r.rest(),
  };
}

export interface DecodeRdataOptions {
  /** The record's class; A and AAAA are only decoded for IN (their layout is class-specific). */
  klass?: number;
  /** Added to offsets in errors: where this rdata started in its message. */
  offset?: number;
  /**
   * Let byte fields of the result (keys, digests, signatures…) be views into `rdata` rather than
   * copies. Only for rdata the caller owns and will not change, as decodeMessage() does.
   */
  shareBytes?: boolean;
}

/** True for the types decodeRdata() knows. */
export function isDecodedType(type: number): boolean {
  return DECODERS.has(type);
}

/**
 * Typed view of uncompressed rdata, or undefined for types keywatch does not interpret.
 * Throws DnsFormatError when the bytes do not match the type's layout exactly.
 */
export function decodeRdata(type: number, rdata: Uint8Array, options: DecodeRdataOptions = {}): RData | undefined {
  const decoder = DECODERS.get(type);
  if (decoder === undefined) return undefined;
  const klass = options.klass ?? RRClass.IN;
  if ((type === T.A || type === T.AAAA) && klass !== RRClass.IN) return undefined;
  const base = options.offset ?? 0;
  const reader = new WireReader(rdata, 0, rdata.length, base, options.shareBytes ?? false);
  const data = decoder(reader, base);
  reader.expectEnd(`${typeToString(type)} rdata`);
  return data;
}

// ---------------------------------------------------------------------------------------------
// Encodings used in presentation format

function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function base64Of(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export { base32hexDecode, base32hexEncode } from './base32hex.ts';

function formatIpv4(bytes: Uint8Array): string {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}

/**
 * RFC 5952 §4: lowercase, no leading zeros, the longest (first) run of ≥ 2 zero groups as "::";
 * §5: IPv4-mapped addresses in mixed notation (::ffff:192.0.2.1).
 */
function formatIpv6(bytes: Uint8Array): string {
  if (bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return `::ffff:${formatIpv4(bytes.subarray(12))}`;
  }
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i += 1) {
    const part = parts[i]!;
    // No leading zeros: "010" is octal to some parsers and decimal to others.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const value = Number(part);
    if (value > 255) return undefined;
    out[i] = value;
  }
  return out;
}

function parseIpv6(text: string): Uint8Array | undefined {
  const gap = text.indexOf('::');
  if (gap !== text.lastIndexOf('::')) return undefined;
  const split = (s: string) => (s === '' ? [] : s.split(':'));
  const head = gap < 0 ? split(text) : split(text.slice(0, gap));
  const tail = gap < 0 ? [] : split(text.slice(gap + 2));
  const groupsOf = (parts: string[], mayEndInIpv4: boolean): number[] | undefined => {
    const groups: number[] = [];
    for (let i = 0; i < parts.length; i += 1) {
      const part = parts[i]!;
      if (mayEndInIpv4 && i === parts.length - 1 && part.includes('.')) {
        const v4 = parseIpv4(part);
        if (v4 === undefined) return undefined;
        groups.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) groups.push(parseInt(part, 16));
      else return undefined;
    }
    return groups;
  };
  const headGroups = groupsOf(head, gap < 0);
  const tailGroups = groupsOf(tail, true);
  if (headGroups === undefined || tailGroups === undefined) return undefined;
  const total = headGroups.length + tailGroups.length;
  if (gap < 0 ? total !== 8 : total > 7) return undefined;
  const groups = [...headGroups, ...new Array<number>(8 - total).fill(0), ...tailGroups];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/** A <character-string> in quotes: `"` and `\` escaped, non-printable octets as \DDD. */
function quoteString(bytes: Uint8Array): string {
  let out = '"';
  for (const octet of bytes) {
    if (octet === 0x22 || octet === 0x5c) out += '\\' + String.fromCharCode(octet);
    else if (octet >= 0x20 && octet < 0x7f) out += String.fromCharCode(octet);
    else out += '\\' + octet.toString(10).padStart(3, '0');
  }
  return out + '"';
}

/** RRSIG times as YYYYMMDDHHmmSS in UTC (RFC 4034 §3.2). */
function formatTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

// ---------------------------------------------------------------------------------------------
// Presentation format output

/** Generic form for any rdata (RFC 3597 §5). */
export function genericRdataToString(rdata: Uint8Array): string {
  return rdata.length === 0 ? '\\# 0' : `\\# ${rdata.length} ${hexOf(rdata)}`;
}

const typeList = (types: readonly number[]) => types.map(typeToString).join(' ');

/** Presentation format of typed rdata. Hex is lowercase except DS digests and NSEC3 salts (RFC examples). */
export function formatRData(data: RData): string {
  switch (data.type) {
    case 'A':
    case 'AAAA':
      return data.address;
    case 'NS':
    case 'CNAME':
    case 'DNAME':
    case 'PTR':
      return nameToString(data.target);
    case 'SOA':
      return `${nameToString(data.mname)} ${nameToString(data.rname)} ${data.serial} ${data.refresh} ${data.retry} ${data.expire} ${data.minimum}`;
    case 'MX':
      return `${data.preference} ${nameToString(data.exchange)}`;
    case 'TXT':
      return data.strings.map(quoteString).join(' ');
    case 'SRV':
      return `${data.priority} ${data.weight} ${data.port} ${nameToString(data.target)}`;
    case 'TLSA':
      return `${data.usage} ${data.selector} ${data.matchingType} ${hexOf(data.data)}`;
    case 'CAA':
      return `${data.flags} ${data.tag} ${quoteString(data.value)}`;
    case 'DS':
    case 'CDS':
      return `${data.keyTag} ${data.algorithm} ${data.digestType} ${hexOf(data.digest).toUpperCase()}`;
    case 'DNSKEY':
    case 'CDNSKEY':
      return `${data.flags} ${data.protocol} ${data.algorithm} ${base64Of(data.publicKey)}`;
    case 'RRSIG':
      return [
        typeToString(data.typeCovered),
        data.algorithm,
        data.labels,
        data.originalTtl,
        formatTime(data.expiration),
        formatTime(data.inception),
        data.keyTag,
        nameToString(data.signerName),
        base64Of(data.signature),
      ].join(' ');
    case 'NSEC':
      return [nameToString(data.nextDomain), typeList(data.types)].filter((s) => s !== '').join(' ');
    case 'NSEC3':
      return [
        data.hashAlgorithm,
        data.flags,
        data.iterations,
        data.salt.length === 0 ? '-' : hexOf(data.salt).toUpperCase(),
        base32hexEncode(data.nextHashedOwner),
        typeList(data.types),
      ]
        .join(' ')
        .trimEnd();
    case 'NSEC3PARAM':
      return `${data.hashAlgorithm} ${data.flags} ${data.iterations} ${data.salt.length === 0 ? '-' : hexOf(data.salt).toUpperCase()}`;
    case 'OPT':
      return data.options.map((o) => `${o.code}:${hexOf(o.data)}`).join(' ');
  }
}

/**
 * False when a field that the text form cannot show empty is empty (a TLSA without data, a
 * DNSKEY without key…): such rdata is valid on the wire but only the generic form round-trips.
 */
function hasTextForm(data: RData): boolean {
  switch (data.type) {
    case 'TLSA':
      return data.data.length > 0;
    case 'DS':
    case 'CDS':
      return data.digest.length > 0;
    case 'DNSKEY':
    case 'CDNSKEY':
      return data.publicKey.length > 0;
    case 'RRSIG':
      return data.signature.length > 0;
    default:
      return true;
  }
}

/**
 * Presentation format of uncompressed rdata; the generic `\# len hex` form for uninterpreted
 * types and for rdata the type's own text form cannot express. The output always parses back
 * with rdataFromString() to the same bytes.
 */
export function rdataToString(type: number, rdata: Uint8Array, klass: number = RRClass.IN): string {
  const data = decodeRdata(type, rdata, { klass });
  return data === undefined || !hasTextForm(data) ? genericRdataToString(rdata) : formatRData(data);
}

// ---------------------------------------------------------------------------------------------
// Presentation format input

interface Token {
  /** The token's characters, escapes still in place, without surrounding quotes. */
  text: string;
  quoted: boolean;
}

/** Splits rdata text into tokens (RFC 1035 §5.1): quotes, escapes, ( ) grouping and ; comments. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '(' || c === ')') {
      i += 1;
    } else if (c === ';') {
      while (i < text.length && text[i] !== '\n') i += 1;
    } else if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (j >= text.length) throw new DnsSyntaxError(`unterminated quoted string in "${text}"`);
      tokens.push({ text: text.slice(i + 1, j), quoted: true });
      i = j + 1;
    } else {
      let j = i;
      while (j < text.length && !/[\s();"]/.test(text[j]!)) j += text[j] === '\\' ? 2 : 1;
      j = Math.min(j, text.length);
      tokens.push({ text: text.slice(i, j), quoted: false });
      i = j;
    }
  }
  return tokens;
}

/** The octets of a <character-string> token: escapes decoded, other characters as UTF-8. */
function stringBytes(token: string): Uint8Array {
  const out: number[] = [];
  const encoder = new TextEncoder();
  for (let i = 0; i < token.length; ) {
    const code = token.charCodeAt(i);
    if (code === 0x5c) {
      const digits = token.slice(i + 1, i + 4);
      if (/^[0-9]{3}$/.test(digits)) {
        const value = Number(digits);
        if (value > 255) throw new DnsSyntaxError(`bad escape "\\${digits}" in "${token}"`);
        out.push(value);
        i += 4;
      } else if (i + 1 < token.length && !/[0-9]/.test(token[i + 1]!)) {
        const escaped = String.fromCodePoint(token.codePointAt(i + 1)!);
        out.push(...encoder.encode(escaped));
        i += 1 + escaped.length;
      } else throw new DnsSyntaxError(`bad escape in "${token}"`);
      continue;
    }
    const char = String.fromCodePoint(token.codePointAt(i)!);
    out.push(...encoder.encode(char));
    i += char.length;
  }
  return Uint8Array.from(out);
}

/** Reads the fields of one rdata text in order. */
class FieldReader {
  private index = 0;
  constructor(
    private readonly tokens: readonly Token[],
    private readonly typeName: string,
  ) {}

  private fail(message: string): never {
    throw new DnsSyntaxError(`${this.typeName}: ${message}`);
  }

  next(what: string): Token {
    const token = this.tokens[this.index];
    if (token === undefined) this.fail(`missing ${what}`);
    this.index += 1;
    return token;
  }

  plain(what: string): string {
    const token = this.next(what);
    if (token.quoted) this.fail(`${what} may not be quoted`);
    return token.text;
  }

  uint(what: string, max: number): number {
    const text = this.plain(what);
    if (!/^[0-9]{1,10}$/.test(text) || Number(text) > max) this.fail(`${what} "${text}" is not a number from 0 to ${max}`);
    return Number(text);
  }

  name(what: string): DnsName {
    const text = this.plain(what);
    try {
      return parseName(text);
    } catch (error) {
      if (error instanceof DnsSyntaxError) this.fail(`${what}: ${error.message}`);
      throw error;
    }
  }

  algorithm(what: string): number {
    const text = this.plain(what);
    const value = algorithmFromString(text);
    if (value === undefined) this.fail(`unknown ${what} "${text}"`);
    return value;
  }

  type(what: string): number {
    const text = this.plain(what);
    const value = typeFromString(text);
    if (value === undefined) this.fail(`unknown ${what} "${text}"`);
    return value;
  }

  string(what: string, maxLength = 255): Uint8Array {
    const bytes = stringBytes(this.next(what).text);
    if (bytes.length > maxLength) this.fail(`${what} of ${bytes.length} octets (the limit is ${maxLength})`);
    return bytes;
  }

  get hasMore(): boolean {
    return this.index < this.tokens.length;
  }

  /** All remaining tokens joined: hex and base64 may be split by whitespace (RFC 4034 §2.2, RFC 6698 §2.2). */
  joinedRest(what: string): string {
    const parts: string[] = [];
    while (this.hasMore) parts.push(this.plain(what));
    return parts.join('');
  }

  hex(what: string, allowEmpty = false): Uint8Array {
    const text = this.joinedRest(what);
    if (text === '' && !allowEmpty) this.fail(`missing ${what}`);
    if (!/^(?:[0-9a-fA-F]{2})*$/.test(text)) this.fail(`${what} is not an even number of hex digits`);
    return Uint8Array.from(Buffer.from(text, 'hex'));
  }

  base64(what: string): Uint8Array {
    const text = this.joinedRest(what);
    if (text === '') this.fail(`missing ${what}`);
    if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(text)) this.fail(`${what} is not valid base64`);
    return Uint8Array.from(Buffer.from(text, 'base64'));
  }

  /** NSEC3 salt: "-" for none, else hex of 1–255 octets (RFC 5155 §3.3). */
  salt(what: string): Uint8Array {
    const text = this.plain(what);
    if (text === '-') return new Uint8Array(0);
    if (!/^(?:[0-9a-fA-F]{2}){1,255}$/.test(text)) this.fail(`${what} "${text}" is neither "-" nor hex`);
    return Uint8Array.from(Buffer.from(text, 'hex'));
  }

  /** RRSIG time: YYYYMMDDHHmmSS (UTC) or seconds since the epoch (RFC 4034 §3.2). */
  time(what: string): number {
    const text = this.plain(what);
    let seconds: number;
    const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text);
    if (m) {
      const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
      const ms = Date.UTC(y, mo - 1, d, h, mi, s);
      if (formatTime(ms / 1000) !== text) this.fail(`${what} "${text}" is not a valid date`);
      seconds = ms / 1000;
    } else if (/^[0-9]{1,10}$/.test(text)) seconds = Number(text);
    else this.fail(`${what} "${text}" is neither YYYYMMDDHHmmSS nor a number`);
    if (seconds < 0 || seconds > 0xffffffff) this.fail(`${what} "${text}" is outside 1970–2106`);
    return seconds;
  }

  types(): number[] {
    const types: number[] = [];
    while (this.hasMore) types.push(this.type('type in bitmap'));
    return types;
  }

  done(): void {
    const token = this.tokens[this.index];
    if (token !== undefined) this.fail(`unexpected "${token.text}" after the last field`);
  }
}

/** Collects rdata octets. */
class RdataBuilder {
  private readonly parts: Uint8Array[] = [];
  u8(v: number): void {
    this.parts.push(Uint8Array.of(v));
  }
  u16(v: number): void {
    this.parts.push(Uint8Array.of(v >> 8, v & 0xff));
  }
  u32(v: number): void {
    this.parts.push(Uint8Array.of(v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff));
  }
  bytes(b: Uint8Array): void {
    this.parts.push(b);
  }
  /** A length-prefixed <character-string>. */
  string(b: Uint8Array): void {
    this.u8(b.length);
    this.bytes(b);
  }
  name(n: DnsName): void {
    this.parts.push(nameToWire(n));
  }
  finish(): Uint8Array {
    return concatBytes(this.parts);
  }
}

type Encoder = (f: FieldReader, b: RdataBuilder) => void;

const targetEncoder: Encoder = (f, b) => b.name(f.name('target name'));

const ENCODERS = new Map<number, Encoder>([
  [
    T.A,
    (f, b) => {
      const text = f.plain('address');
      const bytes = parseIpv4(text);
      if (bytes === undefined) throw new DnsSyntaxError(`A: "${text}" is not an IPv4 address`);
      b.bytes(bytes);
    },
  ],
  [
    T.AAAA,
    (f, b) => {
      const text = f.plain('address');
      const bytes = parseIpv6(text);
      if (bytes === undefined) throw new DnsSyntaxError(`AAAA: "${text}" is not an IPv6 address`);
      b.bytes(bytes);
    },
  ],
  [T.NS, targetEncoder],
  [T.CNAME, targetEncoder],
  [T.DNAME, targetEncoder],
  [T.PTR, targetEncoder],
  [
    T.SOA,
    (f, b) => {
      b.name(f.name('MNAME'));
      b.name(f.name('RNAME'));
      for (const field of ['serial', 'refresh', 'retry', 'expire', 'minimum']) b.u32(f.uint(field, 0xffffffff));
    },
  ],
  [
    T.MX,
    (f, b) => {
      b.u16(f.uint('preference', 0xffff));
      b.name(f.name('exchange'));
    },
  ],
  [
    T.TXT,
    (f, b) => {
      b.string(f.string('text'));
      while (f.hasMore) b.string(f.string('text'));
    },
  ],
  [
    T.SRV,
    (f, b) => {
      b.u16(f.uint('priority', 0xffff));
      b.u16(f.uint('weight', 0xffff));
      b.u16(f.uint('port', 0xffff));
      b.name(f.name('target'));
    },
  ],
  [
    T.TLSA,
    (f, b) => {
      b.u8(f.uint('certificate usage', 255));
      b.u8(f.uint('selector', 255));
      b.u8(f.uint('matching type', 255));
      b.bytes(f.hex('certificate association data'));
    },
  ],
  [
    T.CAA,
    (f, b) => {
      b.u8(f.uint('flags', 255));
      const tag = f.plain('tag');
      // RFC 8659 §4.1 (letters and digits only), and at most 15 octets as RFC 6844 asked:
      // records keywatch proposes should be accepted by every CA and zone tool.
      if (!/^[A-Za-z0-9]{1,15}$/.test(tag)) throw new DnsSyntaxError(`CAA: tag "${tag}" must be 1–15 letters or digits`);
      b.string(Uint8Array.from(tag, (c) => c.charCodeAt(0)));
      b.bytes(f.string('value', 0xffff));
    },
  ],
  [T.DS, (f, b) => encodeDs(f, b)],
  [T.CDS, (f, b) => encodeDs(f, b)],
  [T.DNSKEY, (f, b) => encodeDnskey(f, b)],
  [T.CDNSKEY, (f, b) => encodeDnskey(f, b)],
  [
    T.RRSIG,
    (f, b) => {
      b.u16(f.type('type covered'));
      b.u8(f.algorithm('algorithm'));
      b.u8(f.uint('labels', 255));
      b.u32(f.uint('original TTL', 0xffffffff));
      b.u32(f.time('expiration'));
      b.u32(f.time('inception'));
      b.u16(f.uint('key tag', 0xffff));
      b.name(f.name('signer name'));
      b.bytes(f.base64('signature'));
    },
  ],
  [
    T.NSEC,
    (f, b) => {
      b.name(f.name('next domain name'));
      b.bytes(encodeTypeBitmap(f.types()));
    },
  ],
  [
    T.NSEC3,
    (f, b) => {
      b.u8(f.uint('hash algorithm', 255));
      b.u8(f.uint('flags', 255));
      b.u16(f.uint('iterations', 0xffff));
      b.string(f.salt('salt'));
      const text = f.plain('next hashed owner name');
      const hash = base32hexDecode(text);
      if (hash === undefined || hash.length === 0 || hash.length > 255) {
        throw new DnsSyntaxError(`NSEC3: next hashed owner name "${text}" is not base32hex`);
      }
      b.string(hash);
      b.bytes(encodeTypeBitmap(f.types()));
    },
  ],
  [
    T.NSEC3PARAM,
    (f, b) => {
      b.u8(f.uint('hash algorithm', 255));
      b.u8(f.uint('flags', 255));
      b.u16(f.uint('iterations', 0xffff));
      b.string(f.salt('salt'));
    },
  ],
]);

function encodeDs(f: FieldReader, b: RdataBuilder): void {
  b.u16(f.uint('key tag', 0xffff));
  b.u8(f.algorithm('algorithm'));
  b.u8(f.uint('digest type', 255));
  b.bytes(f.hex('digest'));
}

function encodeDnskey(f: FieldReader, b: RdataBuilder): void {
  b.u16(f.uint('flags', 0xffff));
  b.u8(f.uint('protocol', 255));
  b.u8(f.algorithm('algorithm'));
  b.bytes(f.base64('public key'));
}

/** Checks that generic-form rdata fits its type, so `\#` cannot smuggle in a malformed record. */
function checkRdata(type: number, rdata: Uint8Array, typeName: string): void {
  try {
    decodeRdata(type, rdata);
    canonicalRdata(type, rdata);
  } catch (error) {
    if (error instanceof DnsFormatError) throw new DnsSyntaxError(`${typeName}: generic rdata does not fit the type: ${error.message}`);
    throw error;
  }
}

/**
 * Wire-format (uncompressed) rdata from presentation text, e.g.
 * `rdataFromString(RRType.TLSA, '3 1 1 0123…')`. Names are absolute whether or not they end in
 * a dot. Accepts the generic `\# len hex` form (RFC 3597 §5) for any type. Throws DnsSyntaxError.
 */
export function rdataFromString(type: number, text: string): Uint8Array {
  const typeName = typeToString(type);
  const tokens = tokenize(text);
  const fields = new FieldReader(tokens, typeName);
  const first = tokens[0];
  if (first !== undefined && !first.quoted && first.text === '\\#') {
    fields.next('\\#');
    const length = fields.uint('generic rdata length', 0xffff);
    const rdata = fields.hex('generic rdata', true);
    if (rdata.length !== length) throw new DnsSyntaxError(`${typeName}: generic rdata has ${rdata.length} octets, not ${length}`);
    checkRdata(type, rdata, typeName);
    return rdata;
  }
  const encoder = ENCODERS.get(type);
  if (encoder === undefined) throw new DnsSyntaxError(`${typeName}: no text form known; use the generic "\\# length hex" form`);
  const builder = new RdataBuilder();
  encoder(fields, builder);
  fields.done();
  const rdata = builder.finish();
  if (rdata.length > 0xffff) throw new DnsSyntaxError(`${typeName}: rdata of ${rdata.length} octets exceeds 65535`);
  return rdata;
}
