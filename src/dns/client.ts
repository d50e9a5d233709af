// The DNS client keywatch's validator asks its questions through: one upstream resolver after
// another, UDP with TCP fallback, de-duplicated concurrent queries and a bounded TTL cache.
//
// It does not judge answers: by default it sets CD=1 (RFC 4035 §3.2.2) so a validating upstream
// hands over even data it considers bogus, and keywatch's own validation decides and explains.
import { randomInt } from 'node:crypto';
import { decodeHeader, decodeMessage, encodeQuery, type DnsMessage, type DnsRecord } from './message.ts';
import { DnsFormatError, canonicalName, nameToString, parseName, type DnsName } from './name.ts';
import type { DnsServer } from './resolv-conf.ts';
import { DnsTimeoutError, DnsTransportError, queryTcp, queryUdp, serverToString, type TransportKind } from './transport.ts';
import { RRClass, RRType, Rcode, classToString, rcodeToString, typeFromString, typeToString } from './types.ts';

export interface DnsClientOptions {
  /** Upstream resolvers, most preferred first. */
  servers: DnsServer[];
  /** Per exchange (one UDP wait, or one TCP connection). Default 2000 ms. */
  timeoutMs?: number;
  /** Rounds over the server list. Default 2. */
  attempts?: number;
  /** Advertised EDNS payload size. Default 1232 (DNS Flag Day 2020: no IP fragmentation). */
  udpSize?: number;
  /** Wall clock in ms for the cache; injectable so tests control time. Default Date.now. */
  now?: () => number;
  /** Query IDs; injectable for tests. Default crypto.randomInt(0, 65536) (RFC 5452 §9.2). */
  randomId?: () => number;
  /** Cached answers at most. Default 10000; 0 turns the cache off. */
  cacheSize?: number;
  /** Total wire size of cached answers at most. Default 64 MiB (a hostile upstream sends big answers). */
  cacheMaxBytes?: number;
  /** TTL ceiling in seconds. Default 86400. */
  cacheMaxTtl?: number;
  /** Longest response accepted over either transport. Default 65535. */
  maxResponseBytes?: number;
  /** One line per failed exchange, for --verbose output. */
  log?: (line: string) => void;
}

export interface QueryFlags {
  /** Checking Disabled. Default true: we validate ourselves. */
  cd?: boolean;
  /** DNSSEC OK: ask for RRSIGs and denial proofs. Default true. */
  dnssecOk?: boolean;
  /** Skip the cache lookup (the fresh answer is still cached). */
  noCache?: boolean;
  /** Default IN. */
  class?: number;
}

/** A decoded answer and where it came from. Shared between de-duplicated callers: do not mutate. */
export interface DnsResponse extends DnsMessage {
  server: DnsServer;
  transport: TransportKind;
  /** Size of the response on the wire. */
  bytes: number;
  /** Round trip of the exchange that produced it (UDP plus TCP on fallback); 0 from the cache. */
  rttMs: number;
  fromCache: boolean;
}

export type FailureKind = 'timeout' | 'transport' | 'format' | 'rcode';

export interface QueryFailure {
  server: DnsServer;
  transport: TransportKind;
  kind: FailureKind;
  reason: string;
}

/** Every server, every attempt, failed; `failures` says how, in order. */
export class DnsQueryError extends Error {
  readonly question: string;
  readonly failures: readonly QueryFailure[];
  constructor(question: string, failures: readonly QueryFailure[]) {
    const lines = failures.map((f) => `  ${f.transport.toUpperCase()} ${serverToString(f.server)}: ${f.reason}`);
    super(`no usable answer for ${question}:\n${lines.join('\n')}`);
    this.name = 'DnsQueryError';
    this.question = question;
    this.failures = failures;
  }
}

