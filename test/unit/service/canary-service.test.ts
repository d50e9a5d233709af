// Canary accounts in the watch service: stored sealed (the SQLite file never holds the password),
// gated by proof of control over HTTP, opened for each check and handed to the check function,
// and a canary channel-binding failure (or downgrade) raising an alert through the alert policy.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, test } from 'node:test';
import type { CanaryAccount } from '../../../src/sasl/canary.ts';
import { CanaryError, canaryRefusal, canaryRequest, CanaryVault, loadCanary, putCanary } from '../../../src/service/canary-store.ts';
import { parseConfig } from '../../../src/service/config.ts';
import { silentLog } from '../../../src/service/log.ts';
import { Links } from '../../../src/service/messages.ts';
import type { Vantage } from '../../../src/service/observe.ts';
import { newKey, ProofError } from '../../../src/service/proof.ts';
import { WatchService } from '../../../src/service/service.ts';
import { addDomain } from '../../../src/service/store/domains.ts';
import { SecretsError } from '../../../src/service/secrets.ts';
import { Watcher, type CheckFn } from '../../../src/service/watcher.ts';
import { api } from '../../helpers/watch-serve.ts';
import { fakeReport, finding } from './fake-report.ts';
import { harness, TIMING, type Harness } from './harness.ts';

const PASSWORD = 'Tr0ub4dor&3-canary-pw';
const KEY = randomBytes(32);

/** Give `d` a valid proof; returns the requester's key. */
async function prove(db: Harness['store']['db'], domainId: string, now: number): Promise<string> {
  const { key, token } = newKey();
  await db.insertInto('proofs').values({ id: `p-${token.slice(0, 8)}`, domain_id: domainId, token, created_at: now, challenge_expires_at: now + 1000, verified_at: now, expires_at: now + 86_400_000, checked_at: now, last_result: null }).execute();
  return key;
}

test('canaryRefusal: no key configured, then no proof, refuse; both present allow', () => {
  const noKey = canaryRefusal(false, true);
  assert.ok(noKey instanceof CanaryError && noKey.code === 'secrets-unconfigured');
  const noProof = canaryRefusal(true, false);
  assert.ok(noProof instanceof ProofError && noProof.code === 'proof-required');
  assert.equal(canaryRefusal(true, true), undefined);
});

test('canaryRequest: the JID must be an account of the domain; errors never echo the password', () => {
  const d = { name: 'example.org', service: 'xmpp' };
  assert.deepEqual(canaryRequest(d, { jid: ' canary@example.org ', password: PASSWORD, requirePlus: true }), { jid: 'canary@example.org', password: PASSWORD, requirePlus: true });
  assert.equal(canaryRequest(d, { jid: 'canary@example.org', password: PASSWORD }).requirePlus, false);
  const refuse = (body: Record<string, unknown>, re: RegExp, dom = d) =>
    assert.throws(
      () => canaryRequest(dom, body),
      (e: Error) => e instanceof CanaryError && re.test(e.message) && !e.message.includes(PASSWORD),
    );
  refuse({ jid: 'canary@evil.example', password: PASSWORD }, /not an account of example\.org/);
  refuse({ jid: 'canary@example.org/res', password: PASSWORD }, /bare JID/);
  refuse({ jid: 'canary@example.org' }, /password: required/);
  refuse({ jid: 'canary@example.org', password: `${PASSWORD}\n` }, /line breaks/);
  refuse({ jid: 'canary@example.org', password: PASSWORD, requirePlus: 'maybe' }, /requirePlus/);
  refuse({ jid: 'canary@example.org', password: PASSWORD }, /XMPP client endpoints/, { name: 'example.org', service: 'smtp' });
});

