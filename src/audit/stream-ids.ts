// Stream-id predictability: collect the `id` a server puts in its stream header (RFC 6120 §4.7.3)
// from a bounded number of fresh connections, and judge how guessable those ids look.
//
// Why it matters. Server dialback (XEP-0220) derives its key from a server secret, the two domain
// names and the *receiving* server's stream id (XEP-0185: HMAC-SHA256(SHA256(secret), to ' ' from
// ' ' id)). RFC 6120 §4.7.3 therefore says the stream id MUST be unpredictable and non-repeating:
// a repeated id lets a captured dialback key be replayed, and ids from a weak generator are the
// visible output of that generator. In the "wrong number" findings of January 2016 the same weak
// generators also made the dialback secret: Prosody before 0.9.9 built both its stream ids and an
// unconfigured dialback secret from SHA-1 over the time, os.clock() and a table address
// (CVE-2016-1232; fixed by reading /dev/urandom), and jabberd2 used rand() for both (jabberd2 issue
// #110). Prosody before 0.9.10 also concatenated the key's inputs without separators
// (CVE-2016-0756). Whoever receives a dialback key — any server the victim connects to does, and
// it chose the stream id itself — can search a weak secret offline and then forge keys for the
// victim's domain towards servers that accept dialback (jabberd2 issue #110 spells this out).
//
// What the statistics can and cannot say. They see only the ids. Sixteen ids with 122 bits of
// apparent entropy and no repeats is "no weakness seen", not proof of a cryptographic generator
// (ejabberd 23.01 takes its ids from Erlang's non-cryptographic `rand`, and they look uniform).
// Conversely a counter, a timestamp, a repeat or a short id is a fact about the ids themselves.
//
// The statistics are pure (`analyzeStreamIds`, `streamIdFindings`); the collector
// (`collectStreamIds`) opens the connections with the probe's limits and SOCKS support.
import { mapBounded } from './bounded-map.ts';
import type { Protocol } from './discover.ts';
import { connectTcp } from '../probe/connect.ts';
import type { ProbeResult } from '../probe/probe.ts';
import { BoundedReader, createBudget, remainingMs, writeAll } from '../probe/bounded.ts';
import { ProbeError } from '../probe/errors.ts';
import { streamHeader } from '../probe/starttls/xmpp.ts';
import { XmppStreamScanner } from '../probe/starttls/xml-stream.ts';
import type { Finding } from './finding.ts';

export type StreamIdRole = 'c2s' | 's2s';

/** Characters of one id that are analysed (and kept in reports); a hostile server may send more. */
export const MAX_ID_CHARS = 256;
/** The most fresh connections one collection may open. */
export const MAX_STREAM_ID_CONNECTIONS = 64;
/** Below this many bits of apparent entropy an id counts as short (the issue's bar: a 64-bit guess). */
export const SHORT_BITS = 64;
/** Statistical findings (all but repeats and missing ids) need at least this many ids. */
export const MIN_IDS_FOR_STATISTICS = 4;
/** How far from the check's clock a decoded time may be and still count as "now". */
const TIME_WINDOW_MS = 30 * 86_400_000;
/** Largest step between consecutive ids that still counts as a counter. */
const MAX_COUNTER_STEP = 1n << 24n;

// ---------------------------------------------------------------------------------------------
// Statistics

export interface AlphabetView {
  /** `decimal`, `hex`, `HEX`, `base32`, `base36`, `alphanumeric`, `base64url`, `base64`, `printable`, `unicode`. */
  name: string;
  size: number;
  bitsPerChar: number;
}

export interface TimestampView {
  /** Where the time sits: `uuid-v1`, `uuid-v6`, `uuid-v7`, `whole id`, `field 2`, `leading digits`, … */
  where: string;
  /** `decimal`, `hex` or `base36`, and `uuid` for UUID time fields. */
  encoding: string;
  unit: 's' | 'ms' | 'us' | 'ns' | '100ns';
  /** How many ids decode to a time near the check's clock. */
  matched: number;
  first: string;
  last: string;
  /** Apparent entropy of what is left of an id without the time. */
  bitsBeside: number;
}

export interface CounterView {
  where: string;
  direction: 'up' | 'down';
  first: string;
  last: string;
  /** Smallest, median and largest step between consecutive ids. */
  steps: { min: string; median: string; max: string };
  /** Apparent entropy of what is left of an id without the counter. */
  bitsBeside: number;
}

export interface StreamIdStats {
  /** Ids analysed, in the order the connections were made (repeats included). */
  count: number;
  distinct: number;
  repeats: Array<{ id: string; times: number }>;
  length: { min: number; max: number };
  /** `uuid` (with `uuidVersions`), `decimal`, `hex`, or the alphabet's name. */
  layout: string;
  uuidVersions?: number[];
  alphabet: AlphabetView;
  /** Apparent entropy of one id in bits (what varies, at the alphabet's bits per character). */
  apparentBits: number;
  /** How `apparentBits` was estimated: from a UUID layout, character positions, or the numeric range. */
  method: 'uuid' | 'positions' | 'numeric-range' | 'length';
  /** How far below the true value a numeric-range estimate may fall by chance (1 in 10 000); 0 otherwise. */
  estimateSlackBits: number;
  /** Longest prefix every id shares. */
  commonPrefix: string;
  /** Bits in what follows the common prefix (the same estimate, on the varying part). */
  bitsAfterPrefix: number;
  timestamp?: TimestampView;
  counter?: CounterView;
  /** Edit distance between consecutive ids (Hamming when lengths agree, else Levenshtein). */
  distance?: { metric: 'hamming' | 'levenshtein'; min: number; median: number; max: number; expectedRandom: number };
}

