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
//
// The layers live in their own files: wire-reader.ts (bounded reads), rdata-canonical.ts (names in
// rdata, canonical form), type-bitmap.ts, rdata-format.ts and rdata-parse.ts (text); this module
// holds the typed decoding and re-exports the rest, so callers import from one place.
import { DnsFormatError, type DnsName } from './name.ts';
import { formatIpv4, formatIpv6 } from './rdata-format.ts';
import { decodeTypeBitmap } from './type-bitmap.ts';
import { RRClass, RRType as T, typeToString } from './types.ts';
import { WireReader } from './wire-reader.ts';

export { canonicalRdata, rdataFromMessage } from './rdata-canonical.ts';
export { formatRData, genericRdataToString, rdataToString } from './rdata-format.ts';
export { rdataFromString } from './rdata-parse.ts';
export { decodeTypeBitmap, encodeTypeBitmap } from './type-bitmap.ts';
export { WireReader } from './wire-reader.ts';
export { base32hexDecode, base32hexEncode } from './base32hex.ts';


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
