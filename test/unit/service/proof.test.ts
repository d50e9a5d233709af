// Proof of control (src/service/proof.ts): the key and token format, the record to publish, TXT
// parsing, when a proof holds and expires, the gate decisions (interval, webhooks), and what a
// validated answer must look like to prove control. The store part runs on a real SQLite file.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  answerRefusal,
  challengeRecord,
  controlState,
  hasValidProof,
  intervalRefusal,
  isKey,
  newKey,
  proofState,
  proofStatus,
  startProof,
  tokenOf,
  txtText,
  webhookRefusal,
  ProofError,
} from '../../../src/service/proof.ts';
import { addDomain } from '../../../src/service/store/domains.ts';
import { Store } from '../../../src/service/store/store.ts';

let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'keywatch-proof-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

const DAY = 86_400_000;

test('a key is 256 random bits in base64url; the token is its SHA-256 in hex', () => {
  const a = newKey();
  const b = newKey();
  assert.match(a.key, /^[A-Za-z0-9_-]{43}$/);
  assert.match(a.token, /^[0-9a-f]{64}$/);
  assert.equal(a.token, createHash('sha256').update(a.key).digest('hex'));
  assert.notEqual(a.key, b.key);
  assert.equal(tokenOf(newKey(() => Buffer.alloc(32, 7)).key), tokenOf(Buffer.alloc(32, 7).toString('base64url')));
  assert.ok(isKey(a.key));
  for (const bad of ['', 'short', `${a.key}x`, `${a.key.slice(0, 42)}!`, 42, undefined]) assert.equal(isKey(bad), false, String(bad));
});

test('the record to publish: _keywatch-challenge.DOMAIN. IN TXT "keywatch-proof=TOKEN"', () => {
  const r = challengeRecord('example.org.', 'ab'.repeat(32));
  assert.equal(r.name, '_keywatch-challenge.example.org.');
  assert.equal(r.value, `keywatch-proof=${'ab'.repeat(32)}`);
  assert.equal(r.zoneLine, `_keywatch-challenge.example.org. 300 IN TXT "keywatch-proof=${'ab'.repeat(32)}"`);
});

test('TXT presentation text: strings concatenated, escapes undone', () => {
  assert.equal(txtText('"keywatch-proof=" "abc"'), 'keywatch-proof=abc');
  assert.equal(txtText('"a\\"b" "\\065"'), 'a"bA');
  assert.equal(txtText('plain'), 'plain');
});

test('a proof is pending until verified, holds until its expiry, and a challenge expires unverified', () => {
  const base = { challenge_expires_at: 1000, verified_at: null, expires_at: null };
  assert.equal(proofStatus(base, 999), 'pending');
  assert.equal(proofStatus(base, 1000), 'challenge-expired');
  const verified = { challenge_expires_at: 1000, verified_at: 500, expires_at: 500 + 30 * DAY };
  assert.equal(proofStatus(verified, 500 + 30 * DAY - 1), 'valid');
  assert.equal(proofStatus(verified, 500 + 30 * DAY), 'expired');
  // A verified proof does not depend on the challenge's own expiry.
  assert.equal(proofStatus(verified, 2000), 'valid');
});

test('interval gate: at or above the minimum for anyone; below it only with proof; never below the proven minimum', () => {
  const limits = { minIntervalSeconds: 600, provenMinIntervalSeconds: 300 };
  assert.equal(intervalRefusal(600, limits, false), undefined);
  assert.equal(intervalRefusal(3600, limits, false), undefined);
  assert.equal(intervalRefusal(300, limits, true), undefined);
  assert.equal(intervalRefusal(599, limits, false)?.code, 'proof-required');
  assert.equal(intervalRefusal(299, limits, true)?.code, 'interval-too-short');
  assert.equal(intervalRefusal(Number.NaN, limits, true)?.code, 'invalid-parameter');
  assert.equal(intervalRefusal(-5, limits, true)?.code, 'invalid-parameter');
  assert.equal(intervalRefusal(1e300, limits, true)?.code, 'invalid-parameter');
});

