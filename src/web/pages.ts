// The server-rendered pages: plain functions from data to an HTML document. Every value goes
// through `html` (escaped); no scripts; the one stylesheet is inline and allowed by its hash in
// the Content-Security-Policy (routes.ts), so the pages work the same without JavaScript.
import { createHash } from 'node:crypto';
import type { EndpointReport, Report } from '../audit/report.ts';
import type { Finding } from '../audit/finding.ts';
import type { DomainView, HistoryView } from '../service/views.ts';
import { html, raw, type Html } from './html.ts';

export const CSS = `
:root{color-scheme:light;--fg:#1f2328;--muted:#57606a;--line:#d0d7de;--link:#0550ae;--bg:#fff;--soft:#f6f8fa}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
header,main,footer{max-width:60rem;margin:0 auto;padding:1rem}
header{border-bottom:1px solid var(--line)}
header a{font-weight:700;text-decoration:none;color:var(--fg)}
a{color:var(--link)}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible{outline:3px solid #bf3989;outline-offset:2px}
h1{font-size:1.6rem;margin:.5rem 0}
h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid var(--line)}
label{display:block;font-weight:600;margin:.5rem 0 .25rem}
input,select{font:inherit;padding:.4rem .5rem;border:1px solid #6e7781;border-radius:4px;min-width:16rem}
button{font:inherit;padding:.45rem 1rem;border:1px solid #1a7f37;border-radius:4px;background:#1a7f37;color:#fff;cursor:pointer;margin-top:.5rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{text-align:left;vertical-align:top;border-bottom:1px solid var(--line);padding:.35rem .5rem}
th{background:var(--soft)}
code,pre{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:.85rem}
code{overflow-wrap:anywhere}
pre{background:var(--soft);border:1px solid var(--line);padding:.75rem;overflow-x:auto;white-space:pre-wrap}
.status{display:inline-block;padding:.1rem .6rem;border-radius:4px;color:#fff;font-weight:700;text-transform:uppercase;background:#57606a}
.s-ok{background:#1a7f37}.s-warning{background:#9a6700}.s-critical,.s-error{background:#cf222e}.s-info{background:#0550ae}
.muted{color:var(--muted)}
.error{border:2px solid #cf222e;padding:.5rem 1rem;border-radius:4px}
.finding{border:1px solid var(--line);border-radius:6px;padding:.25rem 1rem;margin:.75rem 0}
.finding h3{font-size:1.05rem;margin:.5rem 0}
ol.timeline li{margin:.25rem 0}
`;
export const CSS_HASH = `'sha256-${createHash('sha256').update(CSS).digest('base64')}'`;

/** The page's own path for a domain (the service in the query unless it is xmpp). */
export function domainPath(domain: string, service: string, suffix = ''): string {
  return `/d/${encodeURIComponent(domain)}${suffix}${service === 'xmpp' ? '' : `?service=${encodeURIComponent(service)}`}`;
}

export function layout(title: string, body: Html, opts: { refreshSeconds?: number } = {}): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${opts.refreshSeconds ? html`<meta http-equiv="refresh" content="${opts.refreshSeconds}">` : ''}
<title>${title} — keywatch</title>
<style>${raw(CSS)}</style>
</head>
<body>
<header><a href="/">keywatch</a> <span class="muted">— would you notice if someone were intercepting your users?</span></header>
<main id="main">
${body}
</main>
<footer class="muted">keywatch checks DNSSEC, DANE TLSA, CAA and certificates of XMPP and mail servers, and watches them for changes.</footer>
</body>
</html>
`.text;
}

const SERVICES = ['xmpp', 'smtp', 'imap', 'pop3', 'https'];

export function homePage(o: { token: string; error?: string; domain?: string; service?: string }): string {
  return layout(
    'Check a domain',
    html`<h1>Check and watch a domain</h1>