const log2n = (n: number) => Math.log2(n);

/** log2 of a non-negative BigInt (−Infinity for 0). */
function log2Big(x: bigint): number {
  if (x <= 0n) return -Infinity;
  const bits = x.toString(2).length;
  if (bits <= 53) return Math.log2(Number(x));
  return Math.log2(Number(x >> BigInt(bits - 53))) + (bits - 53);
}

const round1 = (x: number) => Math.round(x * 10) / 10;

const ALPHABETS: Array<{ name: string; test: RegExp; size: number }> = [
  { name: 'decimal', test: /^[0-9]*$/, size: 10 },
  { name: 'hex', test: /^[0-9a-f]*$/, size: 16 },
  { name: 'HEX', test: /^[0-9A-F]*$/, size: 16 },
  { name: 'base32', test: /^[A-Z2-7]*$/, size: 32 },
  { name: 'base36', test: /^[0-9a-z]*$/, size: 36 },
  { name: 'base36', test: /^[0-9A-Z]*$/, size: 36 },
  { name: 'alphanumeric', test: /^[0-9A-Za-z]*$/, size: 62 },
  { name: 'base64url', test: /^[0-9A-Za-z_-]*$/, size: 64 },
  { name: 'base64', test: /^[0-9A-Za-z+/=]*$/, size: 64 },
  { name: 'printable', test: /^[\x20-\x7e]*$/, size: 95 },
];

/** The smallest usual alphabet that contains every character seen. */
export function alphabetOf(chars: string): AlphabetView {
  for (const a of ALPHABETS) if (a.test.test(chars)) return { name: a.name, size: a.size, bitsPerChar: Math.round(log2n(a.size) * 1000) / 1000 };
  const distinct = new Set(chars).size;
  const size = Math.max(96, distinct);
  return { name: 'unicode', size, bitsPerChar: log2n(size) };
}

/**
 * A numeric-range estimate of how many bits n uniformly drawn values span: the spread between the
 * smallest and largest, scaled by (n+1)/(n−1) (the unbiased range estimator for a uniform draw).
 */
function rangeBits(values: readonly bigint[]): number {
  const n = values.length;
  let min = values[0]!;
  let max = values[0]!;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const spread = max - min;
  if (spread <= 0n) return 0;
  return Math.max(0, log2Big(spread) + log2n((n + 1) / (n - 1)));
}

/**
 * How far a range estimate may fall below the truth with probability 1e-4: for n uniform draws,
 * P(spread ≤ xR) = n·x^(n−1) − (n−1)·x^n; solved for x by bisection.
 */
export function rangeSlackBits(n: number): number {
  if (n < 2) return Infinity;
  const p = (x: number) => n * x ** (n - 1) - (n - 1) * x ** n;
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (p(mid) < 1e-4) lo = mid;
    else hi = mid;
  }
  return Math.max(0, -log2n(lo * ((n + 1) / (n - 1))));
}

const isDec = (s: string) => /^[0-9]+$/.test(s);
const isHex = (s: string) => /^[0-9a-fA-F]+$/.test(s);
const parseNum = (s: string, radix: 10 | 16) => (radix === 10 ? BigInt(s) : BigInt(`0x${s}`));

interface Entropy {
  bits: number;
  method: StreamIdStats['method'];
  slack: number;
  alphabet: AlphabetView;
}

/** Layout of separators (anything not a letter or digit): the same characters at the same places in every id. */
function sharedLayout(ids: readonly string[]): Array<[number, string]> | undefined {
  const layout = (s: string) => [...s.matchAll(/[^0-9A-Za-z]+/g)].map((m): [number, string] => [m.index, m[0]]);
  const first = layout(ids[0]!);
  if (first.length === 0) return undefined;
  const key = JSON.stringify(first);
  if (!ids.every((s) => s.length === ids[0]!.length && JSON.stringify(layout(s)) === key)) return undefined;
  // Separators that are also base64 characters at varying places would not get here (positions differ).
  return first;
}

/** Apparent entropy of one field (no separators) across the ids. */
function fieldEntropy(values: readonly string[]): Entropy {
  const distinct = [...new Set(values)];
  const all = distinct.join('');
  const alphabet = alphabetOf(all);
  const n = distinct.length;
  if (values.every((v) => v.length === 0)) return { bits: 0, method: 'positions', slack: 0, alphabet };
  const equalLength = distinct.every((v) => v.length === distinct[0]!.length);
  // Decimal numbers are not uniform per digit (a 64-bit number's first digit is mostly 1), so
  // numbers are judged by their range; so are hex numbers printed without leading zeros.
  if (n >= 3 && (distinct.every(isDec) || (!equalLength && distinct.every(isHex) && distinct.every((v) => v.length <= 64)))) {
    const radix = distinct.every(isDec) ? 10 : 16;
    return { bits: rangeBits(distinct.map((v) => parseNum(v, radix))), method: 'numeric-range', slack: rangeSlackBits(n), alphabet };
  }
  if (equalLength && n >= MIN_IDS_FOR_STATISTICS) {
    // Positions where every id has the same character carry nothing.
    const len = distinct[0]!.length;
    let varying = '';
    let count = 0;
    for (let i = 0; i < len; i++) {
      const c = distinct[0]![i]!;
      if (distinct.some((v) => v[i] !== c)) {
        count++;
        for (const v of distinct) varying += v[i]!;
      }
    }
    const a = alphabetOf(varying);
    return { bits: count * a.bitsPerChar, method: 'positions', slack: 0, alphabet: a };
  }
  const minLen = Math.min(...distinct.map((v) => v.length));
  return { bits: minLen * alphabet.bitsPerChar, method: 'length', slack: 0, alphabet };
}

