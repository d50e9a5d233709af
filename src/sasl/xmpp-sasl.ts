// SASL over an XMPP client stream (RFC 6120 §6), on keywatch's probe machinery: the connection,
// SOCKS, STARTTLS (or direct TLS with ALPN) and handshake come from probe.ts's openTls, the
// reading from the bounded reader and the streaming XML scanner, all under one budget (time and
// bytes), so a hostile server costs what a probe costs.
//
// A session is one TLS connection with a fresh stream after TLS (RFC 6120 §5.4.3.3) and its
// features. On it, scramLogin runs one SCRAM exchange with SASL1 (<auth>, <challenge>,
// <response>, <success>/<failure>); after a failure the same stream may take another <auth>
// (RFC 6120 §6.4.5 lets clients retry), after a success it is closed: keywatch binds no resource
// and sends no stanza. Nothing here ever falls back to PLAIN, and nothing writes the password
// anywhere — it only enters the SCRAM computation.
import type { TLSSocket } from 'node:tls';
import { BoundedReader, capText, remainingMs, writeAll, type Budget } from '../probe/bounded.ts';
import { ProbeError } from '../probe/errors.ts';
import { newTlsOpening, openTls, type ProbeOptions, type ProbeStage, type StarttlsLearned } from '../probe/probe.ts';
import { readFeatures, NS, type XmppFeatures } from '../probe/starttls/xmpp-features.ts';
import { streamHeader } from '../probe/starttls/xmpp.ts';
import { XmppStreamScanner, type XmlElement } from '../probe/starttls/xml-stream.ts';
import { checkSsdp, type SsdpCheck } from './downgrade-protection.ts';
import { parseServerFirst, ScramError, strictBase64, type ScramClient } from './scram.ts';

export interface SaslSession {
  tls: TLSSocket;
  /** `TLSv1.3`, `TLSv1.2`, … */
  tlsVersion: string;
  /** Attributes of the stream header after TLS. */
  header: Record<string, string>;
  features: XmppFeatures;
  /** What the server said before TLS (STARTTLS endpoints). */
  starttls?: StarttlsLearned;
  budget: Budget;
  /** Send a top-level element. */
  send(xml: string): Promise<void>;
  /** The next top-level element; a stream error or the end of the stream is a ProbeError. */
  next(what: string): Promise<XmlElement>;
  /** `</stream:stream>`, then close (idempotent). */
  close(): Promise<void>;
  /** The stream is still usable for another <auth>. */
  readonly open: boolean;
}

export class SessionError extends ProbeError {
  constructor(
    inner: ProbeError,
    readonly stage: ProbeStage,
    readonly starttls?: StarttlsLearned,
  ) {
    super(inner.kind, inner.message, { cause: inner });
    this.name = 'SessionError';
  }
}

function streamError(el: XmlElement): ProbeError {
  const condition = el.children.find((c) => c.local !== 'text')?.local ?? 'undefined-condition';
  const text = el.children.find((c) => c.local === 'text')?.text;
  return new ProbeError('protocol', `stream error <${condition}/>${text ? `: ${capText(text, 300)}` : ''}`);
}

/**
 * Connect as a client would (STARTTLS on `xmpp-c2s`, direct TLS on `xmpps-c2s`), restart the
 * stream after TLS and read the features. Throws SessionError (with the stage) on failure.
 */
