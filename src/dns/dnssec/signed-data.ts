// The bytes an RRSIG signs (RFC 4034 §3.1.8.1), built from raw wire bytes only.
//
// This module deliberately does not use the DNS codec (src/dns/name.ts etc.): it works on
// uncompressed wire-format names and canonical RDATA handed to it, so that the crypto layer can
// be tested against the RFC vectors on its own. It holds the small amount of name handling that
// canonical form needs (RFC 4034 §6.2): validating an uncompressed name, lowercasing it, and
// counting its labels for the RRSIG Labels field.
//
//   signature = sign(RRSIG_RDATA | RR(1) | RR(2) | ...)
//   RRSIG_RDATA = RRSIG RDATA without the Signature field, Signer's Name in canonical form
//   RR(i)       = owner | type | class | Original TTL | RDLENGTH | RDATA   (canonical, sorted)

/** Why a wire-format input could not be used. Codes are stable; messages are for humans. */
export type WireFormatErrorCode =
  | 'name-truncated' // the name runs past the end of the buffer (no terminating zero label)
  | 'name-compressed' // a compression pointer (or reserved label type) where none is allowed
  | 'name-too-long' // more than 255 octets (RFC 1035 §3.1)
  | 'trailing-bytes' // bytes after a name that should end the buffer
  | 'rrsig-truncated' // fewer than the 18 fixed octets + signer name
  | 'empty-rrset'
  | 'rrset-mismatch' // records differ in owner, class, or type ≠ Type Covered
  | 'rdata-too-long' // RDATA longer than 65535 octets
  | 'labels-exceed-owner'; // RRSIG Labels > labels of owner (RFC 4035 §5.3.1: RRSIG unusable)

export class WireFormatError extends Error {
  override readonly name = 'WireFormatError';
  constructor(
    readonly code: WireFormatErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const MAX_NAME_OCTETS = 255;

/**
 * A copy of `bytes` (or of `bytes[start, end)`) that never aliases the caller's memory. Not
 * `.slice()`: on a Node Buffer, slice() returns a view, and this module lowercases in place.
 */
function copyOf(bytes: Uint8Array, start = 0, end = bytes.length): Uint8Array {
  return new Uint8Array(bytes.subarray(start, end));
}

/**
 * Length in octets of the uncompressed wire-format name starting at `offset` (including the final
 * zero octet). Throws WireFormatError for a truncated, compressed or over-long name.
 */
export function nameWireLength(buf: Uint8Array, offset = 0): number {
  let pos = offset;
  for (;;) {
    const len = buf[pos];
    if (len === undefined) throw new WireFormatError('name-truncated', `name at offset ${offset} has no terminating zero label`);
    // 0b11xxxxxx is a compression pointer, 0b01/0b10 are reserved/obsolete label types: none may
    // appear in the canonical form (RFC 4034 §6.2 item 1: fully expanded).
    if (len > 63) throw new WireFormatError('name-compressed', `label type 0x${len.toString(16)} at offset ${pos}: names here must be uncompressed`);
    pos += 1 + len;
    if (pos - offset > MAX_NAME_OCTETS) throw new WireFormatError('name-too-long', `name at offset ${offset} exceeds ${MAX_NAME_OCTETS} octets`);
    if (len === 0) return pos - offset;
    if (pos > buf.length) throw new WireFormatError('name-truncated', `label at offset ${pos - 1 - len} runs past the end of the buffer`);
  }
}

/**
 * Lowercases US-ASCII A–Z in a wire-format name, in place (RFC 4034 §6.2 item 2). Safe to apply to
 * every octet, length octets included, because a length octet is at most 63 and 'A' is 65.
 */
function lowercaseAsciiInPlace(bytes: Uint8Array): Uint8Array {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b >= 0x41 && b <= 0x5a) bytes[i] = b | 0x20;
  }
  return bytes;
}

/**
 * The canonical form of a wire-format name: validated, and a lowercased copy (the input is not
 * modified). The whole buffer must be exactly one name.
 */
export function canonicalNameWire(nameWire: Uint8Array): Uint8Array {
  const len = nameWireLength(nameWire, 0);
  if (len !== nameWire.length) throw new WireFormatError('trailing-bytes', `${nameWire.length - len} bytes after the end of the name`);
  return lowercaseAsciiInPlace(copyOf(nameWire));
}

