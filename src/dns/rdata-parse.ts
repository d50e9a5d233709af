// Presentation format input: zone-file text to rdata bytes, checked by decoding the result.
import { base32hexDecode } from './base32hex.ts';
import { DnsFormatError, type DnsName, DnsSyntaxError, nameToWire, parseName } from './name.ts';
import { canonicalRdata, concatBytes } from './rdata-canonical.ts';
import { formatTime, parseIpv4, parseIpv6 } from './rdata-format.ts';
import { decodeRdata } from './rdata.ts';
import { encodeTypeBitmap } from './type-bitmap.ts';
import { algorithmFromString, RRType as T, typeFromString, typeToString } from './types.ts';

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
