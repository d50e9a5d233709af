// The CAA report: findings (codes, severities, remediations), the exit code, the recommended
// record set, and that every code keywatch can emit is documented in docs/FINDINGS.md.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { caaRawFromText } from '../../../src/caa/record.ts';
import { ACCOUNT_PLACEHOLDER } from '../../../src/caa/recommend.ts';
import { runCaa, type CaaOptions, type CaaReport } from '../../../src/caa/report.ts';
import { renderCaaReport } from '../../../src/caa/render.ts';
import { fakeLookup, type FakeName } from './fake-dns.ts';

const LE = 'https://acme-v02.api.letsencrypt.org/acme/acct/123456';
const PINNED = [`0 issue "letsencrypt.org; accounturi=${LE}; validationmethods=dns-01"`, '0 issuewild ";"', '0 iodef "mailto:security@example.org"'];

const seen = new Set<string>();
async function report(zone: Record<string, FakeName>, opts: CaaOptions = {}, domain = 'example.org'): Promise<CaaReport> {
  const r = await runCaa(domain, fakeLookup(zone), opts);
  for (const f of r.findings) {
    seen.add(f.code);
    if (f.severity !== 'info' && f.severity !== 'ok') assert.ok(f.remediation, `${f.code} above info without a remediation`);
  }
  // The text rendering never throws and names every finding.
  const text = renderCaaReport(r, { color: false });
  for (const f of r.findings) assert.ok(text.includes(f.code));
  return r;
}
const codes = (r: CaaReport) => r.findings.map((f) => `${f.severity} ${f.code}`).sort();

