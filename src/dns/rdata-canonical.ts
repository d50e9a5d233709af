// Where names sit inside rdata: expanding compressed names from a message (RFC 3597 §4) and the
// canonical form DNSSEC signs (RFC 4034 §6.2 as amended by RFC 6840 §5.1).
import { canonicalName, DnsFormatError, type DnsName, nameToWire, plainBytes } from './name.ts';
import { RRType, typeToString } from './types.ts';
import { WireReader } from './wire-reader.ts';

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

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
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
