// Secrets the service must be able to use again later (a canary account's password) are kept
// encrypted at rest: AES-256-GCM under a 32-byte key read from the file `secrets.keyFile` names
// (never from the database, so a copy of the database alone reveals nothing). Each sealed value
// is nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes), base64; the associated data names what the
// value belongs to (e.g. the domain's id), so a sealed value copied to another row does not open.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';

const NONCE = 12;
const TAG = 16;
export const SECRET_KEY_BYTES = 32;

export class SecretsError extends Error {
  override name = 'SecretsError';
}

/**
 * The key in `file`: exactly 32 bytes, raw, or as 64 hex digits, or as base64 (one line). Errors
 * name the file, never its content.
 */
export function loadSecretKey(file: string): Buffer {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (e) {
    throw new SecretsError(`secrets.keyFile ${file}: cannot read it: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (size > 1024) throw new SecretsError(`secrets.keyFile ${file}: ${size} bytes; it must hold 32 random bytes (raw, hex or base64)`);
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch (e) {
    throw new SecretsError(`secrets.keyFile ${file}: cannot read it: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const key = parseKey(raw);
  if (!key) throw new SecretsError(`secrets.keyFile ${file}: must hold exactly ${SECRET_KEY_BYTES} random bytes (raw, or as 64 hex digits, or base64), e.g. made with: head -c 32 /dev/urandom > ${file}`);
  return key;
}

function parseKey(raw: Buffer): Buffer | undefined {
  if (raw.length === SECRET_KEY_BYTES) return Buffer.from(raw);
  const text = raw.toString('latin1').trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/_-]{42,44}={0,2}$/.test(text)) {
    const b = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (b.length === SECRET_KEY_BYTES) return b;
  }
  return undefined;
}

function checkKey(key: Buffer): void {
  if (key.length !== SECRET_KEY_BYTES) throw new SecretsError(`the secrets key must be ${SECRET_KEY_BYTES} bytes, not ${key.length}`);
}

/** Encrypt `plaintext` bound to `aad`: base64 of nonce ‖ ciphertext ‖ tag (a fresh random nonce each time). */
export function seal(key: Buffer, plaintext: string, aad: string): string {
  checkKey(key);
  const nonce = randomBytes(NONCE);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([nonce, ct, cipher.getAuthTag()]).toString('base64');
}

/** Decrypt what `seal` made with the same key and `aad`; a wrong key, a wrong aad or any change to the value fails. */
export function open(key: Buffer, sealed: string, aad: string): string {
  checkKey(key);
  const b = Buffer.from(sealed, 'base64');
  if (b.length < NONCE + TAG) throw new SecretsError('the sealed value is too short (damaged)');
  const decipher = createDecipheriv('aes-256-gcm', key, b.subarray(0, NONCE), { authTagLength: TAG });
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(b.subarray(b.length - TAG));
  try {
    return Buffer.concat([decipher.update(b.subarray(NONCE, b.length - TAG)), decipher.final()]).toString('utf8');
  } catch {
    throw new SecretsError('the sealed value does not open: another key (secrets.keyFile changed?), or it belongs to another row, or it was changed');
  }
}
