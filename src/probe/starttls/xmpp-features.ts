// Reading <stream:features> (RFC 6120 §4.3.2) into what keywatch reports on: STARTTLS offered
// and required (§5.3.1), SASL mechanisms (§6.3.3), SASL2 (XEP-0388), channel-binding types
// (XEP-0440), server dialback (XEP-0220/XEP-0288), and the raw XML for anything checked later.
import { RAW_CAP, childrenNamed, descendantsNamed, type XmlElement } from './xml-stream.ts';

export const NS = {
  tls: 'urn:ietf:params:xml:ns:xmpp-tls',
  sasl: 'urn:ietf:params:xml:ns:xmpp-sasl',
  sasl2: 'urn:xmpp:sasl:2',
  channelBinding: 'urn:xmpp:sasl-cb:0',
  dialbackFeature: 'urn:xmpp:features:dialback',
  bidi: 'urn:xmpp:features:bidi',
} as const;

export interface XmppFeatures {
  /** The features element as received, capped at 64 KiB. */
  raw: string;
  starttls: boolean;
  /** `<required/>` inside `<starttls/>`. */
  starttlsRequired: boolean;
  /** SASL mechanisms (RFC 6120), in the server's order. */
  mechanisms: string[];
  /** SASL2 (XEP-0388) offered, with its own mechanism list. */
  sasl2: boolean;
  sasl2Mechanisms: string[];
  /** XEP-0440 channel-binding types the server says it supports, e.g. `tls-exporter`. */
  channelBindings: string[];
  /** XEP-0220 dialback advertised as a stream feature (XEP-0288-era servers). */
  dialback: boolean;
  /** Local names (with namespace) of every top-level feature, for reports. */
  names: string[];
}

export function readFeatures(el: XmlElement, raw: string): XmppFeatures {
  const starttls = childrenNamed(el, 'starttls', NS.tls)[0];
  const saslMechs = childrenNamed(el, 'mechanisms', NS.sasl)[0];
  const sasl2 = childrenNamed(el, 'authentication', NS.sasl2)[0];
  const cb = childrenNamed(el, 'sasl-channel-binding', NS.channelBinding)[0];
  const mechText = (parent: XmlElement | undefined) =>
    parent ? childrenNamed(parent, 'mechanism').map((m) => m.text.trim()).filter(Boolean) : [];
  return {
    raw: raw.slice(0, RAW_CAP),
    starttls: starttls !== undefined,
    starttlsRequired: starttls !== undefined && childrenNamed(starttls, 'required').length > 0,
    mechanisms: mechText(saslMechs),
    sasl2: sasl2 !== undefined,
    sasl2Mechanisms: mechText(sasl2),
    channelBindings: cb ? descendantsNamed(cb, 'channel-binding').map((c) => c.attrs.type ?? '').filter(Boolean) : [],
    dialback: el.children.some((c) => c.local === 'dialback'),
    names: el.children.map((c) => (c.attrs.xmlns ? `${c.local} (${c.attrs.xmlns})` : c.local)),
  };
}
