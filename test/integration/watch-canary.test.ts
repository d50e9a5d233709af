// Canary accounts kept by the watch service, against the lab: the owner of the `good` domain
// proves control (a TXT token in its signed zone), registers the domain's canary account, and the
// next scheduled check logs it in on the real Prosody with channel binding. The password never
// lands in the database in clear (the SQLite file is read byte for byte), and the API refuses the
// canary without a proof.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { useLab } from '../lab/fixture.ts';
import { resignZone, zoneRecords } from '../lab/mutate.ts';
import { api, waitUntil } from '../helpers/watch-serve.ts';
import type { Report } from '../../src/audit/report.ts';
import { parseConfig } from '../../src/service/config.ts';
import { WatchService } from '../../src/service/service.ts';

const lab = useLab();
let tmp: string;
let svc: WatchService;
let url: string;
let zone: string;
let original: string[] | undefined;
let originalStolen: string[] | undefined;

/** Prove control of `domain` (watched) as its owner would: the token in its signed zone, verified. */
async function prove(domain: string): Promise<string> {
  const start = await api(url, `/api/domains/${domain}/proof`, { body: {} });
  assert.equal(start.status, 201, JSON.stringify(start.json));
  const value = (start.json.record as { value: string }).value;
  await resignZone(lab().state, domain, (rs) => [...rs, `_keywatch-challenge.${domain}. 300 IN TXT "${value}"`]);
  const verified = await api(url, `/api/domains/${domain}/proof/verify`, { body: { proofKey: start.json.proofKey } });
  assert.equal(verified.status, 200, JSON.stringify(verified.json));
  return start.json.proofKey as string;
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'keywatch-watch-canary-'));
  const { state } = lab();
  zone = lab().domain('good').domain;
  original = zoneRecords(state, zone);
  const keyFile = join(tmp, 'secrets.key');
  writeFileSync(keyFile, randomBytes(32), { mode: 0o600 });
  const config = parseConfig({
    dataDir: join(tmp, 'data'),
    listen: { host: '127.0.0.1', port: 0 },
    dns: { resolvers: [`${state.resolver.address}:${state.resolver.port}`], trustAnchor: join(state.dir, 'trust-anchor.ds'), timeoutMs: 2000 },
    caFile: state.ca.rootFile,
    allowPrivate: true,
    check: { timeoutMs: 4000, concurrency: 2, extraHandshakes: false, streamIds: 0 },
    limits: { requestsPerHour: 1000 },
    schedule: { confirmDelaySeconds: 0.5 },
    secrets: { keyFile },
  });
  svc = await WatchService.start(config);
  url = svc.api!.url;
  const added = await api(url, '/api/domains', { body: { domain: zone } });
  assert.equal(added.status, 202, JSON.stringify(added.json));
});

after(async () => {
  await svc?.stop(5000);
  if (original) await resignZone(lab().state, zone, () => original!);
  const stolen = lab().domain('stolen-key').domain;
  if (originalStolen) await resignZone(lab().state, stolen, () => originalStolen!);
  rmSync(tmp, { recursive: true, force: true });
});