export interface DnsClientStats {
  /** Calls to query(). */
  queries: number;
  /** Exchanges put on the wire (a UDP query, or a TCP connection). */
  sent: number;
  /** TC=1 answers retried over TCP. */
  tcpFallbacks: number;
  cacheHits: number;
  /** Calls that joined an identical query already in flight. */
  dedupeHits: number;
  /** Exchanges that failed (timeout, transport, malformed, REFUSED/FORMERR/NOTIMP). */
  failures: number;
}

/**
 * SERVFAIL is an answer (the upstream could not resolve: for keywatch that is evidence), but a
 * transient one. It is cached for 5 s, the spirit of RFC 9520 §3.2 (cache resolution failures
 * briefly, so a validation run asking the same name many times does not hammer the upstream)
 * while short enough that the next monitoring round sees a recovery.
 */
export const SERVFAIL_CACHE_SECONDS = 5;

/** Rcodes that say "not from me" rather than "this is the answer": ask the next server. */
const TRY_NEXT = new Set<number>([Rcode.FORMERR, Rcode.NOTIMP, Rcode.REFUSED]);

interface CacheEntry {
  response: DnsResponse;
  storedAt: number;
  expiresAt: number;
}

export class DnsClient {
  private readonly servers: readonly DnsServer[];
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly udpSize: number;
  private readonly now: () => number;
  private readonly randomId: () => number;
  private readonly cacheSize: number;
  private readonly cacheMaxBytes: number;
  private readonly cacheMaxTtl: number;
  private readonly maxResponseBytes: number;
  private readonly log: ((line: string) => void) | undefined;
  /** Insertion order is recency order: a hit moves its entry to the end (LRU). */
  private readonly cache = new Map<string, CacheEntry>();
  private cacheBytes = 0;
  private readonly inFlight = new Map<string, Promise<DnsResponse>>();
  /** The server that answered last is asked first next time, so a dead primary costs one timeout. */
  private preferred = 0;
  private readonly counters: DnsClientStats = { queries: 0, sent: 0, tcpFallbacks: 0, cacheHits: 0, dedupeHits: 0, failures: 0 };

  constructor(options: DnsClientOptions) {
    if (options.servers.length === 0) throw new RangeError('DnsClient needs at least one server');
    this.servers = options.servers.map((s) => ({ address: s.address, port: s.port }));
    this.timeoutMs = positive(options.timeoutMs ?? 2000, 'timeoutMs');
    this.attempts = positive(options.attempts ?? 2, 'attempts');
    this.udpSize = options.udpSize ?? 1232;
    this.now = options.now ?? Date.now;
    this.randomId = options.randomId ?? (() => randomInt(0, 0x10000));
    this.cacheSize = options.cacheSize ?? 10_000;
    this.cacheMaxBytes = options.cacheMaxBytes ?? 64 * 1024 * 1024;
    this.cacheMaxTtl = options.cacheMaxTtl ?? 86_400;
    this.maxResponseBytes = options.maxResponseBytes ?? 65535;
    this.log = options.log;
  }

  get stats(): DnsClientStats {
    return { ...this.counters };
  }

  clearCache(): void {
    this.cache.clear();
    this.cacheBytes = 0;
  }

  /**
   * Asks the upstream servers (or the cache). Resolves with any answer a server stands behind,
   * SERVFAIL and NXDOMAIN included; rejects with DnsQueryError when no server gave one, and with
   * DnsSyntaxError/RangeError for a name or type that cannot be asked.
   */
  async query(name: DnsName | string, type: number | string, flags: QueryFlags = {}): Promise<DnsResponse> {
    this.counters.queries += 1;
    const question: Question = {
      name: typeof name === 'string' ? parseName(name) : name,
      type: typeof type === 'number' ? checkType(type) : parseType(type),
      class: flags.class ?? RRClass.IN,
      cd: flags.cd ?? true,
      dnssecOk: flags.dnssecOk ?? true,
    };
    const key = cacheKey(question);
    if (flags.noCache !== true) {
      const cached = this.fromCache(key);
      if (cached) {
        this.counters.cacheHits += 1;
        return cached;
      }
    }
    const pending = this.inFlight.get(key);
    if (pending) {
      this.counters.dedupeHits += 1;
      return pending;
    }
    const promise = this.resolve(question, key);
    this.inFlight.set(key, promise);
    const forget = () => {
      this.inFlight.delete(key);
    };
    promise.then(forget, forget);
    return promise;
  }

