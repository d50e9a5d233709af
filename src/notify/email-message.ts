// An alert as an email: headers that identify a retry (Message-ID from the delivery id), the
// one-click unsubscribe of RFC 8058 (List-Unsubscribe with an https URI and
// List-Unsubscribe-Post), RFC 3834's Auto-Submitted so vacation responders stay quiet, a plain
// text body with the links, and optionally a simple HTML part in which every character of
// server-supplied text is escaped.
import { createHash } from 'node:crypto';
import type { Delivery } from '../service/contracts.ts';
import { messageBody, messageLinks, messageSubject } from './render-text.ts';
import { cleanText } from './plain-text.ts';

export interface EmailContent {
  from: string;
  to: string;
  replyTo?: string;
  subject: string;
  messageId: string;
  headers: Record<string, { prepared: true; value: string }>;
  text: string;
  html?: string;
}

/**
 * An address keywatch will hand to the SMTP server: one mailbox, no display name, no comments,
 * no quoted local part, no list. nodemailer would read `a@x, b@y` as two recipients, so anything
 * that is not plainly one address is refused before it reaches it.
 */
const MAILBOX = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\uffff-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\uffff-]+)*@(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?\.)+[\p{L}\p{N}-]{2,63}$/u;

export function isPlainMailbox(address: string): boolean {
  return address.length <= 254 && MAILBOX.test(address);
}

/** The domain of an address (`Name <user@host>` or `user@host`), or undefined. */
export function addressDomain(address: string): string | undefined {
  const inner = /<([^<>]*)>\s*$/.exec(address)?.[1] ?? address;
  const at = inner.lastIndexOf('@');
  if (at < 0) return undefined;
  const d = inner.slice(at + 1).trim().toLowerCase();
  return /^[a-z0-9.-]+$/.test(d) && d.includes('.') ? d : undefined;
}

/** Message-ID local part characters (RFC 5322 dot-atom-text, without the rarer specials). */
const ID_SAFE = /^[A-Za-z0-9_+=-]+(?:\.[A-Za-z0-9_+=-]+)*$/;

/**
 * `<keywatch.ID@DOMAIN>`: the delivery id itself when it is safe in a Message-ID, else a digest
 * of it. Every attempt of one delivery gets the same Message-ID, so a receiving system (or a
 * person) sees a retry as the same message.
 */
export function messageIdFor(deliveryId: string, domain: string): string {
  const local = deliveryId.length <= 100 && ID_SAFE.test(deliveryId) ? deliveryId : `h${createHash('sha256').update(deliveryId).digest('hex').slice(0, 40)}`;
  return `<keywatch.${local}@${domain}>`;
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The HTML alternative: the same text, escaped, paragraphs and line breaks kept; links as anchors. */
export function messageHtml(d: Delivery): string {
  const m = d.message;
  const links = messageLinks(m);
  const paragraphs = cleanText(m.text)
    .split(/\n{2,}/)
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => `<p>${p.split('\n').map(escapeHtml).join('<br>\n')}</p>`);
  const a = (href: string, label: string) => `<a href="${escapeHtml(href)}">${escapeHtml(label)}</a>`;
  if (links.confirm) paragraphs.push(`<p><strong>${a(links.confirm, 'Confirm your subscription')}</strong></p>`);
  const footer = [...(links.page ? [a(links.page, 'Details')] : []), ...(links.unsubscribe ? [a(links.unsubscribe, 'Unsubscribe')] : [])];
  if (footer.length) paragraphs.push(`<p style="color:#555">${footer.join(' · ')}</p>`);
  return [
    '<!DOCTYPE html>',
    '<html><head><meta charset="utf-8">',
    `<title>${escapeHtml(messageSubject(m))}</title></head>`,
    '<body style="font-family:sans-serif;line-height:1.4">',
    ...paragraphs,
    '</body></html>',
    '',
  ].join('\n');
}

export interface EmailContentOptions {
  from: string;
  replyTo?: string;
  /** Domain of Message-IDs (default: the From address's domain). */
  messageIdDomain?: string;
  html?: boolean;
}

export function emailContent(d: Delivery, o: EmailContentOptions): EmailContent {
  const m = d.message;
  const links = messageLinks(m);
  const domain = o.messageIdDomain ?? addressDomain(o.from) ?? 'keywatch.invalid';
  const headers: EmailContent['headers'] = {
    'Auto-Submitted': { prepared: true, value: 'auto-generated' },
    'X-Keywatch-Delivery': { prepared: true, value: cleanHeaderToken(d.id) },
    'X-Keywatch-Kind': { prepared: true, value: m.kind },
  };
  if (links.unsubscribe) {
    // RFC 8058 §3.1: an https URI in List-Unsubscribe and the fixed List-Unsubscribe-Post value.
    headers['List-Unsubscribe'] = { prepared: true, value: `<${links.unsubscribe}>` };
    if (links.unsubscribe.startsWith('https:')) {
      headers['List-Unsubscribe-Post'] = { prepared: true, value: 'List-Unsubscribe=One-Click' };
    }
  }
  return {
    from: o.from,
    to: d.target,
    ...(o.replyTo ? { replyTo: o.replyTo } : {}),
    subject: messageSubject(m),
    messageId: messageIdFor(d.id, domain),
    headers,
    text: `${messageBody(m)}\n`,
    ...(o.html ? { html: messageHtml(d) } : {}),
  };
}

/** A value safe as a prepared (unencoded) header: printable ASCII only, bounded. */
function cleanHeaderToken(s: string): string {
  return s.replace(/[^\x21-\x7e]/g, '?').slice(0, 200);
}
