// SASL channel binding against the lab's real Prosody 0.12 and ejabberd 23.01, with -PLUS on and
// off, through a careful interceptor holding the server's own key, and through one that strips
// -PLUS. Independent judges: the servers' configuration files (what is really configured), a
// raw Node TLS client reading the stream features (what is really offered), and the servers'
// own logs (what the server really accepted: ejabberd logs the mechanism of each login, Prosody
// each authenticated session, whose TLS version it logged when the stream was encrypted).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { connect as tlsConnect, type SecureVersion } from 'node:tls';
import { useLab } from '../lab/fixture.ts';
import { labDnsArgs, runKeywatch } from '../helpers/keywatch-cli.ts';
import { runCheck, type CheckOptions } from '../../src/audit/check.ts';
import type { EndpointReport, Report } from '../../src/audit/report.ts';
import { DnsClient } from '../../src/dns/client.ts';
import { Validator } from '../../src/dns/dnssec/validator.ts';
import { parseTrustAnchors } from '../../src/dns/dnssec/trust-anchor.ts';
import { clientFetcher } from '../../src/dns/resolver.ts';
import type { LabDomain } from '../lab/lab.ts';
import type { ScenarioName } from '../lab/scenarios.ts';

const lab = useLab();

async function check(name: ScenarioName, extra: Partial<CheckOptions> = {}): Promise<{ d: LabDomain; r: Report }> {
  const d = lab().domain(name);
  const { resolver, trustAnchor, ca } = lab().state;
  const validator = new Validator(clientFetcher(new DnsClient({ servers: [resolver] })), parseTrustAnchors(trustAnchor.dnskey));
  const r = await runCheck({ domain: d.domain, service: 'xmpp', validator, caFile: ca.rootFile, allowPrivate: true, streamIds: 0, ...extra });
  return { d, r };
}
const canaryOf = (d: LabDomain) => ({ jid: d.account.jid, password: d.account.password });
const clients = (r: Report) => r.endpoints.filter((e) => e.protocol === 'xmpp-c2s' || e.protocol === 'xmpps-c2s');
const label = (d: LabDomain, port: number) => `${d.host}:${port} (${d.address})`;
const summary = (r: Report) => `${r.summary}\n${r.findings.map((f) => `${f.severity} ${f.code}: ${f.title}`).join('\n')}`;
const sasl = (r: Report, sev?: string) => r.findings.filter((f) => f.code.startsWith('sasl.') && (!sev || f.severity === sev));
const findingsOn = (r: Report, code: string) => r.findings.filter((f) => f.code === code);

/** Judge: a raw Node TLS client on the direct-TLS port reads the features after TLS. */
async function rawFeatures(d: LabDomain, maxVersion?: SecureVersion): Promise<{ version: string; mechanisms: string[] }> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: d.address, port: 5223, servername: d.domain, rejectUnauthorized: false, ALPNProtocols: ['xmpp-client'], ...(maxVersion ? { maxVersion } : {}) }, () => {
      s.write(`<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='${d.domain}' version='1.0'>`);
    });
    let buf = '';
    const timer = setTimeout(() => (s.destroy(), reject(new Error(`no features: ${buf}`))), 5000);
    s.on('data', (b: Buffer) => {
      buf += b.toString();
      if (!buf.includes('</stream:features>')) return;
      clearTimeout(timer);
      const version = s.getProtocol() ?? '';
      s.destroy();
      resolve({ version, mechanisms: [...buf.matchAll(/<mechanism>([^<]+)<\/mechanism>/g)].map((m) => m[1]!) });
    });
    s.on('error', reject);
  });
}

