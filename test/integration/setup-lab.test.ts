// The setup assistant end to end against the real lab: the records `keywatch records` prints,
// published into a zone (signed again, nsd reloaded), turn the check from "TLSA missing" to
// matching keys; the DNSSEC readiness of each lab zone state, with the DS an independent tool
// (ldns-key2ds) computes; and a DANE rollover walked with 2-second TTLs, where no step raises a
// MITM alert and every early look says "not yet safe" with the time left.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { useLab } from '../lab/fixture.ts';
import { resignZone, swapProsodyCertificate, zoneRecords } from '../lab/mutate.ts';
import { kdig } from '../lab/judges.ts';
import { labDnsArgs, runKeywatch } from '../helpers/keywatch-cli.ts';
import { runCheck } from '../../src/audit/check.ts';
import type { Report } from '../../src/audit/report.ts';
import { makeValidator } from '../../src/dns/resolver.ts';
import { dnssecReadiness } from '../../src/setup/dnssec-readiness.ts';

const lab = useLab();
let tmp: string;
before(() => (tmp = mkdtempSync(join(tmpdir(), 'keywatch-setup-'))));
after(() => rmSync(tmp, { recursive: true, force: true }));

function validator() {
  const { state } = lab();
  return makeValidator({ resolvers: [`${state.resolver.address}:${state.resolver.port}`], trustAnchor: state.trustAnchor.ds });
}

async function check(domain: string): Promise<Report> {
  return runCheck({ domain, service: 'xmpp', validator: validator().validator, caFile: lab().state.ca.rootFile, allowPrivate: true, extraHandshakes: false });
}

const cli = (args: string[]) => runKeywatch([...args, ...labDnsArgs(lab().state), '--ca-file', lab().state.ca.rootFile, '--allow-private']);
/** The zone-file lines of a records run (comments and blank lines dropped, trailing comments cut). */
const zoneLines = (out: string) => out.split('\n').filter((l) => l && !l.startsWith(';')).map((l) => l.replace(/\s*;.*$/, ''));
const serious = (r: Report, prefix: RegExp) => r.findings.filter((f) => prefix.test(f.code) && f.severity !== 'info' && f.severity !== 'ok');
const mitmCodes = ['dane.key-differs-on-path', 'dane.tlsa-mismatch', 'dane.tlsa-stale', 'tls.key-differs-between-endpoints'];

