// The DNS numbers keywatch needs, with their mnemonics (IANA "Domain Name System (DNS)
// Parameters" and "DNS Security Algorithm Numbers" registries). Numbers without a mnemonic are
// written the RFC 3597 §5 way: TYPE12345, CLASS12345.

/** Resource record types (RFC 1035 §3.2.2 and later RFCs, as registered with IANA). */
export const RRType = {
  A: 1,
  NS: 2,
  MD: 3,
  MF: 4,
  CNAME: 5,
  SOA: 6,
  MB: 7,
  MG: 8,
  MR: 9,
  NULL: 10,
  WKS: 11,
  PTR: 12,
  HINFO: 13,
  MINFO: 14,
  MX: 15,
  TXT: 16,
  RP: 17,
  AFSDB: 18,
  RT: 21,
  SIG: 24,
  KEY: 25,
  PX: 26,
  AAAA: 28,
  LOC: 29,
  NXT: 30,
  SRV: 33,
  NAPTR: 35,
  KX: 36,
  CERT: 37,
  A6: 38,
  DNAME: 39,
  OPT: 41,
  APL: 42,
  DS: 43,
  SSHFP: 44,
  IPSECKEY: 45,
  RRSIG: 46,
  NSEC: 47,
  DNSKEY: 48,
  DHCID: 49,
  NSEC3: 50,
  NSEC3PARAM: 51,
  TLSA: 52,
  SMIMEA: 53,
  HIP: 55,
  CDS: 59,
  CDNSKEY: 60,
  OPENPGPKEY: 61,
  CSYNC: 62,
  ZONEMD: 63,
  SVCB: 64,
  HTTPS: 65,
  SPF: 99,
  TKEY: 249,
  TSIG: 250,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
  URI: 256,
  CAA: 257,
} as const;

export type RRTypeName = keyof typeof RRType;

/** Classes (RFC 1035 §3.2.4, RFC 2136 §1.3 for NONE). */
export const RRClass = {
  IN: 1,
  CH: 3,
  HS: 4,
  NONE: 254,
  ANY: 255,
} as const;

export type RRClassName = keyof typeof RRClass;

/** Header opcodes (RFC 1035 §4.1.1, RFC 1996, RFC 2136, RFC 8490). */
export const Opcode = {
  QUERY: 0,
  IQUERY: 1,
  STATUS: 2,
  NOTIFY: 4,
  UPDATE: 5,
  DSO: 6,
} as const;

/**
 * Response codes. Values above 15 exist only as extended rcodes, whose upper 8 bits travel in
 * the OPT record (RFC 6891 §6.1.3); 16 is BADVERS there (and BADSIG in TSIG, RFC 8945).
 */
export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  YXDOMAIN: 6,
  YXRRSET: 7,
  NXRRSET: 8,
  NOTAUTH: 9,
  NOTZONE: 10,
  DSOTYPENI: 11,
  BADVERS: 16,
  BADKEY: 17,
  BADTIME: 18,
  BADMODE: 19,
  BADNAME: 20,
  BADALG: 21,
  BADTRUNC: 22,
  BADCOOKIE: 23,
} as const;

/** DNSSEC algorithm numbers (RFC 4034 App. A.1, RFC 5155, 5702, 6605, 8080, 8624). */
export const DnssecAlgorithm = {
  DELETE: 0,
  RSAMD5: 1,
  DH: 2,
  DSA: 3,
  RSASHA1: 5,
  'DSA-NSEC3-SHA1': 6,
  'RSASHA1-NSEC3-SHA1': 7,
  RSASHA256: 8,
  RSASHA512: 10,
  'ECC-GOST': 12,
  ECDSAP256SHA256: 13,
  ECDSAP384SHA384: 14,
  ED25519: 15,
  ED448: 16,
  INDIRECT: 252,
  PRIVATEDNS: 253,
  PRIVATEOID: 254,
} as const;

/** DS digest types (RFC 4034 §5.1.3, RFC 4509, RFC 5933, RFC 6605). */
export const DigestType = {
  'SHA-1': 1,
  'SHA-256': 2,
  'GOST R 34.11-94': 3,
  'SHA-384': 4,
} as const;

/** EDNS option codes (RFC 6891 §6.1.2 registry) keywatch may meet. */
export const EdnsOptionCode = {
  LLQ: 1,
  NSID: 3,
  DAU: 5,
  DHU: 6,
  N3U: 7,
  CLIENT_SUBNET: 8,
  EXPIRE: 9,
  COOKIE: 10,
  TCP_KEEPALIVE: 11,
  PADDING: 12,
  CHAIN: 13,
  KEY_TAG: 14,
  EDE: 15,
} as const;

