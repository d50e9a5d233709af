// The email notifier against a real SMTP server on loopback (nodemailer's smtp-server): what
// arrives (headers, body, HTML escaping, the links), that a retry keeps its Message-ID, STARTTLS
// required and verified, and how the server's refusals are classified for the outbox.
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { simpleParser, type ParsedMail } from 'mailparser';
import { classifySmtpError, EmailConfigError, EmailNotifier, type EmailConfig } from '../../../src/notify/email.ts';
import { messageIdFor } from '../../../src/notify/email-message.ts';
import { makePki, type Pki } from '../dane/pki.ts';
import { delivery } from './fixtures.ts';
import { startSmtpSink, type SmtpSink } from './smtp-sink.ts';

let pki: Pki;
let tlsSink: SmtpSink;
let plainSink: SmtpSink;
let caFile: string;

before(async () => {
  pki = makePki();
  caFile = pki.root.pemFile;
  const chain = readFileSync(pki.leaf.pemFile, 'utf8') + readFileSync(pki.inter.pemFile, 'utf8');
  writeFileSync(join(pki.dir, 'leaf-chain.pem'), chain);
  tlsSink = await startSmtpSink({ cert: chain, key: readFileSync(pki.leaf.keyFile, 'utf8') });
  plainSink = await startSmtpSink({ hideStartTls: true });
});
after(async () => {
  await tlsSink.close();
  await plainSink.close();
  pki.cleanup();
});

const notifiers: EmailNotifier[] = [];
after(async () => {
  for (const n of notifiers) await n.close();
});

function notifier(over: Partial<EmailConfig> = {}): EmailNotifier {
  const n = new EmailNotifier({
    host: '127.0.0.1',
    port: tlsSink.port,
    servername: 'xmpp.example.test',
    caFile,
    from: 'keywatch <alerts@keywatch.example.net>',
    timeoutMs: 5000,
    ...over,
  });
  notifiers.push(n);
  return n;
}

async function lastMail(sink: SmtpSink): Promise<ParsedMail & { secure: boolean; rcptTo: string[]; raw: string }> {
  const m = sink.received.at(-1);
  assert.ok(m, 'the server received a message');
  return Object.assign(await simpleParser(m.raw), { secure: m.secure, rcptTo: m.rcptTo, raw: m.raw.toString('utf8') });
}

const header = (m: ParsedMail, name: string) => m.headerLines.find((h) => h.key === name.toLowerCase())?.line.replace(/^[^:]+:\s*/, '').replace(/\r?\n\s+/g, ' ');

