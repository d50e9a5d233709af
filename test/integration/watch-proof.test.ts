// Proof of control against the lab: the service hands out a challenge, the test publishes the TXT
// record in a lab zone the way a domain owner would (signed zone: re-signed with its own keys;
// unsigned zone: rewritten), and verification goes through keywatch's own validator. Only a
// DNSSEC-secure answer holding the requester's token proves control; a proof unlocks webhook
// subscriptions and an interval below the default minimum, for that requester's key only.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { useLab } from '../lab/fixture.ts';
import { resignZone, rewriteUnsignedZone, zoneRecords } from '../lab/mutate.ts';
import { RecordingNotifier } from '../helpers/recording-notifier.ts';
import { api } from '../helpers/watch-serve.ts';
import { parseConfig } from '../../src/service/config.ts';
import { WatchService } from '../../src/service/service.ts';
import { makeValidator } from '../../src/dns/resolver.ts';
import { RRType } from '../../src/dns/types.ts';

const lab = useLab();
const SIGNED = 'proof.test';
const UNSIGNED = 'proof-unsigned.test';
const DAY = 86_400_000;
let tmp: string;
let svc: WatchService;
let url: string;
let original: { signed: string[]; unsigned: string[] };
const webhook = new RecordingNotifier('webhook');
const email = new RecordingNotifier('email');

const txtLine = (zone: string, value: string) => `_keywatch-challenge.${zone}. 300 IN TXT "${value}"`;
const withoutChallenge = (records: string[]) => records.filter((r) => !r.startsWith('_keywatch-challenge.'));

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'keywatch-watch-proof-'));
  const { state } = lab();
  original = { signed: zoneRecords(state, SIGNED), unsigned: zoneRecords(state, UNSIGNED) };
  const config = parseConfig({
    dataDir: tmp,
    listen: { host: '127.0.0.1', port: 0 },
    dns: { resolvers: [`${state.resolver.address}:${state.resolver.port}`], trustAnchor: join(state.dir, 'trust-anchor.ds'), timeoutMs: 2000 },
    caFile: state.ca.rootFile,
    allowPrivate: true,
    check: { timeoutMs: 2000, concurrency: 2, extraHandshakes: false, streamIds: 0 },
    limits: { requestsPerHour: 1000 },
  });
  assert.equal(config.proof.required, true, 'proof is required by default');
  svc = await WatchService.start(config, { notifiers: [webhook, email] });
  url = svc.api!.url;
  for (const domain of [SIGNED, UNSIGNED]) {
    const added = await api(url, '/api/domains', { body: { domain } });
    assert.equal(added.status, 202, JSON.stringify(added.json));
  }
});

after(async () => {
  await svc?.stop(3000);
  const { state } = lab();
  if (original) {
    await resignZone(state, SIGNED, () => original.signed);
    await rewriteUnsignedZone(state, UNSIGNED, () => original.unsigned);
  }
  rmSync(tmp, { recursive: true, force: true });
});