describe('canary accounts in the watch service (lab)', () => {
  it('registered with proof of control; stored sealed; the next check logs the canary in with channel binding', async () => {
    const d = lab().domain('good');
    const body = { jid: d.account.jid, password: d.account.password };

    const refused = await api(url, `/api/domains/${zone}/canary`, { body });
    assert.deepEqual([refused.status, refused.json.error], [403, 'proof-required']);

    // Prove control the way an owner does: publish the token in the signed zone, verify.
    const proofKey = await prove(zone);

    const wrong = await api(url, `/api/domains/${zone}/canary`, { body: { ...body, jid: 'canary@elsewhere.test', proofKey } });
    assert.deepEqual([wrong.status, wrong.json.error], [400, 'invalid-canary']);
    const registered = await api(url, `/api/domains/${zone}/canary`, { body: { ...body, proofKey } });
    assert.equal(registered.status, 201, JSON.stringify(registered.json));
    assert.equal(registered.json.jid, d.account.jid);
    assert.ok(!JSON.stringify(registered.json).includes(d.account.password), 'the answer does not carry the password');

    // The next check: make the domain due now and wait for a run that started after the registration.
    await svc.scheduler.idle();
    const registeredAt = Date.now();
    await svc.store.db.updateTable('domains').set({ next_due_at: 0 }).where('name', '=', zone).execute();
    svc.scheduler.kick();
    const row = await waitUntil(
      'a check with the canary',
      async () => {
        const r = await svc.store.db.selectFrom('observations').select(['report', 'observed_at']).where('observed_at', '>=', registeredAt).where('report', 'is not', null).executeTakeFirst();
        return r ?? undefined;
      },
      60_000,
      250,
    );
    const report = JSON.parse(row.report!) as Report;
    const clients = report.endpoints.filter((e) => e.protocol === 'xmpp-c2s' || e.protocol === 'xmpps-c2s');
    assert.ok(clients.length > 0);
    for (const e of clients) {
      const bound = e.sasl?.canary?.attempts.filter((a) => a.purpose === 'bind' && a.result.outcome === 'success') ?? [];
      assert.ok(bound.length > 0, `${e.label}: the canary logged in with channel binding: ${JSON.stringify(e.sasl?.canary)}`);
    }
    assert.ok(report.findings.some((f) => f.code === 'sasl.channel-binding-verified'), report.findings.map((f) => f.code).join(', '));
    assert.ok(!report.findings.some((f) => f.severity === 'critical'), report.summary);

    // Nothing in the database holds the password in clear: the whole SQLite file (and its WAL).
    await svc.scheduler.idle();
    const needle = Buffer.from(d.account.password, 'utf8');
    for (const f of ['keywatch.sqlite', 'keywatch.sqlite-wal']) {
      const file = join(tmp, 'data', f);
      if (!existsSync(file)) continue;
      assert.equal(readFileSync(file).indexOf(needle), -1, `${f} does not hold the password in clear`);
    }
    const stored = await svc.store.db.selectFrom('canaries').selectAll().executeTakeFirstOrThrow();
    assert.equal(stored.jid, d.account.jid);
    assert.ok(Buffer.from(stored.sealed_password, 'base64').length >= 12 + needle.length + 16, 'nonce, ciphertext and tag');
  });

  it('stolen key: the canary registered for the domain makes the check fail channel binding — one confirmed alert', async () => {
    const d = lab().domain('stolen-key');
    const domain = d.domain;
    originalStolen = zoneRecords(lab().state, domain);
    const added = await api(url, '/api/domains', { body: { domain } });
    assert.equal(added.status, 202, JSON.stringify(added.json));
    const id = (await svc.store.db.selectFrom('domains').select('id').where('name', '=', domain).executeTakeFirstOrThrow()).id;
    const kinds = async () => (await svc.store.db.selectFrom('transitions').select(['kind', 'to_alarms']).where('domain_id', '=', id).orderBy('at').execute());
    // Without a canary the interception is invisible (every key matches its TLSA record): a baseline without the alarm.
    const baseline = await waitUntil('the baseline', async () => (await kinds()).find((t) => t.kind === 'baseline'), 60_000, 250);
    assert.ok(!baseline.to_alarms.includes('sasl.channel-binding-failed'), baseline.to_alarms);

    const proofKey = await prove(domain);
    const registered = await api(url, `/api/domains/${domain}/canary`, { body: { jid: d.account.jid, password: d.account.password, proofKey } });
    assert.equal(registered.status, 201, JSON.stringify(registered.json));
    await svc.scheduler.idle();
    await svc.store.db.updateTable('domains').set({ next_due_at: 0 }).where('id', '=', id).execute();
    svc.scheduler.kick();
    const alert = await waitUntil('the alert', async () => (await kinds()).find((t) => t.kind === 'alert'), 90_000, 250);
    assert.ok((JSON.parse(alert.to_alarms) as string[]).includes('sasl.channel-binding-failed'), alert.to_alarms);
    const alerts = await svc.store.db.selectFrom('alerts').selectAll().where('domain_id', '=', id).execute();
    assert.equal(alerts.length, 1, 'exactly one alert');
    assert.equal(alerts[0]!.kind, 'alert');
    assert.ok(!alerts[0]!.state.includes(d.account.password));
  });
});