  private async resolve(question: Question, key: string): Promise<DnsResponse> {
    const failures: QueryFailure[] = [];
    const start = this.preferred;
    for (let attempt = 0; attempt < this.attempts; attempt += 1) {
      for (let i = 0; i < this.servers.length; i += 1) {
        const index = (start + i) % this.servers.length;
        const server = this.servers[index]!;
        const outcome = await this.exchange(server, question);
        if ('failure' in outcome) {
          this.counters.failures += 1;
          failures.push(outcome.failure);
          this.log?.(`dns: ${describe(question)} via ${outcome.failure.transport.toUpperCase()} ${serverToString(server)}: ${outcome.failure.reason}`);
          continue;
        }
        this.preferred = index;
        this.store(key, outcome.response);
        return outcome.response;
      }
    }
    throw new DnsQueryError(describe(question), failures);
  }

  /** One server: UDP, then TCP if the UDP answer was truncated (RFC 7766 §5). */
  private async exchange(server: DnsServer, q: Question): Promise<{ response: DnsResponse } | { failure: QueryFailure }> {
    // A fresh ID for every exchange, so a late answer to an earlier try cannot be taken for this one.
    const query = encodeQuery({
      id: this.randomId(),
      name: q.name,
      type: q.type,
      class: q.class,
      rd: true,
      cd: q.cd,
      edns: true,
      dnssecOk: q.dnssecOk,
      udpSize: this.udpSize,
    });
    const limits = { timeoutMs: this.timeoutMs, maxBytes: this.maxResponseBytes };
    let transport: TransportKind = 'udp';
    const t0 = performance.now();
    try {
      this.counters.sent += 1;
      let raw = await queryUdp(server, query, limits);
      // A truncated answer may be cut mid-record: read only its header before going to TCP.
      if (decodeHeader(raw).flags.tc) {
        transport = 'tcp';
        this.counters.tcpFallbacks += 1;
        this.counters.sent += 1;
        raw = await queryTcp(server, query, limits);
      }
      const message = decodeMessage(raw);
      if (message.flags.tc) return { failure: { server, transport, kind: 'format', reason: 'answer truncated even over TCP' } };
      if (TRY_NEXT.has(message.rcode)) {
        return { failure: { server, transport, kind: 'rcode', reason: `server answered ${rcodeToString(message.rcode)}` } };
      }
      const rttMs = performance.now() - t0;
      return { response: { ...message, server, transport, bytes: raw.length, rttMs, fromCache: false } };
    } catch (err) {
      if (err instanceof DnsTransportError) {
        return { failure: { server, transport, kind: err instanceof DnsTimeoutError ? 'timeout' : 'transport', reason: err.reason } };
      }
      if (err instanceof DnsFormatError) {
        return { failure: { server, transport, kind: 'format', reason: `malformed response: ${err.message}` } };
      }
      throw err;
    }
  }

  private fromCache(key: string): DnsResponse | undefined {
    const entry = this.cache.get(key);
    if (!entry) return undefined;
    const now = this.now();
    if (now >= entry.expiresAt) {
      this.evict(key, entry);
      return undefined;
    }
    this.cache.delete(key);
    this.cache.set(key, entry);
    // Whole seconds elapsed, rounded down: an answer is never reported older than it is.
    const elapsed = Math.max(0, Math.floor((now - entry.storedAt) / 1000));
    const age = (r: DnsRecord): DnsRecord => ({ ...r, ttl: Math.max(0, r.ttl - elapsed) });
    const { response } = entry;
    return {
      ...response,
      answer: response.answer.map(age),
      authority: response.authority.map(age),
      additional: response.additional.map(age),
      rttMs: 0,
      fromCache: true,
    };
  }

