// Planning one owner's TLSA RRset: what to add, what is published already (in any record form
// that designates the same key), what matches nothing; and key files that are not keys.
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { KeyMaterialError, loadKeyFile, parseKeyMaterial } from '../../../src/setup/key-material.ts';
import { mergeSightings, planOwner, type KeySighting } from '../../../src/setup/tlsa-records.ts';
import { renderRecordsNsupdate } from '../../../src/setup/render-records.ts';

const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
const hex = (alg: string, b: Uint8Array) => createHash(alg).update(b).digest('hex');
const key: KeySighting = { role: 'current', spkiSha256: hex('sha256', spki), spki, keyType: 'ECDSA P-256', seenOn: ['xmpp.example.org:5222'], issuer: { spkiSha256: 'ab'.repeat(32) } };
const owner = '_5222._tcp.xmpp.example.org';

describe('planOwner', () => {
  it('nothing published: 3 1 1 and the issuer 2 1 1 to add, default TTL 3600', () => {
    const p = planOwner({ owner, endpoints: ['e'], dane: { applies: true }, published: { state: 'absent' }, keys: [key] });
    assert.deepEqual(p.records.map((r) => [r.rdata, r.role, r.published]), [
      [`3 1 1 ${key.spkiSha256}`, 'current', false],
      [`2 1 1 ${'ab'.repeat(32)}`, 'issuer', false],
    ]);
    assert.equal(p.ttl, 3600);
    assert.equal(p.ttlSource, 'default');
  });

  it('recognises the same key published as 3 1 2 or 3 1 0, and upper-case hex as published', () => {
    const published = [`3 1 1 ${key.spkiSha256.toUpperCase()}`, `3 1 2 ${hex('sha512', spki)}`, `3 1 0 ${Buffer.from(spki).toString('hex')}`, `3 1 1 ${'cd'.repeat(32)}`];
    const p = planOwner({ owner, endpoints: ['e'], dane: { applies: true }, published: { state: 'records', text: published, ttl: 300 }, keys: [key] }, { issuer: false });
    assert.equal(p.records.length, 1);
    assert.equal(p.records[0]!.published, true);
    assert.equal(p.ttl, 300);
    assert.deepEqual(p.publishedRecords.map((x) => x.matches), ['current', 'current', 'current', 'nothing']);
  });

  it('next keys come after the current ones; merged sightings list every endpoint once', () => {
    const next: KeySighting = { role: 'next', spkiSha256: 'ef'.repeat(32), seenOn: ['next.pem'] };
    const merged = mergeSightings([key, { ...key, seenOn: ['xmpp.example.org:5223'] }, next]);
    assert.equal(merged.length, 2);
    assert.deepEqual(merged[0]!.seenOn, ['xmpp.example.org:5222', 'xmpp.example.org:5223']);
    const p = planOwner({ owner, endpoints: ['e'], dane: { applies: true }, keys: merged }, { ttl: 600 });
    assert.deepEqual(p.records.map((r) => r.role), ['current', 'issuer', 'next']);
    assert.equal(p.ttlSource, 'option');
  });

  it('nsupdate: adds what is missing, leaves removals as comments', () => {
    const p = planOwner({ owner, endpoints: ['e'], dane: { applies: true }, published: { state: 'records', text: [`3 1 1 ${'cd'.repeat(32)}`], ttl: 300 }, keys: [key] }, { issuer: false });
    const out = renderRecordsNsupdate({ schema: 'keywatch.records/1', keywatch: 't', domain: 'example.org', service: 'xmpp', keySource: 'live', dnssec: [], owners: [p], unseen: [] });
    assert.deepEqual(out.split('\n').filter((l) => !l.startsWith(';')), [`update add ${owner}. 300 IN TLSA 3 1 1 ${key.spkiSha256}`, 'send']);
    assert.match(out, /; after the rollover: update delete _5222\._tcp\.xmpp\.example\.org\. IN TLSA 3 1 1 cdcd/);
  });
});

describe('key files', () => {
  it('refuses what is not a key with a message naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keywatch-keys-'));
    try {
      const f = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name));
      assert.throws(() => loadKeyFile(f('empty.pem', 'hello\n')), (e: Error) => e instanceof KeyMaterialError && /empty\.pem: no PEM certificate or key/.test(e.message));
      assert.throws(() => loadKeyFile(f('csr.pem', '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n')), /CERTIFICATE REQUEST/);
      assert.throws(() => loadKeyFile(f('bad.pem', '-----BEGIN CERTIFICATE-----\nMIIBkTCB+wIJAK\n-----END CERTIFICATE-----\n')), /not a valid X\.509 certificate/);
      assert.throws(() => loadKeyFile(f('enc.pem', '-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n')), /encrypted/);
      assert.throws(() => loadKeyFile(join(dir, 'nope.pem')), /no such file/);
      const pub = publicKey.export({ type: 'spki', format: 'pem' }).toString();
      const [k] = parseKeyMaterial(`-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n${pub}`, 'p.pem');
      assert.equal(k!.spkiSha256, key.spkiSha256);
      assert.equal(k!.keyType, 'ECDSA P-256');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
