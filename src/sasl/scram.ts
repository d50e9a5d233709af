// SCRAM client (RFC 5802; SHA-256 from RFC 7677; SHA-512 as registered by
// draft-melnikov-scram-sha-512), with and without channel binding (-PLUS).
//
//   client-first  = gs2-header client-first-bare
//   gs2-header    = ("n" | "y" | "p=" cb-name) "," ["a=" saslname] ","
//   client-first-bare = "n=" saslname ",r=" c-nonce
//   server-first  = ["m=" …] "r=" c-nonce s-nonce ",s=" base64 salt ",i=" count ["," ext]
//   client-final  = "c=" base64(gs2-header [cbind-data]) ",r=" nonce ",p=" base64 proof
//   server-final  = ("e=" server-error | "v=" base64 ServerSignature) ["," ext]
//
//   SaltedPassword = PBKDF2-HMAC-H(Normalize(password), salt, i)
//   ClientKey = HMAC(SaltedPassword, "Client Key"), StoredKey = H(ClientKey)
//   ServerKey = HMAC(SaltedPassword, "Server Key")
//   AuthMessage = client-first-bare "," server-first "," client-final-without-proof
//   ClientProof = ClientKey XOR HMAC(StoredKey, AuthMessage)
//   ServerSignature = HMAC(ServerKey, AuthMessage)
//
// The pieces are exported as pure functions (tests reproduce the RFC vectors with them), and a
// service can keep ClientKey and ServerKey (with salt and count) instead of the password:
// `credentials` accepts either.
//
// Hostile servers. Every field of server-first is validated before any work: the nonce must
// extend ours (else a replay or a confused server), the salt must be strict base64, and the
// iteration count must be 1 ≤ i ≤ maxIterations. The bound (1 000 000 by default) keeps one
// login under about half a second of one core even for SHA-512 (measured: 0.2–0.5 s per 10^6
// on the project's machines), while admitting every sane deployment (RFC 7677 asks for at least
// 4096; OWASP suggested 600 000 for PBKDF2-SHA-256 in 2023). PBKDF2 runs on libuv's thread
// pool, and an optional cache keyed by (hash, salt, i) means a check's many logins with one
// account pay it once. The server signature is compared in constant time.
//
// Secrets: the password never appears in an error message, a log line or an exception; errors
// name the field that was wrong and quote only what the server sent (capped).
import { createHash, createHmac, pbkdf2, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { saslname, saslprep } from './saslprep.ts';

export type ScramHash = 'SHA-1' | 'SHA-256' | 'SHA-512';

export const SCRAM_HASHES: readonly ScramHash[] = ['SHA-512', 'SHA-256', 'SHA-1'];

const NODE_HASH: Record<ScramHash, string> = { 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-512': 'sha512' };
const HASH_BYTES: Record<ScramHash, number> = { 'SHA-1': 20, 'SHA-256': 32, 'SHA-512': 64 };

export const nodeHashName = (h: ScramHash): string => NODE_HASH[h];

/** The iteration counts a server may ask for (see the top comment). */
export const DEFAULT_MAX_ITERATIONS = 1_000_000;
/** RFC 5802 §5.1 / RFC 7677 §4: at least 4096 is expected; fewer is reported, not refused. */
export const RECOMMENDED_MIN_ITERATIONS = 4096;
/** Longest server message we parse (a sane server-first is about 100 bytes). */
export const MAX_SERVER_MESSAGE = 4096;

/** `SCRAM-SHA-256-PLUS` → `{hash: 'SHA-256', plus: true}`; undefined for anything else. */
export function parseMechanism(name: string): { hash: ScramHash; plus: boolean } | undefined {
  const m = /^SCRAM-(SHA-1|SHA-256|SHA-512)(-PLUS)?$/.exec(name);
  return m ? { hash: m[1] as ScramHash, plus: m[2] !== undefined } : undefined;
}

export const mechanismName = (hash: ScramHash, plus: boolean): string => `SCRAM-${hash}${plus ? '-PLUS' : ''}`;

export type ScramErrorCode =
  | 'malformed' // the server's message does not parse
  | 'mandatory-extension' // server-first starts with m=
  | 'nonce-mismatch' // the server nonce does not extend ours
  | 'iterations-out-of-range'
  | 'server-error' // e= in server-final (or in a challenge)
  | 'bad-server-signature' // v= does not match: the peer does not hold ServerKey
  | 'stale-keys' // stored keys for another salt or count
  | 'state'; // called out of order

export class ScramError extends Error {
  override name = 'ScramError';
  constructor(
    readonly code: ScramErrorCode,
    message: string,
    /** For `server-error`: the server's e= value. */
    readonly serverError?: string,
  ) {
    super(message);
  }
}

/** Printable, capped quotation of server text for messages. */
function quote(s: string, max = 120): string {
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return JSON.stringify(clean.length > max ? `${clean.slice(0, max)}…` : clean);
}

// ---------------------------------------------------------------------------------------------
// The primitives.

export function hmac(hash: ScramHash, key: Uint8Array, data: string | Uint8Array): Buffer {
  return createHmac(NODE_HASH[hash], key).update(data).digest();
}

export function digest(hash: ScramHash, data: Uint8Array): Buffer {
  return createHash(NODE_HASH[hash]).update(data).digest();
}

/** SaltedPassword = Hi(Normalize(password), salt, i): PBKDF2 with HMAC-H, one block. */
export function saltedPassword(hash: ScramHash, password: string, salt: Uint8Array, iterations: number): Buffer {
  return pbkdf2Sync(saslprep(password, 'the password'), salt, iterations, HASH_BYTES[hash], NODE_HASH[hash]);
}

/** As saltedPassword, on the thread pool. */
export function saltedPasswordAsync(hash: ScramHash, password: string, salt: Uint8Array, iterations: number): Promise<Buffer> {
  const prepped = saslprep(password, 'the password');
  return new Promise((resolve, reject) => {
    pbkdf2(prepped, salt, iterations, HASH_BYTES[hash], NODE_HASH[hash], (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** What a server stores (RFC 5802 §3), and what a client may keep instead of the password. */
export interface ScramKeys {
  clientKey: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

export function keysFromSaltedPassword(hash: ScramHash, salted: Uint8Array): ScramKeys {
  const clientKey = hmac(hash, salted, 'Client Key');
  return { clientKey, storedKey: digest(hash, clientKey), serverKey: hmac(hash, salted, 'Server Key') };
}

export function authMessage(clientFirstBare: string, serverFirst: string, clientFinalWithoutProof: string): string {
  return `${clientFirstBare},${serverFirst},${clientFinalWithoutProof}`;
}

/** ClientProof = ClientKey XOR HMAC(StoredKey, AuthMessage). */
export function clientProof(hash: ScramHash, keys: Pick<ScramKeys, 'clientKey' | 'storedKey'>, message: string): Buffer {
  const signature = hmac(hash, keys.storedKey, message);
  const proof = Buffer.alloc(signature.length);
  for (let i = 0; i < proof.length; i++) proof[i] = keys.clientKey[i]! ^ signature[i]!;
  return proof;
}

/** ServerSignature = HMAC(ServerKey, AuthMessage). */
export function serverSignature(hash: ScramHash, serverKey: Uint8Array, message: string): Buffer {
  return hmac(hash, serverKey, message);
}

// ---------------------------------------------------------------------------------------------
// The GS2 header (RFC 5802 §7, RFC 5801).

/**
 * How the client binds: `n` it cannot, `y` it can but the server offered no -PLUS (so a server
 * that does support binding knows the list was tampered with, RFC 5802 §6), `p` it binds with
 * `type` and `data`.
 */
export type Gs2Binding = { flag: 'n' } | { flag: 'y' } | { flag: 'p'; type: string; data: Uint8Array };

/** cb-name = 1*(ALPHA / DIGIT / "." / "-") (RFC 5802 §7). */
const CB_NAME = /^[A-Za-z0-9.-]+$/;

export function gs2Header(binding: Gs2Binding, authzid?: string): string {
  let flag: string;
  if (binding.flag === 'p') {
    if (!CB_NAME.test(binding.type)) throw new ScramError('malformed', `channel-binding type ${quote(binding.type)} is not a valid cb-name`);
    flag = `p=${binding.type}`;
  } else flag = binding.flag;
  return `${flag},${authzid !== undefined ? `a=${saslname(authzid, 'the authorization identity')}` : ''},`;
}

/** The c= value: base64 of the GS2 header followed by the channel-binding data, if any. */
export function channelBindingAttribute(header: string, binding: Gs2Binding): string {
  const data = binding.flag === 'p' ? Buffer.from(binding.data) : Buffer.alloc(0);
  return Buffer.concat([Buffer.from(header, 'utf8'), data]).toString('base64');
}

// ---------------------------------------------------------------------------------------------
// Server messages.

/** Strict base64 (RFC 4648 §4, padded): what re-encodes to itself. */
export function strictBase64(text: string): Buffer | undefined {
  if (text.length === 0 || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}

/** attr-val pairs; attribute names are one letter (RFC 5802 §5.1). */
function attributes(message: string, what: string): Array<[string, string]> {
  if (message.length > MAX_SERVER_MESSAGE) throw new ScramError('malformed', `${what} is ${message.length} bytes long, more than the ${MAX_SERVER_MESSAGE} keywatch accepts`);
  return message.split(',').map((part) => {
    const m = /^([A-Za-z])=(.*)$/s.exec(part);
    if (!m) throw new ScramError('malformed', `${what} has a malformed attribute ${quote(part)}`);
    return [m[1]!, m[2]!];
  });
}

export interface ServerFirst {
  /** The message as received (part of AuthMessage). */
  raw: string;
  /** The combined nonce (ours followed by the server's). */
  nonce: string;
  salt: Buffer;
  iterations: number;
  /** Optional attributes after i=, e.g. XEP-0474's d= (0.3) or h= (0.4). */
  extensions: Record<string, string>;
}

/** printable = %x21-2B / %x2D-7E (RFC 5802 §7): no comma, no space, ASCII. */
const PRINTABLE = /^[\x21-\x2b\x2d-\x7e]+$/;

export function parseServerFirst(raw: string, clientNonce: string, o: { maxIterations?: number } = {}): ServerFirst {
  const attrs = attributes(raw, 'server-first-message');
  const first = attrs[0];
  if (first?.[0] === 'm') throw new ScramError('mandatory-extension', 'the server requires a SCRAM extension (m=) that keywatch does not support');
  if (first?.[0] === 'e') throw new ScramError('server-error', `the server answered with error ${quote(first[1])}`, first[1]);
  const [r, s, i, ...rest] = attrs;
  if (r?.[0] !== 'r' || s?.[0] !== 's' || i?.[0] !== 'i') throw new ScramError('malformed', 'server-first-message must start r=, s=, i=');
  const nonce = r[1];
  if (!PRINTABLE.test(nonce)) throw new ScramError('malformed', 'the server nonce contains characters SCRAM does not allow');
  if (!nonce.startsWith(clientNonce) || nonce.length === clientNonce.length) {
    throw new ScramError('nonce-mismatch', 'the nonce in server-first-message does not extend the client nonce (RFC 5802 §5.1)');
  }
  const salt = strictBase64(s[1]);
  if (!salt) throw new ScramError('malformed', `the salt ${quote(s[1], 40)} is not base64`);
  if (!/^[1-9][0-9]{0,9}$/.test(i[1])) throw new ScramError('malformed', `the iteration count ${quote(i[1], 20)} is not a positive integer`);
  const iterations = Number(i[1]);
  const max = o.maxIterations ?? DEFAULT_MAX_ITERATIONS;
  if (iterations > max) throw new ScramError('iterations-out-of-range', `the server asks for ${iterations} iterations, more than the ${max} keywatch allows (a CPU cost the server chooses)`);
  const extensions: Record<string, string> = {};
  for (const [k, v] of rest) {
    if (k in extensions || 'rsi'.includes(k)) throw new ScramError('malformed', `server-first-message repeats attribute ${k}`);
    extensions[k] = v;
  }
  return { raw, nonce, salt, iterations, extensions };
}

export type ServerFinal = { kind: 'verifier'; verifier: Buffer; extensions: Record<string, string> } | { kind: 'error'; error: string };

export function parseServerFinal(raw: string): ServerFinal {
  const attrs = attributes(raw, 'server-final-message');
  const [first, ...rest] = attrs;
  if (first?.[0] === 'e') return { kind: 'error', error: first[1] };
  if (first?.[0] !== 'v') throw new ScramError('malformed', 'server-final-message must start v= or e=');
  const verifier = strictBase64(first[1]);
  if (!verifier) throw new ScramError('malformed', 'the server signature is not base64');
  return { kind: 'verifier', verifier, extensions: Object.fromEntries(rest) };
}

// ---------------------------------------------------------------------------------------------
// The client.

/** What the client authenticates with: the password, or keys stored for one salt and count. */
export type ScramCredentials =
  | { password: string }
  | { salt: Uint8Array; iterations: number; clientKey: Uint8Array; serverKey: Uint8Array };

/** Salted passwords by (hash, salt, count) for one password: each costs up to half a second. */
export class SaltedPasswordCache {
  private readonly map = new Map<string, Promise<Buffer>>();
  constructor(private readonly maxEntries = 32) {}
  get(hash: ScramHash, password: string, salt: Uint8Array, iterations: number): Promise<Buffer> {
    const key = `${hash}|${Buffer.from(salt).toString('base64')}|${iterations}`;
    let v = this.map.get(key);
    if (!v) {
      if (this.map.size >= this.maxEntries) this.map.delete(this.map.keys().next().value!);
      v = saltedPasswordAsync(hash, password, salt, iterations);
      v.catch(() => this.map.delete(key));
      this.map.set(key, v);
    }
    return v;
  }
}

export interface ScramClientOptions {
  hash: ScramHash;
  username: string;
  credentials: ScramCredentials;
  authzid?: string;
  binding: Gs2Binding;
  /** The client nonce; random (24 bytes from the CSPRNG, base64url) when absent. Tests fix it. */
  nonce?: string;
  maxIterations?: number;
  cache?: SaltedPasswordCache;
}

export function randomNonce(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * One SCRAM exchange: clientFirst() → clientFinal(serverFirst) → verifyServerFinal(serverFinal).
 * Each step throws ScramError; after an error the object is spent.
 */
export class ScramClient {
  readonly hash: ScramHash;
  readonly nonce: string;
  readonly gs2: string;
  readonly clientFirstBare: string;
  private step: 'first' | 'final' | 'verify' | 'done' = 'first';
  private expectedSignature: Buffer | undefined;
  /** server-first, once parsed. */
  serverFirst: ServerFirst | undefined;
  /** SaltedPassword-derived keys, once computed (for a service that stores keys). */
  keys: (ScramKeys & { salt: Buffer; iterations: number }) | undefined;

  constructor(private readonly o: ScramClientOptions) {
    this.hash = o.hash;
    this.nonce = o.nonce ?? randomNonce();
    if (!PRINTABLE.test(this.nonce)) throw new ScramError('malformed', 'the client nonce must be printable ASCII without commas');
    this.gs2 = gs2Header(o.binding, o.authzid);
    this.clientFirstBare = `n=${saslname(o.username)},r=${this.nonce}`;
  }

  get binding(): Gs2Binding {
    return this.o.binding;
  }

  clientFirst(): string {
    if (this.step !== 'first') throw new ScramError('state', 'clientFirst() called twice');
    this.step = 'final';
    return this.gs2 + this.clientFirstBare;
  }

  async clientFinal(serverFirstRaw: string): Promise<string> {
    if (this.step !== 'final') throw new ScramError('state', 'clientFinal() out of order');
    this.step = 'done';
    const sf = parseServerFirst(serverFirstRaw, this.nonce, this.o.maxIterations !== undefined ? { maxIterations: this.o.maxIterations } : {});
    this.serverFirst = sf;
    const keys = await this.keysFor(sf);
    this.keys = { ...keys, salt: sf.salt, iterations: sf.iterations };
    const withoutProof = `c=${channelBindingAttribute(this.gs2, this.o.binding)},r=${sf.nonce}`;
    const message = authMessage(this.clientFirstBare, sf.raw, withoutProof);
    this.expectedSignature = serverSignature(this.hash, keys.serverKey, message);
    this.step = 'verify';
    return `${withoutProof},p=${clientProof(this.hash, keys, message).toString('base64')}`;
  }

  /** Throws unless the server proved it holds ServerKey (RFC 5802 §3: mutual authentication). */
  verifyServerFinal(serverFinalRaw: string): ServerFinal & { kind: 'verifier' } {
    if (this.step !== 'verify' || !this.expectedSignature) throw new ScramError('state', 'verifyServerFinal() out of order');
    this.step = 'done';
    const f = parseServerFinal(serverFinalRaw);
    if (f.kind === 'error') throw new ScramError('server-error', `the server refused the proof: ${quote(f.error)}`, f.error);
    const expected = this.expectedSignature;
    if (f.verifier.length !== expected.length || !timingSafeEqual(f.verifier, expected)) {
      throw new ScramError('bad-server-signature', 'the server signature (v=) does not verify: the peer does not hold the server key for this account');
    }
    return f;
  }

  private async keysFor(sf: ServerFirst): Promise<ScramKeys> {
    const c = this.o.credentials;
    if ('password' in c) {
      const salted = this.o.cache ? await this.o.cache.get(this.hash, c.password, sf.salt, sf.iterations) : await saltedPasswordAsync(this.hash, c.password, sf.salt, sf.iterations);
      return keysFromSaltedPassword(this.hash, salted);
    }
    if (!Buffer.from(c.salt).equals(sf.salt) || c.iterations !== sf.iterations) {
      throw new ScramError('stale-keys', 'the server now uses another salt or iteration count than the stored keys were made for (password changed or re-hashed)');
    }
    const clientKey = Buffer.from(c.clientKey);
    return { clientKey, storedKey: digest(this.hash, clientKey), serverKey: Buffer.from(c.serverKey) };
  }
}