export async function openSaslSession(o: ProbeOptions, budget: Budget): Promise<SaslSession> {
  if (o.protocol !== 'xmpp-c2s' && o.protocol !== 'xmpps-c2s') throw new Error(`SASL sessions are for XMPP client endpoints, not ${o.protocol}`);
  const progress = newTlsOpening();
  let tls: TLSSocket;
  try {
    tls = await openTls(o, budget, progress);
  } catch (e) {
    progress.tls?.destroy();
    progress.socket?.destroy();
    throw new SessionError(e instanceof ProbeError ? e : new ProbeError('internal', String(e)), progress.stage, progress.starttls);
  }
  const reader = new BoundedReader(tls, budget);
  const scanner = new XmppStreamScanner();
  let open = true;
  let closed = false;
  const destroy = () => {
    open = false;
    reader.detach();
    tls.destroy();
    progress.socket?.destroy();
  };
  const next = async (what: string): Promise<XmlElement> => {
    for (;;) {
      const ev = await reader.read(what, scanner.next);
      if (ev.type === 'end') {
        open = false;
        throw new ProbeError('closed', `the server closed the stream while keywatch waited for ${what}`);
      }
      if (ev.type !== 'element') continue;
      if (ev.element.local === 'error' && ev.element.name.includes(':')) {
        open = false;
        throw streamError(ev.element);
      }
      return ev.element;
    }
  };
  const send = (xml: string) => writeAll(tls, xml);
  try {
    await send(streamHeader({ role: 'c2s', domain: o.serviceDomain }));
    const head = await reader.read('the stream header after TLS', scanner.next);
    if (head.type !== 'header') throw new ProbeError('protocol', 'expected a stream header after TLS');
    let features: XmppFeatures | undefined;
    while (!features) {
      const el = await next('<stream:features> after TLS');
      if (el.local === 'features') features = readFeatures(el, '');
    }
    return {
      tls,
      tlsVersion: tls.getProtocol() ?? 'unknown',
      header: head.attrs,
      features,
      ...(progress.starttls ? { starttls: progress.starttls } : {}),
      budget,
      send,
      next,
      get open() {
        return open && !closed && tls.writable;
      },
      close: async () => {
        if (closed) return;
        closed = true;
        if (tls.writable) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, Math.min(500, remainingMs(budget)));
            tls.end('</stream:stream>', () => {
              clearTimeout(timer);
              resolve();
            });
          });
        }
        destroy();
      },
    };
  } catch (e) {
    destroy();
    throw new SessionError(e instanceof ProbeError ? e : new ProbeError('internal', String(e)), 'features', progress.starttls);
  }
}

// ---------------------------------------------------------------------------------------------

/** Where an exchange stopped: after our client-first (the <auth>) or after our client-final. */
export type SaslStage = 'client-first' | 'client-final';

export interface SaslFailure {
  /** The <failure/> condition (RFC 6120 §6.5), e.g. `not-authorized`, `malformed-request`. */
  condition: string;
  /** The server's <text/>, capped (untrusted). */
  text?: string;
}

export type LoginResult =
  /** The server accepted the proof and proved it holds the server key (v= verified). */
  | { outcome: 'success'; iterations: number; ssdp: SsdpCheck; extensions: Record<string, string> }
  /** <failure/> (or a SCRAM e=) from the server. */
  | { outcome: 'failure'; stage: SaslStage; failure: SaslFailure; serverError?: string; iterations?: number; ssdp?: SsdpCheck }
  /** Probing only: the server answered client-first with a challenge; we aborted. */
  | { outcome: 'challenged'; iterations?: number; ssdp?: SsdpCheck; extensions?: Record<string, string> }
  /** The server reported success without a valid server signature: whoever answered lacks the server key. */
  | { outcome: 'bad-server-signature'; detail: string }
  /** XEP-0474 says the features we saw are not the ones the server sent: aborted before our proof. */
  | { outcome: 'ssdp-mismatch'; ssdp: SsdpCheck }
  /** Anything else: a malformed or hostile server message, a limit, a closed connection. */
  | { outcome: 'error'; stage: SaslStage; message: string; code?: string };

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** SASL payload of <challenge>/<success>: base64, "=" for empty (RFC 6120 §6.4.2). */
function payload(el: XmlElement): string | undefined {
  const t = el.text.replace(/\s+/g, '');
  if (t === '' || t === '=') return '';
  const bytes = strictBase64(t);
  return bytes ? bytes.toString('utf8') : undefined;
}

function failureOf(el: XmlElement): SaslFailure {
  const condition = el.children.find((c) => c.local !== 'text')?.local ?? 'undefined-condition';
  const text = el.children.find((c) => c.local === 'text')?.text;
  return { condition, ...(text ? { text: capText(text.trim(), 300) } : {}) };
}

/** An e= value inside a SASL payload (some servers send the SCRAM error as additional data). */
const scramErrorIn = (data: string | undefined) => (data && /^e=([^,]*)/.exec(data)?.[1]) || undefined;

export interface ScramLoginOptions {
  mechanism: string;
  scram: ScramClient;
  /** What the server advertised on this stream, for XEP-0474. */
  advertised: { mechanisms: readonly string[]; channelBindings: readonly string[] | undefined };
  /** Probing: stop at server-first (abort) instead of sending a proof. */
  stopAfterServerFirst?: boolean;
}

