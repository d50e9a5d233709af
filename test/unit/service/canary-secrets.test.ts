// Sealing canary passwords at rest (src/service/secrets.ts, src/service/canary-store.ts):
// AES-256-GCM round trip, the associated data binding a sealed password to its domain and JID,
// the key file's formats and clear errors, and the vault refusing to work without a key.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { canaryAad, CanaryError, CanaryVault } from '../../../src/service/canary-store.ts';
import { ConfigError, parseConfig } from '../../../src/service/config.ts';
import { loadSecretKey, open, seal, SecretsError } from '../../../src/service/secrets.ts';

const dir = mkdtempSync(join(tmpdir(), 'keywatch-secrets-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const KEY = randomBytes(32);

test('seal/open: round trip, a fresh nonce each time, nonce + ciphertext + tag', () => {
  const a = seal(KEY, 'correct horse battery staple', 'aad-1');
  const b = seal(KEY, 'correct horse battery staple', 'aad-1');
  assert.notEqual(a, b, 'two seals of the same value differ (random nonce)');
  assert.equal(Buffer.from(a, 'base64').length, 12 + Buffer.byteLength('correct horse battery staple') + 16);
  assert.ok(!Buffer.from(a, 'base64').toString('latin1').includes('horse'), 'no plaintext in the sealed value');
  assert.equal(open(KEY, a, 'aad-1'), 'correct horse battery staple');
  assert.equal(open(KEY, seal(KEY, 'pässwörd ✓', 'x'), 'x'), 'pässwörd ✓');
});

test('open: another associated data, another key or a changed byte fails', () => {
  const sealed = seal(KEY, 'secret', canaryAad('domain-a', 'canary@a.example'));
  assert.throws(() => open(KEY, sealed, canaryAad('domain-b', 'canary@a.example')), SecretsError, 'copied to another domain');
  assert.throws(() => open(KEY, sealed, canaryAad('domain-a', 'other@a.example')), SecretsError, 'moved to another account');
  assert.throws(() => open(randomBytes(32), sealed, canaryAad('domain-a', 'canary@a.example')), SecretsError, 'another key');
  const b = Buffer.from(sealed, 'base64');
  b[14] = b[14]! ^ 1;
  assert.throws(() => open(KEY, b.toString('base64'), canaryAad('domain-a', 'canary@a.example')), SecretsError, 'a changed ciphertext');
  assert.throws(() => open(KEY, 'AAAA', 'x'), /too short/);
  assert.throws(() => seal(randomBytes(16), 'x', 'y'), /32 bytes/);
});

test('loadSecretKey: raw, hex and base64 files; clear errors that never show the content', () => {
  const raw = join(dir, 'raw.key');
  writeFileSync(raw, KEY);
  assert.deepEqual(loadSecretKey(raw), KEY);
  const hex = join(dir, 'hex.key');
  writeFileSync(hex, `${KEY.toString('hex')}\n`);
  assert.deepEqual(loadSecretKey(hex), KEY);
  const b64 = join(dir, 'b64.key');
  writeFileSync(b64, `${KEY.toString('base64')}\n`);
  assert.deepEqual(loadSecretKey(b64), KEY);
  const short = join(dir, 'short.key');
  writeFileSync(short, 'hunter2hunter2');
  assert.throws(
    () => loadSecretKey(short),
    (e: Error) => e instanceof SecretsError && /exactly 32 random bytes/.test(e.message) && !e.message.includes('hunter2'),
  );
  assert.throws(() => loadSecretKey(join(dir, 'missing.key')), /secrets\.keyFile .*missing\.key: cannot read it: ENOENT/);
});

test('CanaryVault: without a key it refuses with a clear error; a bad key file is a configuration error', () => {
  const none = new CanaryVault(undefined);
  assert.equal(none.configured, false);
  assert.throws(
    () => none.seal('d', 'canary@a.example', 'pw'),
    (e: Error) => e instanceof CanaryError && e.code === 'secrets-unconfigured' && /secrets\.keyFile/.test(e.message),
  );
  const bad = join(dir, 'bad.key');
  writeFileSync(bad, 'not a key');
  assert.throws(() => new CanaryVault(bad), ConfigError);
  const good = join(dir, 'good.key');
  writeFileSync(good, KEY);
  const vault = new CanaryVault(good);
  assert.equal(vault.configured, true);
  assert.equal(vault.open('d', 'Canary@A.example', vault.seal('d', 'canary@a.example', 'pw')), 'pw', 'the JID is compared case-insensitively');
});

test('config: secrets.keyFile is optional, resolved against the config file, and overridable from the environment', () => {
  assert.equal(parseConfig({ dataDir: dir }).secrets.keyFile, undefined);
  assert.equal(parseConfig({ dataDir: dir, secrets: { keyFile: 'k.key' } }, {}, 'c.json', '/etc/keywatch/c.json').secrets.keyFile, '/etc/keywatch/k.key');
  assert.equal(parseConfig({ dataDir: dir }, { KEYWATCH_SECRETS_KEY_FILE: '/run/keys/kw' }).secrets.keyFile, '/run/keys/kw');
  assert.throws(() => parseConfig({ dataDir: dir, secrets: { key: 'x' } }), /secrets\.key: unknown field/);
});