/** Splits a validated wire name into its labels (without length octets; the root label omitted). */
function labelsOf(nameWire: Uint8Array): Uint8Array[] {
  const labels: Uint8Array[] = [];
  let pos = 0;
  for (let len = nameWire[pos]!; len !== 0; len = nameWire[pos]!) {
    labels.push(nameWire.subarray(pos + 1, pos + 1 + len));
    pos += 1 + len;
  }
  return labels;
}

const STAR = 0x2a;

/**
 * The label count an RRSIG for this owner name carries (RFC 4034 §3.1.3): the root label is not
 * counted, and neither is a leading "*" wildcard label.
 */
export function rrsigLabelCount(nameWire: Uint8Array): number {
  const labels = labelsOf(canonicalNameWire(nameWire));
  const first = labels[0];
  const wildcard = first !== undefined && first.length === 1 && first[0] === STAR;
  return wildcard ? labels.length - 1 : labels.length;
}

/**
 * The owner name to use in RR(i) (RFC 4035 §5.3.2): if the RRSIG's Labels field is smaller than
 * the owner's label count the RRset was synthesised from a wildcard, and the signed owner is
 * "*." + the rightmost `labels` labels. Idempotent: an owner that already is that wildcard name is
 * returned unchanged. Returns a canonical (lowercased) copy.
 */
export function signedOwnerName(ownerWire: Uint8Array, rrsigLabels: number): Uint8Array {
  const canonical = canonicalNameWire(ownerWire);
  const count = rrsigLabelCount(canonical);
  if (rrsigLabels > count) {
    throw new WireFormatError('labels-exceed-owner', `RRSIG Labels ${rrsigLabels} exceeds the ${count} labels of the owner name`);
  }
  if (rrsigLabels === count) return canonical;
  // Labels 0 means "*." directly under the root; slice(-0) would keep every label, so special-case it.
  const tail = rrsigLabels === 0 ? [] : labelsOf(canonical).slice(-rrsigLabels);
  const out = new Uint8Array(2 + tail.reduce((n, l) => n + 1 + l.length, 0) + 1);
  out[0] = 1;
  out[1] = STAR;
  let pos = 2;
  for (const label of tail) {
    out[pos++] = label.length;
    out.set(label, pos);
    pos += label.length;
  }
  out[pos] = 0;
  return out;
}

/** The fields of an RRSIG RDATA (RFC 4034 §3.1), parsed from raw bytes. */
export interface RrsigFields {
  readonly typeCovered: number;
  readonly algorithm: number;
  readonly labels: number;
  readonly originalTtl: number;
  /** Seconds since the epoch, modulo 2^32 (RFC 4034 §3.1.5: compare with serial arithmetic). */
  readonly expiration: number;
  readonly inception: number;
  readonly keyTag: number;
  /** Signer's Name as it appeared (not lowercased). */
  readonly signerNameWire: Uint8Array;
  readonly signature: Uint8Array;
}

const RRSIG_FIXED_OCTETS = 18;

/** Parses RRSIG RDATA whose Signer's Name is uncompressed (RFC 4034 §3.1.7 forbids compression). */
export function parseRrsigRdata(rdata: Uint8Array): RrsigFields {
  if (rdata.length < RRSIG_FIXED_OCTETS + 1) {
    throw new WireFormatError('rrsig-truncated', `RRSIG RDATA has ${rdata.length} octets, fewer than the 18 fixed ones plus a signer name`);
  }
  const view = new DataView(rdata.buffer, rdata.byteOffset, rdata.byteLength);
  const signerLength = nameWireLength(rdata, RRSIG_FIXED_OCTETS);
  const signatureStart = RRSIG_FIXED_OCTETS + signerLength;
  return {
    typeCovered: view.getUint16(0),
    algorithm: view.getUint8(2),
    labels: view.getUint8(3),
    originalTtl: view.getUint32(4),
    expiration: view.getUint32(8),
    inception: view.getUint32(12),
    keyTag: view.getUint16(16),
    signerNameWire: copyOf(rdata, RRSIG_FIXED_OCTETS, signatureStart),
    signature: copyOf(rdata, signatureStart),
  };
}

/**
 * RRSIG_RDATA of RFC 4034 §3.1.8.1: the 18 fixed octets and the Signer's Name in canonical
 * (lowercased, RFC 6840 §5.1) form, without the Signature field. Input is the full RRSIG RDATA.
 */
export function rrsigRdataPrefix(rrsigRdata: Uint8Array): Uint8Array {
  const { signerNameWire } = parseRrsigRdata(rrsigRdata);
  const out = new Uint8Array(RRSIG_FIXED_OCTETS + signerNameWire.length);
  out.set(rrsigRdata.subarray(0, RRSIG_FIXED_OCTETS), 0);
  out.set(lowercaseAsciiInPlace(signerNameWire), RRSIG_FIXED_OCTETS);
  return out;
}

