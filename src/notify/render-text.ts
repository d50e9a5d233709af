// The plain-text form of an AlertMessage that the email and chat channels share: the service's
// text, then the links every message must carry (the confirmation link of a double opt-in, the
// domain's page, and the unsubscribe link), each on a line of its own so that mail readers and
// chat clients turn them into links.
import type { AlertMessage } from '../service/contracts.ts';
import { cleanLine, cleanText, safeLink } from './plain-text.ts';

export interface RenderedLinks {
  confirm?: string;
  page?: string;
  unsubscribe?: string;
}

/** The message's links that are safe to show (absolute http/https only). */
export function messageLinks(m: AlertMessage): RenderedLinks {
  const out: RenderedLinks = {};
  const confirm = safeLink(m.links.confirm);
  const page = safeLink(m.links.page);
  const unsubscribe = safeLink(m.links.unsubscribe);
  if (confirm) out.confirm = confirm;
  if (page) out.page = page;
  if (unsubscribe) out.unsubscribe = unsubscribe;
  return out;
}

/** The subject line: one line, control characters removed, at most 200 characters. */
export function messageSubject(m: AlertMessage): string {
  return cleanLine(m.subject || `${m.kind}: ${m.domain}`, 200) || m.kind;
}

/**
 * The body: the service's text (cleaned), then a block of links. The confirmation link comes
 * first and on its own paragraph because it is the point of a `confirm-subscription` message.
 */
export function messageBody(m: AlertMessage, o: { subjectFirst?: boolean } = {}): string {
  const links = messageLinks(m);
  const parts: string[] = [];
  if (o.subjectFirst) parts.push(messageSubject(m));
  const text = cleanText(m.text).replace(/\n+$/, '');
  if (text) parts.push(text);
  if (links.confirm) parts.push(`Confirm your subscription: ${links.confirm}`);
  const footer = [
    ...(links.page ? [`Details: ${links.page}`] : []),
    ...(links.unsubscribe ? [`Unsubscribe: ${links.unsubscribe}`] : []),
  ];
  if (footer.length) parts.push(footer.join('\n'));
  return parts.join('\n\n');
}
