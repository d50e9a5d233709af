// A watched domain's state as a XEP-0060 item payload, in keywatch's own namespace:
//
//   <state xmlns='urn:keywatch:state:0' domain='example.org' service='xmpp' status='critical'
//          checked='2024-05-01T12:00:00.000Z' event='alert' previous='ok'>
//     <summary>example.org: the key presented on 2 of 3 endpoints is not in TLSA</summary>
//     <finding code='dane.key-differs-on-path' severity='critical'>
//       <title>…</title><endpoint>xmpp.example.org:5222 (192.0.2.1)</endpoint>…
//     </finding>
//     <key endpoint='xmpp.example.org:5222 (192.0.2.1)' spki-sha256='ab…'/>
//     <url>https://keywatch.example.net/d/example.org</url>
//   </state>
//
// The summary is the human-readable line a client can show as it is; the rest is for programs.
// Text is cleaned of characters XML cannot carry (a NUL would end the bot's stream); xmpp.js
// escapes the markup characters.
import xml, { type Element } from '@xmpp/xml';
import type { AlertMessage, DomainState } from '../service/contracts.ts';
import { cleanLine, cleanText } from './plain-text.ts';

export const STATE_NS = 'urn:keywatch:state:0';
export const PUBSUB_NS = 'http://jabber.org/protocol/pubsub';
export const PUBSUB_EVENT_NS = 'http://jabber.org/protocol/pubsub#event';

/** At most this many findings and keys go into one item (a state is a summary, the page has the rest). */
const MAX_LIST = 50;

export function stateElement(state: DomainState, context: { kind?: AlertMessage['kind']; previousStatus?: AlertMessage['previousStatus'] } = {}): Element {
  const attr = (s: string) => cleanLine(s, 300);
  return xml(
    'state',
    {
      xmlns: STATE_NS,
      domain: attr(state.domain),
      service: attr(state.service),
      status: attr(state.status),
      checked: attr(state.checkedAt),
      ...(context.kind ? { event: context.kind } : {}),
      ...(context.previousStatus ? { previous: context.previousStatus } : {}),
    },
    xml('summary', {}, cleanLine(state.summary, 500)),
    ...state.findings.slice(0, MAX_LIST).map((f) =>
      xml('finding', { code: attr(f.code), severity: attr(f.severity) }, xml('title', {}, cleanText(f.title).slice(0, 500)), ...f.endpoints.slice(0, MAX_LIST).map((e) => xml('endpoint', {}, attr(e)))),
    ),
    ...state.keys.slice(0, MAX_LIST).map((k) => xml('key', { endpoint: attr(k.endpoint), 'spki-sha256': attr(k.spkiSha256) })),
    xml('url', {}, attr(state.url)),
  );
}

/** Reads a payload back (for receivers and tests); undefined when it is not a keywatch state. */
export function parseStateElement(el: Element | undefined): (DomainState & { event?: string; previous?: string }) | undefined {
  if (!el?.is('state', STATE_NS)) return undefined;
  const a = el.attrs as Record<string, string | undefined>;
  if (!a.domain || !a.status) return undefined;
  return {
    domain: a.domain,
    service: a.service ?? '',
    status: a.status as DomainState['status'],
    summary: el.getChildText('summary') ?? '',
    checkedAt: a.checked ?? '',
    findings: el.getChildren('finding').map((f) => ({
      code: String(f.attrs.code ?? ''),
      severity: String(f.attrs.severity ?? '') as DomainState['findings'][number]['severity'],
      title: f.getChildText('title') ?? '',
      endpoints: f.getChildren('endpoint').map((e) => e.text()),
    })),
    keys: el.getChildren('key').map((k) => ({ endpoint: String(k.attrs.endpoint ?? ''), spkiSha256: String(k.attrs['spki-sha256'] ?? '') })),
    url: el.getChildText('url') ?? '',
    ...(a.event ? { event: a.event } : {}),
    ...(a.previous ? { previous: a.previous } : {}),
  };
}

/**
 * The XMPP URI of a domain's node (RFC 5122, XEP-0060 §12.21 query actions): clients open it to
 * subscribe natively. `xmpp:pubsub.example.org?;node=example.org` names the node;
 * `action: 'subscribe'` gives the form that asks the client to subscribe.
 */
export function pubsubNodeUri(service: string, node: string, action?: 'subscribe'): string {
  // RFC 5122 §2.2: the query's values are percent-encoded as in RFC 3986 (';' and '=' included).
  const enc = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `xmpp:${service}?${action === 'subscribe' ? 'pubsub;action=subscribe' : ''};node=${enc(node)}`;
}

/** The create-and-configure form for a domain's node: open to anyone, the last state sent on subscription. */
export function nodeConfigForm(o: { title: string; maxItems: number }): Element {
  const field = (v: string, value: string, type?: string) => xml('field', { var: v, ...(type ? { type } : {}) }, xml('value', {}, value));
  return xml(
    'x',
    { xmlns: 'jabber:x:data', type: 'submit' },
    field('FORM_TYPE', `${PUBSUB_NS}#node_config`, 'hidden'),
    field('pubsub#access_model', 'open'),
    field('pubsub#publish_model', 'publishers'),
    field('pubsub#persist_items', '1'),
    field('pubsub#max_items', String(o.maxItems)),
    field('pubsub#title', cleanLine(o.title, 200)),
    field('pubsub#type', STATE_NS),
    field('pubsub#send_last_published_item', 'on_sub'),
    field('pubsub#notification_type', 'headline'),
  );
}