/** Apparent entropy of a set of ids (or of what is left of them), field by field. */
function entropyOf(ids: readonly string[]): Entropy {
  const distinct = [...new Set(ids)];
  if (distinct.length === 0 || distinct.every((s) => s.length === 0)) return { bits: 0, method: 'positions', slack: 0, alphabet: alphabetOf('') };
  const layout = distinct.length >= 2 ? sharedLayout(distinct) : undefined;
  if (!layout) return fieldEntropy(distinct);
  let bits = 0;
  let slack = 0;
  let method: Entropy['method'] = 'positions';
  let chars = '';
  let start = 0;
  const cuts = [...layout, [distinct[0]!.length, ''] as [number, string]];
  for (const [at, sep] of cuts) {
    const values = distinct.map((s) => s.slice(start, at));
    // A field every id shares (a constant word between separators) carries nothing.
    if (new Set(values).size > 1) {
      const e = fieldEntropy(values);
      bits += e.bits;
      slack = Math.max(slack, e.slack);
      if (e.method !== 'positions') method = e.method;
      chars += values.join('');
    }
    start = at + sep.length;
  }
  return { bits, method, slack, alphabet: alphabetOf(chars) };
}

/** A span of each id (start, end), or undefined where the id has none. */
type Spans = Array<[number, number] | undefined>;

interface Candidate {
  where: string;
  spans: Spans;
}

function candidates(ids: readonly string[]): Candidate[] {
  const out: Candidate[] = [{ where: 'whole id', spans: ids.map((s) => [0, s.length]) }];
  const layout = ids.length >= 2 ? sharedLayout(ids) : undefined;
  if (layout) {
    let start = 0;
    [...layout, [ids[0]!.length, ''] as [number, string]].forEach(([at, sep], i) => {
      const s = start;
      out.push({ where: `field ${i + 1}`, spans: ids.map(() => [s, at]) });
      start = at + sep.length;
    });
  }
  const run = (re: RegExp, where: string) => {
    const spans: Spans = ids.map((s) => {
      const m = re.exec(s);
      return m && m[0].length ? [m.index, m.index + m[0].length] : undefined;
    });
    out.push({ where, spans });
  };
  run(/^[0-9]+/, 'leading digits');
  run(/[0-9]+$/, 'trailing digits');
  run(/^[0-9a-fA-F]+/, 'leading hex');
  return out;
}

const spanText = (id: string, span: [number, number] | undefined) => (span ? id.slice(span[0], span[1]) : undefined);
const without = (id: string, span: [number, number] | undefined) => (span ? id.slice(0, span[0]) + id.slice(span[1]) : id);

const UNIT_MS: Record<'s' | 'ms' | 'us' | 'ns', number> = { s: 1000, ms: 1, us: 1e-3, ns: 1e-6 };

/** Ways a piece of text could encode a time: [prefix length or whole, radix, unit]. */
function timeReadings(text: string): Array<{ len: number; radix: 10 | 16 | 36; unit: keyof typeof UNIT_MS; encoding: string }> {
  const out: Array<{ len: number; radix: 10 | 16 | 36; unit: keyof typeof UNIT_MS; encoding: string }> = [];
  const units: Array<keyof typeof UNIT_MS> = ['s', 'ms', 'us', 'ns'];
  if (isDec(text)) {
    for (const unit of units) out.push({ len: text.length, radix: 10, unit, encoding: 'decimal' });
    for (const [len, unit] of [[10, 's'], [13, 'ms'], [16, 'us'], [19, 'ns']] as const) if (text.length > len) out.push({ len, radix: 10, unit, encoding: 'decimal' });
  }
  if (isHex(text)) {
    for (const unit of ['s', 'ms', 'us'] as const) out.push({ len: text.length, radix: 16, unit, encoding: 'hex' });
    for (const [len, unit] of [[8, 's'], [11, 'ms'], [12, 'ms']] as const) if (text.length > len) out.push({ len, radix: 16, unit, encoding: 'hex' });
  }
  if (/^[0-9a-z]{6,12}$/.test(text) && /[g-z]/.test(text)) {
    for (const unit of ['s', 'ms'] as const) out.push({ len: text.length, radix: 36, unit, encoding: 'base36' });
  }
  return out;
}

function toMs(text: string, radix: 10 | 16 | 36, unit: keyof typeof UNIT_MS): number | undefined {
  if (text.length === 0 || text.length > 24) return undefined;
  let v: bigint;
  if (radix === 36) v = BigInt(parseInt(text, 36));
  else v = parseNum(text, radix);
  const ms = Number(v) * UNIT_MS[unit];
  return Number.isFinite(ms) ? ms : undefined;
}