  private store(key: string, response: DnsResponse): void {
    if (this.cacheSize <= 0 || response.bytes > this.cacheMaxBytes) return;
    const ttl = cacheTtl(response, this.cacheMaxTtl);
    if (ttl === undefined) return;
    const old = this.cache.get(key);
    if (old) this.evict(key, old);
    const storedAt = this.now();
    this.cache.set(key, { response, storedAt, expiresAt: storedAt + ttl * 1000 });
    this.cacheBytes += response.bytes;
    // Oldest first: Map iteration follows insertion (and so recency) order.
    for (const [k, e] of this.cache) {
      if (this.cache.size <= this.cacheSize && this.cacheBytes <= this.cacheMaxBytes) break;
      this.evict(k, e);
    }
  }

  private evict(key: string, entry: CacheEntry): void {
    this.cache.delete(key);
    this.cacheBytes -= entry.response.bytes;
  }
}

interface Question {
  name: DnsName;
  type: number;
  class: number;
  cd: boolean;
  dnssecOk: boolean;
}

function positive(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${what} must be a positive integer, not ${value}`);
  return value;
}

function checkType(type: number): number {
  if (!Number.isInteger(type) || type < 0 || type > 0xffff) throw new RangeError(`record type ${type} outside 0–65535`);
  return type;
}

function parseType(text: string): number {
  const type = typeFromString(text);
  if (type === undefined) throw new RangeError(`unknown record type "${text}"`);
  return type;
}

/** Names compare case-insensitively (RFC 4343), so the key uses the canonical form. */
function cacheKey(q: Question): string {
  return `${nameToString(canonicalName(q.name))}|${q.type}|${q.class}|${q.cd ? 1 : 0}|${q.dnssecOk ? 1 : 0}`;
}

function describe(q: Question): string {
  const klass = q.class === RRClass.IN ? '' : ` ${classToString(q.class)}`;
  return `${nameToString(q.name)}${klass} ${typeToString(q.type)}`;
}

/**
 * How long an answer may be reused, in seconds, or undefined for "do not cache".
 *  - positive answers: the smallest TTL in the answer section (every RRset, RRSIGs included);
 *  - negative answers (NXDOMAIN, or NOERROR without a record of the asked type — NODATA):
 *    min(SOA TTL, SOA MINIMUM) per RFC 2308 §5, also never beyond any record sent with it (the
 *    NSEC/NSEC3 proofs carry the same bound, RFC 9077); without an SOA, not at all (§5 again);
 *  - SERVFAIL: SERVFAIL_CACHE_SECONDS; every other rcode: not cached.
 * A TTL of 0 means "use once" (RFC 1035 §3.2.1), so such answers are not cached.
 */
export function cacheTtl(message: DnsMessage, maxTtl: number): number | undefined {
  if (message.rcode === Rcode.SERVFAIL) return Math.min(SERVFAIL_CACHE_SECONDS, maxTtl);
  if (message.rcode !== Rcode.NOERROR && message.rcode !== Rcode.NXDOMAIN) return undefined;
  const qtype = message.question[0]?.type;
  let ttl = Infinity;
  for (const r of message.answer) ttl = Math.min(ttl, r.ttl);
  const answered = message.answer.some((r) => r.type === qtype || qtype === RRType.ANY);
  if (message.rcode === Rcode.NXDOMAIN || !answered) {
    const soa = message.authority.find((r) => r.type === RRType.SOA);
    if (soa?.data?.type !== 'SOA') return undefined;
    ttl = Math.min(ttl, soa.ttl, soa.data.minimum);
    for (const r of message.authority) ttl = Math.min(ttl, r.ttl);
  }
  if (!Number.isFinite(ttl) || ttl <= 0) return undefined;
  return Math.min(ttl, maxTtl);
}
