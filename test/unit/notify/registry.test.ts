// The `notify` settings (validation with the field named, files resolved and read) and the
// registry that builds the notifiers from them, in one call or per channel for the service's loader.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { SubscriptionCommands } from '../../../src/service/contracts.ts';
import { buildNotifiers, NOTIFIER_FACTORIES, NotifyConfigError, parseNotifyConfig, pubsubNotifier, xmppNotifier } from '../../../src/notify/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'keywatch-notify-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const commands: SubscriptionCommands = {
  subscribe: () => Promise.resolve({ ok: true, message: '' }),
  unsubscribe: () => Promise.resolve({ ok: true, message: '' }),
  status: () => Promise.resolve(undefined),
  list: () => Promise.resolve([]),
};

describe('notify settings', () => {
  it('accepts a full configuration and resolves files against the config directory', () => {
    writeFileSync(join(dir, 'bot.pass'), 's3cret\n');
    writeFileSync(join(dir, 'smtp.pass'), 'smtp-pw');
    const c = parseNotifyConfig(
      {
        email: { host: 'smtp.example.org', port: 587, from: 'keywatch <alerts@example.org>', auth: { user: 'alerts', passFile: 'smtp.pass' }, caFile: 'ca.pem', html: true },
        webhook: { timeoutMs: 5000, maxResponseBytes: 1024 },
        xmpp: { jid: 'keywatch@example.org', passwordFile: 'bot.pass', service: 'xmpps://xmpp.example.org:5223' },
        pubsub: { service: 'pubsub.example.org', maxItems: 5 },
      },
      { baseDir: dir },
    );
    assert.equal(c.email?.auth?.pass, 'smtp-pw');
    assert.equal(c.email?.caFile, join(dir, 'ca.pem'));
    assert.equal(c.email?.security, 'starttls');
    assert.equal(c.xmpp?.password, 's3cret');
    assert.equal(c.xmpp?.pubsubService, 'pubsub.example.org');
    assert.equal(c.xmpp?.pubsubMaxItems, 5);
    assert.equal(c.webhook?.allowPrivateAddresses, false);
    assert.equal(c.webhook?.allowHttp, false);
  });

  it('names the field in every error', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ email: { from: 'a@example.org' } }, /notify\.email\.host/],
      [{ email: { host: 'h', from: 'not an address' } }, /notify\.email\.from: must be an address/],
      [{ email: { host: 'h', from: 'a@b.org', security: 'maybe' } }, /notify\.email\.security/],
      [{ email: { host: 'h', from: 'a@b.org', auth: { user: 'u' } } }, /exactly one of pass and passFile/],
      [{ webhook: { timeoutMs: 5 } }, /notify\.webhook\.timeoutMs: must be at least 100 ms/],
      [{ webhook: { followRedirects: true } }, /notify\.webhook/],
      [{ xmpp: { jid: 'example.org', password: 'x' } }, /notify\.xmpp\.jid/],
      [{ xmpp: { jid: 'a@example.org' } }, /exactly one of password and passwordFile/],
      [{ xmpp: { jid: 'a@example.org', password: 'x', service: 'tcp://x' } }, /notify\.xmpp\.service/],
      [{ xmpp: { jid: 'a@example.org', passwordFile: join(dir, 'missing') } }, /notify\.xmpp\.passwordFile: cannot read/],
      [{ pubsub: {} }, /notify\.pubsub: .*configure notify\.xmpp/],
      [{ sms: {} }, /notify/],
    ];
    for (const [raw, re] of cases) assert.throws(() => parseNotifyConfig(raw), (e: unknown) => e instanceof NotifyConfigError && re.test(e.message), JSON.stringify(raw));
  });
});

describe('notifier registry', () => {
  it('builds what is configured, one notifier per channel, and closes them', async () => {
    const set = buildNotifiers(
      parseNotifyConfig({
        email: { host: '127.0.0.1', port: 2525, from: 'a@example.org' },
        webhook: {},
        xmpp: { jid: 'bot@example.org', password: 'pw', service: 'xmpp://127.0.0.1:1' },
        pubsub: {},
      }),
      { commands, start: false },
    );
    assert.deepEqual([...set.notifiers.keys()].sort(), ['email', 'pubsub', 'webhook', 'xmpp']);
    for (const [channel, n] of set.notifiers) assert.equal(n.channel, channel);
    assert.equal(set.bot?.pubsubService, 'pubsub.example.org');
    await set.close();
    assert.equal(set.bot?.isStopped, true);
    const none = buildNotifiers(parseNotifyConfig({}), { commands });
    assert.equal(none.notifiers.size, 0);
  });

  it('per-channel factories for the service loader; xmpp and pubsub share one bot', async () => {
    assert.deepEqual(Object.keys(NOTIFIER_FACTORIES).sort(), ['email', 'pubsub', 'webhook', 'xmpp']);
    const config = { notify: { xmpp: { jid: 'bot@example.org', password: 'pw', service: 'xmpp://127.0.0.1:1' }, pubsub: { service: 'ps.example.org' } } };
    const ctx = { config, commands };
    const chat = await xmppNotifier(config.notify.xmpp, ctx);
    const ps = await pubsubNotifier(config.notify.pubsub, ctx);
    assert.equal(chat.channel, 'xmpp');
    assert.equal(ps.channel, 'pubsub');
    // Not online (nothing listens on port 1): a retry, not a loss.
    const r = await chat.send({ id: 'x', channel: 'xmpp', target: 'a@example.org', attempt: 1, message: { kind: 'alert', domain: 'example.org', subject: 's', text: 't', links: { page: 'https://x/', unsubscribe: 'https://x/u' } } });
    assert.deepEqual([r.ok, r.permanent], [false, false]);
    await chat.close();
    await ps.close();
    await assert.rejects(pubsubNotifier({}, { config: { notify: { pubsub: {} } }, commands }), NotifyConfigError);
    const mail = await NOTIFIER_FACTORIES.email({ host: '127.0.0.1', from: 'a@example.org' }, { commands });
    assert.equal(mail.channel, 'email');
    await mail.close();
  });
});