/** Time in a UUID (v1 and v6: 100 ns since 1582-10-15; v7: Unix ms), and which hex digits hold it. */
function uuidTime(hex: string): { ms: number; digits: number[]; version: number } | undefined {
  const version = parseInt(hex[12]!, 16);
  const GREGORIAN_OFFSET_MS = 12_219_292_800_000;
  if (version === 1) {
    const t = (BigInt(`0x${hex.slice(13, 16)}`) << 48n) | (BigInt(`0x${hex.slice(8, 12)}`) << 32n) | BigInt(`0x${hex.slice(0, 8)}`);
    return { ms: Number(t / 10_000n) - GREGORIAN_OFFSET_MS, digits: [...range(0, 12), 13, 14, 15], version };
  }
  if (version === 6) {
    const t = (BigInt(`0x${hex.slice(0, 12)}`) << 12n) | BigInt(`0x${hex.slice(13, 16)}`);
    return { ms: Number(t / 10_000n) - GREGORIAN_OFFSET_MS, digits: [...range(0, 12), 13, 14, 15], version };
  }
  if (version === 7) return { ms: Number(BigInt(`0x${hex.slice(0, 12)}`)), digits: range(0, 12), version };
  return undefined;
}

function range(a: number, b: number): number[] {
  return Array.from({ length: b - a }, (_, i) => a + i);
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Bits of a set of UUIDs (hex digits only), leaving out given digit positions. */
function uuidBits(hexes: readonly string[], skip: ReadonlySet<number>): number {
  const distinct = [...new Set(hexes.map((h) => h.toLowerCase()))];
  if (distinct.length < MIN_IDS_FOR_STATISTICS) {
    // Too few to see which digits vary: count what the layout leaves random.
    let bits = 0;
    for (let i = 0; i < 32; i++) if (i !== 12 && !skip.has(i)) bits += i === 16 ? 2 : 4;
    return bits;
  }
  let bits = 0;
  for (let i = 0; i < 32; i++) {
    if (i === 12 || skip.has(i)) continue; // the version digit
    const c = distinct[0]![i];
    if (!distinct.some((h) => h[i] !== c)) continue;
    bits += i === 16 ? 2 : 4; // the variant digit carries two random bits (10xx)
  }
  return bits;
}

function median<T>(sorted: readonly T[]): T {
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

function hamming(a: string, b: string): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) d++;
  return d;
}

function commonPrefix(ids: readonly string[]): string {
  if (ids.length < 2) return '';
  let p = ids[0]!;
  for (const s of ids) {
    let i = 0;
    while (i < p.length && i < s.length && p[i] === s[i]) i++;
    p = p.slice(0, i);
  }
  return p;
}

function findTimestamp(ids: readonly string[], now: number): (Omit<TimestampView, 'bitsBeside'> & { spans: Spans }) | undefined {
  const n = ids.length;
  const need = Math.max(2, Math.ceil(0.75 * n));
  const near = (ms: number | undefined): ms is number => ms !== undefined && Math.abs(ms - now) <= TIME_WINDOW_MS;
  const accept = (times: Array<number | undefined>) => {
    const ok = times.filter(near);
    if (ok.length < need) return undefined;
    const min = Math.min(...ok);
    const max = Math.max(...ok);
    return max - min <= 86_400_000 ? { matched: ok.length, first: new Date(ok[0]!).toISOString(), last: new Date(ok.at(-1)!).toISOString() } : undefined;
  };
  if (ids.every((s) => UUID_RE.test(s))) {
    const hexes = ids.map((s) => s.replaceAll('-', '').toLowerCase());
    const times = hexes.map(uuidTime);
    const version = times[0]?.version;
    if (version !== undefined && times.every((t) => t?.version === version)) {
      const hit = accept(times.map((t) => t?.ms));
      if (hit) return { where: `uuid-v${version}`, encoding: 'uuid', unit: version === 7 ? 'ms' : '100ns', ...hit, spans: [] };
    }
    return undefined;
  }
  for (const c of candidates(ids)) {
    const texts = ids.map((s, i) => spanText(s, c.spans[i]));
    const firstText = texts.find((t) => t !== undefined);
    if (firstText === undefined || texts.filter((t) => t !== undefined).length < need) continue;
    for (const r of timeReadings(firstText)) {
      const wholeSpan = r.len === firstText.length;
      const pieces = texts.map((t) => (t === undefined ? undefined : wholeSpan ? t : t.length > r.len ? t.slice(0, r.len) : undefined));
      const fits = (t: string | undefined) => t !== undefined && (r.radix === 10 ? isDec(t) : r.radix === 16 ? isHex(t) : /^[0-9a-z]+$/.test(t));
      const hit = accept(pieces.map((t) => (fits(t) ? toMs(t!, r.radix, r.unit) : undefined)));
      if (hit) {
        const spans: Spans = c.spans.map((sp, i) => (sp && pieces[i] !== undefined ? [sp[0], sp[0] + pieces[i].length] : undefined));
        return { where: c.where, encoding: r.encoding, unit: r.unit, ...hit, spans };
      }
    }
  }
  return undefined;
}

