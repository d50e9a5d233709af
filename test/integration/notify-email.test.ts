// The email notifier against the lab's mail exchanger (mx.mail.test: smtp-server on port 25 with
// STARTTLS and a certificate from the lab CA, every accepted message written to its maildir):
// the double opt-in message arrives over verified TLS with its confirmation link and the RFC 8058
// headers, the way the service's end-to-end tests will read it.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import { EmailNotifier } from '../../src/notify/email.ts';
import { useLab } from '../lab/fixture.ts';
import { delivery } from '../unit/notify/fixtures.ts';

const lab = useLab();

async function newMessages(dir: string, before: Set<string>, timeoutMs = 5000): Promise<string[]> {
  const t0 = Date.now();
  for (;;) {
    const added = readdirSync(dir).filter((f) => f.endsWith('.eml') && !before.has(f));
    if (added.length || Date.now() - t0 > timeoutMs) return added;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('email notifier → the lab MX', () => {
  it('a confirm-subscription message arrives over STARTTLS verified with the lab CA, with its link and headers', async () => {
    const mx = lab().mailDomain('mail').mx[0]!;
    const n = new EmailNotifier({ host: mx.address, port: mx.port, servername: mx.host, caFile: lab().state.ca.rootFile, from: 'keywatch <alerts@keywatch.test>', timeoutMs: 5000 });
    try {
      const before = new Set(readdirSync(mx.maildir));
      const confirm = 'https://keywatch.test/confirm/0123abcd';
      const r = await n.send(
        delivery('email', `admin@${lab().mailDomain('mail').domain}`, { id: 'confirm-lab-1' }, {
          kind: 'confirm-subscription',
          domain: 'good.test',
          subject: 'Confirm your keywatch alerts for good.test',
          text: 'Someone (hopefully you) asked for alerts about good.test.',
          links: { page: 'https://keywatch.test/d/good.test', unsubscribe: 'https://keywatch.test/u/xyz', confirm },
        }),
      );
      assert.deepEqual(r, { ok: true });
      const added = await newMessages(mx.maildir, before);
      assert.equal(added.length, 1);
      const raw = readFileSync(join(mx.maildir, added[0]!));
      // The lab MX's trace header says the session was encrypted.
      assert.match(raw.toString('utf8'), /using TLSv1\.[23] with cipher/);
      const m = await simpleParser(raw);
      assert.equal(m.messageId, '<keywatch.confirm-lab-1@keywatch.test>');
      assert.equal(m.subject, 'Confirm your keywatch alerts for good.test');
      assert.ok(m.text?.includes(`Confirm your subscription: ${confirm}`), m.text);
      const header = (k: string) => m.headerLines.find((h) => h.key === k)?.line;
      assert.equal(header('list-unsubscribe-post'), 'List-Unsubscribe-Post: List-Unsubscribe=One-Click');
      assert.equal(header('list-unsubscribe'), 'List-Unsubscribe: <https://keywatch.test/u/xyz>');
    } finally {
      await n.close();
    }
  });

  it('the MX certificate is checked: a wrong expected name means nothing is sent', async () => {
    const mx = lab().mailDomain('mail').mx[0]!;
    const n = new EmailNotifier({ host: mx.address, port: mx.port, servername: 'mx.elsewhere.test', caFile: lab().state.ca.rootFile, from: 'alerts@keywatch.test', timeoutMs: 5000 });
    try {
      const before = new Set(readdirSync(mx.maildir));
      const r = await n.send(delivery('email', 'admin@mail.test'));
      assert.deepEqual([r.ok, r.permanent], [false, false]);
      assert.match(r.error ?? '', /altnames|certificate/i);
      assert.deepEqual(await newMessages(mx.maildir, before, 300), []);
    } finally {
      await n.close();
    }
  });
});
