// Proof of control for privileged features (a shorter poll interval, webhook targets, canary
// accounts — canary-store.ts applies the same gate). A requester asks for a challenge and gets a secret key;
// the token to publish is the key's SHA-256, as `_keywatch-challenge.DOMAIN. IN TXT
// "keywatch-proof=TOKEN"`. Verification looks the record up through keywatch's own validator and
// accepts only a DNSSEC-secure answer: an unsigned one could be forged by anyone on the path. The
// key is never stored (only the token), so the database alone cannot be used to claim a proof;
// gated requests present the key as `proofKey`. docs/SERVICE.md, "Proof of control".
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { DnsClient } from '../dns/client.ts';
import { clientFetcher, loadTrustAnchor, resolverServers } from '../dns/resolver.ts';
import { RRType } from '../dns/types.ts';
import { Validator } from '../dns/dnssec/validator.ts';
import { setControl, setDomainInterval, type Db, type DomainRow } from './store/domains.ts';
import type { ProofsTable } from './store/schema.ts';

export const CHALLENGE_LABEL = '_keywatch-challenge';
export const TXT_PREFIX = 'keywatch-proof=';
const DAY = 86_400_000;
const HOUR = 3_600_000;
/** The longest interval the interval route sets (a year). */
export const MAX_INTERVAL_SECONDS = 366 * 86_400;

export type ProofErrorCode = 'missing-key' | 'unknown-proof' | 'challenge-expired' | 'not-secure' | 'token-not-found' | 'dns-failed' | 'proof-required' | 'interval-too-short' | 'invalid-parameter';

/** HTTP status of each refusal (api.ts answers `{error: code, message}`). */
export const PROOF_STATUS: Record<ProofErrorCode, number> = {
  'missing-key': 400,
  'invalid-parameter': 400,
  'unknown-proof': 404,
  'challenge-expired': 410,
  'not-secure': 422,
  'token-not-found': 422,
  'dns-failed': 502,
  'proof-required': 403,
  'interval-too-short': 403,
};