describe('canary store and checks', () => {
  let h: Harness;
  let vault: CanaryVault;
  before(async () => {
    h = await harness();
    vault = new CanaryVault(undefined, KEY);
  });
  after(() => h.close());

  const row = async (id: string) => (await h.store.db.selectFrom('domains').selectAll().where('id', '=', id).executeTakeFirstOrThrow());

  it('stores the password sealed: not in the SQLite file, opens for its own domain only', async () => {
    const id = await h.add('sealed.example');
    const other = await h.add('other.example');
    await putCanary(h.store.db, vault, await row(id), { jid: 'canary@sealed.example', password: PASSWORD, requirePlus: true }, h.clock.t);
    const stored = await h.store.db.selectFrom('canaries').selectAll().where('domain_id', '=', id).executeTakeFirstOrThrow();
    assert.ok(!stored.sealed_password.includes(PASSWORD));
    for (const f of ['keywatch.sqlite', 'keywatch.sqlite-wal']) {
      let bytes: Buffer;
      try {
        bytes = readFileSync(join(h.dir, f));
      } catch {
        continue;
      }
      assert.equal(bytes.indexOf(PASSWORD), -1, `${f} holds no plaintext password`);
    }
    assert.deepEqual(await loadCanary(h.store.db, vault, await row(id)), { jid: 'canary@sealed.example', password: PASSWORD, requirePlus: true });
    assert.equal(await loadCanary(h.store.db, vault, await row(other)), undefined, 'no canary: nothing');
    // The row copied to another domain does not open there.
    await h.store.db.insertInto('canaries').values({ ...stored, domain_id: other }).execute();
    await assert.rejects(loadCanary(h.store.db, vault, await row(other)), SecretsError);
    await assert.rejects(loadCanary(h.store.db, new CanaryVault(undefined, randomBytes(32)), await row(id)), SecretsError, 'another key');
  });

  it('a check gets the canary; a canary channel-binding failure becomes a confirmed alert', async () => {
    const id = await h.add('alarm.example');
    await h.subscribe(id, 'admin@alarm.example');
    const seen: Array<CanaryAccount | undefined> = [];
    let mitm: string | undefined;
    const check: CheckFn = (d, _vantage: Vantage) => {
      seen.push(d.canary);
      const failed = mitm && d.canary ? [finding(mitm, 'critical', ['xmpp.alarm.example:5222 (192.0.2.1)'])] : [];
      return Promise.resolve(fakeReport(d.name, failed.length ? 'critical' : 'ok', { findings: failed }));
    };
    const watcher = new Watcher({
      store: h.store,
      worker: 'w1',
      vantages: ['direct'],
      check,
      canary: (d) => loadCanary(h.store.db, vault, d),
      timing: TIMING,
      links: new Links('https://keywatch.example'),
      rate: { windowMs: 3_600_000, limit: 10 },
      now: () => h.clock.t,
      random: () => 0.5,
      log: silentLog,
    });
    const run = async () => {
      const d = await h.store.db.updateTable('domains').set({ claimed_by: 'w1', claimed_until: h.clock.t + 60_000 }).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
      const r = await watcher.run(d);
      h.clock.t += 60_000;
      return r!;
    };
    assert.equal((await run()).decision.kind, 'baseline', 'no canary yet: the first check is the baseline');
    assert.equal(seen[0], undefined);
    await putCanary(h.store.db, vault, await row(id), { jid: 'canary@alarm.example', password: PASSWORD, requirePlus: false }, h.clock.t);
    mitm = 'sasl.channel-binding-failed';
    const first = await run();
    assert.deepEqual(seen[1], { jid: 'canary@alarm.example', password: PASSWORD }, 'the check was given the opened canary');
    assert.equal(first.decision.kind, 'confirming');
    assert.ok(first.assessment.alarms.includes('sasl.channel-binding-failed'));
    const confirmed = await run();
    assert.equal(confirmed.decision.kind, 'alert');
    assert.equal(confirmed.deliveries, 1);
    const delivery = await h.store.db.selectFrom('deliveries').selectAll().where('domain_id', '=', id).executeTakeFirstOrThrow();
    assert.equal(delivery.kind, 'alert');
    assert.ok(!delivery.message.includes(PASSWORD), 'the alert does not carry the password');
    mitm = undefined;
    await run();
    assert.equal((await run()).decision.kind, 'recovery');
    // A downgrade found by the canary alarms the same way (a critical finding).
    mitm = 'sasl.downgrade-detected';
    assert.equal((await run()).decision.kind, 'confirming');
    const downgrade = await run();
    assert.equal(downgrade.decision.kind, 'alert');
    assert.ok(downgrade.assessment.alarms.includes('sasl.downgrade-detected'));
  });

  it('a sealed password that does not open: the check runs without the canary, and says why in the log only', async () => {
    const id = await h.add('broken.example');
    await putCanary(h.store.db, new CanaryVault(undefined, randomBytes(32)), await row(id), { jid: 'canary@broken.example', password: PASSWORD, requirePlus: false }, h.clock.t);
    const logged: string[] = [];
    const log = { ...silentLog, error: (fields: object, msg: string) => void logged.push(JSON.stringify(fields) + msg) };
    const seen: Array<CanaryAccount | undefined> = [];
    const watcher = new Watcher({
      store: h.store,
      worker: 'w1',
      vantages: ['direct'],
      check: (d) => (seen.push(d.canary), Promise.resolve(fakeReport(d.name, 'ok'))),
      canary: (d) => loadCanary(h.store.db, vault, d),
      timing: TIMING,
      links: new Links('https://keywatch.example'),
      rate: { windowMs: 3_600_000, limit: 10 },
      now: () => h.clock.t,
      random: () => 0.5,
      log,
    });
    const d = await h.store.db.updateTable('domains').set({ claimed_by: 'w1', claimed_until: h.clock.t + 60_000 }).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    assert.equal((await watcher.run(d))!.decision.kind, 'baseline');
    assert.deepEqual(seen, [undefined]);
    assert.equal(logged.length, 1);
    assert.match(logged[0]!, /canary-unavailable/);
    assert.ok(!logged[0]!.includes(PASSWORD));
  });
});

