// One CAA record read the way a CA reads it: the flags (RFC 8659 §4.1: only bit 128, "issuer
// critical", is defined), the tag (matched without regard to case), and the value in the
// sub-syntax its tag gives it: `issue`/`issuewild` (RFC 8659 §4.2 grammar, with the RFC 8657
// `accounturi` and `validationmethods` parameters), `iodef` (a mailto:, http: or https: URL,
// §4.4). Pure: bytes and text in, a typed reading with every deviation named out.
//
// Strictness follows what decides issuance. An issue value outside the grammar "MUST be treated
// the same as one specifying an empty issuer" (§4.2), so such a record authorises nobody; a
// lenient reading (split on ";" and "=", as Let's Encrypt's Boulder does before checking) is kept
// beside it, to explain what was meant and to propose the corrected record.
import { formatRData } from '../dns/rdata.ts';

export interface CaaRaw {
  flags: number;
  /** The tag bytes as written (one char per octet). */
  tag: string;
  value: Uint8Array;
}

/** Codes of what can be wrong or noteworthy in one record; docs/FINDINGS.md lists the findings they become. */
export type RecordNoteCode =
  | 'malformed'
  | 'accounturi-invalid'
  | 'validationmethods-invalid'
  | 'validationmethods-unknown'
  | 'not-lowercase'
  | 'reserved-flags'
  | 'iodef-invalid'
  | 'critical-unknown-tag'
  | 'unknown-tag';

export interface RecordNote {
  code: RecordNoteCode;
  message: string;
  /** For unknown tags: the defined tag this one most likely misspells. */
  didYouMean?: string;
  /** For critical tags that are registered but optional: CAs that do not implement them refuse. */
  registered?: boolean;
}

export interface CaaParameter {
  key: string;
  value: string;
}

export interface IssueReading {
  /** The issuer domain name as written ("" when none is named: nobody is authorised by this record). */
  issuer: string;
  /** The value matches RFC 8659 §4.2; when false the record authorises nobody. */
  wellFormed: boolean;
  /** Why it does not match, one reason per deviation. */
  syntaxErrors: string[];
  parameters: CaaParameter[];
  /** The single, usable `accounturi` (RFC 8657 §3), when there is one. */
  accountUri?: string;
  /** The `validationmethods` labels (RFC 8657 §4), when the parameter is present and usable. */
  validationMethods?: string[];
  /**
   * Nobody can satisfy this record: several or invalid `accounturi`, several or empty
   * `validationmethods`, or an account at another CA. Such a record authorises nobody.
   */
  unsatisfiable?: string;
  /** The value rewritten to match the grammar, when the lenient reading allowed it. */
  corrected?: string;
}

export interface IodefReading {
  url: string;
  scheme?: 'mailto' | 'http' | 'https';
  valid: boolean;
  /** Where reports go: the mail addresses or the web host. */
  target?: string;
}

export type CaaKind = 'issue' | 'issuewild' | 'iodef' | 'other' | 'undecodable';

export interface CaaProperty {
  /** The rdata as published, in presentation form. */
  text: string;
  flags: number;
  critical: boolean;
  tag: string;
  /** The value in zone-file form without the surrounding quotes: `"` and `\\` escaped, octets outside printable ASCII as \\DDD. */
  value: string;
  kind: CaaKind;
  issue?: IssueReading;
  iodef?: IodefReading;
  notes: RecordNote[];
}

/** The tags defined for CAA (IANA "Certification Authority Restriction Properties"). */
const CORE_TAGS = new Set(['issue', 'issuewild', 'iodef']);
/** Registered, but most CAs do not process them for TLS certificates. */
const OTHER_REGISTERED_TAGS = new Set(['contactemail', 'contactphone', 'issuemail', 'issuevmc']);

