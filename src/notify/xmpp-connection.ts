// The bot's client connection, composed from xmpp.js's modules (the way xmpp.js itself builds
// @xmpp/client) so that keywatch decides what the stock client does not let it decide:
//
//   - TLS is verified against a configured CA file (or the system store) for the account's
//     domain, both on STARTTLS and on direct TLS; there is no switch to turn verification off;
//   - the password is never sent before TLS: a server that offers SASL on a clear stream gets
//     no authentication at all (the stock client would authenticate there);
//   - one incoming stanza may not exceed a byte budget (a stream error, then a reconnect);
//   - a lost connection is retried with exponential back-off and jitter, forever until stop();
//     a ping keeps a silent dead connection from looking alive.
//
// The password lives in a private field and in the SASL closure only; it is never logged.
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { resolveSrv } from 'node:dns/promises';
import type { Socket } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { Client, jid as parseJid, xml } from '@xmpp/client-core';
import ConnectionTCP from '@xmpp/connection-tcp';
import { promise as eventPromise } from '@xmpp/events';
import iqCallee from '@xmpp/iq/callee.js';
import iqCaller, { type IQCaller } from '@xmpp/iq/caller.js';
import middleware from '@xmpp/middleware';
import resourceBinding from '@xmpp/resource-binding';
import sasl from '@xmpp/sasl';
import plain from '@xmpp/sasl-plain';
import scramsha1 from '@xmpp/sasl-scram-sha-1';
import streamFeatures from '@xmpp/stream-features';
import TlsSocket from '@xmpp/tls/lib/Socket.js';
import type { Element } from '@xmpp/xml';
import SASLFactory from 'saslmechanisms';
import { nextAttemptDelay, RECONNECT_BACKOFF, type BackoffPolicy } from './backoff.ts';
import { errorLine, silentLog, type NotifyLog } from './log.ts';

const NS_TLS = 'urn:ietf:params:xml:ns:xmpp-tls';

export interface XmppAccountConfig {
  /** The account's bare JID, e.g. `keywatch@example.org`. */
  jid: string;
  password: string;
  /**
   * Where to connect: `xmpp://host:port` (STARTTLS) or `xmpps://host:port` (TLS from the first
   * byte). Default: the domain's `_xmpp-client._tcp` SRV record, else the domain on port 5222.
   */
  service?: string;
  /** PEM file of the CA(s) to trust for the server's certificate (default: the system store). */
  caFile?: string;
  /** Resource to bind (default `keywatch`). */
  resource?: string;
  /** Timeout of each step: connecting, each negotiation step, each IQ (default 15 s). */
  timeoutMs?: number;
  /** Largest incoming stanza in bytes (default 512 KiB). */
  maxStanzaBytes?: number;
  /** Ping the server this often when idle; 0 to never (default 60 s). */
  pingIntervalMs?: number;
  /** Reconnection back-off (default 1 s doubling to 5 min). */
  reconnect?: BackoffPolicy;
}

export class XmppConfigError extends Error {
  override name = 'XmppConfigError';
}

/** xmpp.js's entity, with the members this file uses that its type declarations leave out. */
type Entity = Client & {
  _attachSocket(socket: unknown): void;
  _onData(data: Buffer): void;
  _streamError(condition: string): Promise<void>;
  socket: (EventEmitter & { destroy?: () => void; socket?: { destroy(): void } | null }) | null;
};

interface ParsedService {
  uri: string;
  direct: boolean;
}

function parseService(service: string): ParsedService {
  let u: URL;
  try {
    u = new URL(service);
  } catch {
    throw new XmppConfigError(`xmpp: service must be xmpp://host[:port] or xmpps://host[:port], got ${JSON.stringify(service)}`);
  }
  if ((u.protocol !== 'xmpp:' && u.protocol !== 'xmpps:') || !u.hostname || (u.pathname && u.pathname !== '/')) {
    throw new XmppConfigError(`xmpp: service must be xmpp://host[:port] or xmpps://host[:port], got ${JSON.stringify(service)}`);
  }
  return { uri: `${u.protocol}//${u.host}`, direct: u.protocol === 'xmpps:' };
}

/** An Error for a rejection: itself, or the reason inside a 'disconnect' event's { clean, reason }. */
function asError(e: unknown): Error {
  if (e instanceof Error) return e;
  const reason = (e as { reason?: unknown } | undefined)?.reason;
  return new Error(reason ? errorLine(reason) : 'the server closed the connection');
}

