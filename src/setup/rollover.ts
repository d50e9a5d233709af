// The DANE key rollover ("current + next", RFC 7671 §8.1) as a state machine that says, at each
// step, whether it is safe to go on and, if not, how long is left:
//   1. publish the next key's 3 1 1 beside the current one;
//   2. wait two TTLs of the TLSA RRset, so no cache still holds the RRset without it;
//   3. deploy the new certificate (swap);
//   4. wait two TTLs after the swap (a rollback to the old key stays possible, and a server
//      still presenting the old key — another address, a forgotten proxy — shows up first);
//   5. withdraw the old key's record.
// Pure: the caller supplies what DNS and the endpoints show now, the clock, and what was seen
// before (the memory: when each record and key was first seen), and keeps the updated memory.
import type { PublishedTlsa } from './tlsa-records.ts';
import { eeRecord } from './tlsa-records.ts';
import { parseTlsaText } from '../audit/tlsa-lookup.ts';
import { tlsaOwnerOf } from '../audit/discover.ts';
import type { Report } from '../audit/report.ts';

export type RolloverStep = 'publish' | 'wait-after-publish' | 'swap' | 'wait-after-swap' | 'withdraw' | 'done';

export const STEP_ORDER: readonly RolloverStep[] = ['publish', 'wait-after-publish', 'swap', 'wait-after-swap', 'withdraw', 'done'];

/** What keywatch remembers between runs (a file for the CLI, the database for the service). */
export interface RolloverMemory {
  domain: string;
  /** The next keys this rollover is about (SPKI SHA-256). A different set starts a new memory. */
  next: string[];
  /** Keys presented when the rollover began: the "old" keys whose records go at the end. */
  old: string[];
  /** Per TLSA owner: when the next key's record was first seen published, and the next key first seen served (ms since the epoch). */
  owners: Record<string, { nextPublishedAt?: number; nextServedAt?: number; ttl?: number }>;
  startedAt: number;
}

export interface OwnerObservation {
  owner: string;
  /** The endpoints that use it, for messages. */
  endpoints: string[];
  published: PublishedTlsa;
  /** SPKI SHA-256 of the keys the endpoints present now (one per endpoint that answered). */
  presented: string[];
  /** Endpoints that could not be probed now. */
  unreachable: string[];
}

export interface OwnerRollover {
  owner: string;
  endpoints: string[];
  step: RolloverStep;
  /** Safe to take the action this step names (publish / swap / withdraw) now. */
  safe: boolean;
  /** Why (or why not), one or two sentences. */
  why: string;
  /** For the waits: when it becomes safe (ms since the epoch) and how long is left. */
  safeAt?: number;
  waitMs?: number;
  ttl: number;
  /** Records to add (step publish) or to remove (step withdraw), as rdata. */
  add: string[];
  remove: string[];
  /** Endpoints that could not be probed: what they serve is unknown. */
  unreachable: string[];
  /** Something is wrong, not merely early: a key served that DANE clients reject, a bogus RRset. */
  problem?: string;
}

export interface RolloverPlan {
  domain: string;
  next: string[];
  old: string[];
  /** The least advanced owner decides: the domain is at the step its slowest owner is at. */
  step: RolloverStep;
  safe: boolean;
  /** The soonest all owners are past their wait, when waiting. */
  safeAt?: number;
  waitMs?: number;
  owners: OwnerRollover[];
  problems: string[];
  memory: RolloverMemory;
}

const hexOf = (rdata: string) => parseTlsaText(rdata);