function findCounter(ids: readonly string[]): (Omit<CounterView, 'bitsBeside'> & { spans: Spans }) | undefined {
  if (ids.length < 3) return undefined;
  for (const c of candidates(ids)) {
    const texts = ids.map((s, i) => spanText(s, c.spans[i]));
    if (texts.some((t) => t === undefined || t.length === 0 || t.length > 64)) continue;
    const radix = texts.every((t) => isDec(t!)) ? 10 : texts.every((t) => isHex(t!)) ? 16 : undefined;
    if (!radix) continue;
    const values = texts.map((t) => parseNum(t!, radix));
    const steps = values.slice(1).map((v, i) => v - values[i]!);
    // Small relative to what the field can hold: a random 16-bit field that happens to rise is no counter.
    const width = BigInt(radix) ** BigInt(Math.max(...texts.map((t) => t!.length)));
    const limit = (width >> 8n) < MAX_COUNTER_STEP ? (width >> 8n) || 1n : MAX_COUNTER_STEP;
    for (const direction of ['up', 'down'] as const) {
      const d = steps.map((s) => (direction === 'up' ? s : -s));
      if (d.every((s) => s >= 0n && s <= limit) && d.filter((s) => s > 0n).length * 2 >= d.length && d.some((s) => s > 0n)) {
        const sorted = [...d].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        return {
          where: c.where,
          direction,
          first: texts[0]!,
          last: texts.at(-1)!,
          steps: { min: sorted[0]!.toString(), median: median(sorted).toString(), max: sorted.at(-1)!.toString() },
          spans: c.spans,
        };
      }
    }
  }
  return undefined;
}

/** Statistics over the ids a server issued, in connection order. Pure; `now` decides what "near now" is. */
export function analyzeStreamIds(rawIds: readonly string[], o: { now: Date }): StreamIdStats {
  const ids = rawIds.map((s) => s.slice(0, MAX_ID_CHARS));
  const now = o.now.getTime();
  const counts = new Map<string, number>();
  for (const s of ids) counts.set(s, (counts.get(s) ?? 0) + 1);
  const repeats = [...counts].filter(([, t]) => t > 1).map(([id, times]) => ({ id, times }));
  const distinct = [...counts.keys()];
  const lengths = ids.map((s) => s.length);
  const isUuid = ids.length > 0 && ids.every((s) => UUID_RE.test(s));

  let entropy: Entropy;
  let layout: string;
  let uuidVersions: number[] | undefined;
  const ts = findTimestamp(ids, now);
  let timestamp: TimestampView | undefined;
  if (isUuid) {
    const hexes = distinct.map((s) => s.replaceAll('-', '').toLowerCase());
    uuidVersions = [...new Set(hexes.map((h) => parseInt(h[12]!, 16)))].sort((a, b) => a - b);
    layout = 'uuid';
    const timeDigits = new Set(ts ? uuidTime(hexes[0]!)!.digits : []);
    entropy = { bits: uuidBits(hexes, new Set()), method: 'uuid', slack: 0, alphabet: alphabetOf(hexes.join('')) };
    if (ts) timestamp = { ...withoutSpans(ts), bitsBeside: uuidBits(hexes, timeDigits) };
  } else {
    entropy = entropyOf(ids);
    layout = ids.length && ids.every(isDec) ? 'decimal' : ids.length && ids.every(isHex) ? 'hex' : entropy.alphabet.name;
    if (ts) timestamp = { ...withoutSpans(ts), bitsBeside: round1(entropyOf(ids.map((s, i) => without(s, ts.spans[i]))).bits) };
  }
  const ctr = timestamp ? undefined : findCounter(ids);
  const counter: CounterView | undefined = ctr && { ...withoutSpans(ctr), bitsBeside: round1(entropyOf(ids.map((s, i) => without(s, ctr.spans[i]))).bits) };

  const prefix = commonPrefix(distinct);
  const afterPrefix = isUuid ? entropy.bits : entropyOf(distinct.map((s) => s.slice(prefix.length))).bits;

  let distance: StreamIdStats['distance'];
  if (ids.length >= 2) {
    const equal = ids.every((s) => s.length === ids[0]!.length);
    const d = ids.slice(1).map((s, i) => (equal ? hamming(ids[i]!, s) : levenshtein(ids[i]!, s))).sort((a, b) => a - b);
    const meanLen = lengths.reduce((a, b) => a + b, 0) / lengths.length;
    distance = {
      metric: equal ? 'hamming' : 'levenshtein',
      min: d[0]!,
      median: median(d),
      max: d.at(-1)!,
      expectedRandom: round1(meanLen * (1 - 1 / entropy.alphabet.size)),
    };
  }

  return {
    count: ids.length,
    distinct: distinct.length,
    repeats,
    length: { min: lengths.length ? Math.min(...lengths) : 0, max: lengths.length ? Math.max(...lengths) : 0 },
    layout,
    ...(uuidVersions ? { uuidVersions } : {}),
    alphabet: entropy.alphabet,
    apparentBits: round1(entropy.bits),
    method: entropy.method,
    estimateSlackBits: Number.isFinite(entropy.slack) ? round1(entropy.slack) : 0,
    commonPrefix: prefix,
    bitsAfterPrefix: round1(afterPrefix),
    ...(timestamp ? { timestamp } : {}),
    ...(counter ? { counter } : {}),
    ...(distance ? { distance } : {}),
  };
}

function withoutSpans<T extends { spans: Spans }>(x: T): Omit<T, 'spans'> {
  const { spans: _spans, ...rest } = x;
  return rest;
}

// ---------------------------------------------------------------------------------------------
// Findings