describe('email notifier: what the subscriber receives', () => {
  it('an alert over verified STARTTLS: RFC 8058 headers, Message-ID from the delivery id, links in the body', async () => {
    const n = notifier({ html: true });
    const before = tlsSink.received.length;
    const r = await n.send(delivery('email', 'alice@example.org', { id: 'dlv-42.a' }));
    assert.deepEqual(r, { ok: true });
    assert.equal(tlsSink.received.length, before + 1);
    const m = await lastMail(tlsSink);
    assert.equal(m.secure, true, 'sent after STARTTLS');
    assert.deepEqual(m.rcptTo, ['alice@example.org']);
    assert.equal(m.messageId, '<keywatch.dlv-42.a@keywatch.example.net>');
    assert.equal(m.subject, 'CRITICAL: example.org: key differs on path');
    assert.equal(header(m, 'List-Unsubscribe'), '<https://keywatch.example.net/u/tok-example.org?s=1&t=2>');
    assert.equal(header(m, 'List-Unsubscribe-Post'), 'List-Unsubscribe=One-Click');
    assert.equal(header(m, 'Auto-Submitted'), 'auto-generated');
    assert.equal(header(m, 'X-Keywatch-Delivery'), 'dlv-42.a');
    assert.match(m.text ?? '', /not published in TLSA/);
    assert.match(m.text ?? '', /Unsubscribe: https:\/\/keywatch\.example\.net\/u\/tok-example\.org\?s=1&t=2/);
    assert.match(m.text ?? '', /Details: https:\/\/keywatch\.example\.net\/d\/example\.org/);
    // The HTML part escapes server-supplied text: no markup from the message survives.
    assert.ok(typeof m.html === 'string');
    assert.ok(!m.html.includes('<script>'), m.html);
    assert.match(m.html, /&lt;script&gt;alert\(1\)&lt;\/script&gt; &amp; &quot;friends&quot;/);
    assert.match(m.html, /<a href="https:\/\/keywatch\.example\.net\/u\/tok-example\.org\?s=1&amp;t=2">Unsubscribe<\/a>/);
  });

  it('a retry of the same delivery carries the same Message-ID; another delivery another one', async () => {
    const n = notifier();
    await n.send(delivery('email', 'bob@example.org', { id: 'retry-me', attempt: 1 }));
    const first = await lastMail(tlsSink);
    await n.send(delivery('email', 'bob@example.org', { id: 'retry-me', attempt: 2 }));
    const second = await lastMail(tlsSink);
    await n.send(delivery('email', 'bob@example.org', { id: 'other', attempt: 1 }));
    const third = await lastMail(tlsSink);
    assert.equal(first.messageId, second.messageId);
    assert.notEqual(first.messageId, third.messageId);
    // An id with characters a Message-ID cannot hold becomes a digest, the same on every try.
    assert.equal(messageIdFor('a b<c>@d', 'x.org'), messageIdFor('a b<c>@d', 'x.org'));
    assert.match(messageIdFor('a b<c>@d', 'x.org'), /^<keywatch\.h[0-9a-f]{40}@x\.org>$/);
  });

  it('confirm-subscription: the confirmation link is in the body (and the unsubscribe link too)', async () => {
    const n = notifier();
    const confirm = 'https://keywatch.example.net/confirm/c0ffee?x=1';
    const r = await n.send(
      delivery('email', 'carol@example.org', { id: 'confirm-1' }, { kind: 'confirm-subscription', subject: 'Confirm your keywatch subscription to example.org', text: 'Someone asked to be told about example.org.', links: { page: 'https://keywatch.example.net/d/example.org', unsubscribe: 'https://keywatch.example.net/u/x', confirm } }),
    );
    assert.equal(r.ok, true);
    const m = await lastMail(tlsSink);
    assert.ok(m.text?.includes(`Confirm your subscription: ${confirm}`), m.text);
    assert.ok(m.text?.includes('Unsubscribe: https://keywatch.example.net/u/x'), m.text);
    assert.equal(m.subject, 'Confirm your keywatch subscription to example.org');
  });

  it('a subject with line breaks stays one header line (no header injection)', async () => {
    const n = notifier();
    await n.send(delivery('email', 'dave@example.org', { id: 'inj' }, { subject: 'hello\r\nBcc: victim@example.com\r\n\r\nbody' }));
    const m = await lastMail(tlsSink);
    assert.equal(m.subject, 'hello Bcc: victim@example.com body');
    assert.equal(header(m, 'Bcc'), undefined);
    assert.deepEqual(m.rcptTo, ['dave@example.org']);
  });
});