/** One SCRAM exchange on an open session. Never throws for what the server does. */
export async function scramLogin(s: SaslSession, o: ScramLoginOptions): Promise<LoginResult> {
  let stage: SaslStage = 'client-first';
  // RFC 4422 §3.1 mechanism names; they go into an attribute unescaped.
  if (!/^[A-Z0-9_-]{1,20}$/.test(o.mechanism)) return { outcome: 'error', stage, message: `${JSON.stringify(o.mechanism)} is not a SASL mechanism name` };
  const abort = async () => {
    // RFC 6120 §6.4.4: <abort/>, answered by <failure><aborted/></failure>.
    try {
      await s.send(`<abort xmlns='${NS.sasl}'/>`);
      for (;;) if ((await s.next('the answer to <abort/>')).local === 'failure') break;
    } catch {
      /* the stream is unusable now; the caller sees s.open */
    }
  };
  try {
    await s.send(`<auth xmlns='${NS.sasl}' mechanism='${o.mechanism}'>${b64(o.scram.clientFirst())}</auth>`);
    let el = await s.next('the answer to <auth/>');
    if (el.local === 'failure') return { outcome: 'failure', stage, failure: failureOf(el) };
    if (el.local !== 'challenge') return { outcome: 'error', stage, message: `the server answered <auth/> with <${el.local}/>, not a SCRAM challenge` };
    const serverFirst = payload(el);
    if (serverFirst === undefined) {
      await abort();
      return { outcome: 'error', stage, message: 'the challenge is not base64' };
    }
    const earlyError = scramErrorIn(serverFirst);
    if (earlyError) {
      await abort();
      return { outcome: 'failure', stage, failure: { condition: 'scram-error' }, serverError: earlyError };
    }
    let parsed;
    try {
      parsed = parseServerFirst(serverFirst, o.scram.nonce);
    } catch (e) {
      await abort();
      return { outcome: 'error', stage, message: e instanceof Error ? e.message : String(e), ...(e instanceof ScramError ? { code: e.code } : {}) };
    }
    const ssdp = checkSsdp(parsed.extensions, o.scram.hash, o.advertised);
    if (o.stopAfterServerFirst) {
      await abort();
      return { outcome: 'challenged', iterations: parsed.iterations, ssdp, extensions: parsed.extensions };
    }
    if (ssdp.state === 'mismatch') {
      // XEP-0474: the client MUST fail the authentication; we send no proof.
      await abort();
      return { outcome: 'ssdp-mismatch', ssdp };
    }
    let final: string;
    try {
      final = await o.scram.clientFinal(serverFirst);
    } catch (e) {
      await abort();
      return { outcome: 'error', stage, message: e instanceof Error ? e.message : String(e), ...(e instanceof ScramError ? { code: e.code } : {}) };
    }
    stage = 'client-final';
    await s.send(`<response xmlns='${NS.sasl}'>${b64(final)}</response>`);
    el = await s.next('the answer to the SCRAM proof');
    const common = { iterations: parsed.iterations, ssdp };
    let serverFinal: string | undefined;
    if (el.local === 'challenge') {
      // Some servers send v= as a challenge and <success/> empty after our empty response.
      serverFinal = payload(el);
      const err = scramErrorIn(serverFinal);
      if (err) {
        await abort();
        return { outcome: 'failure', stage, failure: { condition: 'scram-error' }, serverError: err, ...common };
      }
      await s.send(`<response xmlns='${NS.sasl}'/>`);
      el = await s.next('<success/> after the server signature');
    }
    if (el.local === 'failure') {
      const failure = failureOf(el);
      const err = scramErrorIn(payload(el));
      return { outcome: 'failure', stage, failure, ...(err ? { serverError: err } : {}), ...common };
    }
    if (el.local !== 'success') return { outcome: 'error', stage, message: `the server answered the proof with <${el.local}/>` };
    const data = payload(el);
    if (data) serverFinal = data;
    if (!serverFinal) return { outcome: 'bad-server-signature', detail: 'the server reported success without sending its signature (v=)' };
    try {
      o.scram.verifyServerFinal(serverFinal);
    } catch (e) {
      if (e instanceof ScramError && e.code === 'server-error') return { outcome: 'failure', stage, failure: { condition: 'scram-error' }, serverError: e.serverError ?? '', ...common };
      return { outcome: 'bad-server-signature', detail: e instanceof Error ? e.message : String(e) };
    }
    return { outcome: 'success', iterations: parsed.iterations, ssdp, extensions: parsed.extensions };
  } catch (e) {
    return { outcome: 'error', stage, message: e instanceof Error ? e.message : String(e), ...(e instanceof ProbeError ? { code: e.kind } : {}) };
  }
}
