// The messages subscribers receive, rendered once as plain text (contracts.ts AlertMessage); each
// notifier escapes and formats them for its channel. Every message carries its unsubscribe link.
import type { Status } from '../audit/report.ts';
import type { AlertMessage, Channel, DomainState } from './contracts.ts';

/** The service's public URLs. One place, so the web pages can take over the links later. */
export class Links {
  constructor(private readonly base: string) {}
  page(domain: string, service: string): string {
    return `${this.base}/domains/${encodeURIComponent(domain)}${service === 'xmpp' ? '' : `?service=${encodeURIComponent(service)}`}`;
  }
  confirm(token: string): string {
    return `${this.base}/api/confirm?token=${token}`;
  }
  unsubscribe(token: string): string {
    return `${this.base}/api/unsubscribe?token=${token}`;
  }
}

const WIDTH = 100;

/** Wrap a paragraph at WIDTH columns (words longer than that are cut). */
export function wrap(text: string): string[] {
  const out: string[] = [];
  for (const para of text.split('\n')) {
    let line = '';
    for (let word of para.split(/\s+/).filter(Boolean)) {
      while (word.length > WIDTH) {
        if (line) out.push(line);
        out.push(word.slice(0, WIDTH));
        word = word.slice(WIDTH);
        line = '';
      }
      if (!word) continue;
      if (line && line.length + 1 + word.length > WIDTH) {
        out.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    out.push(line);
  }
  return out;
}

const body = (...paras: string[]) => paras.flatMap((p) => [...wrap(p), '']).join('\n').trimEnd() + '\n';

function stateLines(s: DomainState): string {
  const findings = s.findings.slice(0, 8).map((f) => `- ${f.severity.toUpperCase()} ${f.code}: ${f.title}`);
  const more = s.findings.length > 8 ? [`- … and ${s.findings.length - 8} more on the page`] : [];
  const keys = s.keys.map((k) => `- ${k.endpoint}: ${k.spkiSha256}`);
  return [
    `Status: ${s.status.toUpperCase()} (checked ${s.checkedAt})`,
    s.summary,
    ...(findings.length ? ['', 'Findings:', ...findings, ...more] : []),
    ...(keys.length ? ['', 'Keys presented (SPKI SHA-256):', ...keys] : []),
  ].join('\n');
}

function footer(page: string, unsubscribe: string): string {
  return `Details and history: ${page}\nStop these messages: ${unsubscribe}`;
}

export interface MessageInput {
  domain: string;
  service: string;
  page: string;
  unsubscribe: string;
}

export function alertMessage(m: MessageInput, state: DomainState, previous: Status | 'new', reasons: string[]): AlertMessage {
  const first = reasons[0] ?? state.summary;
  const subject = `${state.status.toUpperCase()}: ${m.domain}: ${first}`.slice(0, 200);
  const text = body(
    `keywatch saw ${m.domain} (${m.service}) change from ${previous.toUpperCase()} to ${state.status.toUpperCase()}, and a second check over fresh connections confirmed it.`,
    reasons.length ? `What changed:\n${reasons.map((r) => `- ${r}`).join('\n')}` : '',
    stateLines(state),
    'A key that no TLSA record names, or a key that differs between paths, is what an interception looks like. If you did not change keys, treat this as an attack until you know better; if you did, publish the new key\'s TLSA record (keywatch records DOMAIN prints it).',
    footer(m.page, m.unsubscribe),
  );
  return { kind: 'alert', domain: m.domain, subject, text: text.replace(/\n{3,}/g, '\n\n'), state, previousStatus: previous === 'new' ? 'unknown' : previous, links: { page: m.page, unsubscribe: m.unsubscribe } };
}

export function recoveryMessage(m: MessageInput, state: DomainState, previous: Status | 'new'): AlertMessage {
  const subject = `RECOVERED: ${m.domain} is ${state.status.toUpperCase()} again`;
  const text = body(
    `keywatch saw ${m.domain} (${m.service}) return from ${previous.toUpperCase()} to ${state.status.toUpperCase()}, confirmed by a second check over fresh connections.`,
    stateLines(state),
    footer(m.page, m.unsubscribe),
  );
  return { kind: 'recovery', domain: m.domain, subject, text, state, previousStatus: previous === 'new' ? 'unknown' : previous, links: { page: m.page, unsubscribe: m.unsubscribe } };
}

const CHANNEL_NAME: Record<Channel, string> = { email: 'email', xmpp: 'XMPP', webhook: 'webhook', pubsub: 'PubSub' };

export function confirmMessage(m: MessageInput, channel: Channel, target: string, confirm: string, ttlHours: number): AlertMessage {
  const text = body(
    `Someone (hopefully you) asked keywatch to send ${CHANNEL_NAME[channel]} alerts about ${m.domain} (${m.service}) to ${target}: a message when the keys its servers present stop matching what the domain publishes, and when that clears.`,
    `To confirm, open this link within ${ttlHours} hours:\n${confirm}`,
    'If you did not ask for this, ignore this message: nothing will be sent unless the link is opened.',
    footer(m.page, m.unsubscribe),
  );
  return { kind: 'confirm-subscription', domain: m.domain, subject: `Confirm keywatch alerts for ${m.domain}`, text, links: { page: m.page, unsubscribe: m.unsubscribe, confirm } };
}

export function subscribedMessage(m: MessageInput, state: DomainState | undefined): AlertMessage {
  const text = body(`You will be told when ${m.domain} (${m.service}) changes for the worse, and when it recovers.`, state ? stateLines(state) : 'The first check has not finished yet.', footer(m.page, m.unsubscribe));
  return { kind: 'subscribed', domain: m.domain, subject: `Subscribed to keywatch alerts for ${m.domain}`, text, ...(state ? { state } : {}), links: { page: m.page, unsubscribe: m.unsubscribe } };
}

export function unsubscribedMessage(m: MessageInput): AlertMessage {
  const text = body(`You will get no more keywatch messages about ${m.domain} (${m.service}).`, `The domain's page stays open to everyone: ${m.page}`);
  return { kind: 'unsubscribed', domain: m.domain, subject: `Unsubscribed from keywatch alerts for ${m.domain}`, text, links: { page: m.page, unsubscribe: m.unsubscribe } };
}