/** Extended DNS Error info codes (RFC 8914 §4). */
export const EdeCode = {
  'Other Error': 0,
  'Unsupported DNSKEY Algorithm': 1,
  'Unsupported DS Digest Type': 2,
  'Stale Answer': 3,
  'Forged Answer': 4,
  'DNSSEC Indeterminate': 5,
  'DNSSEC Bogus': 6,
  'Signature Expired': 7,
  'Signature Not Yet Valid': 8,
  'DNSKEY Missing': 9,
  'RRSIGs Missing': 10,
  'No Zone Key Bit Set': 11,
  'NSEC Missing': 12,
  'Cached Error': 13,
  'Not Ready': 14,
  Blocked: 15,
  Censored: 16,
  Filtered: 17,
  Prohibited: 18,
  'Stale NXDOMAIN Answer': 19,
  'Not Authoritative': 20,
  'Not Supported': 21,
  'No Reachable Authority': 22,
  'Network Error': 23,
  'Invalid Data': 24,
} as const;

function invert(table: Readonly<Record<string, number>>): Map<number, string> {
  const out = new Map<number, string>();
  for (const [name, value] of Object.entries(table)) if (!out.has(value)) out.set(value, name);
  return out;
}

function upperMap(table: Readonly<Record<string, number>>): Map<string, number> {
  return new Map(Object.entries(table).map(([name, value]) => [name.toUpperCase(), value]));
}

const typeNames = invert(RRType);
const typeValues = upperMap(RRType);
const classNames = invert(RRClass);
const classValues = upperMap(RRClass);
const rcodeNames = invert(Rcode);
const opcodeNames = invert(Opcode);
const algorithmNames = invert(DnssecAlgorithm);
const algorithmValues = upperMap(DnssecAlgorithm);
const digestNames = invert(DigestType);
const edeNames = invert(EdeCode);

/** Parses "TYPE123" / "CLASS123" style numbers (RFC 3597 §5); undefined when not of that form. */
function genericNumber(text: string, prefix: string): number | undefined {
  if (!text.startsWith(prefix)) return undefined;
  const digits = text.slice(prefix.length);
  if (!/^[0-9]{1,5}$/.test(digits)) return undefined;
  const value = Number(digits);
  return value <= 0xffff ? value : undefined;
}

/** "A", "TLSA", … or "TYPE12345" for types without a mnemonic. */
export function typeToString(type: number): string {
  return typeNames.get(type) ?? `TYPE${type}`;
}

/** Mnemonic or TYPEnnn, case-insensitive; undefined when neither. */
export function typeFromString(text: string): number | undefined {
  const upper = text.toUpperCase();
  return typeValues.get(upper) ?? genericNumber(upper, 'TYPE');
}

export function classToString(klass: number): string {
  return classNames.get(klass) ?? `CLASS${klass}`;
}

export function classFromString(text: string): number | undefined {
  const upper = text.toUpperCase();
  return classValues.get(upper) ?? genericNumber(upper, 'CLASS');
}

/** Name of a (possibly extended, 12-bit) rcode, or "RCODE<n>". */
export function rcodeToString(rcode: number): string {
  return rcodeNames.get(rcode) ?? `RCODE${rcode}`;
}

export function opcodeToString(opcode: number): string {
  return opcodeNames.get(opcode) ?? `OPCODE${opcode}`;
}

export function algorithmToString(algorithm: number): string {
  return algorithmNames.get(algorithm) ?? `ALG${algorithm}`;
}

/** Algorithm mnemonic (RFC 4034 App. A.1 allows them in presentation format) or decimal. */
export function algorithmFromString(text: string): number | undefined {
  if (/^[0-9]{1,3}$/.test(text)) {
    const value = Number(text);
    return value <= 255 ? value : undefined;
  }
  return algorithmValues.get(text.toUpperCase());
}

export function digestTypeToString(digestType: number): string {
  return digestNames.get(digestType) ?? `DIGEST${digestType}`;
}

/** Purpose text of an Extended DNS Error info code, e.g. 6 → "DNSSEC Bogus". */
export function edeCodeToString(code: number): string {
  return edeNames.get(code) ?? `EDE${code}`;
}