test('webhook gate: refused without proof when proof is required', () => {
  assert.equal(webhookRefusal(true, false)?.code, 'proof-required');
  assert.equal(webhookRefusal(true, true), undefined);
  assert.equal(webhookRefusal(false, false), undefined);
});

test('only a DNSSEC-secure answer that holds the token proves control', () => {
  const token = 'cd'.repeat(32);
  const name = '_keywatch-challenge.example.org.';
  const answer = (records: string[]) => [{ type: 'TXT', records }];
  const ok = { security: 'secure', rcode: 'NOERROR', answer: answer(['"unrelated"', `"keywatch-proof=${token}"`]), problems: [] };
  assert.equal(answerRefusal(ok, name, token), undefined);
  const insecure = answerRefusal({ ...ok, security: 'insecure' }, name, token);
  assert.equal(insecure?.code, 'not-secure');
  assert.match(insecure.message, /not DNSSEC-signed.*forge/);
  const bogus = answerRefusal({ ...ok, security: 'bogus', problems: [{ message: 'signature expired' }] }, name, token);
  assert.deepEqual([bogus?.code, /bogus: signature expired/.test(bogus!.message)], ['not-secure', true]);
  assert.equal(answerRefusal({ ...ok, security: 'indeterminate' }, name, token)?.code, 'dns-failed');
  const wrong = answerRefusal({ ...ok, answer: answer([`"keywatch-proof=${'ef'.repeat(32)}"`]) }, name, token);
  assert.deepEqual([wrong?.code, /another keywatch-proof token/.test(wrong!.message)], ['token-not-found', true]);
  const none = answerRefusal({ ...ok, rcode: 'NXDOMAIN', answer: [] }, name, token);
  assert.deepEqual([none?.code, /does not exist/.test(none!.message)], ['token-not-found', true]);
});

test('store: a challenge per requester, the key never stored, state by key, no proof before verification', async () => {
  const store = await Store.open({ kind: 'sqlite', file: join(dir, 'keywatch.sqlite') });
  try {
    const { row } = await addDomain(store.db, { name: 'example.org', service: 'xmpp', intervalMs: 3_600_000, now: 0 });
    const settings = { validMs: 30 * DAY, challengeMs: 48 * 3_600_000 };
    const a = await startProof(store.db, row, settings, 1000);
    const b = await startProof(store.db, row, settings, 2000);
    assert.notEqual(a.proofKey, b.proofKey);
    assert.equal(a.status, 'pending');
    assert.equal(a.record.value, `keywatch-proof=${tokenOf(a.proofKey)}`);
    assert.equal(a.challengeExpiresAt, new Date(1000 + 48 * 3_600_000).toISOString());
    const stored = await store.db.selectFrom('proofs').selectAll().execute();
    assert.equal(stored.length, 2);
    for (const p of stored) assert.ok(!Object.values(p).includes(a.proofKey) && !Object.values(p).includes(b.proofKey), 'the key itself is not stored');
    assert.equal((await proofState(store.db, row, b.proofKey, 3000)).record.value, b.record.value);
    await assert.rejects(proofState(store.db, row, newKey().key, 3000), (e: unknown) => e instanceof ProofError && e.code === 'unknown-proof');
    await assert.rejects(proofState(store.db, row, undefined, 3000), (e: unknown) => e instanceof ProofError && e.code === 'missing-key');
    assert.equal(await hasValidProof(store.db, row, a.proofKey, 3000), false);
    assert.deepEqual(await controlState(store.db, row, 3000), { controlProven: false, provenUntil: null });
    // Marked verified (as verifyProof does after a secure answer): valid until its expiry, for that key only.
    await store.db.updateTable('proofs').set({ verified_at: 5000, expires_at: 5000 + 30 * DAY }).where('token', '=', tokenOf(a.proofKey)).execute();
    assert.equal(await hasValidProof(store.db, row, a.proofKey, 6000), true);
    assert.equal(await hasValidProof(store.db, row, b.proofKey, 6000), false);
    assert.equal(await hasValidProof(store.db, row, a.proofKey, 5000 + 30 * DAY), false);
    assert.deepEqual(await controlState(store.db, row, 6000), { controlProven: true, provenUntil: new Date(5000 + 30 * DAY).toISOString() });
  } finally {
    await store.close();
  }
});