/** Waits for `ok` (or rejects on `fail` or after `ms`); cancel() removes the listeners either way. */
function waitEvent(em: EventEmitter, ok: string, fail: string, ms: number): { promise: Promise<unknown>; cancel(): void } {
  let cancel = () => undefined as void;
  const promise = new Promise<unknown>((resolve, reject) => {
    const onOk = (v: unknown) => (cancel(), resolve(v));
    const onFail = (e: unknown) => (cancel(), reject(asError(e)));
    const t = setTimeout(() => onFail(new Error(`no ${ok} within ${ms} ms`)), ms);
    cancel = () => {
      clearTimeout(t);
      em.off(ok, onOk);
      em.off(fail, onFail);
    };
    em.once(ok, onOk);
    em.once(fail, onFail);
  });
  promise.catch(() => undefined);
  return { promise, cancel: () => cancel() };
}

/** The transports, made per connection because they carry its TLS options. */
function makeTransports(tlsOptions: ConnectionOptions): Array<typeof ConnectionTCP> {
  const hostPort = (service: string, scheme: string, defaultPort: number) => {
    let u: URL;
    try {
      u = new URL(service);
    } catch {
      return undefined;
    }
    if (u.protocol !== scheme) return undefined;
    const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
    return { host, port: u.port ? Number(u.port) : defaultPort };
  };
  class StartTlsTransport extends ConnectionTCP {
    override socketParameters(service: string) {
      const p = hostPort(service, 'xmpp:', 5222);
      return p ? { port: p.port, host: p.host } : undefined;
    }
  }
  class DirectTlsTransport extends ConnectionTCP {
    override socketParameters(service: string) {
      const p = hostPort(service, 'xmpps:', 5223);
      return p ? ({ ...tlsOptions, port: p.port, host: p.host } as { port: number; host: string }) : undefined;
    }
  }
  Object.assign(StartTlsTransport.prototype, { NS: 'jabber:client' });
  Object.assign(DirectTlsTransport.prototype, { NS: 'jabber:client', Socket: TlsSocket });
  return [StartTlsTransport, DirectTlsTransport];
}

export type XmppConnectionEvents = {
  online: [jid: string];
  offline: [reason: string];
  stanza: [stanza: Element];
};

/**
 * A client connection that keeps itself online. Events: `online` (after every successful
 * (re)connection, with the bound JID), `offline` (with the reason), `stanza` (every incoming
 * stanza, IQ replies included: listeners pick what they handle).
 */
export class XmppConnection extends EventEmitter<XmppConnectionEvents> {
  readonly jid: string;
  readonly domain: string;
  private readonly entity: Entity;
  private readonly iqCaller: IQCaller<Entity>;
  readonly #password: string;
  private readonly timeoutMs: number;
  private readonly pingIntervalMs: number;
  private readonly backoff: BackoffPolicy;
  private readonly log: NotifyLog;
  private running = false;
  private attempts = 0;
  private timer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private connecting: Promise<void> | undefined;
  private lastError = 'not started';
  private errorCount = 0;
  private overflowed = false;
  private pendingBytes = 0;