/** ACME validation method labels (IANA "ACME Validation Methods", and current drafts). */
export const KNOWN_METHODS: Record<string, string> = {
  'http-01': 'HTTP on port 80 (RFC 8555 §8.3)',
  'dns-01': 'a TXT record at _acme-challenge (RFC 8555 §8.4)',
  'tls-alpn-01': 'TLS with ALPN acme-tls/1 on port 443 (RFC 8737)',
  'tls-sni-01': 'withdrawn TLS-SNI method (no CA offers it any more)',
  'tls-sni-02': 'withdrawn TLS-SNI method (no CA offers it any more)',
  'email-reply-00': 'S/MIME e-mail reply (RFC 8823)',
  'tkauth-01': 'authority token (RFC 9447)',
  'onion-csr-01': '.onion CSR signature (RFC 9799)',
  'dns-account-01': 'account-scoped DNS TXT record (draft)',
  'dns-persist-01': 'persistent DNS TXT authorisation (draft)',
};

/** ACME servers keywatch knows: whose accounts their URLs name. */
interface AcmeServer {
  host: string;
  ca: string;
  staging?: boolean;
  /** The account URL's shape at this server, when it is fixed, and an example of it. */
  accountPath?: RegExp;
  accountExample?: string;
}

export const ACME_SERVERS: readonly AcmeServer[] = [
  { host: 'acme-v02.api.letsencrypt.org', ca: 'letsencrypt.org', accountPath: /^\/acme\/acct\/\d+$/, accountExample: 'https://acme-v02.api.letsencrypt.org/acme/acct/123456789' },
  // ACMEv1 registrations: Let's Encrypt still accepts their URLs in accounturi.
  { host: 'acme-v01.api.letsencrypt.org', ca: 'letsencrypt.org', accountPath: /^\/acme\/reg\/\d+$/, accountExample: 'https://acme-v01.api.letsencrypt.org/acme/reg/123456' },
  { host: 'acme-staging-v02.api.letsencrypt.org', ca: 'letsencrypt.org', staging: true },
  { host: 'acme-staging.api.letsencrypt.org', ca: 'letsencrypt.org', staging: true },
  { host: 'dv.acme-v02.api.pki.goog', ca: 'pki.goog' },
  { host: 'dv.acme-v02.test-api.pki.goog', ca: 'pki.goog', staging: true },
  { host: 'acme.zerossl.com', ca: 'sectigo.com' },
  { host: 'api.buypass.com', ca: 'buypass.com' },
];

const isWsp = (c: string | undefined): boolean => c === ' ' || c === '\t';
const LDH_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;