/** Judge: Prosody's log — every authenticated session of `jid` with the TLS version it logged for that session. */
function prosodyAuthSessions(jid: string): Array<{ session: string; tls: string | undefined }> {
  const tlsOf = new Map<string, string>();
  const out: Array<{ session: string; tls: string | undefined }> = [];
  for (const line of readFileSync(join(lab().state.dir, 'prosody', 'prosody.log'), 'utf8').split('\n')) {
    const [head, , message] = line.split('\t');
    const session = head?.split(' ').pop();
    if (!session || !message) continue;
    const enc = /^Stream encrypted \((TLSv[\d.]+)/.exec(message);
    if (enc) tlsOf.set(session, enc[1]!);
    if (message === `Authenticated as ${jid}`) out.push({ session, tls: tlsOf.get(session) });
  }
  return out;
}

/** Judge: ejabberd's log — the mechanism of every accepted login of `jid`, and every refusal's reason. */
function ejabberdLog(jid: string): { accepted: string[]; failed: string[] } {
  const text = readFileSync(join(lab().state.dir, 'ejabberd', 'logs', 'ejabberd.log'), 'utf8');
  return {
    accepted: [...text.matchAll(new RegExp(`Accepted c2s (\\S+) authentication for ${jid.replaceAll('.', '\\.')} `, 'g'))].map((m) => m[1]!),
    failed: [...text.matchAll(/Failed c2s (\S+) authentication from \S+: (.*)/g)].map((m) => `${m[1]}: ${m[2]}`),
  };
}

/** Logs are written asynchronously: poll until `cond` holds (or give up after 3 s). */
async function eventually<T>(read: () => T, cond: (t: T) => boolean): Promise<T> {
  for (let i = 0; ; i++) {
    const v = read();
    if (cond(v) || i >= 30) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const binds = (e: EndpointReport) => e.sasl?.canary?.attempts.filter((a) => a.purpose === 'bind') ?? [];
const boundOk = (e: EndpointReport) => binds(e).filter((a) => a.result.outcome === 'success').map((a) => `${a.bindingType}@${a.tlsVersion}`);

describe('SASL audit without a password: findings follow each server\'s configuration', () => {
  it('Prosody 0.12 (good): -PLUS only under TLS 1.2 (tls-unique); an info, since DANE-EE pins the key', async () => {
    const { d, r } = await check('good');
    assert.equal(r.exitCode, 0, summary(r));
    for (const e of clients(r)) {
      assert.deepEqual(e.sasl?.offers.map((o) => [o.tlsVersion, o.mechanisms.filter((m) => m.startsWith('SCRAM')).sort()]), [
        ['TLSv1.3', ['SCRAM-SHA-256']],
        ['TLSv1.2', ['SCRAM-SHA-256', 'SCRAM-SHA-256-PLUS']],
      ], e.label);
    }
    // An independent client sees the same lists under each version.
    const [t13, t12] = [await rawFeatures(d), await rawFeatures(d, 'TLSv1.2')];
    const e5223 = clients(r).find((e) => e.port === 5223)!;
    assert.deepEqual([t13.version, t13.mechanisms], [e5223.sasl!.offers[0]!.tlsVersion, e5223.sasl!.offers[0]!.mechanisms]);
    assert.deepEqual([t12.version, t12.mechanisms], [e5223.sasl!.offers[1]!.tlsVersion, e5223.sasl!.offers[1]!.mechanisms]);
    // Asked without a password (one endpoint per host): tls-unique passes, the others are refused, and so is "y".
    const run = clients(r).flatMap((e) => e.sasl?.probeRuns ?? []);
    assert.equal(run.length, 1);
    assert.deepEqual(Object.fromEntries(run[0]!.probes.map((p) => [p.subject, p.verdict])), { 'tls-server-end-point': 'refused', 'tls-unique': 'accepted', 'y-flag': 'refused' });
    const f = findingsOn(r, 'sasl.channel-binding-tls12-only');
    assert.deepEqual(f.flatMap((x) => x.endpoints).sort(), [label(d, 5222), label(d, 5223)]);
    assert.ok(f.every((x) => x.severity === 'info' && /DANE-EE/.test(x.detail)));
    assert.match(f[0]!.remediation!, /looks like Prosody 0\.12 or earlier.*Prosody 13.*tls-exporter/);
    assert.deepEqual(sasl(r).filter((x) => x.severity !== 'info').map((x) => x.code), []);
  });

  it('Prosody with -PLUS disabled in the VirtualHost (prosody-noplus): sasl.no-channel-binding (warning); exit 1', async () => {
    const cfg = readFileSync(join(lab().state.dir, 'prosody', 'prosody.cfg.lua'), 'utf8');
    const block = (host: string) => cfg.split(/\nVirtualHost /).find((b) => b.startsWith(`"${host}"`)) ?? '';
    assert.match(block('prosody-noplus.test'), /disable_sasl_mechanisms = \{ "DIGEST-MD5", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256-PLUS"/);
    assert.doesNotMatch(block('good.test'), /disable_sasl_mechanisms/);
    const { d, r } = await check('prosody-noplus');
    assert.equal(r.exitCode, 1, summary(r));
    assert.deepEqual(sasl(r).map((f) => `${f.code}:${f.severity}`), ['sasl.no-channel-binding:warning'], summary(r));
    assert.deepEqual(findingsOn(r, 'sasl.no-channel-binding')[0]!.endpoints.sort(), [label(d, 5222), label(d, 5223)]);
    assert.match(findingsOn(r, 'sasl.no-channel-binding')[0]!.remediation!, /disable_sasl_mechanisms/);
    for (const v of [undefined, 'TLSv1.2'] as const) assert.ok(!(await rawFeatures(d, v)).mechanisms.some((m) => m.endsWith('-PLUS')));
  });

  it('ejabberd 23.01: -PLUS under TLS 1.3 too, but only tls-unique passes there (binding-type-unusable) and "y" is not refused', async () => {
    const { d, r } = await check('ejabberd');
    assert.equal(r.exitCode, 0, summary(r));
    assert.ok((await rawFeatures(d)).mechanisms.includes('SCRAM-SHA-256-PLUS'), 'offered under TLS 1.3');
    const run13 = clients(r).flatMap((e) => e.sasl?.probeRuns ?? []).find((x) => x.tlsVersion === 'TLSv1.3')!;
    assert.deepEqual(Object.fromEntries(run13.probes.map((p) => [p.subject, p.verdict])), { 'tls-exporter': 'refused', 'tls-server-end-point': 'refused', 'tls-unique': 'accepted', 'y-flag': 'accepted' });
    assert.match(run13.probes[0]!.answer, /Invalid channel binding/);
    const f = findingsOn(r, 'sasl.binding-type-unusable');
    assert.deepEqual(f.flatMap((x) => x.endpoints).sort(), [label(d, 5222), label(d, 5223)]);
    assert.deepEqual(f[0]!.evidence.tls13Types, ['tls-unique']);
    assert.match(f[0]!.remediation!, /looks like ejabberd.*24\.02/);
    assert.equal(findingsOn(r, 'sasl.server-accepts-y')[0]?.severity, 'info', 'inferred without a password');
  });

  it('ejabberd with -PLUS disabled under host_config (ejabberd-noplus): sasl.no-channel-binding (warning); exit 1', async () => {
    const yml = readFileSync(join(lab().state.dir, 'ejabberd', 'ejabberd.yml'), 'utf8');
    assert.match(yml, /\n {2}"ejabberd-noplus\.test":\n(?: {4}.*\n)*? {4}disable_sasl_mechanisms: \["SCRAM-SHA-1-PLUS", "SCRAM-SHA-256-PLUS", "SCRAM-SHA-512-PLUS"\]/);
    const { d, r } = await check('ejabberd-noplus');
    assert.equal(r.exitCode, 1, summary(r));
    assert.deepEqual(sasl(r).map((f) => `${f.code}:${f.severity}`), ['sasl.no-channel-binding:warning'], summary(r));
    assert.ok(!(await rawFeatures(d, 'TLSv1.2')).mechanisms.some((m) => m.endsWith('-PLUS')));
    assert.match(findingsOn(r, 'sasl.no-channel-binding')[0]!.remediation!, /looks like ejabberd.*host_config/);
  });

  it('stolen key, no canary: every key matches its TLSA record and nothing about keys or TLS is flagged', async () => {
    const { d, r } = await check('stolen-key');
    for (const e of r.endpoints) {
      assert.equal(e.probe?.tls?.leaf.spkiSha256, d.keys.server.spkiSha256, e.label);
      assert.equal(e.daneVerdict?.verdict, 'match', e.label);
      assert.notEqual(e.anonymous?.outcome, 'accepted', e.label);
    }
    const serious = r.findings.filter((f) => f.severity !== 'info' && f.severity !== 'ok');
    assert.deepEqual(serious.filter((f) => /^(dane|tls)\./.test(f.code)).map((f) => f.code), [], summary(r));
    assert.ok(r.exitCode < 2, `only the canary can see this interception: ${summary(r)}`);
  });

  it('-PLUS stripped on 5222 only (plus-stripped): the lists differ under TLS 1.2 — critical', async () => {
    const { d, r } = await check('plus-stripped');
    const f = findingsOn(r, 'sasl.mechanisms-differ');
    assert.equal(f.length, 1, summary(r));
    assert.equal(f[0]!.severity, 'critical');
    assert.equal(f[0]!.evidence.tlsVersion, 'TLSv1.2');
    assert.deepEqual(f[0]!.endpoints.sort(), [label(d, 5222), label(d, 5223)]);
    assert.match(f[0]!.detail, new RegExp(`^${label(d, 5222).replace(/[.()]/g, '\\$&')} offers no SCRAM-\\*-PLUS while other endpoints do`));
  });
});

describe('canary logins', () => {
  for (const name of ['good', 'ejabberd'] as const) {
    it(`${name}: binds with tls-unique under TLS 1.2 on STARTTLS and direct TLS, never with tls-unique under TLS 1.3; the server's log agrees`, async () => {
      const d = lab().domain(name);
      const before = name === 'good' ? prosodyAuthSessions(d.account.jid).length : ejabberdLog(d.account.jid).accepted.filter((m) => m.endsWith('-PLUS')).length;
      const { r } = await check(name, { canary: canaryOf(d) });
      const cs = clients(r);
      assert.deepEqual(cs.map((e) => e.protocol).sort(), ['xmpp-c2s', 'xmpps-c2s']);
      for (const e of cs) {
        assert.deepEqual(boundOk(e), ['tls-unique@TLSv1.2'], `${e.label}: ${JSON.stringify(e.sasl?.canary)}`);
        assert.ok(!binds(e).some((a) => a.bindingType === 'tls-unique' && a.tlsVersion === 'TLSv1.3'), 'tls-unique is never used on TLS 1.3');
        // The other types are refused before any proof: unsupported, not failed.
        for (const a of binds(e).filter((x) => x.result.outcome !== 'success')) assert.ok(a.result.outcome === 'failure' && a.result.stage === 'client-first', JSON.stringify(a));
      }
      assert.deepEqual(findingsOn(r, 'sasl.channel-binding-verified').flatMap((f) => f.endpoints).sort(), cs.map((e) => e.label).sort());
      assert.ok(!r.findings.some((f) => f.severity === 'critical' || f.severity === 'error'), summary(r));
      if (name === 'good') {
        // Prosody refuses "y" where it offers -PLUS (TLS 1.2): RFC 5802 §6 done right; exit 0.
        assert.ok(cs.every((e) => e.sasl?.canary?.attempts.some((a) => a.purpose === 'y-test' && a.result.outcome === 'failure')));
        assert.equal(r.exitCode, 0, summary(r));
        // Its log: new authenticated sessions for the canary, those under TLS 1.2 being the bound ones.
        const sessions = await eventually(() => prosodyAuthSessions(d.account.jid), (s) => s.length >= before + 4);
        const added = sessions.slice(before);
        assert.ok(added.filter((s) => s.tls === 'TLSv1.2').length >= 2, JSON.stringify(added));
      } else {
        // ejabberd 23.01 lets "y" through although it offers -PLUS: confirmed now, a warning.
        const y = findingsOn(r, 'sasl.server-accepts-y');
        assert.equal(y[0]?.severity, 'warning', summary(r));
        assert.equal(r.exitCode, 1);
        const log = await eventually(() => ejabberdLog(d.account.jid), (l) => l.accepted.filter((m) => m.endsWith('-PLUS')).length >= before + 2);
        assert.ok(log.accepted.filter((m) => m === 'SCRAM-SHA-256-PLUS').length >= before + 2, 'ejabberd logged the two bound logins as SCRAM-SHA-256-PLUS');
      }
    });
  }

  it('stolen key: the canary\'s tls-unique binding fails at both client endpoints — critical, with evidence — while no key finding appears', async () => {
    const d = lab().domain('stolen-key');
    const { r } = await check('stolen-key', { canary: canaryOf(d) });
    assert.equal(r.exitCode, 2, summary(r));
    const f = findingsOn(r, 'sasl.channel-binding-failed');
    assert.deepEqual(f.flatMap((x) => x.endpoints).sort(), [label(d, 5222), label(d, 5223)], summary(r));
    assert.ok(f.every((x) => x.severity === 'critical' && x.remediation));
    const ev = f[0]!.evidence as { failed: Array<{ bindingType: string; tlsVersion: string; bindingSha256: string; answer: string }>; passwordProvenBy: { tlsVersion: string } };
    assert.deepEqual([ev.failed[0]!.bindingType, ev.failed[0]!.tlsVersion], ['tls-unique', 'TLSv1.2']);
    assert.match(ev.failed[0]!.bindingSha256, /^[0-9a-f]{64}$/);
    assert.match(ev.failed[0]!.answer, /client-final: <malformed-request\/> "Invalid channel binding value\."/);
    assert.equal(ev.passwordProvenBy.tlsVersion, 'TLSv1.3', 'the same password logged in where nothing could be bound');
    // The key comparison sees nothing: every endpoint matches its TLSA record.
    assert.ok(r.endpoints.every((e) => e.daneVerdict?.verdict === 'match'));
    assert.deepEqual(r.findings.filter((x) => /^(dane|tls)\./.test(x.code) && x.severity !== 'info').map((x) => x.code), []);
    // Prosody's own log: the canary never authenticated over a TLS 1.2 session (the binding failed
    // each time), only over the TLS 1.3 ones where it could not bind.
    const sessions = await eventually(() => prosodyAuthSessions(d.account.jid), (s) => s.length >= 2);
    assert.ok(sessions.length >= 2);
    assert.deepEqual([...new Set(sessions.map((s) => s.tls))], ['TLSv1.3'], JSON.stringify(sessions));
  });

  it('plus-stripped: the server refuses the canary\'s "y" on 5222 (it supports binding): downgrade detected; 5223 binds', async () => {
    const d = lab().domain('plus-stripped');
    const { r } = await check('plus-stripped', { canary: canaryOf(d) });
    const f = findingsOn(r, 'sasl.downgrade-detected');
    assert.deepEqual(f.map((x) => [x.severity, x.endpoints]), [['critical', [label(d, 5222)]]], summary(r));
    assert.equal((f[0]!.evidence as { method: string }).method, 'y-refused');
    assert.deepEqual(findingsOn(r, 'sasl.channel-binding-verified').flatMap((x) => x.endpoints), [label(d, 5223)]);
    assert.equal(findingsOn(r, 'sasl.channel-binding-failed').length, 0, 'stripping is not a binding failure');
  });

  it('an account configured for -PLUS on a server without it: a downgrade, never a fallback; without the requirement, the "y" refusal is a warning', async () => {
    const d = lab().domain('prosody-noplus');
    const { r } = await check('prosody-noplus', { canary: { ...canaryOf(d), requirePlus: true } });
    const f = findingsOn(r, 'sasl.downgrade-detected');
    assert.deepEqual(f.flatMap((x) => x.endpoints).sort(), [label(d, 5222), label(d, 5223)], summary(r));
    assert.ok(f.every((x) => x.severity === 'critical' && (x.evidence as { method: string }).method === 'canary-requires-plus'));
    // Nothing with -PLUS was attempted: it was not offered, and keywatch does not invent it.
    assert.ok(clients(r).every((e) => binds(e).length === 0));
    const { r: plain } = await check('prosody-noplus', { canary: canaryOf(d) });
    assert.deepEqual(findingsOn(plain, 'sasl.y-flag-refused').map((x) => x.severity), ['warning'], summary(plain));
    assert.equal(plain.exitCode, 1);
  });

  it('a wrong password: canary-login-failed (error), never a binding failure', async () => {
    const d = lab().domain('good');
    const { r } = await check('good', { canary: { jid: d.account.jid, password: `${d.account.password}x` } });
    assert.deepEqual(findingsOn(r, 'sasl.canary-login-failed').flatMap((f) => f.endpoints).sort(), [label(d, 5222), label(d, 5223)], summary(r));
    assert.equal(findingsOn(r, 'sasl.channel-binding-failed').length, 0);
  });
});

describe('keywatch check --canary on the command line', () => {
  const args = (domain: string, ...more: string[]) => ['check', domain, ...labDnsArgs(lab().state), '--ca-file', lab().state.ca.rootFile, '--allow-private', '--stream-ids', '0', ...more];

  it('password from KEYWATCH_CANARY_PASSWORD: the stolen key is critical; the password appears nowhere in the output', async () => {
    const d = lab().domain('stolen-key');
    for (const json of [false, true]) {
      const r = await runKeywatch(args(d.domain, '--canary', d.account.jid, ...(json ? ['--json'] : [])), { KEYWATCH_CANARY_PASSWORD: d.account.password });
      assert.equal(r.status, 2, r.stderr);
      assert.ok(!`${r.stdout}${r.stderr}`.includes(d.account.password));
      if (json) assert.ok((JSON.parse(r.stdout) as Report).findings.some((f) => f.code === 'sasl.channel-binding-failed'));
      else assert.match(r.stdout, /CRITICAL sasl\.channel-binding-failed/);
    }
  });

  it('password from --canary-password-file; good stays OK', async () => {
    const d = lab().domain('good');
    const dir = mkdtempSync(join(tmpdir(), 'keywatch-canary-cli-'));
    try {
      const file = join(dir, 'pw');
      writeFileSync(file, `${d.account.password}\n`, { mode: 0o600 });
      const r = await runKeywatch(args(d.domain, '--canary', d.account.jid, '--canary-password-file', file), { KEYWATCH_CANARY_PASSWORD: '' });
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /canary TLSv1\.2 SCRAM-SHA-256-PLUS tls-unique: logged in, server signature verified/);
      assert.ok(!r.stdout.includes(d.account.password));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('no password anywhere, or a JID of another domain: exit 3, one line, before any connection', async () => {
    const d = lab().domain('good');
    for (const extra of [['--canary', d.account.jid], ['--canary', 'canary@other.test'], ['--canary-require-plus']]) {
      const r = await runKeywatch(args(d.domain, ...extra), { KEYWATCH_CANARY_PASSWORD: '' });
      assert.equal(r.status, 3, r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
});