/** Which published records designate one of these keys as DANE-EE (3 1 1; also 3 1 2 / 3 1 0 can't be told from a digest, so only 3 1 1 counts). */
function eeDigests(text: readonly string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const t of text) {
    const r = hexOf(t);
    if (r && r.usage === 3 && r.selector === 1 && r.matchingType === 1) m.set(Buffer.from(r.data).toString('hex'), t);
  }
  return m;
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h} h ${m % 60} min` : `${Math.floor(h / 24)} days ${h % 24} h`;
}

/** A fresh memory, or the remembered one when it is about the same next keys. */
export function rememberOrStart(prev: RolloverMemory | undefined, domain: string, next: readonly string[], presentedNow: readonly string[], now: number): RolloverMemory {
  const same = prev && prev.domain === domain && prev.next.length === next.length && prev.next.every((k) => next.includes(k));
  if (same) return structuredClone(prev);
  return { domain, next: [...next], old: [...new Set(presentedNow.filter((k) => !next.includes(k)))], owners: {}, startedAt: now };
}

function planOwnerStep(o: OwnerObservation, mem: RolloverMemory, now: number): OwnerRollover {
  const m = (mem.owners[o.owner] ??= {});
  const base = { owner: o.owner, endpoints: o.endpoints, unreachable: o.unreachable, add: [] as string[], remove: [] as string[] };
  const state = o.published.state;
  const ttl = o.published.ttl ?? m.ttl ?? 0;
  if (state === 'bogus' || state === 'failed' || state === 'insecure') {
    const why = state === 'insecure' ? 'the TLSA RRset is not DNSSEC-signed: DANE does not apply, so there is nothing to roll safely; sign the zone first' : `the TLSA RRset cannot be validated now (${state}): no step is safe until it is fixed`;
    return { ...base, step: 'publish', safe: false, why, ttl, problem: why };
  }
  if (ttl) m.ttl = ttl;
  const ee = eeDigests(o.published.text ?? []);
  const nextPublished = mem.next.every((k) => ee.has(k));
  const servedNext = o.presented.filter((k) => mem.next.includes(k));
  const servedOther = o.presented.filter((k) => !mem.next.includes(k));
  const twoTtl = 2 * ttl * 1000;

  if (nextPublished) m.nextPublishedAt ??= now;
  else delete m.nextPublishedAt; // withdrawn: the wait starts again when it comes back
  if (servedNext.length) m.nextServedAt ??= now;

  const missing = mem.next.filter((k) => !ee.has(k)).map(eeRecord);
  if (!nextPublished) {
    if (servedNext.length) {
      const problem = `the next key is already served on ${o.endpoints.join(', ')} but ${o.owner} has no TLSA record for it: DANE clients reject these endpoints now. Publish the record at once (or put the old certificate back).`;
      return { ...base, step: 'publish', safe: true, why: problem, ttl, add: missing, problem };
    }
    return { ...base, step: 'publish', safe: true, why: 'publish the next key\'s record beside the current one; nothing else changes yet', ttl, add: missing };
  }

  const publishedFor = now - m.nextPublishedAt!;
  if (!servedNext.length) {
    if (publishedFor < twoTtl) {
      const safeAt = m.nextPublishedAt! + twoTtl;
      return {
        ...base,
        step: 'wait-after-publish',
        safe: false,
        why: `the next key's record was first seen ${new Date(m.nextPublishedAt!).toISOString()}; with a TTL of ${ttl} s, resolvers may still hold the RRset without it until ${new Date(safeAt).toISOString()} (two TTLs). Swapping the certificate before then breaks DANE for clients behind those caches.`,
        safeAt,
        waitMs: safeAt - now,
        ttl,
      };
    }
    return { ...base, step: 'swap', safe: true, why: `the next key's record has been published for ${formatDuration(publishedFor)} (two TTLs are ${formatDuration(twoTtl)}): every cache has it; deploy the new certificate`, ttl };
  }

  // The next key is served somewhere.
  if (m.nextServedAt === m.nextPublishedAt && servedOther.length === 0 && publishedFor < twoTtl) {
    // Both first seen in one look (keywatch was not watching before): the order cannot be known.
    const safeAt = m.nextServedAt! + twoTtl;
    return {
      ...base,
      step: 'wait-after-swap',
      safe: false,
      why: `keywatch first saw the next key's record and the new key served at the same time, so it cannot tell whether the record went out two TTLs before the swap; keep the old record until ${new Date(safeAt).toISOString()} to be safe`,
      safeAt,
      waitMs: safeAt - now,
      ttl,
    };
  }
  if (publishedFor < twoTtl && m.nextServedAt! - m.nextPublishedAt! < twoTtl) {
    // Swapped before the wait was over: clients with the old RRset cached fail until it expires.
    const problem = `the new certificate went live ${formatDuration(m.nextServedAt! - m.nextPublishedAt!)} after its record was first seen, before two TTLs (${formatDuration(twoTtl)}) had passed: clients whose resolvers cached the old RRset reject it until ${new Date(m.nextPublishedAt! + twoTtl).toISOString()}`;
    if (servedOther.length) return { ...base, step: 'swap', safe: false, why: `${problem}; some endpoints still serve the old key`, ttl, problem };
    const safeAt = m.nextServedAt! + twoTtl;
    return { ...base, step: 'wait-after-swap', safe: false, why: problem, safeAt, waitMs: Math.max(0, safeAt - now), ttl, problem };
  }
  if (servedOther.length) {
    return {
      ...base,
      step: 'swap',
      safe: true,
      why: `the new key is served on part of the endpoints only; ${servedOther.length} still present${servedOther.length === 1 ? 's' : ''} another key: finish deploying the new certificate everywhere (the old record stays until then)`,
      ttl,
    };
  }
  const oldRecords = [...ee.entries()].filter(([k]) => !mem.next.includes(k) && (mem.old.length === 0 || mem.old.includes(k))).map(([, text]) => text);
  const servedFor = now - m.nextServedAt!;
  if (oldRecords.length === 0) {
    return { ...base, step: 'done', safe: true, why: `only the new key is served and its record is published; the old key's record is gone`, ttl };
  }
  if (servedFor < twoTtl) {
    const safeAt = m.nextServedAt! + twoTtl;
    return {
      ...base,
      step: 'wait-after-swap',
      safe: false,
      why: `the new key was first seen served ${new Date(m.nextServedAt!).toISOString()}; keep the old record two TTLs more (until ${new Date(safeAt).toISOString()}), so a rollback stays possible and a server still presenting the old key is noticed first`,
      safeAt,
      waitMs: safeAt - now,
      ttl,
    };
  }
  return { ...base, step: 'withdraw', safe: true, why: `the new key has been served for ${formatDuration(servedFor)} and no endpoint presents the old one: withdraw the old key's record`, ttl, remove: oldRecords };
}