/** Octets as text, one char per octet (latin1), so every byte stays visible. */
export function octetsToText(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

/** Printable form: ASCII 0x20–0x7e as is, anything else as \DDD. */
export function printable(text: string): string {
  let out = '';
  for (const c of text) {
    const code = c.charCodeAt(0);
    out += code >= 0x20 && code < 0x7f ? c : `\\${code.toString().padStart(3, '0')}`;
  }
  return out;
}

function describeChar(c: string): string {
  const code = c.charCodeAt(0);
  if (c === ' ') return 'a space';
  if (c === '\t') return 'a tab';
  if (code < 0x20 || code === 0x7f) return `control octet 0x${code.toString(16).padStart(2, '0')}`;
  if (code > 0x7f) return `non-ASCII octet 0x${code.toString(16)}`;
  return `"${c}"`;
}

/** Why `name` is not an issuer-domain-name (RFC 8659 §4.2), or undefined when it is one. */
export function issuerDomainProblem(name: string): string | undefined {
  if (name.endsWith('.')) return `the issuer "${printable(name)}" ends in a dot; CAA names the issuer without the final dot`;
  const bad = [...name].find((c) => !/[A-Za-z0-9.-]/.test(c));
  if (bad !== undefined) {
    const idn = bad.charCodeAt(0) > 0x7f ? ' (an internationalised name must be written as its xn-- A-label)' : '';
    return `the issuer "${printable(name)}" contains ${describeChar(bad)}; only letters, digits, hyphens and dots are allowed${idn}`;
  }
  for (const label of name.split('.')) {
    if (label === '') return `the issuer "${name}" has an empty label`;
    if (!LDH_LABEL.test(label)) return `the issuer label "${label}" starts or ends with a hyphen`;
    if (label.length > 63) return `the issuer label "${label.slice(0, 20)}…" is longer than 63 characters`;
  }
  return undefined;
}

interface StrictResult {
  errors: string[];
}

/**
 * Walk the value against the RFC 8659 §4.2 grammar:
 *   issue-value = *WSP [issuer-domain-name *WSP] [";" *WSP [parameters *WSP]]
 *   parameters  = (parameter *WSP ";" *WSP parameters) / parameter
 *   parameter   = tag *WSP "=" *WSP value ;  value = *(%x21-3A / %x3C-7E)
 * and name the first deviation of each part.
 */
function strictIssue(s: string): StrictResult {
  const errors: string[] = [];
  let i = 0;
  const skip = () => {
    while (isWsp(s[i])) i++;
  };
  skip();
  const start = i;
  while (i < s.length && s[i] !== ';' && !isWsp(s[i])) i++;
  const issuer = s.slice(start, i);
  if (issuer !== '') {
    const p = issuerDomainProblem(issuer);
    if (p) errors.push(p);
  }
  skip();
  if (i >= s.length) return { errors };
  if (s[i] !== ';') {
    errors.push(`after the issuer comes "${printable(s.slice(i, i + 20))}"; a value names at most one issuer, and parameters must follow a ";"`);
    return { errors };
  }
  i++;
  skip();
  if (i >= s.length) return { errors };
  for (;;) {
    const keyStart = i;
    while (i < s.length && /[A-Za-z0-9-]/.test(s[i]!)) i++;
    const key = s.slice(keyStart, i);
    if (key === '') {
      errors.push(s[i] === ';' ? 'an empty parameter between two ";"' : `a parameter name cannot start with ${describeChar(s[i]!)}`);
      return { errors };
    }
    if (!LDH_LABEL.test(key)) errors.push(`the parameter name "${key}" starts or ends with a hyphen`);
    skip();
    if (s[i] !== '=') {
      errors.push(i >= s.length ? `the parameter "${key}" has no "=" and no value` : `the parameter name "${key}" is followed by ${describeChar(s[i]!)}, not "="`);
      return { errors };
    }
    i++;
    skip();
    const valueStart = i;
    while (i < s.length) {
      const code = s.charCodeAt(i);
      if (code < 0x21 || code > 0x7e || code === 0x3b) break;
      i++;
    }
    const valueEnd = i;
    skip();
    if (i >= s.length) return { errors };
    if (s[i] === ';') {
      i++;
      skip();
      if (i >= s.length) {
        errors.push('a ";" after the last parameter (the grammar wants another parameter after it; Let\'s Encrypt rejects such a record)');
        return { errors };
      }
      continue;
    }
    const spaced = i > valueEnd;
    errors.push(
      spaced
        ? `the value of "${key}" is followed by a space and "${printable(s.slice(i, i + 12))}"; parameter values cannot hold spaces (parameters are separated by ";")`
        : `the value "${printable(s.slice(valueStart, valueEnd))}" of "${key}" is followed by ${describeChar(s[i]!)}; parameter values cannot hold spaces, ";" or non-ASCII octets`,
    );
    return { errors };
  }
}

/** The lenient reading: issuer before the first ";", then `key=value` pairs split on ";". */
function lenientIssue(s: string): { issuer: string; parameters: CaaParameter[]; clean: boolean } {
  const trim = (t: string) => t.replace(/^[ \t]+|[ \t]+$/g, '');
  const parts = s.split(';');
  const issuer = trim(parts[0] ?? '');
  const parameters: CaaParameter[] = [];
  let clean = !/[ \t]/.test(issuer);
  for (const part of parts.slice(1)) {
    const t = trim(part);
    if (t === '') continue;
    const eq = t.indexOf('=');
    if (eq < 0) {
      clean = false;
      parameters.push({ key: t, value: '' });
      continue;
    }
    const key = trim(t.slice(0, eq));
    const value = trim(t.slice(eq + 1));
    if (!LDH_LABEL.test(key) || /[\s]/.test(value) || [...value].some((c) => c.charCodeAt(0) > 0x7e)) clean = false;
    parameters.push({ key, value });
  }
  return { issuer, parameters, clean };
}

const URI = /^[A-Za-z][A-Za-z0-9+.-]*:(?:[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,=]|%[0-9A-Fa-f]{2})+$/;

/** The ACME server an account URL belongs to, when keywatch knows it. */
export function acmeServerOf(uri: string): AcmeServer | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  return ACME_SERVERS.find((s) => s.host === url.hostname.toLowerCase());
}

