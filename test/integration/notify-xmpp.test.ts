// The XMPP notifiers against the lab's Prosody: keywatch's bot account (keywatch-bot@good.test)
// and a real user, alice@good.test, who is a stock @xmpp/client in a child process (so the
// judge of what the bot does is not keywatch's own connection code). The service's side is an
// in-memory SubscriptionCommands, the boundary to the store.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import xml, { type Element } from '@xmpp/xml';
import type { Channel, DomainState, SubscriptionCommands } from '../../src/service/contracts.ts';
import { buildNotifiers, parseNotifyConfig, type NotifierSet, type NotifyLog } from '../../src/notify/index.ts';
import { parseStateElement, pubsubNodeUri, XmppBot } from '../../src/notify/xmpp.ts';
import { useLab } from '../lab/fixture.ts';
import { startXmppUser, type XmppUser } from '../helpers/xmpp-user.ts';
import { makePki, type Pki } from '../unit/dane/pki.ts';
import { delivery, sampleState } from '../unit/notify/fixtures.ts';

const lab = useLab();

const PUBSUB = 'http://jabber.org/protocol/pubsub';
const PUBSUB_EVENT = 'http://jabber.org/protocol/pubsub#event';

class MemoryCommands implements SubscriptionCommands {
  readonly subs = new Map<string, Set<string>>();
  readonly calls: Array<[string, string, Channel, string]> = [];
  readonly states = new Map<string, DomainState>();
  subscribe(domain: string, channel: Channel, target: string) {
    this.calls.push(['subscribe', domain, channel, target]);
    const key = `${channel} ${target}`;
    this.subs.set(key, new Set([...(this.subs.get(key) ?? []), domain]));
    return Promise.resolve({ ok: true, message: `Subscribed ${target} to ${domain}: alerts will come here.` });
  }
  unsubscribe(domain: string, channel: Channel, target: string) {
    this.calls.push(['unsubscribe', domain, channel, target]);
    const had = this.subs.get(`${channel} ${target}`)?.delete(domain) ?? false;
    return Promise.resolve({ ok: had, message: had ? `Unsubscribed from ${domain}.` : `You were not subscribed to ${domain}.` });
  }
  status(domain: string) {
    return Promise.resolve(this.states.get(domain));
  }
  list(channel: Channel, target: string) {
    return Promise.resolve([...(this.subs.get(`${channel} ${target}`) ?? [])]);
  }
}

/** Every log line, to check that no password ever reaches the log. */
const logLines: string[] = [];
const recordingLog: NotifyLog = {
  debug: (f, m) => logLines.push(`debug ${m} ${JSON.stringify(f)}`),
  info: (f, m) => logLines.push(`info ${m} ${JSON.stringify(f)}`),
  warn: (f, m) => logLines.push(`warn ${m} ${JSON.stringify(f)}`),
  error: (f, m) => logLines.push(`error ${m} ${JSON.stringify(f)}`),
};

const bodyOf = (el: Element) => el.getChildText('body') ?? '';

