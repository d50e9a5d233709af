// Canary accounts kept by the watch service (docs/SERVICE.md, "Canary accounts"): one per watched
// XMPP domain, registered through the API by a requester holding a valid proof of control, and
// logged in by every scheduled check (src/sasl/canary.ts) so a man in the middle shows up as a
// channel-binding failure. The password is sealed with AES-256-GCM (src/service/secrets.ts) under
// the key in `secrets.keyFile`, with associated data naming the domain's id and the JID: the row
// copied to another domain, or edited to another account, does not open. The password is
// decrypted just before a check, handed to runCheck, and not kept; it is never logged, returned
// or stored in clear. Without a configured key, canaries are refused.
import { canaryUsername, CanaryConfigError, type CanaryAccount } from '../sasl/canary.ts';
import { ConfigError } from './config.ts';
import { hasValidProof, ProofError } from './proof.ts';
import { loadSecretKey, open, seal, SecretsError } from './secrets.ts';
import type { Db, DomainRow } from './store/domains.ts';

const MAX_PASSWORD = 1024;

export type CanaryErrorCode = 'secrets-unconfigured' | 'invalid-canary' | 'not-xmpp' | 'no-canary';

export const CANARY_STATUS: Record<CanaryErrorCode, number> = {
  'secrets-unconfigured': 503,
  'invalid-canary': 400,
  'not-xmpp': 400,
  'no-canary': 404,
};

