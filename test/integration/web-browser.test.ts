// The web pages in real headless Chromium (Debian's chromium, driven by playwright-core) against
// `keywatch serve` as a child process on loopback, checking lab domains, with a real SMTP server
// (smtp-server on 127.0.0.1) as the email notifier's relay:
// - enter the lab's `notlsa` domain in the form, see its findings and the TLSA records to add,
//   subscribe by email, confirm through the link in the message (a page with a button), and
//   unsubscribe through the link in the next message;
// - subscribe to the lab's `web` domain and receive an alert email when the lab switches it to a
//   MITM (a key no TLSA record names), and a recovery email when it switches back; the history
//   page shows the key change.
// Screenshots of the result and history pages are written to the test's temporary directory, and
// to docs/screenshots/ when KEYWATCH_WEB_SCREENSHOTS=1.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { simpleParser, type ParsedMail } from 'mailparser';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { useLab } from '../lab/fixture.ts';
import { swapProsodyCertificate } from '../lab/mutate.ts';
import { labServeConfig, startServe, waitUntil, writeConfig, type ServeProcess } from '../helpers/watch-serve.ts';
import { startSmtpSink, type SmtpSink } from '../unit/notify/smtp-sink.ts';

const lab = useLab();
let tmp: string;
let serve: ServeProcess;
let smtp: SmtpSink;
let browser: BrowserContext;
let page: Page;

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Every message the SMTP server accepted, parsed. */
async function mails(): Promise<ParsedMail[]> {
  return Promise.all(smtp.received.map((m) => simpleParser(m.raw)));
}

async function mailTo(to: string, subject: RegExp, timeoutMs = 30_000): Promise<ParsedMail> {
  return waitUntil(`a message to ${to} matching ${subject}`, async () => (await mails()).find((m) => m.subject !== undefined && subject.test(m.subject) && JSON.stringify(m.to).includes(to)), timeoutMs, 200);
}

async function screenshot(name: string, maxHeight?: number): Promise<void> {
  const file = join(tmp, name);
  await page.screenshot({ path: file, fullPage: true, ...(maxHeight ? { clip: { x: 0, y: 0, width: 1100, height: maxHeight } } : {}) });
  if (process.env.KEYWATCH_WEB_SCREENSHOTS === '1') {
    mkdirSync('docs/screenshots', { recursive: true });
    copyFileSync(file, join('docs/screenshots', name));
  }
}

/** Reload the page until `text` is on it (the pages have no script; a reload is what a user does). */
async function reloadUntil(text: RegExp, timeoutMs = 30_000): Promise<void> {
  await waitUntil(`the page to show ${text}`, async () => {
    if (text.test(await page.locator('main').innerText())) return true;
    await page.reload();
    return undefined;
  }, timeoutMs, 500);
}

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'keywatch-web-browser-'));
  smtp = await startSmtpSink();
  const port = await freePort();
  const config = labServeConfig(lab().state, join(tmp, 'data'), {
    listen: { host: '127.0.0.1', port },
    publicUrl: `http://127.0.0.1:${port}`,
    schedule: { intervalSeconds: 1, minIntervalSeconds: 1, provenMinIntervalSeconds: 1, jitter: 0.2, confirmDelaySeconds: 0.3, pollSeconds: 0.1, concurrency: 2 },
    outbox: { pollSeconds: 0.1 },
    limits: { messagesPerHour: 100 },
    notify: { email: { host: '127.0.0.1', port: smtp.port, security: 'none', from: 'keywatch <alerts@keywatch.test>', timeoutMs: 5000 } },
  });
  mkdirSync(join(tmp, 'data'));
  serve = await startServe(writeConfig(join(tmp, 'keywatch.json'), config));
  browser = await chromium.launchPersistentContext(join(tmp, 'chromium-profile'), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1100, height: 900 },
  });
  page = browser.pages()[0] ?? (await browser.newPage());
});