describe('canary API (HTTP), gated by proof of control', () => {
  let dir: string;
  let svc: WatchService;
  let noKey: WatchService;
  let domainId: string;
  const checks: Array<{ name: string; canary?: CanaryAccount }> = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keywatch-canary-api-'));
    const keyFile = join(dir, 'secrets.key');
    writeFileSync(keyFile, KEY);
    const check: CheckFn = (d) => (checks.push({ name: d.name, ...(d.canary ? { canary: d.canary } : {}) }), Promise.resolve(fakeReport(d.name, 'ok')));
    const base = { listen: { host: '127.0.0.1', port: 0 }, dns: { resolvers: ['127.0.0.1:9'], timeoutMs: 200 }, schedule: { pollSeconds: 3600 } };
    svc = await WatchService.start(parseConfig({ ...base, dataDir: join(dir, 'a'), secrets: { keyFile } }), { check });
    noKey = await WatchService.start(parseConfig({ ...base, dataDir: join(dir, 'b') }), { check });
    domainId = (await addDomain(svc.store.db, { name: 'api.example', service: 'xmpp', intervalMs: 3_600_000, now: Date.now() })).row.id;
    await addDomain(noKey.store.db, { name: 'api.example', service: 'xmpp', intervalMs: 3_600_000, now: Date.now() });
  });
  after(async () => {
    await svc?.stop(1000);
    await noKey?.stop(1000);
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses without a proof, and without a key configured; registers with one; never returns the password', async () => {
    const url = svc.api!.url;
    const body = { jid: 'canary@api.example', password: PASSWORD, requirePlus: true };
    const none = await api(url, '/api/domains/api.example/canary', { body });
    assert.deepEqual([none.status, none.json.error], [403, 'proof-required']);
    const bogus = await api(url, '/api/domains/api.example/canary', { body: { ...body, proofKey: newKey().key } });
    assert.deepEqual([bogus.status, bogus.json.error], [403, 'proof-required'], 'a key that proves nothing');
    const unconfigured = await api(noKey.api!.url, '/api/domains/api.example/canary', { body: { ...body, proofKey: newKey().key } });
    assert.deepEqual([unconfigured.status, unconfigured.json.error], [503, 'secrets-unconfigured']);
    assert.match(unconfigured.json.message as string, /secrets\.keyFile/);

    const proofKey = await prove(svc.store.db, domainId, Date.now());
    const wrongDomain = await api(url, '/api/domains/api.example/canary', { body: { ...body, jid: 'canary@elsewhere.example', proofKey } });
    assert.deepEqual([wrongDomain.status, wrongDomain.json.error], [400, 'invalid-canary']);
    const ok = await api(url, '/api/domains/api.example/canary', { body: { ...body, proofKey } });
    assert.equal(ok.status, 201, JSON.stringify(ok.json));
    assert.deepEqual([ok.json.jid, ok.json.requirePlus], ['canary@api.example', true]);
    assert.ok(!JSON.stringify(ok.json).includes(PASSWORD));
    const again = await api(url, '/api/domains/api.example/canary', { body: { ...body, requirePlus: false, proofKey } });
    assert.deepEqual([again.status, again.json.requirePlus], [200, false], 'a second POST replaces it');

    const shown = await api(url, '/api/domains/api.example/canary', { headers: { 'keywatch-proof-key': proofKey } });
    assert.deepEqual([shown.status, shown.json.jid], [200, 'canary@api.example']);
    assert.ok(!JSON.stringify(shown.json).includes(PASSWORD));
    const hidden = await api(url, '/api/domains/api.example/canary');
    assert.equal(hidden.status, 403, 'the canary is not shown without a proof');

    // The scheduled check gets it.
    const before = checks.length;
    await svc.scheduler.idle();
    await svc.store.db.updateTable('domains').set({ next_due_at: 0 }).where('id', '=', domainId).execute();
    await svc.scheduler.tick();
    await svc.scheduler.idle();
    const ran = checks.slice(before).find((c) => c.name === 'api.example');
    assert.deepEqual(ran?.canary, { jid: 'canary@api.example', password: PASSWORD });

    const delNoProof = await api(url, '/api/domains/api.example/canary', { method: 'DELETE' });
    assert.equal(delNoProof.status, 403);
    const del = await api(url, '/api/domains/api.example/canary', { method: 'DELETE', headers: { 'keywatch-proof-key': proofKey } });
    assert.deepEqual([del.status, del.json.removed], [200, true]);
    const gone = await api(url, '/api/domains/api.example/canary', { method: 'DELETE', body: { proofKey } });
    assert.deepEqual([gone.status, gone.json.error], [404, 'no-canary']);
  });
});