export class CanaryError extends Error {
  override name = 'CanaryError';
  constructor(
    readonly code: CanaryErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The associated data of a sealed canary password: the domain's id and the account. */
export function canaryAad(domainId: string, jid: string): string {
  return `keywatch canary v1\0${domainId}\0${jid.toLowerCase()}`;
}

/** The key canary passwords are sealed under, when `secrets.keyFile` is configured. */
export class CanaryVault {
  private readonly key: Buffer | undefined;

  /** Reads and checks the key file now (a bad file is a ConfigError at start, not at the first canary). */
  constructor(keyFile: string | undefined, key?: Buffer) {
    if (key) this.key = key;
    else if (keyFile) {
      try {
        this.key = loadSecretKey(keyFile);
      } catch (e) {
        throw e instanceof SecretsError ? new ConfigError(e.message) : e;
      }
    }
  }

  get configured(): boolean {
    return this.key !== undefined;
  }

  private need(): Buffer {
    if (!this.key) throw new CanaryError('secrets-unconfigured', 'this service keeps no canary accounts: it has no key to encrypt their passwords with (the operator sets secrets.keyFile to a file of 32 random bytes; docs/SERVICE.md, "Canary accounts")');
    return this.key;
  }

  seal(domainId: string, jid: string, password: string): string {
    return seal(this.need(), password, canaryAad(domainId, jid));
  }

  open(domainId: string, jid: string, sealed: string): string {
    return open(this.need(), sealed, canaryAad(domainId, jid));
  }
}

export interface CanaryRequest {
  jid: string;
  password: string;
  requirePlus: boolean;
}

/** Validate a registration body (the JID must be an account of the domain); errors never echo the password. */
export function canaryRequest(d: Pick<DomainRow, 'name' | 'service'>, body: Record<string, unknown>): CanaryRequest {
  if (d.service !== 'xmpp') throw new CanaryError('not-xmpp', `canary accounts log in on XMPP client endpoints; ${d.name} is watched as ${d.service}`);
  if (typeof body.jid !== 'string' || body.jid.trim() === '') throw new CanaryError('invalid-canary', `jid: required, the canary account's bare JID (like canary@${d.name})`);
  const jid = body.jid.trim();
  try {
    canaryUsername(jid, d.name);
  } catch (e) {
    throw new CanaryError('invalid-canary', `jid: ${e instanceof CanaryConfigError ? e.message : 'not a bare JID'}`);
  }
  const password = body.password;
  if (typeof password !== 'string' || password === '') throw new CanaryError('invalid-canary', 'password: required, the canary account\'s password (sent once; stored encrypted, never shown again)');
  if (password.length > MAX_PASSWORD) throw new CanaryError('invalid-canary', `password: at most ${MAX_PASSWORD} characters`);
  if (/[\0\r\n]/.test(password)) throw new CanaryError('invalid-canary', 'password: must not contain NUL or line breaks');
  const rp = body.requirePlus;
  if (rp !== undefined && rp !== true && rp !== false && rp !== 'true' && rp !== 'false' && rp !== '') throw new CanaryError('invalid-canary', 'requirePlus: true or false');
  return { jid: jid.replace(/\.$/, ''), password, requirePlus: rp === true || rp === 'true' };
}

/** The canary gate: the vault must have a key, and the requester a valid proof of control (always: canaries are never ungated). */
export function canaryRefusal(vaultConfigured: boolean, proven: boolean): CanaryError | ProofError | undefined {
  if (!vaultConfigured) return new CanaryError('secrets-unconfigured', 'this service keeps no canary accounts: it has no key to encrypt their passwords with (the operator sets secrets.keyFile; docs/SERVICE.md, "Canary accounts")');
  if (!proven) return new ProofError('proof-required', 'canary accounts need proof that you control the domain: POST /api/domains/DOMAIN/proof, publish the TXT record, verify, then send its proofKey');
  return undefined;
}

export interface CanaryView {
  domain: string;
  service: string;
  jid: string;
  requirePlus: boolean;
  createdAt: string;
  updatedAt: string;
}

const view = (d: DomainRow, r: { jid: string; require_plus: number; created_at: number; updated_at: number }): CanaryView => ({
  domain: d.name,
  service: d.service,
  jid: r.jid,
  requirePlus: r.require_plus === 1,
  createdAt: new Date(Number(r.created_at)).toISOString(),
  updatedAt: new Date(Number(r.updated_at)).toISOString(),
});

/** Register (or replace) the domain's canary, the password sealed. */
export async function putCanary(db: Db, vault: CanaryVault, d: DomainRow, req: CanaryRequest, now: number): Promise<{ view: CanaryView; created: boolean }> {
  const sealed = vault.seal(d.id, req.jid, req.password);
  const existing = await db.selectFrom('canaries').select('created_at').where('domain_id', '=', d.id).executeTakeFirst();
  const row = { jid: req.jid, require_plus: req.requirePlus ? 1 : 0, sealed_password: sealed, updated_at: now };
  if (existing) await db.updateTable('canaries').set(row).where('domain_id', '=', d.id).execute();
  else await db.insertInto('canaries').values({ domain_id: d.id, ...row, created_at: now }).execute();
  return { view: view(d, { ...row, created_at: existing ? Number(existing.created_at) : now }), created: !existing };
}

export async function removeCanary(db: Db, d: DomainRow): Promise<boolean> {
  const r = await db.deleteFrom('canaries').where('domain_id', '=', d.id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** The domain's canary without its password, or undefined. */
export async function canaryView(db: Db, d: DomainRow): Promise<CanaryView | undefined> {
  const r = await db.selectFrom('canaries').select(['jid', 'require_plus', 'created_at', 'updated_at']).where('domain_id', '=', d.id).executeTakeFirst();
  return r ? view(d, r) : undefined;
}

/**
 * The domain's canary with its password opened, for one check (the caller drops it afterwards),
 * or undefined when it has none. Throws SecretsError when the sealed password does not open, and
 * CanaryError when a canary is stored but no key is configured.
 */
export async function loadCanary(db: Db, vault: CanaryVault, d: Pick<DomainRow, 'id' | 'service'>): Promise<CanaryAccount | undefined> {
  if (d.service !== 'xmpp') return undefined;
  const r = await db.selectFrom('canaries').selectAll().where('domain_id', '=', d.id).executeTakeFirst();
  if (!r) return undefined;
  return { jid: r.jid, password: vault.open(d.id, r.jid, r.sealed_password), ...(r.require_plus === 1 ? { requirePlus: true } : {}) };
}

/** What the API needs from the service. */
export interface CanaryHost {
  store: { db: Db };
  canaries: CanaryVault;
  now: () => number;
}

/**
 * /api/domains/:domain/canary: GET (the canary without its password), POST {jid, password,
 * proofKey, requirePlus?} and DELETE; every method needs a valid proof (`proofKey` in the body, or
 * the Keywatch-Proof-Key header).
 */
export async function canaryRoute(h: CanaryHost, d: DomainRow, method: string, body: () => Promise<Record<string, unknown>>, headerKey: string | undefined): Promise<{ status: number; body: unknown }> {
  const b = method === 'POST' || (method === 'DELETE' && headerKey === undefined) ? await body() : {};
  const key = b.proofKey ?? headerKey;
  const refusal = canaryRefusal(h.canaries.configured, await hasValidProof(h.store.db, d, key, h.now()));
  if (refusal) throw refusal;
  if (method === 'GET') {
    const v = await canaryView(h.store.db, d);
    if (!v) throw new CanaryError('no-canary', `${d.name} has no canary account`);
    return { status: 200, body: v };
  }
  if (method === 'DELETE') {
    if (!(await removeCanary(h.store.db, d))) throw new CanaryError('no-canary', `${d.name} has no canary account`);
    return { status: 200, body: { domain: d.name, service: d.service, removed: true } };
  }
  const req = canaryRequest(d, b);
  const { view: v, created } = await putCanary(h.store.db, h.canaries, d, req, h.now());
  return { status: created ? 201 : 200, body: v };
}
