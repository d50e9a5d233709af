// XMPP STARTTLS (RFC 6120 §5.4): open a stream, read the features, ask for TLS, expect
// <proceed/>. Also the second half of a client's view: after TLS, a new stream and its
// features (SASL mechanisms, channel binding), closed politely with </stream:stream>.
//
// c2s uses `jabber:client`; s2s uses `jabber:server` and, per RFC 6120 §4.7.1, sends `from` (our
// checker's domain) when we have one, since some servers offer different features (or refuse)
// without it. `to` is always the service domain: it selects the virtual host, and with it the
// certificate a server presents after STARTTLS (there is no SNI before that).
import type { Duplex } from 'node:stream';
import { BoundedReader, capText, remainingMs, writeAll, type Budget } from '../bounded.ts';
import { ProbeError } from '../errors.ts';
import { assertNothingAfter, StarttlsFailed, StarttlsNotOffered } from './common.ts';
import { readFeatures, NS, type XmppFeatures } from './xmpp-features.ts';
import { XmppStreamScanner, type StreamEvent, type XmlElement } from './xml-stream.ts';

export type XmppRole = 'c2s' | 's2s';

export interface XmppStreamOptions {
  role: XmppRole;
  /** The service domain: the stream's `to`. */
  domain: string;
  /** Our domain for s2s `from`. */
  from?: string;
}

export interface XmppStreamInfo {
  /** Attributes of the server's stream header: id, from, version, xml:lang. */
  header: Record<string, string>;
  features: XmppFeatures;
}

export interface XmppStarttlsInfo extends XmppStreamInfo {
  protocol: 'xmpp';
  offered: boolean;
  required: boolean;
}

const escapeAttr = (s: string) => s.replace(/[&<>'"]/g, (c) => `&#${c.charCodeAt(0)};`);

export function streamHeader(o: XmppStreamOptions): string {
  const ns = o.role === 'c2s' ? 'jabber:client' : 'jabber:server';
  const from = o.role === 's2s' && o.from ? ` from='${escapeAttr(o.from)}'` : '';
  return (
    `<?xml version='1.0'?><stream:stream xmlns='${ns}' xmlns:stream='http://etherx.jabber.org/streams'` +
    ` to='${escapeAttr(o.domain)}'${from} version='1.0'>`
  );
}

/** A stream error (RFC 6120 §4.9) as a probe error, with its condition and text. */
function streamError(el: XmlElement): ProbeError {
  const condition = el.children.find((c) => c.local !== 'text')?.local ?? 'undefined-condition';
  const text = el.children.find((c) => c.local === 'text')?.text;
  return new ProbeError('protocol', `stream error <${condition}/>${text ? `: ${capText(text, 300)}` : ''}`);
}

async function nextEvent(reader: BoundedReader, scanner: XmppStreamScanner, what: string): Promise<StreamEvent> {
  return reader.read(what, scanner.next);
}

/** Send a stream header and read the server's header and features. */
async function openStream(socket: Duplex, reader: BoundedReader, o: XmppStreamOptions): Promise<XmppStreamInfo & { scanner: XmppStreamScanner }> {
  const scanner = new XmppStreamScanner();
  await writeAll(socket, streamHeader(o));
  const head = await nextEvent(reader, scanner, 'the stream header');
  if (head.type !== 'header') throw new ProbeError('protocol', 'expected a stream header');
  for (;;) {
    const ev = await nextEvent(reader, scanner, '<stream:features>');
    if (ev.type === 'end') throw new ProbeError('closed', 'the server closed the stream before sending features');
    if (ev.type !== 'element') continue;
    if (ev.element.local === 'error') throw streamError(ev.element);
    if (ev.element.local === 'features') return { header: head.attrs, features: readFeatures(ev.element, ev.raw), scanner };
    // Anything else before features is unexpected; skip it (tolerant), the byte limit bounds it.
  }
}

/**
 * Negotiate STARTTLS on a fresh TCP connection. Resolves once `<proceed/>` has been received
 * and the reader detached, so the caller can start TLS on `socket`. A server that does not
 * offer STARTTLS gives `starttls-not-offered` with what was learned attached.
 */
export async function xmppStarttls(socket: Duplex, budget: Budget, o: XmppStreamOptions): Promise<XmppStarttlsInfo> {
  const reader = new BoundedReader(socket, budget);
  let info: XmppStarttlsInfo | undefined;
  try {
    const { header, features, scanner } = await openStream(socket, reader, o);
    info = { protocol: 'xmpp', header, features, offered: features.starttls, required: features.starttlsRequired };
    if (!info.offered) throw new StarttlsNotOffered('the server does not offer STARTTLS in its stream features', info);
    await writeAll(socket, `<starttls xmlns='${NS.tls}'/>`);
    for (;;) {
      const ev = await nextEvent(reader, scanner, '<proceed/>');
      if (ev.type === 'end') throw new ProbeError('closed', 'the server closed the stream instead of answering <starttls/>');
      if (ev.type !== 'element') continue;
      if (ev.element.local === 'proceed') break;
      if (ev.element.local === 'failure') throw new ProbeError('starttls-refused', 'the server answered <starttls/> with <failure/>');
      if (ev.element.local === 'error') throw streamError(ev.element);
    }
  } catch (e) {
    reader.detach();
    if (e instanceof ProbeError && info && !(e instanceof StarttlsFailed)) throw new StarttlsFailed(e, info);
    throw e;
  }
  assertNothingAfter(reader.detach(), '<proceed/>', info);
  return info;
}

/**
 * Over an established TLS session: open a new stream (RFC 6120 §5.4.3.3 — the old one is gone),
 * read the features a client would authenticate with, then close the stream politely.
 */
export async function xmppFeaturesAfterTls(socket: Duplex, budget: Budget, o: XmppStreamOptions): Promise<XmppStreamInfo> {
  const reader = new BoundedReader(socket, budget);
  try {
    const { header, features } = await openStream(socket, reader, o);
    return { header, features };
  } finally {
    reader.detach();
    // Polite close (RFC 6120 §4.4): our </stream:stream> reaches the kernel before the caller
    // destroys the socket; we do not wait for the server's own closing tag.
    if (socket.writable) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(500, remainingMs(budget)));
        socket.end('</stream:stream>', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}
