// Alerts through a running `keywatch serve` (a child process, the configured built-in notifiers)
// to every non-email channel, on the lab's `watch-channels` scenario (Prosody, signed zone, TLSA
// 3 1 1 with a 2-second TTL, a next key ready): a MITM (the server suddenly presenting a valid
// certificate whose key no TLSA record names) and the recovery when the published key is back.
//  - a webhook receiver (node:http on loopback) subscribed through the JSON API: one signed
//    alert, one signed recovery;
//  - bob@good.test, a stock @xmpp/client user, who subscribed by chatting `subscribe DOMAIN`
//    with the service's bot: one alert chat message, one recovery chat message;
//  - bob again, subscribed natively (XEP-0060) to the domain's node on pubsub.good.test: one
//    event with the critical state, one with the recovered state.
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import xml, { type Element } from '@xmpp/xml';
import { useLab } from '../lab/fixture.ts';
import { swapProsodyCertificate } from '../lab/mutate.ts';
import { api, labServeConfig, startServe, waitUntil, writeConfig, type ServeProcess } from '../helpers/watch-serve.ts';
import { startXmppUser, type XmppUser } from '../helpers/xmpp-user.ts';
import { verifyWebhookSignature } from '../../src/notify/webhook-signature.ts';
import { CONFIG_SCHEMA } from '../../src/service/config.ts';
import { parseStateElement } from '../../src/notify/pubsub-state.ts';

const lab = useLab();
const SCENARIO = 'watch-channels';
const PUBSUB = 'http://jabber.org/protocol/pubsub';
const PUBSUB_EVENT = 'http://jabber.org/protocol/pubsub#event';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Hook {
  headers: IncomingHttpHeaders;
  raw: Buffer;
  body: { kind?: string; domain?: string; delivery?: string; state?: { status?: string; keys?: Array<{ spkiSha256: string }> }; previousStatus?: string };
}

let tmp: string;
let serve: ServeProcess;
let receiver: Server;
let hookUrl: string;
const hooks: Hook[] = [];
let secret: string;
let bob: XmppUser;
/** The service's bot has a resource of its own, so it never meets notify-xmpp.test.ts's bot session on the same account. */
const BOT_RESOURCE = 'keywatch-channels';

const bodyOf = (el: Element) => el.getChildText('body') ?? '';
const header = (h: Hook, name: string) => {
  const v = h.headers[name];
  return Array.isArray(v) ? v.join(',') : v;
};
/** The receiver's check (docs/NOTIFY.md, "Verifying a webhook"), with keywatch's own function. */
const verify = (h: Hook, key = secret) => verifyWebhookSignature({ secret: key, body: h.raw, timestamp: header(h, 'x-keywatch-timestamp'), signature: header(h, 'x-keywatch-signature'), toleranceSeconds: 300 });
const hookKinds = () => hooks.map((h) => h.body.kind);
const fromBot = (s: Element) => s.is('message') && s.attrs.from === `${lab().state.notify.bot.jid}/${BOT_RESOURCE}` && !!bodyOf(s);
const chats = (prefix: string) => bob.stanzas.filter((s) => fromBot(s) && bodyOf(s).startsWith(prefix));
const events = () =>
  bob.stanzas.flatMap((s) => {
    const items = s.getChild('event', PUBSUB_EVENT)?.getChild('items');
    if (!s.is('message') || s.attrs.from !== lab().state.notify.pubsub || items?.attrs.node !== lab().domain(SCENARIO).domain) return [];
    return items.getChildren('item').map((i) => parseStateElement(i.getChildElements()[0]));
  });

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'keywatch-watch-channels-'));
  const { state } = lab();
  const { notify } = state;
  receiver = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (b: Buffer) => parts.push(b));
    req.on('end', () => {
      const raw = Buffer.concat(parts);
      let body: Hook['body'] = {};
      try {
        body = JSON.parse(raw.toString('utf8')) as Hook['body'];
      } catch {
        // kept as {}: the assertions below then fail with the raw body in view
      }
      hooks.push({ headers: req.headers, raw, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/keywatch-hook`;

  const config = labServeConfig(state, tmp, {
    schedule: { intervalSeconds: 1, minIntervalSeconds: 1, provenMinIntervalSeconds: 1, jitter: 0.2, confirmDelaySeconds: 0.3, pollSeconds: 0.1, concurrency: 2 },
    outbox: { pollSeconds: 0.1 },
    limits: { messagesPerHour: 100 },
    // Proof of control for webhook targets has tests of its own; here the channel is what counts.
    ...('proof' in CONFIG_SCHEMA.shape ? { proof: { required: false } } : {}),
    notify: {
      webhook: { allowPrivateAddresses: true, allowHttp: true, timeoutMs: 5000 },
      xmpp: { jid: notify.bot.jid, password: notify.bot.password, service: `xmpp://${notify.address}:${notify.port}`, caFile: state.ca.rootFile, resource: BOT_RESOURCE, bounceWaitMs: 500, commandBurst: 50 },
      pubsub: { service: notify.pubsub },
    },
  });
  serve = await startServe(writeConfig(join(tmp, 'keywatch.json'), config));
  await serve.waitForLog((l) => l.msg === 'xmpp: online', 20_000);
  bob = await startXmppUser({ jid: notify.users.bob.jid, password: notify.users.bob.password, address: notify.address, port: notify.port, caFile: state.ca.rootFile });
});