describe('keywatch records → publish → check', () => {
  it('the printed records, published as they are, turn "TLSA missing" into matching keys on every endpoint', async () => {
    const { state } = lab();
    const d = lab().domain('setup');
    const original = zoneRecords(state, d.domain);
    try {
      const before = await check(d.domain);
      assert.ok(before.findings.some((f) => f.code === 'dane.tlsa-missing'), 'TLSA missing before');

      const run = await cli(['records', d.domain]);
      assert.equal(run.status, 1, `records to add → exit 1\n${run.stdout}${run.stderr}`);
      assert.match(run.stdout, /DNSSEC setup\.test: secure/);
      const lines = zoneLines(run.stdout);
      // RFC 7673: the owner is the SRV target's _port._tcp, one per port; 3 1 1 of the served key, 2 1 1 of the issuer.
      const want = [5222, 5223, 5269].flatMap((port) => [
        `_${port}._tcp.${d.host}. 3600 IN TLSA 3 1 1 ${d.keys.server.spkiSha256}`,
        `_${port}._tcp.${d.host}. 3600 IN TLSA 2 1 1 ${state.ca.intermediateSpkiSha256}`,
      ]);
      assert.deepEqual(lines.sort(), want.sort());

      await resignZone(state, d.domain, (recs) => [...recs, ...lines]);
      // nsd serves exactly what was printed (kdig, an independent client).
      const served = await kdig(state.authoritative, `_5222._tcp.${d.host}`, 'TLSA');
      assert.deepEqual(served.answers.map((a) => a.toLowerCase()).sort(), [`2 1 1 ${state.ca.intermediateSpkiSha256}`, `3 1 1 ${d.keys.server.spkiSha256}`].sort());

      const after = await check(d.domain);
      assert.deepEqual(serious(after, /^(dane|tlsa|dnssec)\./), [], after.findings.map((f) => `${f.severity} ${f.code}`).join('\n'));
      for (const e of after.endpoints) assert.equal(e.daneVerdict?.verdict, 'match', e.label);

      const again = await cli(['records', d.domain]);
      assert.equal(again.status, 0, `nothing left to add → exit 0\n${again.stdout}`);
      assert.doesNotMatch(again.stdout, /; ADD/);
    } finally {
      await resignZone(state, d.domain, () => original);
    }
  });

  it('--format nsupdate adds only what is missing; --json has the plan; a bad --cert is one clear line', async () => {
    const d = lab().domain('good');
    const nsupdate = await cli(['records', d.domain, '--format', 'nsupdate']);
    assert.equal(nsupdate.status, 0, nsupdate.stdout);
    assert.deepEqual(nsupdate.stdout.split('\n').filter((l) => l && !l.startsWith(';')), ['send'], 'good.test publishes everything already');

    const next = await cli(['records', d.domain, '--format', 'nsupdate', '--next-key', lab().domain('rollover').keys.next!.keyFile]);
    const adds = next.stdout.split('\n').filter((l) => l.startsWith('update add'));
    assert.equal(adds.length, 3, next.stdout);
    assert.ok(adds.every((l) => l.endsWith(`IN TLSA 3 1 1 ${lab().domain('rollover').keys.next!.spkiSha256}`)));

    const json = await cli(['records', d.domain, '--json']);
    const parsed = JSON.parse(json.stdout) as { schema: string; owners: Array<{ owner: string; records: Array<{ published: boolean }> }>; dnssec: Array<{ state: string }> };
    assert.equal(parsed.schema, 'keywatch.records/1');
    assert.equal(parsed.owners.length, 3);
    assert.ok(parsed.owners.every((o) => o.records.every((r) => r.published)));
    assert.deepEqual(parsed.dnssec.map((x) => x.state), ['secure']);

    const bad = await cli(['records', d.domain, '--cert', join(tmp, 'missing.pem')]);
    assert.equal(bad.status, 3);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    assert.match(bad.stderr, /--cert .*missing\.pem: no such file/);
  });

  it('--cert: records for a certificate not deployed yet, without probing', async () => {
    const d = lab().domain('good');
    const next = lab().domain('rollover').keys.next!;
    const run = await cli(['records', d.domain, '--cert', next.chainFile, '--no-issuer']);
    const lines = zoneLines(run.stdout);
    assert.equal(lines.length, 3);
    assert.ok(lines.every((l) => l.endsWith(`300 IN TLSA 3 1 1 ${next.spkiSha256}`)), 'the published RRset\'s TTL, the file\'s key');
    assert.match(run.stdout, /published, matches no key keywatch saw: .*3 1 1 /, 'the deployed key is not among the given ones');
  });
});

