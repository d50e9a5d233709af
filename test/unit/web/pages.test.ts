// The web pages' escaping and building blocks: hostile text from a server (a certificate subject,
// a finding's title, detail and remediation, an endpoint label, a domain view's error) renders as
// inert text; the CSRF tokens bind a form to its cookie; the badge escapes and colours its text.
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import type { Report } from '../../../src/audit/report.ts';
import type { DomainView, HistoryView } from '../../../src/service/views.ts';
import { badgeSvg } from '../../../src/web/badge.ts';
import { Csrf, CSRF_COOKIE } from '../../../src/web/csrf.ts';
import { escapeHtml, html, raw } from '../../../src/web/html.ts';
import { CSS, CSS_HASH, historyPage, homePage, resultPage, tokenPage } from '../../../src/web/pages.ts';
import { PAGE_CSP } from '../../../src/web/routes.ts';
import { createHash } from 'node:crypto';

const EVIL = '<script>alert(1)</script><img src=x onerror="alert(2)">';
const EP = `xmpp.evil.example:5222 (192.0.2.1)${EVIL}`;

function hostileReport(): Report {
  return {
    schema: 'keywatch.check-report/1',
    keywatch: 'test',
    domain: 'evil.example',
    service: 'xmpp',
    startedAt: new Date(0).toISOString(),
    durationMs: 5,
    status: 'critical',
    exitCode: 2,
    summary: `CRITICAL ${EVIL}`,
    counts: { critical: 1, error: 0, warning: 1, info: 0, ok: 0 },
    endpoints: [
      {
        label: EP,
        protocol: 'xmpp-c2s',
        probe: { ok: true, tls: { version: 'TLSv1.3', cipher: 'x', alpn: null, chain: [], leaf: { spkiSha256: 'ab'.repeat(32), subject: `CN=${EVIL}`, issuer: EVIL }, pkix: { valid: true, anchors: 'test' } }, timings: {} },
        daneVerdict: { verdict: 'mismatch', results: [] },
      },
    ],
    findings: [
      { code: 'dane.tlsa-missing', severity: 'warning', title: `no TLSA ${EVIL}`, detail: `detail ${EVIL}`, endpoints: [EP], evidence: {}, remediation: `_5222._tcp.xmpp.evil.example. IN TLSA 3 1 1 ${'ab'.repeat(32)}\n; ${EVIL}` },
      { code: 'x.evil', severity: 'critical', title: `title ${EVIL}`, detail: EVIL, endpoints: [], evidence: {}, rfc: EVIL },
    ],
    dnssec: [{ name: `evil.example${EVIL}`, type: 'SRV', security: 'insecure', rcode: 'NOERROR', insecureAt: EVIL, problems: [{ code: 'p', message: EVIL, rfc: 'x' }] }],
  } as unknown as Report;
}

function view(): DomainView {
  return {
    domain: 'evil.example',
    service: 'xmpp',
    watched: true,
    intervalSeconds: 3600,
    status: 'critical',
    statusSince: null,
    pending: { status: EVIL, since: null },
    lastCheckedAt: '2030-01-01T00:00:00.000Z',
    nextCheckAt: null,
    consecutiveFailures: 0,
    lastError: EVIL,
    controlProven: false,
    subscribers: 1,
    state: null,
    latest: null,
    report: hostileReport(),
    url: 'http://k.test/domains/evil.example',
  };
}