describe('findings and exit codes', () => {
  it('a pinned, signed set with issuewild and iodef: no findings, exit 0', async () => {
    const r = await report({ 'example.org': { records: PINNED } });
    assert.deepEqual(codes(r), []);
    assert.deepEqual([r.status, r.exitCode, r.schema], ['ok', 0, 'keywatch.caa-report/1']);
    assert.equal(r.policy!.pinned, true);
    assert.equal(r.evaluation.name.allowed, true);
    assert.deepEqual(r.evaluation.name.conditions, [`only to account ${LE}`, 'only by dns-01'], 'no account given: the conditions are named');
    assert.equal(r.evaluation.wildcard.allowed, false);
  });

  it('no CAA anywhere: caa.none (warning) with the recommended set and how to find the account URL', async () => {
    const r = await report({});
    assert.deepEqual(codes(r), ['warning caa.none']);
    assert.equal(r.exitCode, 1);
    const f = r.findings[0]!;
    assert.match(f.detail, /jabber\.ru/);
    assert.match(f.remediation!, new RegExp(`example\\.org\\. 3600 IN CAA 0 issue "letsencrypt\\.org; accounturi=${ACCOUNT_PLACEHOLDER}"`));
    assert.match(f.remediation!, /certbot show_account/);
    assert.equal(r.recommended.complete, false);
  });

  it('issue without accounturi: caa.accounturi-missing, and the fix pins the given account', async () => {
    const r = await report({ 'example.org': { records: ['0 issue "letsencrypt.org"', '0 issuewild ";"', '0 iodef "mailto:a@example.org"'] } }, { accountUri: LE });
    assert.deepEqual(codes(r), ['warning caa.accounturi-missing']);
    assert.match(r.findings[0]!.remediation!, new RegExp(`example\\.org\\. 300 IN CAA 0 issue "letsencrypt\\.org; accounturi=${LE.replaceAll('/', '\\/')}"`));
    assert.equal(r.recommended.complete, true);
  });

  it('info only: issuewild missing, iodef missing, http-01 only — exit 0', async () => {
    const r = await report({ 'example.org': { records: [`0 issue "letsencrypt.org; accounturi=${LE}; validationmethods=http-01"`] } });
    assert.deepEqual(codes(r), ['info caa.iodef-missing', 'info caa.issuewild-missing', 'info caa.validation-interceptable']);
    assert.equal(r.exitCode, 0);
  });

  it('unsigned: caa.unsigned (warning) naming where DNSSEC ends', async () => {
    const r = await report({ 'example.org': { records: PINNED, security: 'insecure' } });
    assert.deepEqual(codes(r), ['warning caa.unsigned']);
    assert.match(r.findings[0]!.detail, /The lookup at example\.org\. is unsigned \(DNSSEC ends at/);
    assert.match(r.findings[0]!.detail, /RFC 8657 §5\.6/);
  });

  it('bogus: caa.bogus (error), exit 2; failed: caa.lookup-failed, status unknown, exit 3', async () => {
    const bogus = await report({ 'example.org': { security: 'bogus' } });
    assert.deepEqual(codes(bogus), ['error caa.bogus']);
    assert.deepEqual([bogus.exitCode, bogus.evaluation.name.allowed], [2, false]);
    const failed = await report({ 'example.org': { security: 'indeterminate' } });
    assert.deepEqual(codes(failed), ['warning caa.lookup-failed']);
    assert.deepEqual([failed.status, failed.exitCode, failed.evaluation.name.allowed], ['unknown', 3, null]);
  });

  it('only iodef and a misspelt tag: caa.no-restriction and caa.unknown-tag (warning, with the guess)', async () => {
    const r = await report({ 'example.org': { records: ['0 iodef "mailto:a@example.org"', '0 isue "letsencrypt.org"'] } });
    assert.deepEqual(codes(r), ['warning caa.no-restriction', 'warning caa.unknown-tag']);
    assert.match(r.findings.find((f) => f.code === 'caa.unknown-tag')!.remediation!, /CAA 0 issue "letsencrypt\.org"/);
  });

  it('a critical unknown tag: error; the fix republishes it without the flag', async () => {
    const r = await report({ 'example.org': { records: [...PINNED, '128 tbs "Unknown"'] } });
    assert.deepEqual(codes(r), ['error caa.critical-unknown-tag']);
    assert.match(r.findings[0]!.remediation!, /example\.org\. 300 IN CAA 0 tbs "Unknown"/);
    const optional = await report({ 'example.org': { records: [...PINNED, '128 contactemail "a@example.org"'] } });
    assert.deepEqual(codes(optional), ['warning caa.critical-unknown-tag']);
  });

  it('malformed and invalid parameters: errors with corrected records', async () => {
    const r = await report({
      'example.org': {
        records: [`0 issue "letsencrypt.org; accounturi=${LE};"`, `0 issue "letsencrypt.org; accounturi=${LE}; accounturi=https://acme-v02.api.letsencrypt.org/acme/acct/9"`, '0 issuewild "letsencrypt.org; validationmethods=dns-01, http-01"', '0 iodef "mailto:a@example.org"'],
      },
    });
    assert.deepEqual(codes(r), ['error caa.accounturi-invalid', 'error caa.malformed']);
    assert.equal(r.findings.find((f) => f.code === 'caa.malformed')!.evidence.records instanceof Array, true);
    const fix = (code: string) => r.findings.find((f) => f.code === code)!.remediation!;
    assert.match(fix('caa.malformed'), new RegExp(`CAA 0 issue "letsencrypt\\.org; accounturi=${LE.replaceAll('/', '\\/')}"\\n`));
    assert.match(fix('caa.accounturi-invalid'), /acct\/123456"\n.*acct\/9"$/s);
    // every line a fix proposes is CAA rdata that parses back
    for (const f of r.findings) for (const l of (f.remediation ?? '').split('\n').filter((x) => x.includes(' IN CAA '))) caaRawFromText(l.split(' IN CAA ')[1]!);
  });

  it('validationmethods repeated: caa.validationmethods-invalid with the merged list', async () => {
    const r = await report({ 'example.org': { records: [`0 issue "letsencrypt.org; accounturi=${LE}; validationmethods=dns-01; validationmethods=http-01"`, '0 issuewild ";"', '0 iodef "mailto:a@example.org"'] } });
    assert.deepEqual(codes(r), ['error caa.validationmethods-invalid']);
    assert.match(r.findings[0]!.remediation!, /validationmethods=dns-01,http-01"/);
  });

  it('lower case, reserved flags, bad iodef, unknown method labels', async () => {
    const r = await report({ 'example.org': { records: [`0 issue "LetsEncrypt.org; accounturi=${LE}; validationmethods=dns-01,foo-99"`, '0 issuewild ";"', '1 iodef "ftp://x.example"'] } });
    assert.deepEqual(codes(r), ['info caa.validationmethods-unknown', 'warning caa.iodef-invalid', 'warning caa.not-lowercase', 'warning caa.reserved-flags']);
  });

  it('the CA you named is not listed: caa.ca-not-authorised (error); not named: no error, and issue ";" is info', async () => {
    const set = ['0 issue "pki.goog"', '0 issuewild ";"', '0 iodef "mailto:a@example.org"'];
    const named = await report({ 'example.org': { records: set } }, { ca: 'letsencrypt.org', explicit: true });
    assert.ok(codes(named).includes('error caa.ca-not-authorised'));
    assert.equal(named.exitCode, 2);
    const unnamed = await report({ 'example.org': { records: set } });
    assert.ok(!codes(unnamed).includes('error caa.ca-not-authorised'));
    const none = await report({ 'example.org': { records: ['0 issue ";"'] } });
    assert.ok(codes(none).includes('info caa.no-issuance'));
    const wrongAccount = await report({ 'example.org': { records: PINNED } }, { accountUri: 'https://acme-v02.api.letsencrypt.org/acme/acct/999', explicit: true });
    assert.deepEqual(codes(wrongAccount), ['error caa.ca-not-authorised']);
    assert.equal(wrongAccount.evaluation.name.basis, 'account');
  });

  it('a wildcard wanted but refused by issuewild ";": error when asked for', async () => {
    const r = await report({ 'example.org': { records: PINNED } }, { accountUri: LE, wildcard: true, explicit: true });
    assert.deepEqual(codes(r), ['error caa.ca-not-authorised']);
    assert.equal(r.findings[0]!.evidence.name, '*.example.org');
  });

  it('the set reached through a CNAME: caa.via-alias (info)', async () => {
    const r = await report({ 'example.org': { cname: 'example.hoster.example' }, 'example.hoster.example': { records: PINNED } });
    assert.deepEqual(codes(r), ['info caa.via-alias']);
  });
});

describe('the recommended record set', () => {
  it('a published set that already is the recommendation: nothing to change, wherever it is', async () => {
    const r = await report({ 'example.org': { records: PINNED } }, {}, 'xmpp.example.org');
    assert.equal(r.recommended.matchesPublished, true);
    assert.deepEqual(r.recommended.notes, ['The records at example.org. already are this set: nothing to change.']);
    assert.match(renderCaaReport(r, { color: false }), /Recommended CAA records: as published\n {2}- The records at example\.org\. already/);
  });

  it('without --ca, the CA the published set names is the one judged and kept (not the default)', async () => {
    const r = await report({ 'example.org': { records: ['0 issue "pki.goog"'] } });
    assert.equal(r.request.ca, 'pki.goog');
    assert.equal(r.evaluation.name.allowed, true);
    assert.match(r.recommended.records[0]!.line, /CAA 0 issue "pki\.goog; accounturi=<ACCOUNT-URL>"$/);
    assert.ok(!r.recommended.zone.includes('letsencrypt.org'));
    const byAccount = await report({ 'example.org': { records: ['0 issue "letsencrypt.org"'] } }, { accountUri: 'https://dv.acme-v02.api.pki.goog/account/abc' });
    assert.equal(byAccount.request.ca, 'pki.goog', 'the account URL names its CA');
  });

  it('defaults: Let\'s Encrypt, placeholder account, no wildcards, no methods restriction, TTL 3600', async () => {
    const r = await report({});
    assert.deepEqual(r.recommended.records.map((x) => x.line), [`example.org. 3600 IN CAA 0 issue "letsencrypt.org; accounturi=${ACCOUNT_PLACEHOLDER}"`, 'example.org. 3600 IN CAA 0 issuewild ";"']);
    assert.ok(r.recommended.notes.some((n) => /--validation-methods dns-01/.test(n)));
  });

  it('everything given: account, methods, iodef, wildcards', async () => {
    const r = await report({}, { ca: 'letsencrypt.org', accountUri: LE, methods: ['dns-01'], iodef: 'mailto:security@example.org', wildcard: true });
    assert.deepEqual(r.recommended.zone.split('\n'), [
      `example.org. 3600 IN CAA 0 issue "letsencrypt.org; accounturi=${LE}; validationmethods=dns-01"`,
      `example.org. 3600 IN CAA 0 issuewild "letsencrypt.org; accounturi=${LE}; validationmethods=dns-01"`,
      'example.org. 3600 IN CAA 0 iodef "mailto:security@example.org"',
    ]);
    assert.equal(r.recommended.complete, true);
    assert.equal(r.recommended.accountHelp, undefined);
  });

  it('keeps the account and methods already pinned, other CAs and the iodef, at the existing TTL', async () => {
    const r = await report({ 'example.org': { ttl: 7200, records: [`0 issue "letsencrypt.org; accounturi=${LE}; validationmethods=dns-01"`, '0 issue "pki.goog"', '0 iodef "mailto:x@example.org"'] } });
    assert.deepEqual(r.recommended.zone.split('\n'), [
      `example.org. 7200 IN CAA 0 issue "letsencrypt.org; accounturi=${LE}; validationmethods=dns-01"`,
      'example.org. 7200 IN CAA 0 issuewild ";"',
      'example.org. 7200 IN CAA 0 issue "pki.goog"',
      'example.org. 7200 IN CAA 0 iodef "mailto:x@example.org"',
    ]);
    assert.match(r.recommended.records[2]!.why, /not pinned/);
  });

  it('for a name below the set\'s owner: publish at the name, and say it overrides the parent', async () => {
    const r = await report({ 'example.org': { records: ['0 issue "letsencrypt.org"'] } }, { accountUri: LE }, 'xmpp.example.org');
    assert.equal(r.recommended.owner, 'xmpp.example.org.');
    assert.equal(r.recommended.matchesPublished, false);
    assert.ok(r.recommended.notes.some((n) => /replace, for xmpp\.example\.org and every name below it, the set now found at example\.org\./.test(n)));
  });
});

describe('docs/FINDINGS.md documents every caa.* code', () => {
  it('each code emitted above, and each code in the source', () => {
    const doc = readFileSync('docs/FINDINGS.md', 'utf8');
    const source = readFileSync('src/caa/findings.ts', 'utf8');
    const all = new Set([...seen, ...[...source.matchAll(/'(caa\.[a-z0-9-]+)'/g)].map((m) => m[1]!)]);
    assert.ok(all.size >= 20, [...all].join(' '));
    for (const code of all) assert.ok(doc.includes(`\`${code}\``), `${code} missing from docs/FINDINGS.md`);
  });
});

describe('hostile records never crash the report', () => {
  it('2000 random record sets (random flags, tags, values with every octet) give a report and a rendering', async () => {
    let seed = 0x5eed;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const pieces = ['issue', 'issuewild', 'iodef', 'ISSUE', 'tbs', 'isue', 'contactemail', ';', ' ', '=', 'accounturi', 'validationmethods', 'dns-01', ',', 'https://', 'mailto:', '@', '.', '"', '\\', 'letsencrypt.org', '%', '\t'];
    for (let i = 0; i < 2000; i++) {
      const records: string[] = [];
      for (let k = rnd(4); k >= 0; k--) {
        const value = Array.from({ length: rnd(8) }, () => (rnd(3) === 0 ? String.fromCharCode(rnd(256)) : pieces[rnd(pieces.length)]!)).join('');
        const escaped = [...new TextEncoder().encode(value)].map((b) => `\\${b.toString().padStart(3, '0')}`).join('');
        records.push(rnd(10) === 0 ? `\\# ${rnd(6)} ${Buffer.from(value).toString('hex')}` : `${rnd(256)} ${pieces[rnd(7)]} "${escaped}"`);
      }
      const r = await runCaa('example.org', fakeLookup({ 'example.org': { records } }), { accountUri: 'https://acme-v02.api.letsencrypt.org/acme/acct/1', explicit: rnd(2) === 0 });
      assert.ok(['ok', 'warning', 'critical', 'unknown'].includes(r.status));
      renderCaaReport(r, { color: true });
      JSON.stringify(r);
    }
  });
});