function isSameOrBelow(host: string, domain: string): boolean {
  const h = host.toLowerCase();
  const d = domain.toLowerCase();
  return h === d || h.endsWith(`.${d}`);
}

/** RFC 8657 §3: why this `accounturi` value cannot identify an account at `issuer`, if it cannot. */
export function accountUriProblem(uri: string, issuer: string): string | undefined {
  if (uri === '') return 'the accounturi is empty';
  if (!URI.test(uri)) return `the accounturi "${printable(uri)}" is not a URI (RFC 3986)`;
  const server = acmeServerOf(uri);
  if (!server) return undefined;
  const url = new URL(uri);
  if (issuer !== '' && server.ca !== issuer.toLowerCase() && !isSameOrBelow(url.hostname, issuer)) {
    return `the accounturi names an account at ${server.host}, which belongs to ${server.ca}, but the record names ${issuer}: ${issuer} has no such account (RFC 8657 §3)`;
  }
  if (server.staging) return `the accounturi names an account on the staging server ${server.host}, which cannot obtain real certificates; use the production account URL`;
  if (url.protocol !== 'https:') return `the accounturi must be the https: URL the ACME server returned; ${server.ca} compares it exactly`;
  if (server.accountPath && !server.accountPath.test(url.pathname)) {
    return `"${uri}" is not an account URL at ${server.host}${server.accountExample ? ` (those look like ${server.accountExample})` : ''}; a directory or certificate URL does not identify an account`;
  }
  return undefined;
}

/** The account URLs a CA treats as the same account (Let's Encrypt: ACMEv1 reg/N = ACMEv2 acct/N). */
export function sameAccount(a: string, b: string): boolean {
  if (a === b) return true;
  const id = (u: string) => /^https:\/\/acme-v0[12]\.api\.letsencrypt\.org\/acme\/(?:acct|reg)\/(\d+)$/.exec(u)?.[1];
  const ia = id(a);
  return ia !== undefined && ia === id(b);
}