describe('proof of control on the lab', () => {
  let key: string;

  it('without proof: anyone may subscribe by email, but a webhook and a shorter interval are refused', async () => {
    const mail = await api(url, '/api/subscriptions', { body: { domain: SIGNED, channel: 'email', target: 'admin@proof.test' } });
    assert.equal(mail.status, 202, JSON.stringify(mail.json));
    const hook = await api(url, '/api/subscriptions', { body: { domain: SIGNED, channel: 'webhook', target: 'https://hooks.example.org/proof' } });
    assert.deepEqual([hook.status, hook.json.error], [403, 'proof-required']);
    assert.match(hook.json.message as string, /POST \/api\/domains\/DOMAIN\/proof/);
    const interval = await api(url, `/api/domains/${SIGNED}/interval`, { body: { intervalSeconds: 300 } });
    assert.deepEqual([interval.status, interval.json.error], [403, 'proof-required']);
    const state = await api(url, `/api/domains/${SIGNED}/proof`);
    assert.deepEqual([state.status, state.json.controlProven, state.json.provenUntil], [200, false, null]);
    assert.equal(webhook.received.length, 0, 'no webhook message went out');
  });

  it('start: a key for the requester and the TXT record to publish', async () => {
    const r = await api(url, `/api/domains/${SIGNED}/proof`, { body: {} });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    key = r.json.proofKey as string;
    assert.match(key, /^[A-Za-z0-9_-]{43}$/);
    const record = r.json.record as { name: string; type: string; value: string; zoneLine: string };
    assert.equal(record.name, `_keywatch-challenge.${SIGNED}.`);
    assert.equal(record.type, 'TXT');
    assert.match(record.value, /^keywatch-proof=[0-9a-f]{64}$/);
    assert.equal(r.json.status, 'pending');
    const unknown = await api(url, '/api/domains/never-watched.test/proof', { body: {} });
    assert.deepEqual([unknown.status, unknown.json.error], [404, 'not-watched']);
  });

  it('verify before publishing, and with another token published: refused, the reason recorded', async () => {
    const early = await api(url, `/api/domains/${SIGNED}/proof/verify`, { body: { proofKey: key } });
    assert.deepEqual([early.status, early.json.error], [422, 'token-not-found']);
    assert.match(early.json.message as string, /does not exist \(DNSSEC-secure\)/);
    // Someone else's challenge (another key) is published: ours is still not there.
    const other = await api(url, `/api/domains/${SIGNED}/proof`, { body: {} });
    await resignZone(lab().state, SIGNED, (rs) => [...withoutChallenge(rs), txtLine(SIGNED, (other.json.record as { value: string }).value)]);
    const wrong = await api(url, `/api/domains/${SIGNED}/proof/verify`, { body: { proofKey: key } });
    assert.deepEqual([wrong.status, wrong.json.error], [422, 'token-not-found']);
    assert.match(wrong.json.message as string, /another keywatch-proof token/);
    const state = await api(url, `/api/domains/${SIGNED}/proof`, { headers: { 'keywatch-proof-key': key } });
    const proof = state.json.proof as { status: string; lastError: string };
    assert.equal(proof.status, 'pending');
    assert.match(proof.lastError, /^token-not-found: /);
    const bad = await api(url, `/api/domains/${SIGNED}/proof/verify`, { body: { proofKey: 'A'.repeat(43) } });
    assert.deepEqual([bad.status, bad.json.error], [404, 'unknown-proof']);
    const missing = await api(url, `/api/domains/${SIGNED}/proof/verify`, { body: {} });
    assert.deepEqual([missing.status, missing.json.error], [400, 'missing-key']);
  });

  it('the token in the signed zone: verified as DNSSEC-secure, valid for 30 days; the gated features open for that key', async () => {
    const start = await api(url, `/api/domains/${SIGNED}/proof`, { headers: { 'keywatch-proof-key': key } });
    const value = ((start.json.proof as { record: { value: string } }).record).value;
    await resignZone(lab().state, SIGNED, (rs) => [...rs, txtLine(SIGNED, value)]);
    const before = Date.now();
    const ok = await api(url, `/api/domains/${SIGNED}/proof/verify`, { body: { proofKey: key } });
    assert.equal(ok.status, 200, JSON.stringify(ok.json));
    assert.equal(ok.json.status, 'valid');
    assert.equal(ok.json.lastError, null);
    const expires = Date.parse(ok.json.expiresAt as string);
    assert.ok(expires >= before + 30 * DAY && expires <= Date.now() + 30 * DAY, ok.json.expiresAt as string);
    const state = await api(url, `/api/domains/${SIGNED}/proof`);
    assert.deepEqual([state.json.controlProven, state.json.provenUntil, state.json.proof], [true, ok.json.expiresAt, undefined]);
    assert.equal((await api(url, `/api/domains/${SIGNED}`)).json.controlProven, true);

    // Re-verifiable: a second verification renews the proof.
    const again = await api(url, `/api/domains/${SIGNED}/proof/verify`, { body: { proofKey: key } });
    assert.equal(again.status, 200);
    assert.ok(Date.parse(again.json.verifiedAt as string) >= Date.parse(ok.json.verifiedAt as string));

    const hook = await api(url, '/api/subscriptions', { body: { domain: SIGNED, channel: 'webhook', target: 'https://hooks.example.org/proof', proofKey: key } });
    assert.equal(hook.status, 202, JSON.stringify(hook.json));
    assert.equal(hook.json.status, 'subscribed');
    // Another requester's (unverified) key does not borrow the proof.
    const other = await api(url, `/api/domains/${SIGNED}/proof`, { body: {} });
    const borrowed = await api(url, '/api/subscriptions', { body: { domain: SIGNED, channel: 'webhook', target: 'https://hooks.example.org/other', proofKey: other.json.proofKey } });
    assert.deepEqual([borrowed.status, borrowed.json.error], [403, 'proof-required']);

    const shorter = await api(url, `/api/domains/${SIGNED}/interval`, { body: { intervalSeconds: 300, proofKey: key } });
    assert.equal(shorter.status, 200, JSON.stringify(shorter.json));
    assert.equal((await api(url, `/api/domains/${SIGNED}`)).json.intervalSeconds, 300);
    const tooShort = await api(url, `/api/domains/${SIGNED}/interval`, { body: { intervalSeconds: 299, proofKey: key } });
    assert.deepEqual([tooShort.status, tooShort.json.error], [403, 'interval-too-short']);
  });

  it('the token in an unsigned zone: published, but refused as not DNSSEC-secure', async () => {
    const start = await api(url, `/api/domains/${UNSIGNED}/proof`, { body: {} });
    assert.equal(start.status, 201);
    const ukey = start.json.proofKey as string;
    const value = (start.json.record as { value: string }).value;
    const { state } = lab();
    await rewriteUnsignedZone(state, UNSIGNED, (rs) => [...rs, txtLine(UNSIGNED, value)]);
    // The record is there (an insecure answer holding the token): the refusal is about DNSSEC alone.
    const { validator } = makeValidator({ resolvers: [`${state.resolver.address}:${state.resolver.port}`], trustAnchor: join(state.dir, 'trust-anchor.ds') });
    const seen = await validator.lookup(`_keywatch-challenge.${UNSIGNED}.`, RRType.TXT);
    assert.equal(seen.security, 'insecure');
    assert.ok(seen.answer.some((a) => a.records.some((r) => r.includes(value))), JSON.stringify(seen.answer));

    const r = await api(url, `/api/domains/${UNSIGNED}/proof/verify`, { body: { proofKey: ukey } });
    assert.deepEqual([r.status, r.json.error], [422, 'not-secure']);
    assert.match(r.json.message as string, /not DNSSEC-signed \(insecure\); anyone on the path could forge/);
    const st = await api(url, `/api/domains/${UNSIGNED}/proof`, { headers: { 'keywatch-proof-key': ukey } });
    assert.equal(st.json.controlProven, false);
    assert.match((st.json.proof as { lastError: string }).lastError, /^not-secure: /);
    const hook = await api(url, '/api/subscriptions', { body: { domain: UNSIGNED, channel: 'webhook', target: 'https://hooks.example.org/u', proofKey: ukey } });
    assert.deepEqual([hook.status, hook.json.error], [403, 'proof-required']);
    // A key proven for proof.test proves nothing for another domain.
    const cross = await api(url, '/api/subscriptions', { body: { domain: UNSIGNED, channel: 'webhook', target: 'https://hooks.example.org/u', proofKey: key } });
    assert.deepEqual([cross.status, cross.json.error], [403, 'proof-required']);
  });
});