export class ProofError extends Error {
  override name = 'ProofError';
  constructor(
    readonly code: ProofErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface ProofSettings {
  validMs: number;
  challengeMs: number;
}

export function proofSettings(c: { proof: { validDays: number; challengeHours: number } }): ProofSettings {
  return { validMs: c.proof.validDays * DAY, challengeMs: c.proof.challengeHours * HOUR };
}

/** A new secret key (43 base64url characters, 256 bits) and the token derived from it. */
export function newKey(bytes: (n: number) => Buffer = randomBytes): { key: string; token: string } {
  const key = bytes(32).toString('base64url');
  return { key, token: tokenOf(key) };
}

/** The token published for a key: its SHA-256 in lower-case hex (64 characters). */
export function tokenOf(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export function isKey(text: unknown): text is string {
  return typeof text === 'string' && /^[A-Za-z0-9_-]{43}$/.test(text);
}

export function challengeName(domain: string): string {
  return `${CHALLENGE_LABEL}.${domain.replace(/\.$/, '')}.`;
}

/** The record to publish, as a zone-file line. */
export function challengeRecord(domain: string, token: string): { name: string; type: 'TXT'; value: string; zoneLine: string } {
  const name = challengeName(domain);
  const value = `${TXT_PREFIX}${token}`;
  return { name, type: 'TXT', value, zoneLine: `${name} 300 IN TXT "${value}"` };
}

/** The character-strings of a TXT record in presentation format, concatenated (RFC 7208 §3.3 style). */
export function txtText(rdata: string): string {
  const parts: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (let m = re.exec(rdata); m; m = re.exec(rdata)) {
    const raw = m[1] ?? m[2] ?? '';
    parts.push(raw.replace(/\\(\d{3}|.)/g, (_, e: string) => (/^\d{3}$/.test(e) ? String.fromCharCode(Number(e)) : e)));
  }
  return parts.join('');
}

export type ProofStatus = 'pending' | 'valid' | 'expired' | 'challenge-expired';

/** Where a proof stands at `now`: the gate decision for one requester. */
export function proofStatus(p: Pick<ProofsTable, 'verified_at' | 'expires_at' | 'challenge_expires_at'>, now: number): ProofStatus {
  if (p.verified_at !== null && p.expires_at !== null) return now < p.expires_at ? 'valid' : 'expired';
  return now < p.challenge_expires_at ? 'pending' : 'challenge-expired';
}

/**
 * The interval gate: below `minSeconds` needs a valid proof, and nothing goes below
 * `provenMinSeconds`. Returns undefined when allowed, else the refusal.
 */
export function intervalRefusal(seconds: number, limits: { minIntervalSeconds: number; provenMinIntervalSeconds: number }, proven: boolean): ProofError | undefined {
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > MAX_INTERVAL_SECONDS) return new ProofError('invalid-parameter', `intervalSeconds: must be a positive number of seconds, at most ${MAX_INTERVAL_SECONDS}`);
  if (seconds >= limits.minIntervalSeconds) return undefined;
  if (seconds < limits.provenMinIntervalSeconds) return new ProofError('interval-too-short', `intervalSeconds: the shortest interval is ${limits.provenMinIntervalSeconds} s, even with proof of control`);
  if (!proven) return new ProofError('proof-required', `intervalSeconds: below ${limits.minIntervalSeconds} s needs proof that you control the domain (POST /api/domains/DOMAIN/proof, then send its proofKey)`);
  return undefined;
}

/** The webhook gate: with proof required, only a requester with a valid proof adds a webhook. */
export function webhookRefusal(required: boolean, proven: boolean): ProofError | undefined {
  if (!required || proven) return undefined;
  return new ProofError('proof-required', 'webhook subscriptions need proof that you control the domain: POST /api/domains/DOMAIN/proof, publish the TXT record, verify, then send its proofKey');
}

export interface ProofView {
  domain: string;
  service: string;
  status: ProofStatus;
  record: { name: string; type: 'TXT'; value: string; zoneLine: string };
  createdAt: string;
  challengeExpiresAt: string;
  verifiedAt: string | null;
  expiresAt: string | null;
  checkedAt: string | null;
  lastError: string | null;
}

const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

function view(d: DomainRow, p: ProofsTable, now: number): ProofView {
  return {
    domain: d.name,
    service: d.service,
    status: proofStatus(p, now),
    record: challengeRecord(d.name, p.token),
    createdAt: iso(p.created_at)!,
    challengeExpiresAt: iso(p.challenge_expires_at)!,
    verifiedAt: iso(p.verified_at),
    expiresAt: iso(p.expires_at),
    checkedAt: iso(p.checked_at),
    lastError: p.last_result,
  };
}

async function findProof(db: Db, d: DomainRow, key: unknown): Promise<ProofsTable> {
  if (key === undefined || key === null || key === '') throw new ProofError('missing-key', 'proofKey: required (the key POST /api/domains/DOMAIN/proof returned)');
  if (!isKey(key)) throw new ProofError('unknown-proof', 'proofKey: not a key this service issued');
  const p = await db.selectFrom('proofs').selectAll().where('token', '=', tokenOf(key)).where('domain_id', '=', d.id).executeTakeFirst();
  if (!p) throw new ProofError('unknown-proof', `proofKey: no challenge with this key for ${d.name}`);
  return p;
}

/** Start a challenge: a new key for this requester (shown once) and the record to publish. */
export async function startProof(db: Db, d: DomainRow, settings: ProofSettings, now: number): Promise<ProofView & { proofKey: string }> {
  const { key, token } = newKey();
  const row: ProofsTable = { id: randomUUID(), domain_id: d.id, token, created_at: now, challenge_expires_at: now + settings.challengeMs, verified_at: null, expires_at: null, checked_at: null, last_result: null };
  await db.insertInto('proofs').values(row).execute();
  return { ...view(d, row, now), proofKey: key };
}

/** A proof's state (the key identifies the requester's proof). */
export async function proofState(db: Db, d: DomainRow, key: unknown, now: number): Promise<ProofView> {
  return view(d, await findProof(db, d, key), now);
}

/** Why a validated answer does not prove control, or undefined when it does. */
export function answerRefusal(r: { security: string; rcode: string; answer: Array<{ type: string; records: string[] }>; problems: Array<{ message: string }> }, name: string, token: string): ProofError | undefined {
  if (r.security === 'indeterminate') return new ProofError('dns-failed', `${name} TXT: the lookup failed${r.problems[0] ? `: ${r.problems[0].message}` : ''}; try again`);
  if (r.security === 'bogus') return new ProofError('not-secure', `${name} TXT: DNSSEC validation failed (bogus${r.problems[0] ? `: ${r.problems[0].message}` : ''}); fix the zone's signatures and try again`);
  if (r.security !== 'secure') return new ProofError('not-secure', `${name} TXT: the answer is not DNSSEC-signed (${r.security}); anyone on the path could forge an unsigned answer, so only a DNSSEC-signed zone can prove control`);
  const texts = r.answer.filter((a) => a.type === 'TXT').flatMap((a) => a.records.map(txtText));
  if (texts.includes(`${TXT_PREFIX}${token}`)) return undefined;
  const why = r.rcode === 'NXDOMAIN' ? 'does not exist' : texts.some((t) => t.startsWith(TXT_PREFIX)) ? 'holds another keywatch-proof token' : 'has no keywatch-proof record';
  return new ProofError('token-not-found', `${name} TXT ${why} (DNSSEC-secure); publish "${TXT_PREFIX}${token}" there and try again`);
}

/**
 * Verify now: look the challenge up through the validator; a secure answer holding the token makes
 * (or renews) the proof for `validMs`. A refusal is recorded on the proof and thrown.
 */
export async function verifyProof(db: Db, validator: Validator, d: DomainRow, key: unknown, settings: ProofSettings, now: () => number): Promise<ProofView> {
  const p = await findProof(db, d, key);
  if (proofStatus(p, now()) === 'challenge-expired') throw new ProofError('challenge-expired', `this challenge expired at ${iso(p.challenge_expires_at)}; start a new one`);
  const name = challengeName(d.name);
  let refusal: ProofError | undefined;
  try {
    refusal = answerRefusal(await validator.lookup(name, RRType.TXT), name, p.token);
  } catch (e) {
    refusal = new ProofError('dns-failed', `${name} TXT: the lookup failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  const at = now();
  if (refusal) {
    await db.updateTable('proofs').set({ checked_at: at, last_result: `${refusal.code}: ${refusal.message}` }).where('id', '=', p.id).execute();
    throw refusal;
  }
  const done = { verified_at: at, expires_at: at + settings.validMs, checked_at: at, last_result: null };
  await db.updateTable('proofs').set(done).where('id', '=', p.id).execute();
  await setControl(db, d.id, p.token, at);
  return view(d, { ...p, ...done }, at);
}

/** Whether `key` holds a valid (verified, unexpired) proof for the domain. */
export async function hasValidProof(db: Db, d: DomainRow, key: unknown, now: number): Promise<boolean> {
  if (!isKey(key)) return false;
  const p = await db.selectFrom('proofs').selectAll().where('token', '=', tokenOf(key)).where('domain_id', '=', d.id).executeTakeFirst();
  return p !== undefined && proofStatus(p, now) === 'valid';
}

/** Set a watched domain's interval (the caller has applied intervalRefusal); a sooner check moves the next one forward. */
export async function changeInterval(db: Db, d: DomainRow, seconds: number, now: number): Promise<void> {
  const ms = Math.round(seconds * 1000);
  await setDomainInterval(db, d.id, ms);
  await db.updateTable('domains').set({ next_due_at: now + ms }).where('id', '=', d.id).where('next_due_at', '>', now + ms).where('claimed_by', 'is', null).execute();
}

/** Domain-level proof state, without secrets: whether any requester holds a valid proof, and until when. */
export async function controlState(db: Db, d: DomainRow, now: number): Promise<{ controlProven: boolean; provenUntil: string | null }> {
  const r = await db.selectFrom('proofs').select((eb) => eb.fn.max('expires_at').as('t')).where('domain_id', '=', d.id).where('expires_at', '>', now).executeTakeFirst();
  const t = r?.t === null || r?.t === undefined ? null : Number(r.t);
  return { controlProven: t !== null, provenUntil: iso(t) };
}

/**
 * A validator for one verification, with no answer cache: "check now" must see the record just
 * published, not a negative answer the service's shared client cached a minute ago. (The
 * recursive resolver may still hold a negative answer for up to the zone's negative TTL.)
 */
export function uncachedValidator(dns: { resolvers: string[]; trustAnchor?: string | undefined; timeoutMs: number }): Validator {
  const client = new DnsClient({ servers: resolverServers(dns.resolvers), timeoutMs: dns.timeoutMs, cacheSize: 0 });
  return new Validator(clientFetcher(client), loadTrustAnchor(dns.trustAnchor));
}

/** What the API needs from the service (WatchService satisfies it). */
export interface ProofHost {
  store: { db: Db };
  config: {
    dns: { resolvers: string[]; trustAnchor?: string | undefined; timeoutMs: number }; proof: { required: boolean; validDays: number; challengeHours: number }; schedule: { minIntervalSeconds: number; provenMinIntervalSeconds: number } };
  notifiers: ReadonlyMap<string, unknown>;
  now: () => number;
}

/** Refuse a webhook subscription without a valid proof (when required and a webhook notifier exists: otherwise the subscription is refused anyway). */
export async function requireWebhookProof(h: ProofHost, d: DomainRow, key: unknown): Promise<void> {
  if (!h.config.proof.required || !h.notifiers.has('webhook')) return;
  const refusal = webhookRefusal(true, await hasValidProof(h.store.db, d, key, h.now()));
  if (refusal) throw refusal;
}

/**
 * The proof routes under /api/domains/:domain/ (`proof`, `proof/verify`, `interval`), for api.ts:
 * the HTTP status and JSON body of the answer, or a thrown ProofError.
 */
export async function proofRoute(h: ProofHost, d: DomainRow, action: string, method: string, body: () => Promise<Record<string, unknown>>, headerKey: string | undefined): Promise<{ status: number; body: unknown }> {
  const settings = proofSettings(h.config);
  if (action === 'proof' && method === 'POST') return { status: 201, body: await startProof(h.store.db, d, settings, h.now()) };
  if (action === 'proof') {
    const state = await controlState(h.store.db, d, h.now());
    return { status: 200, body: { domain: d.name, service: d.service, ...state, ...(headerKey ? { proof: await proofState(h.store.db, d, headerKey, h.now()) } : {}) } };
  }
  const b = await body();
  if (action === 'proof/verify') return { status: 200, body: await verifyProof(h.store.db, uncachedValidator(h.config.dns), d, b.proofKey, settings, h.now) };
  const seconds = Number(b.intervalSeconds);
  const proven = await hasValidProof(h.store.db, d, b.proofKey, h.now());
  const refusal = intervalRefusal(b.intervalSeconds === undefined || b.intervalSeconds === '' ? NaN : seconds, h.config.schedule, proven);
  if (refusal) throw refusal;
  await changeInterval(h.store.db, d, seconds, h.now());
  return { status: 200, body: { domain: d.name, service: d.service, intervalSeconds: Math.round(seconds * 1000) / 1000, controlProven: proven } };
}