after(async () => {
  await bob?.stop();
  if (serve && serve.child.exitCode === null) {
    serve.child.kill('SIGTERM');
    await serve.exited;
  }
  await new Promise<void>((r) => (receiver ? receiver.close(() => r()) : r()));
  const { state } = lab();
  const d = lab().domain(SCENARIO);
  await swapProsodyCertificate(state, d.domain, d.keys.server, d.address);
  rmSync(tmp, { recursive: true, force: true });
});

describe('keywatch serve: alerts to a webhook, a chat subscriber and a PubSub subscriber', () => {
  it('subscribing: the webhook through the API, bob by chatting with the bot and natively on the domain\'s node', async () => {
    const d = lab().domain(SCENARIO);
    const { notify } = lab().state;
    const sub = await api(serve.url, '/api/subscriptions', { body: { domain: d.domain, channel: 'webhook', target: hookUrl } });
    assert.equal(sub.status, 202, JSON.stringify(sub.json));
    assert.equal(sub.json.status, 'subscribed');
    secret = String(sub.json.secret);
    assert.ok(secret.length >= 32);
    const hello = await waitUntil('the first signed webhook message', () => hooks.find((h) => h.body.kind === 'subscribed'), 20_000);
    assert.equal(header(hello, 'x-keywatch-event'), 'subscribed');
    assert.deepEqual(verify(hello), { ok: true });

    // bob asks the service's bot; its answer comes from the service (SubscriptionCommands).
    const seen = bob.stanzas.length;
    bob.send(xml('message', { to: `${notify.bot.jid}/${BOT_RESOURCE}`, type: 'chat' }, xml('body', {}, `subscribe ${d.domain}`)));
    const reply = await bob.waitFor((s) => bob.stanzas.indexOf(s) >= seen && fromBot(s), 15_000);
    assert.match(bodyOf(reply), new RegExp(`^(Subscribed to|You are already subscribed to) ${d.domain.replace(/\./g, '\\.')}`));

    const first = await waitUntil('the first check (the baseline)', async () => {
      const v = (await api(serve.url, `/api/domains/${d.domain}`)).json as { status?: string; state?: { keys?: Array<{ spkiSha256: string }> } };
      return v.status && v.status !== 'new' ? v : undefined;
    });
    assert.notEqual(first.status, 'critical');
    assert.deepEqual(new Set(first.state?.keys?.map((k) => k.spkiSha256)), new Set([d.keys.server.spkiSha256]));
    const view = (await api(serve.url, `/api/domains/${d.domain}`)).json;
    assert.equal(view.subscribers, 2, 'the webhook and bob');

    // The baseline is published to the domain's node, which creates it: native subscribers need not wait for an alert.
    await serve.waitForLog((l) => l.event === 'delivery' && l.channel === 'pubsub' && l.result === 'sent', 15_000);
    // XEP-0060 §6.1: bob subscribes her bare JID to the node, and gets the current state at once (send_last_published_item).
    const ps = await bob.iq(xml('iq', { type: 'set', to: notify.pubsub }, xml('pubsub', { xmlns: PUBSUB }, xml('subscribe', { node: d.domain, jid: notify.users.bob.jid }))));
    assert.equal(ps.getChild('pubsub', PUBSUB)?.getChild('subscription')?.attrs.subscription, 'subscribed');
    const now = await waitUntil('the node\'s current state', () => events()[0], 10_000);
    assert.deepEqual([now?.domain, now?.event, now?.status], [d.domain, 'subscribed', first.status]);
    assert.deepEqual(now?.keys.map((k) => k.spkiSha256), first.state?.keys?.map((k) => k.spkiSha256));
  });

  it('a MITM: exactly one signed alert to the webhook, one chat alert and one PubSub event; the recovery likewise', async () => {
    const { state } = lab();
    const d = lab().domain(SCENARIO);
    const rogue = d.keys.next!; // a valid certificate whose key no TLSA record names
    const eventsBefore = events().length;
    await swapProsodyCertificate(state, d.domain, rogue, d.address);

    const alert = await waitUntil('the webhook alert', () => hooks.find((h) => h.body.kind === 'alert'), 30_000);
    assert.equal(header(alert, 'x-keywatch-event'), 'alert');
    assert.deepEqual(verify(alert), { ok: true });
    assert.deepEqual(verify(alert, 'not-the-secret'), { ok: false, reason: 'signature-mismatch' });
    assert.equal(alert.body.domain, d.domain);
    assert.equal(alert.body.state?.status, 'critical');
    assert.ok(alert.body.state?.keys?.every((k) => k.spkiSha256 === rogue.spkiSha256));
    assert.equal(header(alert, 'x-keywatch-delivery'), alert.body.delivery);

    const chat = await bob.waitFor((s) => fromBot(s) && bodyOf(s).startsWith('CRITICAL: '), 20_000);
    assert.match(bodyOf(chat), new RegExp(`^CRITICAL: ${d.domain.replace(/\./g, '\\.')}: `));
    assert.ok(bodyOf(chat).includes(rogue.spkiSha256), 'the chat alert names the rogue key');
    assert.match(bodyOf(chat), new RegExp(`Or reply: unsubscribe ${d.domain.replace(/\./g, '\\.')}$`));
    assert.ok(chat.getChild('origin-id', 'urn:xmpp:sid:0')?.attrs.id, 'the delivery id');

    const critical = await waitUntil('the PubSub event with the critical state', () => events().slice(eventsBefore).find((e) => e?.status === 'critical'), 20_000);
    assert.equal(critical?.event, 'alert');
    assert.equal(critical?.domain, d.domain);

    await sleep(3000); // several more checks of the same MITM: no repeats
    assert.deepEqual(hookKinds().filter((k) => k === 'alert'), ['alert']);
    assert.equal(chats('CRITICAL: ').length, 1);
    assert.equal(events().slice(eventsBefore).filter((e) => e?.event === 'alert').length, 1);

    await swapProsodyCertificate(state, d.domain, d.keys.server, d.address);
    const recovery = await waitUntil('the webhook recovery', () => hooks.find((h) => h.body.kind === 'recovery'), 30_000);
    assert.deepEqual(verify(recovery), { ok: true });
    assert.equal(recovery.body.previousStatus, 'critical');
    assert.notEqual(recovery.body.state?.status, 'critical');
    const back = await bob.waitFor((s) => fromBot(s) && bodyOf(s).startsWith('RECOVERED: '), 20_000);
    assert.match(bodyOf(back), new RegExp(`^RECOVERED: ${d.domain.replace(/\./g, '\\.')} is (OK|WARNING) again`));
    const recovered = await waitUntil('the PubSub event with the recovered state', () => events().slice(eventsBefore).find((e) => e?.event === 'recovery'), 20_000);
    assert.equal(recovered?.previous, 'critical');
    assert.notEqual(recovered?.status, 'critical');

    await sleep(3000);
    assert.deepEqual(hookKinds().filter((k) => k === 'alert' || k === 'recovery'), ['alert', 'recovery']);
    assert.equal(chats('CRITICAL: ').length, 1);
    assert.equal(chats('RECOVERED: ').length, 1);
    assert.deepEqual(events().slice(eventsBefore).map((e) => e?.event).filter((k) => k === 'alert' || k === 'recovery'), ['alert', 'recovery']);
    assert.equal(new Set(hooks.map((h) => h.body.delivery)).size, hooks.length, 'every webhook message is its own delivery');
  });
});