/** One host's ids for one role, with the endpoints they came from. */
export interface StreamIdSample {
  host: string;
  role: StreamIdRole;
  /** Labels of the endpoints the ids came from (the collection's and the probes'). */
  endpoints: string[];
  ids: string[];
  /** Stream headers that carried no `id` at all. */
  headersWithoutId: number;
  stats: StreamIdStats;
}

const RFC = 'RFC 6120 §4.7.3, XEP-0185';
const WHY =
  'Server dialback keys are an HMAC of the receiving server\'s stream id (XEP-0185), so RFC 6120 §4.7.3 requires stream ids to be unpredictable and never repeated: a repeated id lets a captured dialback key be replayed, and guessable ids are the visible output of a weak generator. In the 2016 "wrong number" reports the same weak generators also made the dialback secret (Prosody before 0.9.9, CVE-2016-1232; jabberd2, which used rand()), letting an attacker who obtained one dialback key search the secret offline and then impersonate the domain.';
const FIX =
  'Upgrade the server: current Prosody (stream ids are UUIDv4 from /dev/urandom since 0.9.9) and ejabberd issue ids of at least 64 random bits. If it is up to date, report the ids to its developers: they must come from a cryptographic random generator (RFC 6120 §4.7.3). Also set an explicit long random dialback secret (Prosody: dialback_secret) so that it does not depend on the same generator.';

function statLine(s: StreamIdStats): string {
  const parts = [
    `${s.count} id${s.count === 1 ? '' : 's'} (${s.distinct} distinct)`,
    `${s.length.min === s.length.max ? s.length.min : `${s.length.min}–${s.length.max}`} characters`,
    s.layout === 'uuid' ? `UUID v${(s.uuidVersions ?? []).join('/v')}` : `${s.alphabet.name} alphabet (${s.alphabet.bitsPerChar} bits per character)`,
    `about ${s.apparentBits} bits of apparent entropy (${s.method === 'numeric-range' ? 'from the numeric range' : s.method === 'uuid' ? 'from the UUID layout' : s.method === 'positions' ? 'from the character positions that vary' : 'from the length'})`,
  ];
  if (s.commonPrefix) parts.push(`common prefix "${s.commonPrefix}"`);
  return parts.join(', ');
}