<p>Enter a domain: keywatch checks the keys its servers present against what the domain publishes (DNSSEC, DANE TLSA, CAA), shows what to fix, and keeps watching so you can be told when the keys change.</p>
${o.error ? html`<p class="error" role="alert" id="form-error">${o.error}</p>` : ''}
<form method="post" action="/check">
<input type="hidden" name="csrf" value="${o.token}">
<label for="domain">Domain</label>
<input id="domain" name="domain" type="text" required autocomplete="off" spellcheck="false" placeholder="example.org" value="${o.domain ?? ''}"${o.error ? raw(' aria-describedby="form-error" aria-invalid="true"') : ''}>
<label for="service">Service</label>
<select id="service" name="service">${SERVICES.map((s) => html`<option value="${s}"${s === (o.service ?? 'xmpp') ? raw(' selected') : ''}>${s}</option>`)}</select>
<div><button type="submit">Check</button></div>
</form>`,
  );
}

const status = (s: string) => html`<span class="status s-${s.replace(/[^a-z]/g, '')}">${s}</span>`;
const when = (iso: string | null) => (iso ? html`<time datetime="${iso}">${iso.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}</time>` : html`<span class="muted">—</span>`);

function tlsaCell(e: EndpointReport): Html {
  if (e.daneVerdict) return html`${e.daneVerdict.verdict}`;
  if (e.tlsa) return html`<span class="muted">${e.tlsa.state === 'records' ? 'records, not applied' : `no match possible (${e.tlsa.state})`}</span>`;
  return html`<span class="muted">—</span>`;
}

function endpointsTable(r: Report): Html {
  if (r.endpoints.length === 0) return html`<p>No endpoints were found.</p>`;
  return html`<table>
<caption class="muted">What each endpoint presented in the latest check</caption>
<thead><tr><th scope="col">Endpoint</th><th scope="col">TLS</th><th scope="col">Key (SPKI SHA-256)</th><th scope="col">Certificate subject</th><th scope="col">TLSA</th></tr></thead>
<tbody>${r.endpoints.map(
    (e) => html`<tr><th scope="row"><code>${e.label}</code><br><span class="muted">${e.protocol}</span></th>
<td>${e.probe?.tls?.version ?? html`<span class="muted">${e.refused ?? e.probe?.error?.message ?? 'no handshake'}</span>`}</td>
<td>${e.probe?.tls ? html`<code>${e.probe.tls.leaf.spkiSha256}</code>` : '—'}</td>
<td>${e.probe?.tls ? html`<code>${e.probe.tls.leaf.subject}</code>` : '—'}</td>
<td>${tlsaCell(e)}</td></tr>`,
  )}</tbody>
</table>`;
}

function dnssecList(r: Report): Html {
  if (r.dnssec.length === 0) return html`<p class="muted">No lookups recorded.</p>`;
  return html`<table>
<thead><tr><th scope="col">Name</th><th scope="col">Type</th><th scope="col">DNSSEC</th><th scope="col">Notes</th></tr></thead>
<tbody>${r.dnssec.map(
    (d) => html`<tr><td><code>${d.name}</code></td><td>${d.type}</td><td>${d.security}</td><td>${d.insecureAt ? html`unsigned from <code>${d.insecureAt}</code>. ` : ''}${d.problems.map((p) => html`${p.code}: ${p.message} `)}</td></tr>`,
  )}</tbody>
</table>`;
}

const VIA: Record<string, string> = {
  'trust-anchor': 'the root trust anchor',
  ds: 'a DS record at the parent',
  'no-ds': 'none: the parent proves there is no DS (unsigned from here)',
  'parent-insecure': 'none: the parent is not signed',
  failed: 'failed',
};

/** The chain of trust, root first: how each zone's keys were authenticated. */
function chainList(r: Report): Html {
  if (!r.chain?.length) return html``;
  const keyList = (c: NonNullable<Report['chain']>[number]) =>
    c.keys.map((k) => html`<code>${k.keyTag}</code> ${k.role}${k.matchedByDs ? ' ✓' : ''} `);
  return html`<h3>Chain of trust</h3>
<table>
<thead><tr><th scope="col">Zone</th><th scope="col">DNSSEC</th><th scope="col">Keys vouched for by</th><th scope="col">DS at the parent</th><th scope="col">DNSKEYs (✓ named by a DS)</th></tr></thead>
<tbody>${r.chain.map(
    (c) => html`<tr><th scope="row"><code>${c.zone}</code></th><td>${c.security}</td><td>${VIA[c.via] ?? c.via}</td><td>${c.ds.map((d) => html`<code>${d.keyTag}</code> alg ${d.algorithm} digest ${d.digestType}: ${d.status} `)}</td><td>${keyList(c)}${c.problems.length ? html`<br>${c.problems.join(', ')}` : ''}</td></tr>`,
  )}</tbody>