function readIssue(s: string, notes: RecordNote[]): IssueReading {
  const strict = strictIssue(s);
  const lenient = lenientIssue(s);
  const wellFormed = strict.errors.length === 0;
  const reading: IssueReading = { issuer: lenient.issuer, wellFormed, syntaxErrors: strict.errors, parameters: lenient.parameters };
  if (!wellFormed) {
    notes.push({ code: 'malformed', message: `${strict.errors.join('; ')}. A value outside the RFC 8659 §4.2 grammar counts as naming no issuer, so this record authorises no CA` });
    const issuer = lenient.issuer.replace(/\.$/, '').toLowerCase();
    if (lenient.clean && (issuer === '' || issuerDomainProblem(issuer) === undefined)) {
      const params = lenient.parameters.map((p) => `${p.key}=${p.value}`);
      reading.corrected = params.length ? `${issuer}; ${params.join('; ')}` : issuer || ';';
    }
  }
  if (/[A-Z]/.test(lenient.issuer) && issuerDomainProblem(lenient.issuer) === undefined) {
    notes.push({ code: 'not-lowercase', message: `the issuer "${lenient.issuer}" is not in lower case; Let's Encrypt compares the issuer domain exactly, so write "${lenient.issuer.toLowerCase()}"` });
  }

  // A malformed record authorises nobody already; its parameters would only add noise.
  if (!wellFormed) return reading;
  const byKey = (k: string) => lenient.parameters.filter((p) => p.key === k);
  for (const p of lenient.parameters) {
    const lower = p.key.toLowerCase();
    if ((lower === 'accounturi' || lower === 'validationmethods') && p.key !== lower) {
      notes.push({
        code: 'not-lowercase',
        message: `the parameter "${p.key}" is not written "${lower}"; Let's Encrypt matches parameter names exactly and ignores "${p.key}", so this record is not restricted by it`,
      });
    }
  }

  const accounts = byKey('accounturi');
  if (accounts.length > 1) {
    reading.unsatisfiable = `${accounts.length} accounturi parameters in one record: such a record is unsatisfiable (RFC 8657 §3); publish one record per account instead`;
    notes.push({ code: 'accounturi-invalid', message: reading.unsatisfiable });
  } else if (accounts.length === 1) {
    const uri = accounts[0]!.value;
    const problem = accountUriProblem(uri, lenient.issuer);
    if (problem) {
      reading.unsatisfiable = `${problem}; the record authorises nobody`;
      notes.push({ code: 'accounturi-invalid', message: reading.unsatisfiable });
    } else reading.accountUri = uri;
  }

  const methods = byKey('validationmethods');
  if (methods.length > 1) {
    const why = `${methods.length} validationmethods parameters in one record: RFC 8657 does not define this and Let's Encrypt refuses such a record (RFC 8657 §5.8); list the methods once, separated by commas`;
    reading.unsatisfiable ??= why;
    notes.push({ code: 'validationmethods-invalid', message: why });
  } else if (methods.length === 1) {
    const v = methods[0]!.value;
    if (!/^(?:[A-Za-z0-9-]+(?:,[A-Za-z0-9-]+)*)?$/.test(v)) {
      const why = `validationmethods "${printable(v)}" is not a comma-separated list of method labels (RFC 8657 §4: no spaces, no empty entries); Let's Encrypt refuses the record`;
      reading.unsatisfiable ??= why;
      notes.push({ code: 'validationmethods-invalid', message: why });
    } else if (v === '') {
      const why = 'validationmethods is empty: no validation method is allowed, so this record authorises nobody';
      reading.unsatisfiable ??= why;
      notes.push({ code: 'validationmethods-invalid', message: why });
    } else {
      const labels = v.split(',');
      reading.validationMethods = labels;
      const upper = labels.filter((l) => l !== l.toLowerCase() && KNOWN_METHODS[l.toLowerCase()]);
      if (upper.length) notes.push({ code: 'not-lowercase', message: `validation method ${upper.map((l) => `"${l}"`).join(', ')} must be written in lower case; Let's Encrypt compares labels exactly` });
      const unknown = labels.filter((l) => !KNOWN_METHODS[l] && !l.startsWith('ca-') && !KNOWN_METHODS[l.toLowerCase()]);
      if (unknown.length) {
        notes.push({
          code: 'validationmethods-unknown',
          message: `validation method ${unknown.map((l) => `"${l}"`).join(', ')} is neither an ACME method (IANA "ACME Validation Methods") nor CA-specific ("ca-" prefix); CAs ignore labels they do not know`,
        });
      }
    }
  }
  return reading;
}

function readIodef(s: string, notes: RecordNote[]): IodefReading {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(s)?.[1]?.toLowerCase();
  const reading: IodefReading = { url: s, valid: false };
  const fail = (why: string) => {
    notes.push({ code: 'iodef-invalid', message: why });
    return reading;
  };
  if ([...s].some((c) => c.charCodeAt(0) < 0x21 || c.charCodeAt(0) > 0x7e)) return fail(`the iodef URL "${printable(s)}" contains spaces, controls or non-ASCII octets`);
  if (scheme === 'mailto') {
    reading.scheme = 'mailto';
    const decode = (a: string) => {
      try {
        return decodeURIComponent(a);
      } catch {
        return undefined; // a bad %-escape
      }
    };
    const addresses = s.slice('mailto:'.length).split('?')[0]!.split(',').map(decode);
    if (!addresses.every((a) => a !== undefined && /^[^@\s]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$/.test(a))) {
      return fail(`"${s}" holds no usable mail address; write mailto:security@example.org`);
    }
    reading.target = addresses.join(', ');
    reading.valid = true;
    return reading;
  }
  if (scheme === 'http' || scheme === 'https') {
    reading.scheme = scheme;
    try {
      const url = new URL(s);
      if (!url.hostname) return fail(`"${s}" names no host`);
      reading.target = url.host;
      reading.valid = true;
      return reading;
    } catch {
      return fail(`"${s}" is not a valid ${scheme}: URL`);
    }
  }
  return fail(`iodef "${printable(s)}" uses ${scheme ? `the scheme "${scheme}:"` : 'no URL scheme'}; only mailto:, http: and https: are defined (RFC 8659 §4.4)`);
}

