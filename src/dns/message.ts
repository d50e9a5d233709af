// DNS messages (RFC 1035 §4.1) with EDNS (RFC 6891) and Extended DNS Errors (RFC 8914).
//
// decodeMessage() is the entry point for bytes from the network, so it is strict and bounded:
// every length is checked before it is used, compression pointers can only go backwards, and
// anything that does not add up — truncation, counts that do not match the data, an rdata length
// running past the end, trailing bytes — is a DnsFormatError naming the byte offset. No other
// exception escapes it on any input.
import { DnsFormatError, ROOT, nameWireLength, writeNameInto, type DnsName } from './name.ts';
import { WireReader, decodeRdata, rdataFromMessage, type EdnsOption, type RData } from './rdata.ts';
import { EdnsOptionCode, RRClass, RRType } from './types.ts';

export { DnsFormatError } from './name.ts';

const HEADER_LENGTH = 12;
const MAX_MESSAGE_LENGTH = 65535;

export interface DnsFlags {
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  /** Authentic Data (RFC 4035 §3.2.3). */
  ad: boolean;
  /** Checking Disabled (RFC 4035 §3.2.2). */
  cd: boolean;
}

export interface DnsHeader {
  id: number;
  flags: DnsFlags;
  /** The 4-bit header rcode only; see DnsMessage.rcode for the extended value. */
  rcode: number;
  qdcount: number;
  ancount: number;
  nscount: number;
  arcount: number;
}

export interface DnsQuestion {
  name: DnsName;
  type: number;
  class: number;
}

export interface DnsRecord {
  name: DnsName;
  type: number;
  class: number;
  /** TTL in seconds; a value with the top bit set reads as 0 (RFC 2181 §8). */
  ttl: number;
  /**
   * The rdata exactly as received, except that compressed names are expanded (RFC 3597 §4).
   * May be a view of a private copy of the whole message; treat it as read-only.
   */
  rdata: Uint8Array;
  /** Typed view, or undefined for types keywatch does not interpret. Its byte fields are views of `rdata`. */
  data: RData | undefined;
}

/** One Extended DNS Error (RFC 8914 §2). */
export interface ExtendedDnsError {
  /** INFO-CODE, see EdeCode in types.ts. */
  code: number;
  /** EXTRA-TEXT, decoded as UTF-8 (invalid sequences become U+FFFD); empty when absent. */
  text: string;
}

/** The OPT pseudo-record (RFC 6891 §6.1), taken out of the additional section. */
export interface EdnsInfo {
  /** Requestor's UDP payload size, as sent (RFC 6891 §6.2.3 says to treat < 512 as 512). */
  udpSize: number;
  /** Upper 8 bits of the 12-bit rcode (already folded into DnsMessage.rcode). */
  extendedRcode: number;
  version: number;
  /** DNSSEC OK bit (RFC 3225). */
  dnssecOk: boolean;
  /** The 16 flag bits including DO, for the record. */
  flags: number;
  options: EdnsOption[];
  ede: ExtendedDnsError[];
}

export interface DnsMessage {
  id: number;
  flags: DnsFlags;
  /** Full rcode: the header's 4 bits plus the OPT record's upper 8 bits (RFC 6891 §6.1.3). */
  rcode: number;
  question: DnsQuestion[];
  answer: DnsRecord[];
  authority: DnsRecord[];
  /** Additional records without the OPT record (see edns). */
  additional: DnsRecord[];
  edns: EdnsInfo | undefined;
}

// ---------------------------------------------------------------------------------------------
// Encoding queries

export interface QueryOptions {
  id: number;
  name: DnsName;
  type: number;
  /** Default IN. */
  class?: number;
  /** Recursion Desired; default true. */
  rd?: boolean;
  /** Checking Disabled: ask a validating resolver for data even if it fails validation; default false. */
  cd?: boolean;
  /** Set AD in the query to ask for the AD bit in the answer (RFC 6840 §5.7); default false. */
  ad?: boolean;
  /** Add an OPT record; default true (every other EDNS setting needs it). */
  edns?: boolean;
  /** DNSSEC OK (RFC 3225): ask for RRSIG/NSEC records; default false. */
  dnssecOk?: boolean;
  /** Advertised UDP payload size; default 1232, the DNS Flag Day 2020 value that avoids fragmentation. */
  udpSize?: number;
  ednsOptions?: readonly EdnsOption[];
}

function checkUint(value: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) throw new RangeError(`${what} ${value} outside 0–${max}`);
}