</table>`;
}

/** Findings whose remediation is records to publish in DNS. */
export const isRecordFinding = (f: Finding) => Boolean(f.remediation) && (f.code === 'dane.tlsa-missing' || f.code.startsWith('dane.') || f.code.startsWith('dnssec.') || f.code.startsWith('caa.'));

function findingBlock(f: Finding): Html {
  return html`<article class="finding">
<h3>${status(f.severity)} ${f.title}</h3>
<p><code>${f.code}</code>${f.rfc ? html` <span class="muted">(${f.rfc})</span>` : ''}</p>
<p>${f.detail}</p>
${f.endpoints.length ? html`<p class="muted">Endpoints: ${f.endpoints.map((e, i) => html`${i ? ', ' : ''}<code>${e}</code>`)}</p>` : ''}
${f.remediation ? html`<p><strong>What to do:</strong></p><pre>${f.remediation}</pre>` : ''}
</article>`;
}

export interface ResultOptions {
  view: DomainView;
  /** The subscribe form's CSRF token; undefined when email alerts are not offered. */
  subscribeToken?: string;
  notice?: Html;
  publicUrl: string;
}

export function resultPage(o: ResultOptions): string {
  const v = o.view;
  const r = v.report;
  const findings = r ? [...r.findings].filter((f) => f.severity !== 'ok') : [];
  const records = findings.filter(isRecordFinding);
  const badgePath = `/badge/${encodeURIComponent(v.domain)}.svg${v.service === 'xmpp' ? '' : `?service=${encodeURIComponent(v.service)}`}`;
  const badge = `${o.publicUrl}${badgePath}`;
  const body = html`<h1>${v.domain} <span class="muted">(${v.service})</span></h1>
${o.notice ? html`<div role="status" class="finding">${o.notice}</div>` : ''}
<section aria-labelledby="h-status">
<h2 id="h-status">Status</h2>
<p>${status(v.status)} ${v.state?.summary ?? v.latest?.summary ?? ''}</p>
${v.status === 'new' ? html`<p>The first check is running; this page reloads by itself every few seconds until it is done.</p>` : ''}
${v.pending ? html`<p>A change to <strong>${v.pending.status}</strong> was seen ${when(v.pending.since)} and is being confirmed by a second check.</p>` : ''}
<p class="muted">Last checked ${when(v.lastCheckedAt)}; next check ${when(v.nextCheckAt)}. ${v.subscribers} subscriber${v.subscribers === 1 ? '' : 's'}. <a href="${domainPath(v.domain, v.service, '/history')}">History of keys and findings</a>.</p>
${v.lastError ? html`<p class="error">The last check could not run: ${v.lastError}</p>` : ''}
</section>
${
  r
    ? html`<section aria-labelledby="h-endpoints"><h2 id="h-endpoints">Endpoints</h2>${endpointsTable(r)}</section>
<section aria-labelledby="h-dnssec"><h2 id="h-dnssec">DNSSEC</h2>${dnssecList(r)}${chainList(r)}</section>
<section aria-labelledby="h-records"><h2 id="h-records">Records to add</h2>
${records.length ? html`<p>Publish these in the zone (then check again):</p>${records.map((f) => html`<p><code>${f.code}</code></p><pre>${f.remediation}</pre>`)}` : html`<p>Nothing to add: the published records cover what the servers present.</p>`}
</section>
<section aria-labelledby="h-findings"><h2 id="h-findings">Findings</h2>
${findings.length ? findings.map(findingBlock) : html`<p>No problems found.</p>`}
</section>`
    : ''
}
<section aria-labelledby="h-subscribe"><h2 id="h-subscribe">Get alerts</h2>
${
  o.subscribeToken
    ? html`<p>Get an email when the keys of ${v.domain} stop matching what it publishes, and when that clears. You confirm the address first.</p>
<form method="post" action="${domainPath(v.domain, v.service, '/subscribe')}">
<input type="hidden" name="csrf" value="${o.subscribeToken}">
<label for="email">Email address</label>
<input id="email" name="email" type="email" required autocomplete="email">
<div><button type="submit">Subscribe</button></div>
</form>`
    : html`<p class="muted">This service does not send email alerts.</p>`
}
</section>
<section aria-labelledby="h-badge"><h2 id="h-badge">Badge</h2>
<p><img src="${badgePath}${badgePath.includes('?') ? '&' : '?'}v=${v.status}" alt="keywatch status of ${v.domain}: ${v.status}"></p>
<pre>&lt;img src="${badge}" alt="keywatch status"&gt;</pre>
</section>`;
  return layout(`${v.domain}: ${v.status}`, body, v.status === 'new' ? { refreshSeconds: 3 } : {});
}

export function historyPage(v: HistoryView, olderHref: string | null): string {
  // Mark where an endpoint's key differs from the one it presented in the previous (older) run.
  const last = new Map<string, string>();
  const changed = new Set<string>();
  for (const run of [...v.runs].reverse()) {
    for (const vt of run.vantages) {
      for (const e of vt.endpoints) {
        if (!e.spkiSha256) continue;
        const k = `${vt.vantage}|${e.endpoint}`;
        const before = last.get(k);
        if (before !== undefined && before !== e.spkiSha256) changed.add(`${run.id}|${k}`);
        last.set(k, e.spkiSha256);
      }
    }
  }
  const body = html`<h1>History of ${v.domain} <span class="muted">(${v.service})</span></h1>
