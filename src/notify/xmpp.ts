// The XMPP side of the notifications: one bot account that
//   (a) sends alerts as chat messages to subscribed JIDs          (Notifier, channel `xmpp`),
//   (b) answers `subscribe/unsubscribe/status DOMAIN`, `list`, `help` by calling the service's
//       SubscriptionCommands with the sender's bare JID,
//   (c) publishes each watched domain's state to its own node on the bot server's XEP-0060
//       service, created on first use with an open access model so anyone can subscribe
//       natively (xmpp:pubsub.example.org?;node=example.org)   (Notifier, channel `pubsub`),
//   (d) stays connected, reconnecting with back-off (xmpp-connection.ts).
import { jid as parseJid, xml } from '@xmpp/client-core';
import type { Element } from '@xmpp/xml';
import type { Delivery, DeliveryResult, Notifier, SubscriptionCommands } from '../service/contracts.ts';
import { errorLine, silentLog, type NotifyLog } from './log.ts';
import { nodeConfigForm, PUBSUB_NS, stateElement } from './pubsub-state.ts';
import { messageBody } from './render-text.ts';
import { SenderLimit } from './sender-limit.ts';
import { answerCommand, normalizeDomain, parseCommand } from './xmpp-commands.ts';
import { XmppConfigError, XmppConnection, type XmppAccountConfig } from './xmpp-connection.ts';

export { pubsubNodeUri, parseStateElement, STATE_NS } from './pubsub-state.ts';
export { XmppConfigError } from './xmpp-connection.ts';

const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

export interface XmppBotConfig extends XmppAccountConfig {
  /** The XEP-0060 service for the domains' nodes (default `pubsub.<the bot's domain>`). */
  pubsubService?: string;
  /** Items kept per node (default 10: the latest states). */
  pubsubMaxItems?: number;
  /** After a chat message, wait this long for the server to bounce it (default 1500 ms; 0: do not wait). */
  bounceWaitMs?: number;
  /** Commands one user may send in a burst (default 5), and regains per minute (default 10). */
  commandBurst?: number;
  commandsPerMinute?: number;
  /** Commands answered at once (default 16); more get a "busy" answer. */
  maxConcurrentCommands?: number;
}

export interface XmppBotDeps {
  commands: SubscriptionCommands;
  log?: NotifyLog;
}

/**
 * Error conditions (RFC 6120 §8.3.3) after which sending the same thing again cannot help.
 * Everything else, service-unavailable included (an offline user on a server without offline
 * storage), is retried: losing an alert is worse than a few retries.
 */
const FINAL_CONDITIONS = new Set(['bad-request', 'jid-malformed', 'not-acceptable', 'policy-violation', 'item-not-found', 'not-allowed', 'feature-not-implemented', 'gone']);

/** A stanza error (xmpp.js's StanzaError, or a bounced stanza's <error/>) as a DeliveryResult. */
export function classifyStanzaError(e: unknown, what: string): DeliveryResult {
  const condition = (e as { condition?: unknown }).condition;
  if (typeof condition === 'string') {
    const text = (e as { text?: unknown }).text;
    const detail = `${what}: ${condition}${typeof text === 'string' && text ? ` (${errorLine(text, 120)})` : ''}`;
    return { ok: false, permanent: FINAL_CONDITIONS.has(condition), error: detail };
  }
  return { ok: false, permanent: false, error: `${what}: ${errorLine(e)}` };
}

/** The condition, type and text of a stanza's <error/> child. */
function stanzaError(el: Element): { condition: string; type: string; text: string } {
  const err = el.getChild('error');
  const cond = err?.children.find((c): c is Element => typeof c !== 'string' && c.attrs.xmlns === NS_STANZAS && c.name !== 'text');
  return { condition: cond?.name ?? 'undefined-condition', type: String(err?.attrs.type ?? ''), text: err?.getChildText('text', NS_STANZAS) ?? '' };
}

/** A bare JID with a local part (a person or a bot, not a server), normalised; undefined otherwise. */
function personJid(s: string): string | undefined {
  try {
    const j = parseJid(s);
    if (!j.local || !j.domain || j.resource) return undefined;
    return j.bare().toString();
  } catch {
    return undefined;
  }
}

export class XmppBot {
  readonly connection: XmppConnection;
  readonly pubsubService: string;
  private readonly log: NotifyLog;
  private readonly limit: SenderLimit;
  private readonly bounces = new Map<string, (el: Element) => void>();
  private readonly knownNodes = new Set<string>();
  private busy = 0;
  private stopped = false;
  private holders = 0;
  private seq = 0;