/** What a sample of ids shows, as findings. No finding means "no weakness seen", never "secure". */
export function streamIdFindings(sample: StreamIdSample): Finding[] {
  const s = sample.stats;
  const out: Finding[] = [];
  const who = `${sample.host} (${sample.role})`;
  const base = { endpoints: [...sample.endpoints], rfc: RFC };
  const evidence = { role: sample.role, ids: sample.ids.slice(0, 16), stats: s };
  if (sample.headersWithoutId > 0) {
    out.push({
      ...base,
      code: 'xmpp.stream-id-missing',
      severity: 'warning',
      title: `${who} sent ${sample.headersWithoutId} stream header${sample.headersWithoutId === 1 ? '' : 's'} without an id`,
      detail: `RFC 6120 §4.7.3 requires the receiving entity to put a stream id in its response header. Without one, dialback cannot bind a key to the stream, and peers such as Prosody close the connection ("Missing stream ID").`,
      evidence: { ...evidence, headersWithoutId: sample.headersWithoutId },
      remediation: 'Upgrade or fix the server (or the proxy in front of it) so that every response stream header carries an id.',
    });
  }
  if (s.repeats.length) {
    out.push({
      ...base,
      code: 'xmpp.stream-id-repeat',
      severity: 'error',
      title: `${who} issued the same stream id to ${s.repeats.reduce((a, r) => a + r.times, 0)} of ${s.count} fresh connections`,
      detail: `Repeated: ${s.repeats.map((r) => `"${r.id}" ×${r.times}`).join(', ')}. ${statLine(s)}. ${WHY}`,
      evidence,
      remediation: FIX,
    });
  }
  if (s.count < MIN_IDS_FOR_STATISTICS) return out;

  let explained = false;
  if (s.counter) {
    explained = true;
    out.push({
      ...base,
      code: 'xmpp.stream-id-counter',
      severity: 'warning',
      title: `${who} numbers its streams: the ids count ${s.counter.direction} (${s.counter.first} … ${s.counter.last})`,
      detail: `In ${s.counter.where}, consecutive ids step by ${s.counter.steps.min} to ${s.counter.steps.max} (median ${s.counter.steps.median}); the next id can be guessed from the last. The rest of an id carries about ${s.counter.bitsBeside} bits. ${statLine(s)}. ${WHY}`,
      evidence,
      remediation: FIX,
    });
  }
  if (s.timestamp) {
    const weak = s.timestamp.bitsBeside < SHORT_BITS;
    explained ||= weak;
    out.push({
      ...base,
      code: 'xmpp.stream-id-timestamp',
      severity: weak ? 'warning' : 'info',
      title: `${who} stream ids contain the time (${s.timestamp.first} … ${s.timestamp.last})`,
      detail: `${s.timestamp.matched} of ${s.count} ids decode, in ${s.timestamp.where} (${s.timestamp.encoding}, ${s.timestamp.unit}), to times near the check's clock. What remains carries about ${s.timestamp.bitsBeside} bits of apparent entropy${weak ? ', so the ids are largely predictable from the clock' : ', enough that the time alone does not make the ids guessable; it does tell anyone the server\'s clock'}. ${statLine(s)}.${weak ? ` ${WHY}` : ''}`,
      evidence,
      remediation: weak ? FIX : 'Nothing urgent. Ids without a time part (UUIDv4 or 128 random bits) reveal nothing about the server.',
    });
  }
  const upper = s.apparentBits + s.estimateSlackBits;
  const prefixLong = s.commonPrefix.length >= 4 && s.commonPrefix.length * 2 >= s.length.min;
  if (s.commonPrefix.length >= 4 && !s.counter && !s.timestamp) {
    const weak = s.bitsAfterPrefix < SHORT_BITS;
    const flagged = weak && prefixLong && !explained;
    if (flagged) explained = true;
    out.push({
      ...base,
      code: 'xmpp.stream-id-shared-prefix',
      severity: flagged ? 'warning' : 'info',
      title: `${who} stream ids share the prefix "${s.commonPrefix}" (${s.commonPrefix.length} of ${s.length.min}+ characters)`,
      detail: `Every id starts the same way; the varying part carries about ${s.bitsAfterPrefix} bits of apparent entropy. ${statLine(s)}.${flagged ? ` ${WHY}` : ''}`,
      evidence,
      remediation: flagged ? FIX : 'Nothing urgent: a constant prefix is harmless when the rest is long and random.',
    });
  }
  if (!explained && upper < SHORT_BITS) {
    explained = true;
    out.push({
      ...base,
      code: 'xmpp.stream-id-short',
      severity: 'warning',
      title: `${who} stream ids carry only about ${s.apparentBits} bits of apparent entropy (under ${SHORT_BITS})`,
      detail: `${statLine(s)}${s.estimateSlackBits ? ` (a range estimate; even ${s.estimateSlackBits} bits more would stay under ${SHORT_BITS})` : ''}. Ids this short can be guessed or collide. ${WHY}`,
      evidence,
      remediation: FIX,
    });
  }
  const dist = s.distance;
  if (!explained && dist && dist.expectedRandom > 0 && dist.median < dist.expectedRandom / 2) {
    out.push({
      ...base,
      code: 'xmpp.stream-id-similar',
      severity: 'warning',
      title: `${who} issues consecutive stream ids that differ in few characters (median ${dist.median}, random ids would differ in about ${dist.expectedRandom})`,
      detail: `${dist.metric === 'hamming' ? 'Hamming' : 'Levenshtein'} distance between consecutive ids: ${dist.min} to ${dist.max}, median ${dist.median}. Ids that change little from one connection to the next come from a generator whose state shows through. ${statLine(s)}. ${WHY}`,
      evidence,
      remediation: FIX,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Collection

export interface CollectOptions {
  address: string;
  port: number;
  family?: 4 | 6;
  role: StreamIdRole;
  /** The stream `to`: the service domain. */
  domain: string;
  /** Our domain, the s2s stream `from`. */
  from?: string;
  /** Fresh connections to open, at most MAX_STREAM_ID_CONNECTIONS. */
  count: number;
  socks?: { host: string; port: number };
  /** Time limit per connection. Default 10 000 ms. */
  timeoutMs?: number;
  /** Byte limit per connection. Default 64 KiB: a stream header is a few hundred bytes. */
  maxBytes?: number;
  /** Give up after this many failed connections in a row (the server refuses us). Default 3. */
  maxConsecutiveFailures?: number;
}

export interface StreamIdCollection {
  requested: number;
  /** Connections opened (successful or not). */
  connections: number;
  /** The ids, in connection order, each capped at MAX_ID_CHARS. */
  ids: string[];
  headersWithoutId: number;
  /** Why connections failed (the first few). */
  failures: Array<{ kind: string; message: string }>;
  /** SOCKS usernames, one per connection through a proxy (each its own Tor circuit). */
  socksUsernames: string[];
}

/** One fresh connection: our stream header, the server's header, then a polite close. */
async function oneStreamId(o: CollectOptions): Promise<{ id?: string; socksUsername?: string }> {
  const budget = createBudget(o.timeoutMs ?? 10_000, o.maxBytes ?? 65_536);
  const conn = await connectTcp({ address: o.address, port: o.port, ...(o.family ? { family: o.family } : {}), ...(o.socks ? { socks: o.socks } : {}) }, budget);
  const socket = conn.socket;
  socket.on('error', () => undefined);
  const reader = new BoundedReader(socket, budget);
  try {
    const scanner = new XmppStreamScanner();
    await writeAll(socket, streamHeader({ role: o.role, domain: o.domain, ...(o.from ? { from: o.from } : {}) }));
    const ev = await reader.read('the stream header', scanner.next);
    if (ev.type !== 'header') throw new ProbeError('protocol', 'expected a stream header');
    const id = ev.attrs.id;
    return { ...(id !== undefined ? { id: id.slice(0, MAX_ID_CHARS) } : {}), ...(conn.socks ? { socksUsername: conn.socks.username } : {}) };
  } finally {
    reader.detach();
    // Close our stream (RFC 6120 §4.4) and wait briefly for the server to close its side. What it
    // still sends (its features, its </stream:stream>) is read and dropped, within the byte budget:
    // closing a socket with unread data would send a reset instead of our closing tag.
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(done, Math.min(1000, remainingMs(budget)));
      socket.once('close', done);
      socket.on('data', (chunk: Buffer) => {
        budget.bytesRead += chunk.length;
        if (budget.bytesRead > budget.maxBytes) socket.destroy();
      });
      socket.resume();
      if (socket.closed || socket.destroyed) done();
      else if (socket.writable) socket.end('</stream:stream>');
      else done();
    });
    socket.destroy();
  }
}

/**
 * Open `count` fresh connections one after another and collect the stream id of each. Never
 * throws for what the server does: failures are counted, and after a few in a row (the server
 * refuses or limits us) the collection stops early.
 */
export async function collectStreamIds(o: CollectOptions): Promise<StreamIdCollection> {
  const requested = Math.max(0, Math.min(MAX_STREAM_ID_CONNECTIONS, Math.floor(o.count)));
  const out: StreamIdCollection = { requested, connections: 0, ids: [], headersWithoutId: 0, failures: [], socksUsernames: [] };
  let failedInRow = 0;
  for (let i = 0; i < requested; i++) {
    out.connections++;
    try {
      const r = await oneStreamId(o);
      failedInRow = 0;
      if (r.socksUsername) out.socksUsernames.push(r.socksUsername);
      if (r.id === undefined) out.headersWithoutId++;
      else out.ids.push(r.id);
    } catch (e) {
      failedInRow++;
      if (out.failures.length < 5) out.failures.push(e instanceof ProbeError ? { kind: e.kind, message: e.message } : { kind: 'internal', message: e instanceof Error ? e.message : String(e) });
      if (failedInRow >= (o.maxConsecutiveFailures ?? 3)) break;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// One check's samples: per host and role, the ids the probes saw plus a fresh collection

/** Fresh connections per host and role by default: enough for counters, timestamps, prefixes and short ids. */
export const DEFAULT_STREAM_ID_CONNECTIONS = 8;

export interface StreamIdEndpoint {
  label: string;
  host: string;
  address: string;
  port: number;
  family?: 4 | 6;
  protocol: Protocol;
  /** The stream `to`. */
  serviceDomain: string;
  probe: ProbeResult;
}

/** A sample as the report shows it: the ids, where they came from, the statistics. */
export interface StreamIdRun extends StreamIdSample {
  /** Ids taken from the main probes' stream headers (before and after TLS), at the start of `ids`. */
  fromProbes: number;
  /** The fresh connections, when any were made: to which endpoint, how many, what failed. */
  collection?: { endpoint: string; requested: number; connections: number; failures: Array<{ kind: string; message: string }> };
}

const roleOf = (p: Protocol): StreamIdRole | undefined => (p === 'xmpp-c2s' || p === 'xmpps-c2s' ? 'c2s' : p === 'xmpp-s2s' || p === 'xmpps-s2s' ? 's2s' : undefined);

/**
 * Per host and role (c2s, s2s): the ids the probes already saw, then `count` fresh connections to
 * the first STARTTLS endpoint that answered with a stream header (its id comes before TLS, so
 * these connections are cheap and need no handshake). Groups run at most `concurrency` at once,
 * the connections of one group one after another.
 */
export async function streamIdRuns(
  endpoints: readonly StreamIdEndpoint[],
  o: { count: number; from?: string; socks?: { host: string; port: number }; timeoutMs?: number; concurrency?: number; now: Date },
): Promise<StreamIdRun[]> {
  const groups = new Map<string, { host: string; role: StreamIdRole; members: StreamIdEndpoint[] }>();
  for (const e of endpoints) {
    const role = roleOf(e.protocol);
    if (!role) continue;
    const key = `${e.host}\0${role}`;
    const g = groups.get(key) ?? { host: e.host, role, members: [] };
    g.members.push(e);
    groups.set(key, g);
  }
  return mapBounded([...groups.values()], o.concurrency ?? 8, async (g): Promise<StreamIdRun> => {
    const ids: string[] = [];
    let headersWithoutId = 0;
    const used = new Set<string>();
    for (const e of g.members) {
      const headers = [e.probe.starttls && 'header' in e.probe.starttls ? e.probe.starttls.header : undefined, e.probe.ok ? e.probe.featuresAfterTls?.header : undefined];
      for (const h of headers) {
        if (!h) continue;
        used.add(e.label);
        if (h.id === undefined) headersWithoutId++;
        else ids.push(h.id.slice(0, MAX_ID_CHARS));
      }
    }
    const fromProbes = ids.length;
    const target = g.members.find((e) => (e.protocol === 'xmpp-c2s' || e.protocol === 'xmpp-s2s') && e.probe.starttls && 'header' in e.probe.starttls);
    let collection: StreamIdRun['collection'];
    if (target && o.count > 0) {
      const c = await collectStreamIds({
        address: target.address,
        port: target.port,
        ...(target.family ? { family: target.family } : {}),
        role: g.role,
        domain: target.serviceDomain,
        ...(g.role === 's2s' && o.from ? { from: o.from } : {}),
        count: o.count,
        ...(o.socks ? { socks: o.socks } : {}),
        ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
      });
      ids.push(...c.ids);
      headersWithoutId += c.headersWithoutId;
      used.add(target.label);
      collection = { endpoint: target.label, requested: c.requested, connections: c.connections, failures: c.failures };
    }
    const sample: StreamIdSample = { host: g.host, role: g.role, endpoints: g.members.map((e) => e.label).filter((l) => used.has(l)), ids, headersWithoutId, stats: analyzeStreamIds(ids, { now: o.now }) };
    return { ...sample, fromProbes, ...(collection ? { collection } : {}) };
  });
}