<p><a href="${domainPath(v.domain, v.service)}">Back to the current state</a></p>
<section aria-labelledby="h-transitions"><h2 id="h-transitions">Changes of state</h2>
${
  v.transitions.length
    ? html`<ol class="timeline" reversed>${v.transitions.map((t) => html`<li>${when(t.at)}: <strong>${t.kind}</strong> ${status(t.from)} → ${status(t.to)} <span class="muted">${t.reason}</span></li>`)}</ol>`
    : html`<p>No changes yet.</p>`
}
</section>
<section aria-labelledby="h-runs"><h2 id="h-runs">Checks</h2>
${
  v.runs.length
    ? html`<table>
<thead><tr><th scope="col">Time</th><th scope="col">Result</th><th scope="col">Keys presented</th><th scope="col">Findings</th></tr></thead>
<tbody>${v.runs.map(
        (run) => html`<tr><td>${when(run.at)}<br><span class="muted">${run.purpose}, ${run.outcome}</span></td>
<td>${status(run.status)}${run.error ? html`<br><span class="muted">${run.error}</span>` : ''}</td>
<td>${run.vantages.map((vt) =>
          vt.endpoints.map(
            (e) =>
              html`<div><span class="muted">${vt.vantage}</span> <code>${e.endpoint}</code>: ${e.spkiSha256 ? html`<code>${e.spkiSha256.slice(0, 16)}…</code>` : html`<span class="muted">${e.error ?? 'no key'}</span>`}${e.dane ? html` (TLSA ${e.dane})` : ''}${changed.has(`${run.id}|${vt.vantage}|${e.endpoint}`) ? html` <strong>key changed</strong>` : ''}</div>`,
          ),
        )}</td>
<td>${run.findings.length ? html`<ul>${run.findings.map((f) => html`<li>${f.severity}: <code>${f.code}</code> ${f.title}</li>`)}</ul>` : html`<span class="muted">none</span>`}</td></tr>`,
      )}</tbody>
</table>`
    : html`<p>No checks yet.</p>`
}
${olderHref ? html`<p><a href="${olderHref}">Older checks</a></p>` : ''}
</section>`;
  return layout(`History of ${v.domain}`, body);
}

/** The page a confirm or unsubscribe link opens: nothing happens until the button is pressed. */
export function tokenPage(kind: 'confirm' | 'unsubscribe', token: string, csrf: string): string {
  const what = kind === 'confirm' ? 'Confirm your subscription' : 'Stop alerts';
  return layout(
    what,
    html`<h1>${what}</h1>
<p>${kind === 'confirm' ? 'Press the button to start receiving keywatch alerts at this address.' : 'Press the button to stop receiving these keywatch messages.'}</p>
<form method="post" action="/${kind}">
<input type="hidden" name="token" value="${token}">
<input type="hidden" name="csrf" value="${csrf}">
<button type="submit">${kind === 'confirm' ? 'Confirm' : 'Unsubscribe'}</button>
</form>`,
  );
}

export function messagePage(title: string, text: string, link?: { href: string; label: string }): string {
  return layout(title, html`<h1>${title}</h1><p>${text}</p>${link ? html`<p><a href="${link.href}">${link.label}</a></p>` : ''}`);
}