after(async () => {
  await browser?.close();
  if (serve) {
    serve.child.kill('SIGTERM');
    await serve.exited;
  }
  await smtp?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('the web pages in headless Chromium', () => {
  it('enter a domain, see its findings and the records to add, subscribe by email, confirm and unsubscribe on the pages the links open', async () => {
    const d = lab().domain('notlsa');
    const res = await page.goto(serve.url);
    assert.equal(res?.status(), 200);
    assert.equal(res?.headers()['x-content-type-options'], 'nosniff');
    assert.match(res?.headers()['content-security-policy'] ?? '', /frame-ancestors 'none'/);
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');

    // A POST without the form's token is refused.
    const forged = await fetch(`${serve.url}/check`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `domain=${d.domain}` });
    assert.equal(forged.status, 403);

    await page.getByLabel('Domain').fill('not a domain!');
    await page.getByRole('button', { name: 'Check' }).click();
    assert.match(await page.getByRole('alert').innerText(), /domain/i);

    await page.getByLabel('Domain').fill(d.domain);
    await page.getByRole('button', { name: 'Check' }).click();
    await page.waitForURL(`${serve.url}/d/${d.domain}`);
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), `${d.domain} (xmpp)`);
    await reloadUntil(/Records to add[\s\S]*TLSA 3 1 1/);

    const main = await page.locator('main').innerText();
    assert.match(main, /dane\.tlsa-missing/);
    // The records to add name the key each endpoint presented.
    const spki = d.keys.server.spkiSha256;
    assert.ok(main.includes(spki), 'the key is shown');
    const pre = await page.locator('#h-records ~ pre').allInnerTexts();
    assert.ok(pre.some((t) => new RegExp(`_5222\\._tcp\\.${d.host.replace(/\./g, '\\.')}\\.?\\s.*TLSA\\s+3 1 1 ${spki}`, 'i').test(t)), pre.join('\n---\n'));
    assert.match(main, /DNSSEC[\s\S]*secure/);
    await screenshot('result.png');

    await page.getByLabel('Email address').fill('admin@notlsa.test');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    assert.match(await page.getByRole('status').innerText(), /Check your mail/);

    const confirm = await mailTo('admin@notlsa.test', /^Confirm keywatch alerts for notlsa\.test/);
    const link = /http:\/\/127\.0\.0\.1:\d+\/api\/confirm\?token=[A-Za-z0-9_-]+/.exec(confirm.text ?? '')?.[0];
    assert.ok(link, confirm.text);
    // Opening the link changes nothing until the button is pressed (mail scanners open links).
    await page.goto(link);
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Confirm your subscription');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await mails()).filter((m) => /^Subscribed/.test(m.subject ?? '')).length, 0);
    await page.getByRole('button', { name: 'Confirm' }).click();
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Subscription confirmed');
    assert.match(await page.locator('main').innerText(), /admin@notlsa\.test will get keywatch alerts about notlsa\.test/);
    const welcome = await mailTo('admin@notlsa.test', /^Subscribed to keywatch alerts for notlsa\.test/);

    // The unsubscribe link in every message: a page with a button, too.
    const unsubscribe = /http:\/\/127\.0\.0\.1:\d+\/api\/unsubscribe\?token=[A-Za-z0-9_-]+/.exec(welcome.text ?? '')?.[0];
    assert.ok(unsubscribe, welcome.text);
    await page.goto(unsubscribe);
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Stop alerts');
    await page.getByRole('button', { name: 'Unsubscribe' }).click();
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Unsubscribed');
    const after = (await (await fetch(`${serve.url}/api/domains/${d.domain}`)).json()) as { subscribers: number };
    assert.equal(after.subscribers, 0);

    // The badge: an SVG with the status, cacheable, embeddable anywhere.
    const badge = await fetch(`${serve.url}/badge/${d.domain}.svg`);
    assert.equal(badge.headers.get('content-type'), 'image/svg+xml; charset=utf-8');
    assert.match(badge.headers.get('cache-control') ?? '', /max-age=\d+/);
    assert.doesNotMatch(badge.headers.get('content-security-policy') ?? '', /frame-ancestors/);
    assert.match(await badge.text(), new RegExp(`${d.domain}: (ok|warning)`));

    // Without the cookie's token nothing is confirmed or subscribed; unknown domains get the form.
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    assert.equal((await fetch(`${serve.url}/confirm`, { method: 'POST', headers: form, body: 'token=x&csrf=y' })).status, 403);
    assert.equal((await fetch(`${serve.url}/d/${d.domain}/subscribe`, { method: 'POST', headers: form, body: 'email=a%40b.test&csrf=y' })).status, 403);
    const unknown = await fetch(`${serve.url}/d/not-watched.test`);
    assert.equal(unknown.status, 404);
    assert.match(await unknown.text(), /not-watched\.test \(xmpp\) is not watched yet/);
    const history = await fetch(`${serve.url}/d/${d.domain}/history`);
    assert.equal(history.status, 200);
    assert.match(history.headers.get('content-security-policy') ?? '', /^default-src 'none'; style-src 'sha256-[A-Za-z0-9+/=]+'; .*frame-ancestors 'none'$/);
    assert.equal(history.headers.get('referrer-policy'), 'no-referrer');
    // The JSON API still answers JSON clients at the same links.
    assert.equal((await fetch(`${serve.url}/api/confirm?token=AAAAAAAAAAAAAAAAAAAAAAAA`)).headers.get('content-type'), 'application/json; charset=utf-8');
  });

  it('alerts by email when the lab switches the domain to a MITM, and tells of the recovery; the history shows the key change', async () => {
    const { state } = lab();
    const d = lab().domain('web');
    const rogue = d.keys.next!; // a valid certificate whose key no TLSA record names
    await page.goto(serve.url);
    await page.getByLabel('Domain').fill(d.domain);
    await page.getByRole('button', { name: 'Check' }).click();
    await page.waitForURL(`${serve.url}/d/${d.domain}`);
    await reloadUntil(/Status\s+(OK|WARNING)\s/i);
    await page.getByLabel('Email address').fill('admin@web.test');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    const confirm = await mailTo('admin@web.test', /^Confirm keywatch alerts/);
    await page.goto(/http:\/\/\S+\/api\/confirm\?token=[A-Za-z0-9_-]+/.exec(confirm.text ?? '')![0]);
    await page.getByRole('button', { name: 'Confirm' }).click();
    await mailTo('admin@web.test', /^Subscribed/);

    try {
      await swapProsodyCertificate(state, d.domain, rogue, d.address);
      const alert = await mailTo('admin@web.test', /^CRITICAL: web\.test: /, 40_000);
      assert.ok(alert.text?.includes(rogue.spkiSha256), 'the alert names the rogue key');
      await page.goto(`${serve.url}/d/${d.domain}`);
      await reloadUntil(/Status\s+CRITICAL/i);
    } finally {
      await swapProsodyCertificate(state, d.domain, d.keys.server, d.address);
    }
    await mailTo('admin@web.test', /^RECOVERED: web\.test is (OK|WARNING) again/, 40_000);
    const alerts = (await mails()).filter((m) => /^CRITICAL: web\.test/.test(m.subject ?? ''));
    assert.equal(alerts.length, 1, 'exactly one alert');

    await page.goto(`${serve.url}/d/${d.domain}/history`);
    const main = await page.locator('main').innerText();
    assert.match(main, /alert\s+(OK|WARNING)\s*→\s*CRITICAL/i);
    assert.match(main, /recovery\s+CRITICAL\s*→\s*(OK|WARNING)/i);
    assert.match(main, /key changed/);
    assert.ok(main.includes(rogue.spkiSha256.slice(0, 16)), 'the rogue key is in the timeline');
    await screenshot('history.png', 1500);
  });
});