  constructor(
    private readonly config: XmppAccountConfig,
    o: { log?: NotifyLog } = {},
  ) {
    super();
    this.log = o.log ?? silentLog;
    let account;
    try {
      account = parseJid(config.jid);
    } catch {
      throw new XmppConfigError(`xmpp: not a JID: ${JSON.stringify(config.jid)}`);
    }
    if (!account.local || !account.domain) throw new XmppConfigError(`xmpp: the bot's JID needs a local part and a domain: ${JSON.stringify(config.jid)}`);
    if (!config.password) throw new XmppConfigError('xmpp: a password is required');
    this.jid = account.bare().toString();
    this.domain = account.domain;
    this.#password = config.password;
    if (config.service) parseService(config.service);
    this.timeoutMs = config.timeoutMs ?? 15_000;
    this.pingIntervalMs = config.pingIntervalMs ?? 60_000;
    this.backoff = config.reconnect ?? RECONNECT_BACKOFF;
    let ca: Buffer | undefined;
    if (config.caFile) {
      try {
        ca = readFileSync(config.caFile);
      } catch (e) {
        throw new XmppConfigError(`xmpp: cannot read caFile ${config.caFile}: ${errorLine(e)}`, { cause: e });
      }
    }
    // RFC 6120 §13.7.2: the certificate must name the XMPP domain, whatever host serves it.
    const tlsOptions: ConnectionOptions = { servername: this.domain, rejectUnauthorized: true, minVersion: 'TLSv1.2', ...(ca ? { ca } : {}) };

    const entity = new Client({ domain: this.domain, timeout: this.timeoutMs }) as Entity;
    this.entity = entity;
    entity.transports.push(...makeTransports(tlsOptions));
    const mw = middleware({ entity });
    const features = streamFeatures({ middleware: mw });
    this.iqCaller = iqCaller({ middleware: mw, entity });
    // xmpp.js's IQCaller awaits the socket write before it listens on the reply's promise, so a
    // fast error reply (item-not-found from a PubSub service, in the lab within the same tick) is
    // an unhandled rejection for a moment, which ends a Node process. Give every pending reply a
    // handler as soon as it exists; the caller still gets the rejection.
    const handlers = this.iqCaller.handlers;
    handlers.set = (id, deferred) => {
      deferred.promise.catch(() => undefined);
      return Map.prototype.set.call(handlers, id, deferred) as typeof handlers;
    };
    const callee = iqCallee({ middleware: mw, entity });
    callee.get('urn:xmpp:ping', 'ping', () => ({}) as Element);

    features.use('starttls', NS_TLS, async ({ entity: e }, next) => {
      // Already TLS (direct TLS, or a server repeating the offer): nothing to upgrade.
      if (e.isSecure()) return (next as () => Promise<void>)();
      const reply = await e.sendReceive(xml('starttls', { xmlns: NS_TLS }));
      if (!reply.is('proceed', NS_TLS)) throw new Error('the server refused STARTTLS');
      const secure = new TlsSocket();
      secure.connect({ ...tlsOptions, socket: e.socket as unknown as Socket });
      await eventPromise(secure, 'connect', 'error', this.timeoutMs);
      entity._attachSocket(secure);
      await e.restart();
    });

    const mechanisms = new SASLFactory();
    scramsha1(mechanisms);
    plain(mechanisms);
    const authenticate = async (done: (creds: { username: string; password: string }, mechanism: string) => Promise<void>, offered: string[]) => {
      // Never a password on a stream without TLS (RFC 6120 §13.8: and PLAIN only over TLS).
      if (!entity.isSecure()) throw new Error('the server offered authentication before TLS (no STARTTLS): refusing to send the password');
      const mechanism = offered.find((m) => m === 'SCRAM-SHA-1') ?? offered.find((m) => m === 'PLAIN');
      if (!mechanism) throw new Error(`no SASL mechanism in common (server offers ${offered.join(', ') || 'none'})`);
      await done({ username: account.local, password: this.#password }, mechanism);
    };
    sasl({ streamFeatures: features, saslFactory: mechanisms }, authenticate as unknown as Parameters<typeof sasl>[1]);
    resourceBinding({ iqCaller: this.iqCaller, streamFeatures: features }, config.resource ?? 'keywatch');

    // One stanza may not exceed the byte budget: count what arrives since the last complete element.
    const maxBytes = config.maxStanzaBytes ?? 512 * 1024;
    const onData = entity._onData.bind(entity);
    entity._onData = (data: Buffer) => {
      // After a stream error, or once the stream closed, the rest is not read.
      if (this.overflowed || !entity.parser) return;
      this.pendingBytes += data.length;
      if (this.pendingBytes > maxBytes) {
        this.overflowed = true;
        this.pendingBytes = 0;
        this.lastError = `the server sent more than ${maxBytes} bytes without completing a stanza`;
        this.log.warn({ jid: this.jid, limit: maxBytes }, 'xmpp: stanza too large, reconnecting');
        void entity._streamError('policy-violation').catch(() => undefined);
        return;
      }
      onData(data);
    };
    entity.on('element', () => (this.pendingBytes = 0));

    entity.on('error', (e: unknown) => {
      this.errorCount++;
      this.lastError = errorLine(e);
      this.log.warn({ jid: this.jid, error: this.lastError }, 'xmpp: connection error');
      // A failure during negotiation leaves the stream open: close it, so the back-off starts.
      if (entity.status !== 'online') void this.drop();
    });
    entity.on('online', (bound: { toString(): string }) => {
      this.attempts = 0;
      this.lastError = '';
      this.log.info({ jid: bound.toString() }, 'xmpp: online');
      // Available presence, so that messages to the bare JID are routed to this resource.
      void entity.send(xml('presence', {}, xml('priority', {}, '1'))).catch(() => undefined);
      this.schedulePing();
      this.emit('online', bound.toString());
    });
    entity.on('disconnect', () => {
      clearTimeout(this.pingTimer);
      this.emit('offline', this.lastError || 'disconnected');
      if (this.running) this.scheduleReconnect();
    });
    entity.on('stanza', (el: Element) => {
      this.emit('stanza', el);
    });
  }

  get online(): boolean {
    return this.entity.status === 'online';
  }

  /** Starts connecting; keeps reconnecting with back-off until stop(). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.connectNow();
  }

  /** Resolves when online; rejects after `timeoutMs` with the last connection error. */
  waitOnline(timeoutMs = this.timeoutMs * 2): Promise<void> {
    if (this.online) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.off('online', ok);
        reject(new Error(`xmpp: ${this.jid} not online after ${timeoutMs} ms: ${this.lastError || 'no answer'}`));
      }, timeoutMs);
      const ok = () => {
        clearTimeout(t);
        resolve();
      };
      this.once('online', ok);
    });
  }

  /** Sends a stanza; throws when offline. */
  async send(el: Element): Promise<void> {
    if (!this.online) throw new Error(`not connected to the XMPP server (${this.lastError || 'connecting'})`);
    await this.entity.send(el);
  }

  /** An IQ request; resolves with the result stanza, rejects with the StanzaError (`condition`) or a timeout. */
  async iq(el: Element): Promise<Element> {
    if (!this.online) throw new Error(`not connected to the XMPP server (${this.lastError || 'connecting'})`);
    return this.iqCaller.request(el, this.timeoutMs);
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    clearTimeout(this.pingTimer);
    await this.connecting?.catch(() => undefined);
    if (this.entity.status === 'online') {
      await Promise.race([this.entity.stop().catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
    }
    this.destroySocket();
  }

  private connectNow(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.running || this.connecting) return;
    this.attempts++;
    this.connecting = this.connectOnce().finally(() => (this.connecting = undefined));
  }

  private async connectOnce(): Promise<void> {
    const errorsBefore = this.errorCount;
    this.overflowed = false;
    // Whatever step the attempt is in, a closed socket ends it at once.
    let onGone: ((d: unknown) => void) | undefined;
    const gone = new Promise<never>((_, reject) => {
      onGone = (d: unknown) => reject(asError(d));
      this.entity.once('disconnect', onGone);
    });
    gone.catch(() => undefined);
    let online: ReturnType<typeof waitEvent> | undefined;
    try {
      const service = await this.pickService();
      this.log.debug({ jid: this.jid, service, attempt: this.attempts }, 'xmpp: connecting');
      online = waitEvent(this.entity, 'online', 'error', this.timeoutMs * 3);
      await Promise.race([
        (async () => {
          await this.entity.connect(service);
          await this.entity.open({ domain: this.domain });
          await online.promise;
        })(),
        gone,
      ]);
    } catch (e) {
      // The 'error' event usually said why already (a certificate, SASL).
      if (this.errorCount === errorsBefore) this.lastError = errorLine(asError(e));
      this.log.info({ jid: this.jid, attempt: this.attempts, error: this.lastError }, 'xmpp: connection attempt failed');
      await this.drop();
      if (this.running && !this.timer) this.scheduleReconnect();
    } finally {
      if (onGone) this.entity.off('disconnect', onGone);
      online?.cancel();
    }
  }

  /** Closes whatever is left of a connection; the 'disconnect' event schedules the next attempt. */
  private async drop(): Promise<void> {
    const status = this.entity.status;
    if (status === 'offline' || status === 'disconnect') return;
    await Promise.race([this.entity.disconnect().catch(() => undefined), new Promise((r) => setTimeout(r, 1000).unref())]);
    this.destroySocket();
  }

  private destroySocket(): void {
    const s = this.entity.socket;
    if (!s) return;
    if (s.socket) s.socket.destroy();
    else s.destroy?.();
  }

  private scheduleReconnect(): void {
    if (!this.running) return;
    clearTimeout(this.timer);
    const delay = nextAttemptDelay(this.attempts, undefined, this.backoff);
    this.log.info({ jid: this.jid, inMs: delay, attempt: this.attempts + 1 }, 'xmpp: reconnecting later');
    this.timer = setTimeout(() => this.connectNow(), delay);
    this.timer.unref();
  }

  private schedulePing(): void {
    clearTimeout(this.pingTimer);
    if (!this.pingIntervalMs) return;
    this.pingTimer = setTimeout(() => {
      if (!this.online) return;
      this.iq(xml('iq', { type: 'get', to: this.domain }, xml('ping', { xmlns: 'urn:xmpp:ping' })))
        .then(() => this.schedulePing())
        .catch((e: unknown) => {
          // An error reply still proves the stream alive; only a timeout or a dead socket does not.
          if ((e as { condition?: string }).condition) return this.schedulePing();
          this.lastError = `ping: ${errorLine(e)}`;
          void this.drop();
        });
    }, this.pingIntervalMs);
    this.pingTimer.unref();
  }

  private async pickService(): Promise<string> {
    if (this.config.service) return parseService(this.config.service).uri;
    try {
      const records = await resolveSrv(`_xmpp-client._tcp.${this.domain}`);
      const best = records.filter((r) => r.name && r.name !== '.').sort((a, b) => a.priority - b.priority || b.weight - a.weight)[0];
      if (best) return `xmpp://${best.name.includes(':') ? `[${best.name}]` : best.name}:${best.port}`;
    } catch {
      // No SRV record: the domain itself (RFC 6120 §3.2.2).
    }
    return `xmpp://${this.domain}:5222`;
  }
}