describe('XMPP notifiers on the lab Prosody', () => {
  const commands = new MemoryCommands();
  let set: NotifierSet;
  let bot: XmppBot;
  let alice: XmppUser;

  before(async () => {
    const { notify, ca } = lab().state;
    // Built the way `keywatch serve` builds them: settings → parseNotifyConfig → buildNotifiers.
    const config = parseNotifyConfig({
      xmpp: { jid: notify.bot.jid, password: notify.bot.password, service: `xmpp://${notify.address}:${notify.port}`, caFile: ca.rootFile, bounceWaitMs: 800, commandBurst: 100 },
      pubsub: { service: notify.pubsub },
    });
    set = buildNotifiers(config, { commands, log: recordingLog });
    bot = set.bot!;
    await bot.waitOnline(15_000);
    alice = await startXmppUser({ jid: notify.users.alice.jid, password: notify.users.alice.password, address: notify.address, port: notify.port, caFile: ca.rootFile });
  });
  after(async () => {
    await alice?.stop();
    await set?.close();
    const { notify } = lab().state;
    for (const secret of [notify.bot.password, notify.users.alice.password]) {
      assert.ok(!logLines.some((l) => l.includes(secret)), 'a password reached the log');
    }
  });

  /** alice sends `text` to the bot and waits for the next chat answer from it. */
  async function ask(text: string): Promise<string> {
    const seen = alice.stanzas.length;
    alice.send(xml('message', { to: bot.jid, type: 'chat' }, xml('body', {}, text)));
    const el = await alice.waitFor((s) => alice.stanzas.indexOf(s) >= seen && s.is('message') && String(s.attrs.from).startsWith(`${bot.jid}/`) && !!bodyOf(s));
    return bodyOf(el);
  }

  it('alice chats `subscribe good.test`: the service is asked for her bare JID on channel xmpp, and she gets its answer', async () => {
    const answer = await ask('subscribe good.test');
    assert.deepEqual(commands.calls.at(-1), ['subscribe', 'good.test', 'xmpp', 'alice@good.test']);
    assert.equal(answer, 'Subscribed alice@good.test to good.test: alerts will come here.');
  });

  it('status, list, unsubscribe, help and an unknown command', async () => {
    commands.states.set('good.test', sampleState('good.test', { status: 'ok', summary: 'good.test: every endpoint presents a published key', findings: [] }));
    assert.match(await ask('status good.test'), /^good\.test \(xmpp\): OK — good\.test: every endpoint presents a published key/);
    assert.match(await ask('status nowhere.test'), /not watched yet/);
    assert.match(await ask('list'), /Your subscriptions:\n- good\.test/);
    assert.match(await ask('help'), new RegExp(`subscribe DOMAIN[\\s\\S]*${pubsubNodeUri(lab().state.notify.pubsub, 'DOMAIN').replace(/[.?]/g, '\\$&')}`));
    assert.match(await ask('hello there'), /I don't know "hello there"[\s\S]*status DOMAIN/);
    assert.match(await ask('subscribe not_a_domain'), /is not a domain name/);
    assert.equal(await ask('unsubscribe good.test'), 'Unsubscribed from good.test.');
    assert.deepEqual(commands.calls.at(-1), ['unsubscribe', 'good.test', 'xmpp', 'alice@good.test']);
    await ask('subscribe good.test');
  });

  it('an alert delivery to alice arrives as a chat message, with the delivery id as origin-id and the unsubscribe link', async () => {
    const chat = set.notifiers.get('xmpp')!;
    const seen = alice.stanzas.length;
    const r = await chat.send(delivery('xmpp', 'alice@good.test', { id: 'dlv-xmpp-1' }, { domain: 'good.test' }));
    assert.deepEqual(r, { ok: true });
    const el = await alice.waitFor((s) => alice.stanzas.indexOf(s) >= seen && s.is('message') && bodyOf(s).startsWith('CRITICAL'));
    assert.equal(el.attrs.type, 'chat');
    assert.equal(el.attrs.from, `${bot.jid}/keywatch`);
    assert.equal(el.getChild('origin-id', 'urn:xmpp:sid:0')?.attrs.id, 'dlv-xmpp-1');
    const body = bodyOf(el);
    assert.match(body, /^CRITICAL: good\.test: key differs on path\n/);
    // Server-supplied text arrives as text (the XML layer escaped it, nothing was interpreted).
    assert.match(body, /Certificate subject: <script>alert\(1\)<\/script> & "friends"/);
    assert.match(body, /Unsubscribe: https:\/\/keywatch\.example\.net\/u\/tok-good\.test\?s=1&t=2\nOr reply: unsubscribe good\.test$/);
  });

  it('a chat alert to an account that does not exist is bounced by the server: not delivered', async () => {
    const r = await set.notifiers.get('xmpp')!.send(delivery('xmpp', 'nobody@good.test'));
    assert.equal(r.ok, false);
    assert.match(r.error ?? '', /service-unavailable/);
    const bad = await set.notifiers.get('xmpp')!.send(delivery('xmpp', 'alice@good.test/phone'));
    assert.deepEqual([bad.ok, bad.permanent], [false, true]);
  });

  it('PubSub: the first publish creates an open node; alice subscribes natively and receives the state', async () => {
    const { pubsub } = lab().state.notify;
    const ps = set.notifiers.get('pubsub')!;
    const state = sampleState('good.test');
    const first = await ps.send(delivery('pubsub', 'good.test', { id: 'state-1' }, { domain: 'good.test', state }));
    assert.deepEqual(first, { ok: true });

    // The node's configuration as the server reports it: open access, keywatch's payload type.
    const meta = await alice.iq(xml('iq', { type: 'get', to: pubsub }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info', node: 'good.test' })));
    const fields = meta.getChild('query')?.getChild('x', 'jabber:x:data')?.getChildren('field') ?? [];
    const field = (v: string) => fields.find((f) => f.attrs.var === v)?.getChildText('value');
    assert.equal(field('pubsub#access_model'), 'open');
    assert.equal(field('pubsub#type'), 'urn:keywatch:state:0');

    // XEP-0060 §6.1: alice (no affiliation with the node) subscribes her bare JID.
    const seen = alice.stanzas.length;
    const sub = await alice.iq(xml('iq', { type: 'set', to: pubsub }, xml('pubsub', { xmlns: PUBSUB }, xml('subscribe', { node: 'good.test', jid: 'alice@good.test' }))));
    assert.equal(sub.getChild('pubsub', PUBSUB)?.getChild('subscription')?.attrs.subscription, 'subscribed');

    // A new state is published: alice gets the event notification with the payload.
    const next = sampleState('good.test', { status: 'ok', summary: 'good.test: recovered, every endpoint presents a published key', findings: [] });
    const r = await ps.send(delivery('pubsub', 'good.test', { id: 'state-2' }, { kind: 'recovery', domain: 'good.test', state: next, previousStatus: 'critical' }));
    assert.deepEqual(r, { ok: true });
    const ev = await alice.waitFor((s) => {
      const items = s.getChild('event', PUBSUB_EVENT)?.getChild('items');
      return alice.stanzas.indexOf(s) >= seen && items?.attrs.node === 'good.test' && items.getChild('item')?.attrs.id === 'state-2';
    });
    assert.equal(ev.attrs.from, pubsub);
    const payload = ev.getChild('event', PUBSUB_EVENT)?.getChild('items')?.getChild('item')?.getChildElements()[0];
    const parsed = parseStateElement(payload);
    assert.equal(parsed?.status, 'ok');
    assert.equal(parsed?.summary, 'good.test: recovered, every endpoint presents a published key');
    assert.equal(parsed?.event, 'recovery');
    assert.equal(parsed?.previous, 'critical');
  });

  it('the bot reconnects after its server drops it', async () => {
    const { notify, ca } = lab().state;
    const offline = new Promise<string>((resolve) => bot.connection.once('offline', resolve));
    const backOnline = new Promise<void>((resolve) => bot.connection.once('online', () => resolve()));
    // A second login on the bot's own full JID: Prosody closes the older session (a <conflict/>
    // stream error), as it would on a server restart or a network failure.
    const intruder = await startXmppUser({ jid: notify.bot.jid, password: notify.bot.password, address: notify.address, port: notify.port, caFile: ca.rootFile, resource: 'keywatch' });
    await intruder.stop();
    assert.ok((await offline).length > 0);
    await backOnline;
    assert.equal(bot.connection.online, true);
    // And it works as before.
    assert.match(await ask('list'), /good\.test/);
  });
});

describe('XMPP bot: TLS is verified against the configured CA', () => {
  let pki: Pki;
  before(() => {
    pki = makePki();
  });
  after(() => pki.cleanup());

  it('a CA that did not issue the server certificate: never online, the password never sent, retried with back-off', async () => {
    const { notify } = lab().state;
    const lines: string[] = [];
    const log: NotifyLog = { debug: (f, m) => lines.push(`${m} ${JSON.stringify(f)}`), info: (f, m) => lines.push(`${m} ${JSON.stringify(f)}`), warn: (f, m) => lines.push(`${m} ${JSON.stringify(f)}`), error: (f, m) => lines.push(`${m} ${JSON.stringify(f)}`) };
    const bot = new XmppBot(
      { jid: notify.bot.jid, password: notify.bot.password, service: `xmpp://${notify.address}:${notify.port}`, caFile: pki.root.pemFile, timeoutMs: 3000, reconnect: { baseMs: 100, capMs: 200, maxRetryAfterMs: 200 } },
      { commands: new MemoryCommands(), log },
    );
    bot.start();
    try {
      await assert.rejects(bot.waitOnline(2500), /certificate/i);
      const attempts = lines.filter((l) => l.startsWith('xmpp: connecting')).length;
      assert.ok(attempts >= 2, `attempts: ${attempts}\n${lines.join('\n')}`);
      assert.ok(!lines.some((l) => l.includes(notify.bot.password)));
      // A delivery meanwhile is a retry, not a loss.
      const r = await bot.chatNotifier().send(delivery('xmpp', 'alice@good.test'));
      assert.deepEqual([r.ok, r.permanent], [false, false]);
    } finally {
      await bot.stop();
    }
  });
});
