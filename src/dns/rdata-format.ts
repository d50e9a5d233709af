// Presentation format output (RFC 1035 §5.1, RFC 3597 §5 generic form) and the encodings it uses.
import { base32hexEncode } from './base32hex.ts';
import { nameToString } from './name.ts';
import { decodeRdata, type RData } from './rdata.ts';
import { RRClass, typeToString } from './types.ts';

function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function base64Of(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}


export function formatIpv4(bytes: Uint8Array): string {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}

/**
 * RFC 5952 §4: lowercase, no leading zeros, the longest (first) run of ≥ 2 zero groups as "::";
 * §5: IPv4-mapped addresses in mixed notation (::ffff:192.0.2.1).
 */
export function formatIpv6(bytes: Uint8Array): string {
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

export function parseIpv4(text: string): Uint8Array | undefined {
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

export function parseIpv6(text: string): Uint8Array | undefined {
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
export function formatTime(seconds: number): string {
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
