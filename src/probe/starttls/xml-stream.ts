// A small, tolerant, streaming scanner for an XMPP stream (RFC 6120 §4): enough XML to read the
// stream header, the top-level elements that follow (<stream:features>, <proceed/>,
// <stream:error>), and the closing </stream:stream>. Not a general XML parser: XMPP forbids
// DTDs, processing instructions other than the declaration, and comments (§11.1), so we need
// tags, attributes, text and the five predefined entities.
//
// It works on bytes and consumes complete tokens as it goes (see bounded.ts), so a server that
// drips an endless element costs linear time and at most the probe's byte limit. '<', '>' and
// quotes are ASCII and never occur inside a UTF-8 multi-byte sequence, so scanning bytes is safe;
// text is decoded as UTF-8 per token.
//
// Names are kept as sent (`stream:features`) with their local part (`features`) beside them; we
// do not resolve namespace prefixes beyond what the features reader needs (it checks xmlns).
import type { Scan } from '../bounded.ts';
import { ProbeError } from '../errors.ts';

export interface XmlElement {
  name: string;
  local: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

export type StreamEvent =
  | { type: 'header'; attrs: Record<string, string> }
  /** A complete top-level element; `raw` is its XML as received, capped. */
  | { type: 'element'; element: XmlElement; raw: string }
  | { type: 'end' };

const LT = 0x3c;
const GT = 0x3e;
/** Raw XML kept per top-level element (for reports and later checks), not what we parse. */
export const RAW_CAP = 65_536;

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot|apos);/g, (_, e: string) => {
    if (e[0] === '#') {
      const cp = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
    }
    return { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }[e] ?? '';
  });
}

const localName = (name: string) => name.slice(name.indexOf(':') + 1);

function parseTag(body: string): { name: string; attrs: Record<string, string> } {
  const name = /^[^\s/>]+/.exec(body)?.[0];
  if (!name) throw new ProbeError('protocol', `malformed XML tag <${body.slice(0, 80)}>`);
  const attrs: Record<string, string> = {};
  for (const m of body.slice(name.length).matchAll(/([^\s=/]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
    attrs[m[1]!] = decodeEntities(m[2] ?? m[3] ?? '');
  }
  return { name, attrs };
}

/** End of the tag starting at `i` (index of its '>'), honouring quoted attribute values; -1 if incomplete. */
function tagEnd(buf: Buffer, i: number): number {
  let quote = 0;
  for (let j = i + 1; j < buf.length; j++) {
    const c = buf[j]!;
    if (quote) {
      if (c === quote) quote = 0;
    } else if (c === 0x22 || c === 0x27) quote = c;
    else if (c === GT) return j;
  }
  return -1;
}

export class XmppStreamScanner {
  private depth = 0;
  private stack: XmlElement[] = [];
  private raw = '';

  /** A scan that yields the next stream event. */
  readonly next: Scan<StreamEvent> = (buf) => {
    let i = 0;
    while (i < buf.length) {
      if (buf[i] !== LT) {
        const lt = buf.indexOf(LT, i);
        const end = lt < 0 ? buf.length : lt;
        this.text(buf.subarray(i, end).toString('utf8'));
        i = end;
        continue;
      }
      // Declarations and comments: the XML declaration is allowed, the rest is skipped or refused.
      if (buf[i + 1] === 0x3f /* ? */ || buf[i + 1] === 0x21 /* ! */) {
        const isComment = buf.subarray(i, i + 4).toString('latin1') === '<!--';
        if (buf[i + 1] === 0x21 && !isComment && buf.length - i >= 4) {
          throw new ProbeError('protocol', 'the server sent a DTD or CDATA section, which XMPP forbids (RFC 6120 §11.1)');
        }
        const close = buf.indexOf(isComment ? '-->' : buf[i + 1] === 0x3f ? '?>' : '>', i + 2);
        if (close < 0) return { consumed: i, done: false };
        i = close + (isComment ? 3 : buf[i + 1] === 0x3f ? 2 : 1);
        continue;
      }
      const end = tagEnd(buf, i);
      if (end < 0) return { consumed: i, done: false };
      const token = buf.subarray(i, end + 1).toString('utf8');
      const ev = this.tag(token);
      i = end + 1;
      if (ev) return { consumed: i, value: ev, done: true };
    }
    return { consumed: i, done: false };
  };

  private text(t: string): void {
    const top = this.stack.at(-1);
    if (!top) return; // whitespace between top-level elements (keepalives)
    this.keepRaw(t);
    top.text += decodeEntities(t);
  }

  private keepRaw(t: string): void {
    if (this.raw.length < RAW_CAP) this.raw += t.slice(0, RAW_CAP - this.raw.length);
  }

  private tag(token: string): StreamEvent | undefined {
    const body = token.slice(1, -1);
    if (body.startsWith('/')) {
      const name = body.slice(1).trim();
      if (this.depth === 1) {
        if (localName(name) === 'stream') return { type: 'end' };
        throw new ProbeError('protocol', `unexpected </${name}> at the top level of the stream`);
      }
      const open = this.stack.pop();
      if (!open || open.name !== name) throw new ProbeError('protocol', `</${name}> does not close <${open?.name ?? '(nothing)'}>`);
      this.keepRaw(token);
      this.depth--;
      return this.stack.length === 0 ? this.complete(open) : undefined;
    }
    const selfClosing = body.endsWith('/');
    const { name, attrs } = parseTag(selfClosing ? body.slice(0, -1) : body);
    if (this.depth === 0) {
      if (localName(name) !== 'stream' || selfClosing) {
        throw new ProbeError('protocol', `expected a stream header, got <${name}>`);
      }
      this.depth = 1;
      return { type: 'header', attrs };
    }
    const el: XmlElement = { name, local: localName(name), attrs, children: [], text: '' };
    if (this.stack.length === 0) this.raw = '';
    this.keepRaw(token);
    this.stack.at(-1)?.children.push(el);
    if (selfClosing) return this.stack.length === 0 ? this.complete(el) : undefined;
    this.stack.push(el);
    this.depth++;
    return undefined;
  }

  private complete(element: XmlElement): StreamEvent {
    const raw = this.raw;
    this.raw = '';
    return { type: 'element', element, raw };
  }
}

/** Children of `el` with local name `local` (and namespace `xmlns`, when given). */
export function childrenNamed(el: XmlElement, local: string, xmlns?: string): XmlElement[] {
  return el.children.filter((c) => c.local === local && (xmlns === undefined || c.attrs.xmlns === xmlns));
}

/** Every descendant of `el` (depth first) with local name `local`. */
export function descendantsNamed(el: XmlElement, local: string): XmlElement[] {
  return el.children.flatMap((c) => [...(c.local === local ? [c] : []), ...descendantsNamed(c, local)]);
}