/** Optimal string alignment distance, for spotting misspelt tags; small inputs only. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

function misspeltTag(tag: string): string | undefined {
  if (tag.length > 24) return undefined;
  let best: string | undefined;
  let bestDistance = 3;
  for (const t of CORE_TAGS) {
    const d = editDistance(tag, t);
    if (d < bestDistance) {
      best = t;
      bestDistance = d;
    }
  }
  if (best) return best;
  return tag.includes('wild') ? 'issuewild' : tag.startsWith('issu') ? 'issue' : undefined;
}

/** Read one record. Never throws: undecodable input comes back as kind "undecodable". */
export function readProperty(raw: CaaRaw): CaaProperty {
  const notes: RecordNote[] = [];
  const valueText = octetsToText(raw.value);
  const text = /^[A-Za-z0-9]+$/.test(raw.tag) ? formatRData({ type: 'CAA', flags: raw.flags, critical: (raw.flags & 0x80) !== 0, tag: raw.tag, value: raw.value }) : `${raw.flags} ${printable(raw.tag)} "${escapeOctets(valueText)}"`;
  const critical = (raw.flags & 0x80) !== 0;
  const tagLower = raw.tag.toLowerCase();
  const prop: CaaProperty = { text, flags: raw.flags, critical, tag: raw.tag, value: escapeOctets(valueText), kind: 'other', notes };

  if (raw.flags & 0x7f) {
    const one = raw.flags & 0x01 ? ' Flag 1 is a common misreading of the critical bit, and Let\'s Encrypt treats it as critical.' : '';
    notes.push({ code: 'reserved-flags', message: `flags ${raw.flags} set reserved bits (only 128, "issuer critical", is defined, RFC 8659 §4.1); publish 0 or 128.${one}` });
  }
  if (!/^[A-Za-z0-9]+$/.test(raw.tag) || raw.tag.length === 0) {
    prop.kind = 'undecodable';
    notes.push({ code: 'malformed', message: `the tag "${printable(raw.tag)}" holds characters other than letters and digits (RFC 8659 §4.1); CAs may reject the whole record set` });
    return prop;
  }
  if (tagLower === 'issue' || tagLower === 'issuewild') {
    prop.kind = tagLower;
    prop.issue = readIssue(valueText, notes);
  } else if (tagLower === 'iodef') {
    prop.kind = 'iodef';
    prop.iodef = readIodef(valueText, notes);
  } else {
    const registered = OTHER_REGISTERED_TAGS.has(tagLower);
    // Let's Encrypt also treats flag 1 as critical on tags it does not know.
    if (critical || (raw.flags & 0x01) !== 0) {
      notes.push({
        code: 'critical-unknown-tag',
        registered,
        message: !critical
          ? `"${raw.tag}" is ${registered ? 'an optional' : 'not a defined'} tag with flag 1, which Let's Encrypt treats as the critical flag: Let's Encrypt will not issue for the names this record set covers`
          : registered
            ? `"${raw.tag}" is flagged critical: every CA that does not implement ${tagLower} must refuse to issue (RFC 8659 §4.5)`
            : `"${raw.tag}" is not a defined tag and is flagged critical: no CA may issue for the names this record set covers (RFC 8659 §4.5)`,
      });
    } else if (!registered) {
      const guess = misspeltTag(tagLower);
      notes.push({
        code: 'unknown-tag',
        ...(guess ? { didYouMean: guess } : {}),
        message: guess ? `"${raw.tag}" is not a defined tag — a misspelt "${guess}"? CAs ignore it, so it restricts nothing` : `"${raw.tag}" is not a defined tag; CAs ignore it`,
      });
    }
  }
  return prop;
}

/**
 * A CAA rdata in presentation form — `FLAGS TAG VALUE` (RFC 8659 §4.1.1; VALUE quoted or a bare
 * run of characters) or the generic `\# LENGTH HEX` (RFC 3597 §5) — as raw fields.
 * Throws Error naming the problem.
 */