describe('email notifier: failures as the outbox needs them', () => {
  it('RCPT refused with 550 → permanent; with 451 → retry', async () => {
    const n = notifier();
    const p = await n.send(delivery('email', 'reject550@example.org'));
    assert.equal(p.ok, false);
    assert.equal(p.permanent, true, p.error);
    assert.match(p.error ?? '', /550/);
    const t = await n.send(delivery('email', 'defer451@example.org'));
    assert.equal(t.ok, false);
    assert.equal(t.permanent, false, t.error);
    assert.match(t.error ?? '', /451/);
  });

  it('nothing listening → retry', async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as AddressInfo).port;
    await new Promise<void>((r) => srv.close(() => r()));
    const r = await notifier({ port }).send(delivery('email', 'erin@example.org'));
    assert.equal(r.ok, false);
    assert.equal(r.permanent, false, r.error);
  });

  it('STARTTLS required: a server that does not offer it gets nothing (retry, not sent in clear)', async () => {
    const before = plainSink.received.length;
    const r = await notifier({ port: plainSink.port }).send(delivery('email', 'frank@example.org'));
    assert.equal(r.ok, false);
    assert.equal(r.permanent, false);
    assert.match(r.error ?? '', /STARTTLS/);
    assert.equal(plainSink.received.length, before);
    // Opportunistic mode is the operator's explicit choice and then sends in clear.
    const o = await notifier({ port: plainSink.port, security: 'opportunistic' }).send(delivery('email', 'frank@example.org'));
    assert.equal(o.ok, true, o.error);
    assert.equal(plainSink.received.length, before + 1);
  });

  it('a certificate the configured CA did not issue is refused (retry, nothing sent)', async () => {
    const before = tlsSink.received.length;
    const r = await notifier({ caFile: pki.rogue.pemFile }).send(delivery('email', 'gina@example.org'));
    assert.equal(r.ok, false);
    assert.equal(r.permanent, false);
    assert.equal(tlsSink.received.length, before);
    // And the name is checked too.
    const w = await notifier({ servername: 'other.example.test' }).send(delivery('email', 'gina@example.org'));
    assert.equal(w.ok, false);
    assert.equal(tlsSink.received.length, before);
  });

  it('a target that is not one plain address is refused before any connection', async () => {
    const before = tlsSink.connections;
    for (const bad of ['a@example.org, b@example.org', 'Name <a@example.org>', 'a@example.org\r\nRCPT TO:<b@x.org>', 'no-at-sign', '"quoted"@example.org']) {
      const r = await notifier().send(delivery('email', bad));
      assert.equal(r.ok, false, bad);
      assert.equal(r.permanent, true, bad);
    }
    assert.equal(tlsSink.connections, before);
  });

  it('classifies nodemailer errors without a server too', () => {
    assert.equal(classifySmtpError(Object.assign(new Error('x'), { code: 'EENVELOPE', responseCode: 552, command: 'RCPT TO' })).permanent, true);
    assert.equal(classifySmtpError(Object.assign(new Error('x'), { code: 'EENVELOPE', responseCode: 503 })).permanent, false);
    assert.equal(classifySmtpError(Object.assign(new Error('x'), { code: 'EAUTH', responseCode: 535 })).permanent, false);
    assert.equal(classifySmtpError(Object.assign(new Error('x'), { code: 'ETIMEDOUT' })).permanent, false);
    assert.equal(classifySmtpError(Object.assign(new Error('x'), { code: 'EENVELOPE' })).permanent, true);
    // A 5xx to the session's own commands is the relay refusing us, not the recipient: retry.
    assert.equal(classifySmtpError(Object.assign(new Error('x'), { code: 'EPROTOCOL', responseCode: 554, command: 'CONN' })).permanent, false);
    assert.equal(classifySmtpError(Object.assign(new Error('x'), { code: 'ETLS', responseCode: 500, command: 'STARTTLS' })).permanent, false);
    assert.equal(classifySmtpError(Object.assign(new Error('x'), { code: 'EMESSAGE', responseCode: 554, command: 'DATA' })).permanent, true);
  });

  it('configuration mistakes are clear errors', () => {
    assert.throws(() => new EmailNotifier({ host: 'smtp.example.org', from: 'a@example.org', security: 'none', auth: { user: 'u', pass: 'p' } }), EmailConfigError);
    assert.throws(() => new EmailNotifier({ host: 'smtp.example.org', from: 'a@example.org', caFile: '/nonexistent/ca.pem' }), /cannot read caFile/);
  });
});