/** One RR of the RRset being verified, in canonical form except as noted. */
export interface SignedRecord {
  /** Uncompressed owner name; lowercased and wildcard-reconstructed here (both idempotent). */
  readonly ownerWire: Uint8Array;
  readonly type: number;
  readonly class: number;
  /**
   * RDATA in canonical form (RFC 4034 §6.2 items 1 and 3: names expanded and, for the listed
   * types, lowercased). Type-dependent, so this is the caller's job, not this module's.
   */
  readonly rdataCanonical: Uint8Array;
}

/**
 * RFC 4034 §6.3 order: RDATA compared as left-justified unsigned octet sequences, where the
 * absence of an octet sorts before a zero octet (so a proper prefix sorts first).
 */
export function compareCanonicalRdata(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/**
 * The exact bytes the RRSIG's signature covers: RRSIG_RDATA | RR(1) | ... | RR(n).
 *
 * `rrsigPrefix` is RRSIG RDATA without the Signature field (see rrsigRdataPrefix; a full RRSIG RDATA
 * is not accepted, because its signature octets would be mistaken for part of the signer name's
 * trailing bytes). The RRs are sorted canonically, exact duplicates are dropped (RFC 4034 §6.3: the
 * robustness option), and every RR gets the RRSIG's Original TTL (§3.1.8.1), whatever TTL it
 * arrived with.
 *
 * Throws WireFormatError if the prefix is malformed, the RRset is empty, or the records do not form
 * one RRset of the covered type (the validator should have checked this before; it is not a
 * verification failure this module can explain better than the caller).
 */
export function rrsigSignedData(rrsigPrefix: Uint8Array, records: readonly SignedRecord[]): Uint8Array {
  if (rrsigPrefix.length < RRSIG_FIXED_OCTETS + 1) {
    throw new WireFormatError('rrsig-truncated', `RRSIG prefix has ${rrsigPrefix.length} octets`);
  }
  const signerLength = nameWireLength(rrsigPrefix, RRSIG_FIXED_OCTETS);
  if (RRSIG_FIXED_OCTETS + signerLength !== rrsigPrefix.length) {
    throw new WireFormatError('trailing-bytes', 'RRSIG prefix has bytes after the signer name (pass the RDATA without its Signature field)');
  }
  const prefix = copyOf(rrsigPrefix);
  lowercaseAsciiInPlace(prefix.subarray(RRSIG_FIXED_OCTETS));
  const head = new DataView(prefix.buffer);
  const typeCovered = head.getUint16(0);
  const labels = head.getUint8(3);
  const originalTtl = head.getUint32(4);

  const first = records[0];
  if (first === undefined) throw new WireFormatError('empty-rrset', 'no records to sign');
  const owner = signedOwnerName(first.ownerWire, labels);
  for (const r of records) {
    if (r.type !== typeCovered) throw new WireFormatError('rrset-mismatch', `record type ${r.type} is not the RRSIG's Type Covered ${typeCovered}`);
    if (r.class !== first.class) throw new WireFormatError('rrset-mismatch', `records of classes ${first.class} and ${r.class} in one RRset`);
    if (r.rdataCanonical.length > 0xffff) throw new WireFormatError('rdata-too-long', `RDATA of ${r.rdataCanonical.length} octets`);
    if (compareCanonicalRdata(signedOwnerName(r.ownerWire, labels), owner) !== 0) {
      throw new WireFormatError('rrset-mismatch', 'records with different owner names in one RRset');
    }
  }

  const sorted = records.map((r) => r.rdataCanonical).sort(compareCanonicalRdata);
  const unique = sorted.filter((rdata, i) => i === 0 || compareCanonicalRdata(rdata, sorted[i - 1]!) !== 0);

  const rrFixed = owner.length + 10; // owner | type(2) | class(2) | TTL(4) | RDLENGTH(2)
  const total = prefix.length + unique.reduce((n, rdata) => n + rrFixed + rdata.length, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(prefix, 0);
  let pos = prefix.length;
  for (const rdata of unique) {
    out.set(owner, pos);
    pos += owner.length;
    view.setUint16(pos, typeCovered);
    view.setUint16(pos + 2, first.class);
    view.setUint32(pos + 4, originalTtl);
    view.setUint16(pos + 8, rdata.length);
    pos += 10;
    out.set(rdata, pos);
    pos += rdata.length;
  }
  return out;
}