describe('DNSSEC readiness of each lab zone', () => {
  /** ldns-key2ds on the zone's KSK file: the DS a registrar needs, from an independent tool. */
  function ldnsDs(zone: string): string {
    const zdir = join(lab().state.dir, 'zones', zone);
    const ksk = readdirSync(zdir).find((f) => f.endsWith('.ds'))!.replace(/\.ds$/, '.key');
    const line = execFileSync('ldns-key2ds', ['-n', '-2', ksk], { cwd: zdir, encoding: 'utf8' }).trim().split(/\s+/);
    return `${line[4]} ${line[5]} ${line[6]} ${line[7]!.toUpperCase()}`;
  }

  it('tells unsigned, signed without DS (with the DS to hand over), DS mismatch, secure, bogus and unsupported apart', async () => {
    const { validator: v } = validator();
    const r = async (domain: string) => dnssecReadiness(v, domain);
    const cases: Array<[string, string]> = [
      ['xmpp.good.test', 'secure'],
      ['unsigned.test', 'unsigned'],
      ['www.nods.test', 'signed-no-ds'],
      ['www.badds.test', 'ds-mismatch'],
      ['expired.test', 'bogus'],
      ['unknownalg.test', 'ds-unsupported'],
      ['www.child.optout.test', 'unsigned'],
    ];
    for (const [domain, state] of cases) assert.equal((await r(domain)).state, state, domain);

    const nods = await r('www.nods.test');
    assert.equal(nods.zone, 'nods.test.');
    assert.equal(nods.selfSigned, true);
    const ds = nods.keys.filter((k) => k.sep).map((k) => k.ds.split(' ').slice(4).join(' '));
    assert.deepEqual(ds, [ldnsDs('nods.test')]);
    assert.match(nods.action!, new RegExp(ldnsDs('nods.test')));

    const badds = await r('www.badds.test');
    assert.match(badds.action!, new RegExp(`Replace the DS[\\s\\S]*${ldnsDs('badds.test')}`));
    assert.deepEqual(badds.parentDs.map((x) => x.status), ['digest-mismatch']);
  });

  it('the check links to it: dnssec.unsigned carries the DS for a signed zone without one, TLSA findings name keywatch records', async () => {
    const nods = await check('www.nods.test');
    const f = nods.findings.find((x) => x.code === 'dnssec.unsigned');
    assert.ok(f, nods.findings.map((x) => x.code).join(', '));
    assert.match(f.title, /nods\.test is signed, but its parent publishes no DS/);
    assert.ok(f.remediation?.includes(`nods.test. 3600 IN DS ${ldnsDs('nods.test')}`), f.remediation);
    assert.equal((f.evidence as { readiness: string }).readiness, 'signed-no-ds');

    const unsigned = await check('unsigned.test');
    assert.match(unsigned.findings.find((x) => x.code === 'dnssec.unsigned')?.remediation ?? '', /Sign the zone/);

    const notlsa = await check(lab().domain('notlsa').domain);
    assert.match(notlsa.findings.find((x) => x.code === 'dane.tlsa-missing')?.remediation ?? '', /keywatch records notlsa\.test prints the complete TLSA RRset/);
  });

  it('the CLI puts readiness first: NOT SIGNED for unsigned.test, with what to do', async () => {
    const run = await cli(['records', 'unsigned.test']);
    assert.equal(run.status, 1);
    assert.match(run.stdout, /; DNSSEC unsigned\.test: NOT SIGNED\./);
    assert.match(run.stdout, /Sign the zone/);
    assert.match(run.stdout, /WARNING: DANE does not apply/);
  });
});