export function caaRawFromText(text: string): CaaRaw {
  const t = text.trim();
  const generic = /^\\#\s+(\d+)\s*([0-9A-Fa-f\s]*)$/.exec(t);
  if (generic) {
    const hex = generic[2]!.replace(/\s+/g, '');
    if (hex.length % 2 !== 0 || hex.length / 2 !== Number(generic[1])) throw new Error(`generic rdata "${t}" has a length that does not match its hex`);
    return caaRawFromWire(Uint8Array.from(Buffer.from(hex, 'hex')));
  }
  const m = /^(\d{1,3})\s+(\S+)\s*([\s\S]*)$/.exec(t);
  if (!m) throw new Error(`"${t}" is not CAA rdata (FLAGS TAG "VALUE")`);
  const flags = Number(m[1]);
  if (flags > 255) throw new Error(`CAA flags ${flags} exceed 255`);
  const rest = m[3]!;
  let value: Uint8Array;
  if (rest.startsWith('"')) {
    const end = findClosingQuote(rest);
    if (end < 0) throw new Error(`the value ${rest} has no closing quote`);
    if (rest.slice(end + 1).trim() !== '') throw new Error(`text after the quoted value: ${rest.slice(end + 1).trim()}`);
    value = unescape(rest.slice(1, end));
  } else {
    if (/\s/.test(rest)) throw new Error(`an unquoted value cannot contain spaces: ${rest}`);
    value = unescape(rest);
  }
  return { flags, tag: m[2]!, value };
}

function findClosingQuote(s: string): number {
  for (let i = 1; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '"') return i;
  }
  return -1;
}

/** RFC 1035 §5.1 escapes: \DDD is one octet, \X is X; other characters as UTF-8. */
function unescape(s: string): Uint8Array {
  const out: number[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < s.length; ) {
    if (s[i] === '\\') {
      const ddd = /^\d{3}/.exec(s.slice(i + 1));
      if (ddd) {
        const v = Number(ddd[0]);
        if (v > 255) throw new Error(`escape \\${ddd[0]} exceeds 255`);
        out.push(v);
        i += 4;
        continue;
      }
      const next = s.codePointAt(i + 1);
      if (next === undefined) throw new Error('a lone backslash at the end of the value');
      const ch = String.fromCodePoint(next);
      out.push(...enc.encode(ch));
      i += 1 + ch.length;
      continue;
    }
    const ch = String.fromCodePoint(s.codePointAt(i)!);
    out.push(...enc.encode(ch));
    i += ch.length;
  }
  return Uint8Array.from(out);
}

/** CAA wire rdata (RFC 8659 §4.1) as raw fields, without judging the tag's characters. Throws Error. */
export function caaRawFromWire(rdata: Uint8Array): CaaRaw {
  if (rdata.length < 2) throw new Error(`CAA rdata of ${rdata.length} octets is too short`);
  const tagLength = rdata[1]!;
  if (tagLength === 0) throw new Error('CAA tag length 0');
  if (2 + tagLength > rdata.length) throw new Error(`CAA tag length ${tagLength} runs past the rdata`);
  return { flags: rdata[0]!, tag: octetsToText(rdata.subarray(2, 2 + tagLength)), value: rdata.slice(2 + tagLength) };
}

/** Read one record from its presentation text; input that is not CAA rdata at all becomes "undecodable". */
export function readPropertyText(text: string): CaaProperty {
  try {
    return readProperty(caaRawFromText(text));
  } catch (e) {
    return { text, flags: 0, critical: false, tag: '', value: '', kind: 'undecodable', notes: [{ code: 'malformed', message: `the record cannot be decoded: ${(e as Error).message}` }] };
  }
}

/** Octets (one char each) escaped for a quoted zone-file string, without the quotes. */
export function escapeOctets(text: string): string {
  let out = '';
  for (const c of text) {
    const code = c.charCodeAt(0);
    if (c === '"' || c === '\\') out += `\\${c}`;
    else out += code >= 0x20 && code < 0x7f ? c : `\\${code.toString().padStart(3, '0')}`;
  }
  return out;
}

/** A CAA value in zone-file syntax: one quoted string, `"` and `\` escaped, other octets outside printable ASCII as \DDD. */
export function quoteCaaValue(value: string): string {
  let out = '"';
  for (const byte of new TextEncoder().encode(value)) {
    if (byte === 0x22 || byte === 0x5c) out += `\\${String.fromCharCode(byte)}`;
    else if (byte >= 0x20 && byte < 0x7f) out += String.fromCharCode(byte);
    else out += `\\${byte.toString().padStart(3, '0')}`;
  }
  return `${out}"`;
}