/** No element or attribute from the hostile text survived: only its escaped form. */
function assertInert(page: string): void {
  assert.doesNotMatch(page, /<script/i);
  assert.doesNotMatch(page, /<img src=x/i);
  assert.doesNotMatch(page, /onerror="/i);
  assert.match(page, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
}

test('escapeHtml and html: every interpolation is escaped unless it is Html', () => {
  assert.equal(escapeHtml(`<a href="x" title='y'>&`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;');
  const inner = html`<b>${'<i>'}</b>`;
  assert.equal(html`<p>${inner}${['<', html`<br>`]}${null}${undefined}${false}${0}</p>`.text, '<p><b>&lt;i&gt;</b>&lt;<br>0</p>');
  assert.equal(html`${raw('<hr>')}`.text, '<hr>');
  assert.equal(html`${{ a: '<' }}`.text, '{&quot;a&quot;:&quot;&lt;&quot;}');
});

test('the result page renders a hostile certificate subject and finding texts inert', () => {
  const page = resultPage({ view: view(), subscribeToken: 'tok"en', publicUrl: 'http://k.test' });
  assertInert(page);
  assert.match(page, /CN=&lt;script&gt;/);
  assert.match(page, /<html lang="en">/);
  assert.match(page, /<pre>_5222\._tcp\.xmpp\.evil\.example\. IN TLSA 3 1 1 (ab){32}\n; &lt;script&gt;/);
  assert.match(page, /value="tok&quot;en"/);
  assert.match(page, /<label for="email">/);
  // Without an email channel there is no subscribe form.
  assert.doesNotMatch(resultPage({ view: view(), publicUrl: 'http://k.test' }), /name="email"/);
});

test('the result page shows the chain of trust root first, with the DS and keys of each zone', () => {
  const v = view();
  v.report = {
    ...hostileReport(),
    chain: [
      { zone: '.', security: 'secure', via: 'trust-anchor', ds: [{ keyTag: 20326, algorithm: 8, digestType: 2, status: 'matches' }], keys: [{ keyTag: 20326, algorithm: 8, role: 'KSK', matchedByDs: true }], problems: [] },
      { zone: `evil.example.${EVIL}`, security: 'insecure', via: 'no-ds', ds: [], keys: [], problems: [EVIL] },
    ],
  };
  const page = resultPage({ view: v, publicUrl: 'http://k.test' });
  assertInert(page);
  assert.match(page, /<h3>Chain of trust<\/h3>/);
  assert.match(page, /<th scope="row"><code>\.<\/code><\/th><td>secure<\/td><td>the root trust anchor<\/td><td><code>20326<\/code> alg 8 digest 2: matches/);
  assert.match(page, /none: the parent proves there is no DS/);
});

test('the history page renders hostile text inert and marks key changes', () => {
  const run = (id: string, at: string, spki: string) => ({
    id,
    at,
    purpose: 'scheduled',
    status: 'ok',
    summary: EVIL,
    outcome: 'steady',
    alarms: [],
    error: EVIL,
    vantages: [{ vantage: 'direct', status: 'ok', dnssec: 'secure', durationMs: 1, endpoints: [{ endpoint: EP, protocol: 'xmpp-c2s', spkiSha256: spki, dane: EVIL }], error: null }],
    findings: [{ vantage: 'direct', code: EVIL, severity: 'warning', title: EVIL, endpoints: [] }],
  });
  const h: HistoryView = {
    domain: 'evil.example',
    service: 'xmpp',
    runs: [run('r3', '2030-01-01T00:02:00.000Z', 'cc'.repeat(32)), run('r2', '2030-01-01T00:01:00.000Z', 'aa'.repeat(32)), run('r1', '2030-01-01T00:00:00.000Z', 'aa'.repeat(32))],
    transitions: [{ at: '2030-01-01T00:02:00.000Z', kind: 'alert', from: 'ok', to: 'critical', reason: EVIL, runId: 'r3' }],
    next: null,
  };
  const page = historyPage(h, null);
  assertInert(page);
  assert.equal(page.match(/key changed/g)?.length, 1, 'only the newest run presented a different key');
});

test('the home and token pages escape what they echo', () => {
  assertInert(homePage({ token: 't', error: EVIL, domain: EVIL }));
  const p = tokenPage('confirm', `"${EVIL}`, 'c');
  assert.doesNotMatch(p, /<script/);
  assert.match(p, /<form method="post" action="\/confirm">/);
});

test('the CSP allows exactly the inline stylesheet by its hash, and no script', () => {
  assert.equal(CSS_HASH, `'sha256-${createHash('sha256').update(CSS).digest('base64')}'`);
  assert.match(PAGE_CSP, /default-src 'none'/);
  assert.match(PAGE_CSP, /frame-ancestors 'none'/);
  assert.doesNotMatch(PAGE_CSP, /script-src|unsafe-inline/);
});

test('CSRF tokens are bound to the cookie and the form', () => {
  const csrf = new Csrf(false, Buffer.alloc(32, 7));
  const fresh = csrf.session({ headers: {} } as IncomingMessage);
  assert.ok(fresh.setCookie?.includes('SameSite=Strict'));
  assert.ok(fresh.setCookie?.includes('HttpOnly'));
  const req = (cookie?: string) => ({ headers: cookie ? { cookie } : {} }) as IncomingMessage;
  const with_ = req(`a=b; ${CSRF_COOKIE}=${fresh.value}`);
  assert.deepEqual(csrf.session(with_), { value: fresh.value });
  const token = csrf.token(fresh.value, 'check');
  assert.equal(csrf.check(with_, 'check', token), true);
  assert.equal(csrf.check(with_, 'subscribe:1', token), false, 'another form');
  assert.equal(csrf.check(req(`${CSRF_COOKIE}=${'x'.repeat(24)}`), 'check', token), false, 'another cookie');
  assert.equal(csrf.check(req(), 'check', token), false, 'no cookie');
  assert.equal(csrf.check(with_, 'check', undefined), false, 'no token');
  assert.equal(new Csrf(false).check(with_, 'check', token), false, 'another secret');
  assert.ok(new Csrf(true).session(req()).setCookie?.includes('; Secure'));
});

test('the badge escapes its text and colours the status', () => {
  const svg = badgeSvg(`a<b>"&`, 'critical');
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(svg, /a&lt;b&gt;&quot;&amp;: critical/);
  assert.doesNotMatch(svg, /a<b>/);
  assert.match(svg, /#cf222e/);
  assert.match(badgeSvg('x', 'ok'), /#1a7f37/);
});