/** A standard query (opcode QUERY) with one question and, by default, an EDNS OPT record. */
export function encodeQuery(options: QueryOptions): Buffer {
  const klass = options.class ?? RRClass.IN;
  const withEdns = options.edns ?? true;
  const udpSize = options.udpSize ?? 1232;
  const ednsOptions = options.ednsOptions ?? [];
  checkUint(options.id, 0xffff, 'query id');
  checkUint(options.type, 0xffff, 'query type');
  checkUint(klass, 0xffff, 'query class');
  checkUint(udpSize, 0xffff, 'UDP payload size');
  if (!withEdns && (options.dnssecOk === true || ednsOptions.length > 0)) {
    throw new RangeError('dnssecOk and ednsOptions need EDNS');
  }

  let optLength = 0;
  for (const option of ednsOptions) {
    checkUint(option.code, 0xffff, 'EDNS option code');
    checkUint(option.data.length, 0xffff, 'EDNS option length');
    optLength += 4 + option.data.length;
  }
  checkUint(optLength, 0xffff, 'EDNS rdata length');
  const length = HEADER_LENGTH + nameWireLength(options.name) + 4 + (withEdns ? 11 + optLength : 0);
  const out = Buffer.alloc(length);

  out.writeUInt16BE(options.id, 0);
  out[2] = (options.rd ?? true) ? 0x01 : 0x00; // QR=0, opcode QUERY, AA=0, TC=0
  out[3] = (options.ad === true ? 0x20 : 0) | (options.cd === true ? 0x10 : 0);
  out.writeUInt16BE(1, 4); // QDCOUNT
  out.writeUInt16BE(withEdns ? 1 : 0, 10); // ARCOUNT
  let pos = writeNameInto(options.name, out, HEADER_LENGTH);
  out.writeUInt16BE(options.type, pos);
  out.writeUInt16BE(klass, pos + 2);
  pos += 4;
  if (withEdns) {
    pos = writeNameInto(ROOT, out, pos);
    out.writeUInt16BE(RRType.OPT, pos);
    out.writeUInt16BE(udpSize, pos + 2); // CLASS carries the payload size
    // TTL carries extended rcode (0), version (0) and flags; DO is the top flag bit.
    out.writeUInt32BE(options.dnssecOk === true ? 0x8000 : 0, pos + 4);
    out.writeUInt16BE(optLength, pos + 8);
    pos += 10;
    for (const option of ednsOptions) {
      out.writeUInt16BE(option.code, pos);
      out.writeUInt16BE(option.data.length, pos + 2);
      out.set(option.data, pos + 4);
      pos += 4 + option.data.length;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Decoding

function checkSize(buf: Uint8Array): void {
  if (buf.length > MAX_MESSAGE_LENGTH) throw new DnsFormatError(`message of ${buf.length} bytes exceeds 65535`, MAX_MESSAGE_LENGTH);
  if (buf.length < HEADER_LENGTH) throw new DnsFormatError(`message of ${buf.length} bytes is shorter than the 12-byte header`, buf.length);
}

function readHeader(r: WireReader): DnsHeader {
  const id = r.u16('header');
  const hi = r.u8('header');
  const lo = r.u8('header');
  return {
    id,
    flags: {
      qr: (hi & 0x80) !== 0,
      opcode: (hi >> 3) & 0x0f,
      aa: (hi & 0x04) !== 0,
      tc: (hi & 0x02) !== 0,
      rd: (hi & 0x01) !== 0,
      ra: (lo & 0x80) !== 0,
      ad: (lo & 0x20) !== 0,
      cd: (lo & 0x10) !== 0,
    },
    rcode: lo & 0x0f,
    qdcount: r.u16('header'),
    ancount: r.u16('header'),
    nscount: r.u16('header'),
    arcount: r.u16('header'),
  };
}

/**
 * Just the 12-byte header, for when the rest may be unusable: a transport checks the id, and a
 * truncated (TC) UDP answer may be cut mid-record, so it is retried over TCP rather than decoded.
 */
export function decodeHeader(buf: Uint8Array): DnsHeader {
  checkSize(buf);
  return readHeader(new WireReader(buf, 0, HEADER_LENGTH));
}

type Section = 'answer' | 'authority' | 'additional';

interface RawRecord {
  record: DnsRecord;
  /** Offset of the record's owner name, for errors. */
  at: number;
  rdataAt: number;
  rawTtl: number;
}

function readRecord(r: WireReader, msg: Uint8Array, section: Section, index: number): RawRecord {
  const at = r.pos;
  const what = `${section} record ${index + 1}`;
  const name = r.name(`${what} owner name`, true);
  const type = r.u16(`${what} type`);
  const klass = r.u16(`${what} class`);
  const rawTtl = r.u32(`${what} TTL`);
  const lengthAt = r.pos;
  const rdlength = r.u16(`${what} rdata length`);
  if (rdlength > r.remaining) {
    throw new DnsFormatError(`${what} rdata length ${rdlength} runs past the end of the message (${r.remaining} bytes left)`, lengthAt);
  }
  const rdataAt = r.pos;
  const end = rdataAt + rdlength;
  // msg is decodeMessage's private copy, so rdata and its typed fields may be views of it.
  const rdata = rdataFromMessage(msg, rdataAt, end, type, true);
  const data = decodeRdata(type, rdata, { klass, offset: rdataAt, shareBytes: true });
  r.pos = end;
  const ttl = rawTtl > 0x7fffffff ? 0 : rawTtl;
  return { record: { name, type, class: klass, ttl, rdata, data }, at, rdataAt, rawTtl };
}

/** RFC 8914 §2: a 16-bit INFO-CODE followed by optional UTF-8 EXTRA-TEXT. */
function readEde(option: EdnsOption, at: number): ExtendedDnsError {
  if (option.data.length < 2) throw new DnsFormatError(`Extended DNS Error option of ${option.data.length} bytes (needs at least 2)`, at);
  const code = (option.data[0]! << 8) | option.data[1]!;
  const text = new TextDecoder('utf-8', { fatal: false }).decode(option.data.subarray(2));
  return { code, text };
}

function readEdns(raw: RawRecord): EdnsInfo {
  const { record } = raw;
  // RFC 6891 §6.1.2: the OPT owner MUST be the root.
  if (record.name.labels.length !== 0) throw new DnsFormatError('OPT record owner is not the root', raw.at);
  const options = record.data?.type === 'OPT' ? record.data.options : [];
  const ede: ExtendedDnsError[] = [];
  let at = raw.rdataAt;
  for (const option of options) {
    if (option.code === EdnsOptionCode.EDE) ede.push(readEde(option, at));
    at += 4 + option.data.length;
  }
  return {
    udpSize: record.class,
    extendedRcode: raw.rawTtl >>> 24,
    version: (raw.rawTtl >>> 16) & 0xff,
    dnssecOk: (raw.rawTtl & 0x8000) !== 0,
    flags: raw.rawTtl & 0xffff,
    options,
    ede,
  };
}

/** Decodes a complete DNS message. Throws DnsFormatError (and nothing else) on malformed input. */
export function decodeMessage(buf: Uint8Array): DnsMessage {
  checkSize(buf);
  // One private copy of the whole message: the records' rdata are views of it, which costs one
  // allocation per message instead of one per record, and nothing the caller later does to `buf`
  // can change a decoded record.
  const msg = new Uint8Array(buf);
  const r = new WireReader(msg, 0, msg.length);
  const header = readHeader(r);

  const question: DnsQuestion[] = [];
  for (let i = 0; i < header.qdcount; i += 1) {
    const what = `question ${i + 1}`;
    const name = r.name(`${what} name`, true);
    question.push({ name, type: r.u16(`${what} type`), class: r.u16(`${what} class`) });
  }

  const sections: Record<Section, DnsRecord[]> = { answer: [], authority: [], additional: [] };
  let edns: EdnsInfo | undefined;
  const counts: [Section, number][] = [
    ['answer', header.ancount],
    ['authority', header.nscount],
    ['additional', header.arcount],
  ];
  for (const [section, count] of counts) {
    for (let i = 0; i < count; i += 1) {
      const raw = readRecord(r, msg, section, i);
      if (raw.record.type !== RRType.OPT) {
        sections[section].push(raw.record);
        continue;
      }
      // RFC 6891 §6.1.1: at most one OPT record, and only in the additional section.
      if (section !== 'additional') throw new DnsFormatError(`OPT record in the ${section} section`, raw.at);
      if (edns !== undefined) throw new DnsFormatError('more than one OPT record', raw.at);
      edns = readEdns(raw);
    }
  }
  if (r.remaining > 0) {
    throw new DnsFormatError(`${r.remaining} bytes after the last record the header counts announce`, r.pos);
  }

  return {
    id: header.id,
    flags: header.flags,
    rcode: ((edns?.extendedRcode ?? 0) << 4) | header.rcode,
    question,
    answer: sections.answer,
    authority: sections.authority,
    additional: sections.additional,
    edns,
  };
}