  constructor(
    private readonly config: XmppBotConfig,
    private readonly deps: XmppBotDeps,
  ) {
    this.log = deps.log ?? silentLog;
    this.connection = new XmppConnection(config, { log: this.log });
    this.pubsubService = config.pubsubService ?? `pubsub.${this.connection.domain}`;
    try {
      const j = parseJid(this.pubsubService);
      if (j.local || j.resource) throw new Error('not a service JID');
    } catch {
      throw new XmppConfigError(`xmpp: pubsubService must be a service JID such as pubsub.example.org, got ${JSON.stringify(this.pubsubService)}`);
    }
    this.limit = new SenderLimit({ burst: config.commandBurst ?? 5, perMinute: config.commandsPerMinute ?? 10 });
    this.connection.on('stanza', (el) => {
      if (el.is('message')) void this.onMessage(el);
    });
    // The nodes may have gone (a server reset) while offline: check again after a reconnect.
    this.connection.on('online', () => this.knownNodes.clear());
  }

  get jid(): string {
    return this.connection.jid;
  }

  /** stop() was called (directly, or by closing every notifier handed out). */
  get isStopped(): boolean {
    return this.stopped;
  }

  start(): void {
    this.stopped = false;
    this.connection.start();
  }

  waitOnline(timeoutMs?: number): Promise<void> {
    return this.connection.waitOnline(timeoutMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.connection.stop();
  }

  /** The chat notifier (channel `xmpp`); the bot stops when every notifier handed out is closed. */
  chatNotifier(): Notifier {
    return this.hold('xmpp', (d) => this.sendChat(d));
  }

  /** The PubSub notifier (channel `pubsub`): the delivery's target is the node, its message's state the item. */
  pubsubNotifier(): Notifier {
    return this.hold('pubsub', (d) => this.publishState(d));
  }

  private hold(channel: 'xmpp' | 'pubsub', send: (d: Delivery) => Promise<DeliveryResult>): Notifier {
    this.holders++;
    let closed = false;
    return {
      channel,
      send: async (d) => {
        if (d.channel !== channel) return { ok: false, permanent: true, error: `the ${channel} notifier cannot send a ${d.channel} delivery` };
        if (closed || this.stopped) return { ok: false, permanent: false, error: 'the XMPP bot is stopped' };
        return send(d);
      },
      close: async () => {
        if (closed) return;
        closed = true;
        if (--this.holders === 0) await this.stop();
      },
    };
  }

  // --- (a) alerts as chat messages ------------------------------------------------------------

  private async sendChat(d: Delivery): Promise<DeliveryResult> {
    const to = personJid(d.target);
    if (!to) return { ok: false, permanent: true, error: `not a bare JID: ${JSON.stringify(errorLine(d.target, 80))}` };
    // The stanza id is new per attempt (so a bounce names this attempt); origin-id (XEP-0359)
    // carries the delivery id, the same on every retry.
    const id = `kw-${Date.now().toString(36)}-${(this.seq++).toString(36)}`;
    // The unsubscribe link is in the body; in a chat the command is as good (issue 7: in every message).
    const domain = normalizeDomain(d.message.domain);
    const hint = domain && d.message.kind !== 'unsubscribed' ? `\nOr reply: unsubscribe ${domain}` : '';
    const body = `${messageBody(d.message, { subjectFirst: true }).slice(0, 10_000)}${hint}`;
    const stanza = xml('message', { type: 'chat', to, id }, xml('body', {}, body), xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id: d.id.slice(0, 200) }), xml('store', { xmlns: 'urn:xmpp:hints' }));
    const wait = this.config.bounceWaitMs ?? 1500;
    const bounced = wait > 0 ? this.awaitBounce(id, wait) : Promise.resolve(undefined);
    try {
      await this.connection.send(stanza);
    } catch (e) {
      this.bounces.delete(id);
      return { ok: false, permanent: false, error: `xmpp: ${errorLine(e)}` };
    }
    const err = await bounced;
    if (err) {
      const r = classifyStanzaError(err, `the server bounced the message to ${to}`);
      this.log[r.permanent ? 'warn' : 'info']({ delivery: d.id, attempt: d.attempt, error: r.error }, 'xmpp: chat message bounced');
      return r;
    }
    this.log.info({ delivery: d.id, attempt: d.attempt }, 'xmpp: chat message sent');
    return { ok: true };
  }

  private awaitBounce(id: string, ms: number): Promise<{ condition: string; text: string } | undefined> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.bounces.delete(id);
        resolve(undefined);
      }, ms);
      this.bounces.set(id, (el) => {
        clearTimeout(t);
        this.bounces.delete(id);
        resolve(stanzaError(el));
      });
    });
  }

  // --- (b) chat commands ----------------------------------------------------------------------

  private async onMessage(el: Element): Promise<void> {
    const type = String(el.attrs.type ?? 'normal');
    if (type === 'error') {
      const id = el.attrs.id as string | undefined;
      if (id) this.bounces.get(id)?.(el);
      return; // never answer an error (RFC 6120 §8.3.1), so two bots cannot loop
    }
    if (type === 'groupchat' || type === 'headline') return;
    const body = el.getChildText('body');
    const fromAttr = el.attrs.from as string | undefined;
    if (body == null || !fromAttr) return;
    let from;
    try {
      from = parseJid(fromAttr);
    } catch {
      return;
    }
    // Servers and components (no local part) and the bot's own other resources are not users.
    if (!from.local) return;
    const sender = from.bare().toString();
    if (sender === this.connection.jid) return;
    const verdict = this.limit.take(sender);
    if (verdict === 'drop') return;
    if (verdict === 'warn') return this.reply(fromAttr, 'Too many commands; please wait a minute.');
    if (this.busy >= (this.config.maxConcurrentCommands ?? 16)) return this.reply(fromAttr, 'Busy; please try again in a moment.');
    this.busy++;
    try {
      const cmd = parseCommand(body);
      this.log.info({ from: sender, command: cmd.kind, ...('domain' in cmd ? { domain: cmd.domain } : {}) }, 'xmpp: command');
      const answer = await answerCommand(cmd, sender, this.deps.commands, {
        pubsubService: this.pubsubService,
        onError: (e) => this.log.error({ from: sender, command: cmd.kind, error: errorLine(e) }, 'xmpp: command failed'),
      });
      await this.reply(fromAttr, answer);
    } finally {
      this.busy--;
    }
  }

  private async reply(to: string, text: string): Promise<void> {
    try {
      await this.connection.send(xml('message', { type: 'chat', to, id: `kw-r-${(this.seq++).toString(36)}` }, xml('body', {}, text)));
    } catch (e) {
      this.log.warn({ to, error: errorLine(e) }, 'xmpp: could not answer');
    }
  }

  // --- (c) PubSub -----------------------------------------------------------------------------

  private async publishState(d: Delivery): Promise<DeliveryResult> {
    const node = normalizeDomain(d.target);
    if (!node) return { ok: false, permanent: true, error: `not a node name keywatch publishes (a domain): ${JSON.stringify(errorLine(d.target, 80))}` };
    const state = d.message.state;
    if (!state) return { ok: false, permanent: true, error: 'a pubsub delivery needs the domain state to publish' };
    const item = stateElement(state, { kind: d.message.kind, ...(d.message.previousStatus ? { previousStatus: d.message.previousStatus } : {}) });
    // The item id is the delivery id: a retry replaces its own item instead of adding another.
    const itemId = d.id.slice(0, 200);
    const publish = () => this.connection.iq(xml('iq', { type: 'set', to: this.pubsubService }, xml('pubsub', { xmlns: PUBSUB_NS }, xml('publish', { node }, xml('item', { id: itemId }, item)))));
    try {
      try {
        await publish();
      } catch (e) {
        if ((e as { condition?: string }).condition !== 'item-not-found' || this.knownNodes.has(node)) throw e;
        await this.createNode(node);
        await publish();
      }
      this.knownNodes.add(node);
      if (this.knownNodes.size > 100_000) this.knownNodes.clear();
      this.log.info({ delivery: d.id, node, service: this.pubsubService }, 'xmpp: state published');
      return { ok: true };
    } catch (e) {
      const r = classifyStanzaError(e, `publishing to ${node} on ${this.pubsubService}`);
      this.log[r.permanent ? 'warn' : 'info']({ delivery: d.id, node, error: r.error }, 'xmpp: publish failed');
      return r;
    }
  }

  /** Creates a domain's node with an open access model; a node that exists already is fine. */
  private async createNode(node: string): Promise<void> {
    const max = this.config.pubsubMaxItems ?? 10;
    try {
      await this.connection.iq(
        xml(
          'iq',
          { type: 'set', to: this.pubsubService },
          xml('pubsub', { xmlns: PUBSUB_NS }, xml('create', { node }), xml('configure', {}, nodeConfigForm({ title: `keywatch: ${node}`, maxItems: max }))),
        ),
      );
      this.log.info({ node, service: this.pubsubService }, 'xmpp: node created');
    } catch (e) {
      if ((e as { condition?: string }).condition !== 'conflict') throw e;
    }
  }
}