export function planRollover(domain: string, observations: readonly OwnerObservation[], next: readonly string[], previous: RolloverMemory | undefined, now: number): RolloverPlan {
  const presentedNow = observations.flatMap((o) => o.presented);
  const memory = rememberOrStart(previous, domain, next.map((k) => k.toLowerCase()), presentedNow, now);
  const owners = observations.map((o) => planOwnerStep(o, memory, now));
  const slowest = owners.reduce<RolloverStep>((acc, o) => (STEP_ORDER.indexOf(o.step) < STEP_ORDER.indexOf(acc) ? o.step : acc), 'done');
  const atStep = owners.filter((o) => o.step === slowest);
  const waits = atStep.filter((o) => o.safeAt !== undefined).map((o) => o.safeAt!);
  const safeAt = waits.length ? Math.max(...waits) : undefined;
  const problems = owners.flatMap((o) => (o.problem ? [`${o.owner}: ${o.problem}`] : []));
  return {
    domain,
    next: memory.next,
    old: memory.old,
    step: slowest,
    safe: owners.length > 0 && atStep.every((o) => o.safe) && !owners.some((o) => o.problem && !o.safe),
    ...(safeAt !== undefined ? { safeAt, waitMs: Math.max(0, safeAt - now) } : {}),
    owners,
    problems,
    memory,
  };
}

/** What a check saw, per TLSA owner: the published RRset and the keys presented. */
export function observationsFromReport(report: Report): OwnerObservation[] {
  const by = new Map<string, OwnerObservation>();
  for (const e of report.endpoints) {
    const owner = tlsaOwnerOf(e);
    const o: OwnerObservation = by.get(owner) ?? { owner, endpoints: [], published: e.tlsa ?? { state: 'failed' }, presented: [], unreachable: [] };
    o.endpoints.push(e.label);
    const key = e.probe?.tls?.leaf.spkiSha256;
    if (key) o.presented.push(key);
    else o.unreachable.push(e.label);
    by.set(owner, o);
  }
  return [...by.values()];
}