describe('keywatch rollover: the DANE rollover with 2-second TTLs', () => {
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('walks publish, wait, swap, wait, withdraw: no step raises a MITM alert, every early look says "not yet safe" with the time left', async () => {
    const { state } = lab();
    const d = lab().domain('rollover');
    const next = d.keys.next!;
    const original = zoneRecords(state, d.domain);
    const stateFile = join(tmp, 'rollover.json');
    const rollover = () => cli(['rollover', d.domain, '--next-cert', next.chainFile, '--state', stateFile]);
    const noAlarm = async (when: string) => {
      const r = await check(d.domain);
      const alarms = r.findings.filter((f) => mitmCodes.includes(f.code) || f.severity === 'critical');
      assert.deepEqual(alarms, [], `${when}: ${r.findings.map((f) => `${f.severity} ${f.code}`).join(', ')}`);
      return r;
    };
    try {
      await noAlarm('before');
      // 1. publish
      let run = await rollover();
      assert.equal(run.status, 0, run.stdout + run.stderr);
      assert.match(run.stdout, /NOW\s+1\. publish/);
      const add = run.stdout.split('\n').filter((l) => /^\s+_\d+\._tcp\..* IN TLSA 3 1 1 /.test(l)).map((l) => l.trim());
      assert.equal(add.length, 3);
      assert.ok(add.every((l) => l.endsWith(next.spkiSha256) && / 2 IN TLSA /.test(l)), 'the RRset TTL (2 s) and the next key');
      await resignZone(state, d.domain, (recs) => [...recs, ...add]);
      await noAlarm('after publishing the next key');

      // 2. too early to swap: not yet safe, with the time left
      run = await rollover();
      assert.equal(run.status, 1, run.stdout);
      assert.match(run.stdout, /WAIT\s+2\. wait two TTLs.*not yet safe: [1-4] s left/);
      await sleep(4500);
      run = await rollover();
      assert.equal(run.status, 0, run.stdout);
      assert.match(run.stdout, /NOW\s+3\. deploy the new certificate/);

      // 3. swap: the new key is published, so the check sees no interception
      await swapProsodyCertificate(state, d.domain, next, d.address);
      const swapped = await noAlarm('after the swap');
      assert.ok(swapped.endpoints.every((e) => e.probe?.tls?.leaf.spkiSha256 === next.spkiSha256), 'Prosody serves the new key everywhere');

      // 4. too early to withdraw
      run = await rollover();
      assert.equal(run.status, 1, run.stdout);
      assert.match(run.stdout, /WAIT\s+4\. wait two TTLs after the swap.*not yet safe: [1-4] s left/);
      await sleep(4500);
      run = await rollover();
      assert.equal(run.status, 0, run.stdout);
      assert.match(run.stdout, /NOW\s+5\. withdraw/);
      const remove = run.stdout.split('\n').filter((l) => /^\s+_\d+\._tcp\..* IN TLSA 3 1 1 /.test(l)).map((l) => l.trim());
      assert.equal(remove.length, 3);
      assert.ok(remove.every((l) => l.endsWith(d.keys.server.spkiSha256)), 'the old key goes');

      // 5. withdraw
      await resignZone(state, d.domain, (recs) => recs.filter((r) => !r.includes(d.keys.server.spkiSha256)));
      await noAlarm('after withdrawing the old key');
      run = await rollover();
      assert.equal(run.status, 0, run.stdout);
      assert.match(run.stdout, /rollover is complete/);
    } finally {
      await swapProsodyCertificate(state, d.domain, d.keys.server, d.address);
      await resignZone(state, d.domain, () => original);
    }
  });

  it('swapping before the wait is over is flagged (exit 2) with the time until caches catch up', async () => {
    const { state } = lab();
    const d = lab().domain('rollover');
    const next = d.keys.next!;
    const original = zoneRecords(state, d.domain);
    const stateFile = join(tmp, 'early.json');
    const rollover = () => cli(['rollover', d.domain, '--next-key', next.keyFile, '--state', stateFile]);
    try {
      await rollover();
      await resignZone(state, d.domain, (recs) => [...recs, ...['5222', '5223', '5269'].map((p) => `_${p}._tcp.${d.host}. 2 IN TLSA 3 1 1 ${next.spkiSha256}`)]);
      let run = await rollover();
      assert.equal(run.status, 1, run.stdout);
      await swapProsodyCertificate(state, d.domain, next, d.address);
      run = await rollover();
      assert.equal(run.status, 2, run.stdout);
      assert.match(run.stdout, /PROBLEM .*before two TTLs/);
    } finally {
      await swapProsodyCertificate(state, d.domain, d.keys.server, d.address);
      await resignZone(state, d.domain, () => original);
    }
  });

  it('without a next key, or with a damaged state file: one clear line, exit 3', async () => {
    const d = lab().domain('rollover');
    const none = await cli(['rollover', d.domain]);
    assert.equal(none.status, 3);
    assert.match(none.stderr, /--next-key FILE/);
    const file = join(tmp, 'damaged.json');
    writeFileSync(file, '{ not json');
    const damaged = await cli(['rollover', d.domain, '--next-key', d.keys.next!.keyFile, '--state', file]);
    assert.equal(damaged.status, 3);
    assert.match(damaged.stderr, /not valid JSON.*--forget/);
  });
});
