// The chat bot's commands, as XMPP users know them from CertWatch: `subscribe DOMAIN`,
// `unsubscribe DOMAIN`, `status DOMAIN`, `list`, `help`. Parsing and answering are pure
// functions over SubscriptionCommands (the service's side), so they are tested without a
// server; xmpp.ts feeds them chat messages and sends the answers back.
import { domainToASCII } from 'node:url';
import type { DomainState, SubscriptionCommands } from '../service/contracts.ts';
import { cleanLine, cleanText } from './plain-text.ts';
import { pubsubNodeUri } from './pubsub-state.ts';

export type Command =
  | { kind: 'subscribe' | 'unsubscribe' | 'status'; domain: string }
  | { kind: 'list' | 'help' }
  /** A command keywatch knows, with a missing or malformed argument. */
  | { kind: 'usage'; command: string; problem: string }
  | { kind: 'unknown'; text: string };

/** Longest chat message read as a command; anything longer gets the help text. */
export const MAX_COMMAND_CHARS = 300;

/**
 * A domain as users type it (any case, a trailing dot, Unicode) in its ASCII form, or undefined
 * when it is not a host name: at least two labels of letters, digits and hyphens, ≤ 253 octets.
 */
export function normalizeDomain(input: string): string | undefined {
  const trimmed = input.trim().replace(/\.$/, '');
  if (!trimmed || trimmed.length > 253 || /[\s/@:]/.test(trimmed)) return undefined;
  const ascii = domainToASCII(trimmed.toLowerCase());
  if (!ascii || ascii.length > 253) return undefined;
  const labels = ascii.split('.');
  if (labels.length < 2) return undefined;
  if (!labels.every((l) => /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(l))) return undefined;
  return ascii;
}

export function parseCommand(body: string): Command {
  const text = body.trim();
  if (text.length > MAX_COMMAND_CHARS) return { kind: 'unknown', text: text.slice(0, 40) };
  const [word = '', ...args] = text.split(/\s+/);
  const cmd = word.toLowerCase().replace(/^[/!]/, '');
  switch (cmd) {
    case 'help':
    case '?':
      return { kind: 'help' };
    case 'list':
      return args.length ? { kind: 'usage', command: 'list', problem: '`list` takes no argument' } : { kind: 'list' };
    case 'subscribe':
    case 'unsubscribe':
    case 'status': {
      if (args.length !== 1) return { kind: 'usage', command: cmd, problem: `\`${cmd}\` takes one domain, e.g. \`${cmd} example.org\`` };
      const domain = normalizeDomain(args[0]!);
      if (!domain) return { kind: 'usage', command: cmd, problem: `${JSON.stringify(cleanLine(args[0]!, 60))} is not a domain name` };
      return { kind: cmd, domain };
    }
    default:
      return { kind: 'unknown', text: cleanLine(text, 40) };
  }
}

export function helpText(o: { pubsubService?: string } = {}): string {
  return [
    'keywatch watches XMPP servers for interception (keys not in DANE TLSA, channel binding failures).',
    'Commands:',
    '  subscribe DOMAIN    get alerts about DOMAIN here',
    '  unsubscribe DOMAIN  stop them',
    '  status DOMAIN       the last confirmed state of DOMAIN',
    '  list                your subscriptions',
    '  help                this text',
    ...(o.pubsubService ? [`Each domain's state is also a PubSub node: ${pubsubNodeUri(o.pubsubService, 'DOMAIN')}`] : []),
  ].join('\n');
}

const STATUS_WORD: Record<string, string> = { ok: 'OK', warning: 'WARNING', critical: 'CRITICAL', unknown: 'UNKNOWN' };

/** A domain's state as a few chat lines. */
export function stateText(s: DomainState): string {
  const lines = [`${cleanLine(s.domain, 253)} (${cleanLine(s.service, 20)}): ${STATUS_WORD[s.status] ?? cleanLine(s.status, 20)} — ${cleanLine(s.summary, 300)}`];
  if (s.checkedAt) lines.push(`Checked ${cleanLine(s.checkedAt, 40)}`);
  const shown = s.findings.slice(0, 8);
  for (const f of shown) {
    const where = f.endpoints.length ? ` [${f.endpoints.slice(0, 3).map((e) => cleanLine(e, 80)).join(', ')}${f.endpoints.length > 3 ? ', …' : ''}]` : '';
    lines.push(`- ${cleanLine(f.severity, 10).toUpperCase()} ${cleanLine(f.code, 60)}: ${cleanLine(f.title, 160)}${where}`);
  }
  if (s.findings.length > shown.length) lines.push(`- and ${s.findings.length - shown.length} more`);
  if (s.url) lines.push(cleanLine(s.url, 300));
  return lines.join('\n');
}

/**
 * The answer to one command from `sender` (a bare JID), by calling the service. Failures of the
 * service are answered politely and rethrown to the caller's log through `onError`.
 */
export async function answerCommand(
  cmd: Command,
  sender: string,
  commands: SubscriptionCommands,
  o: { pubsubService?: string; onError?: (e: unknown) => void } = {},
): Promise<string> {
  try {
    switch (cmd.kind) {
      case 'help':
        return helpText(o);
      case 'unknown':
        return `I don't know "${cmd.text}".\n${helpText(o)}`;
      case 'usage':
        return `${cmd.problem}. Send \`help\` for the commands.`;
      case 'subscribe':
      case 'unsubscribe': {
        const r = await commands[cmd.kind](cmd.domain, 'xmpp', sender);
        return cleanText(r.message) || (r.ok ? `${cmd.kind === 'subscribe' ? 'Subscribed to' : 'Unsubscribed from'} ${cmd.domain}.` : 'That did not work.');
      }
      case 'status': {
        const s = await commands.status(cmd.domain);
        return s ? stateText(s) : `${cmd.domain} is not watched yet. Send \`subscribe ${cmd.domain}\` to watch it.`;
      }
      case 'list': {
        const domains = await commands.list('xmpp', sender);
        return domains.length ? `Your subscriptions:\n${domains.map((d) => `- ${cleanLine(d, 253)}`).join('\n')}` : 'You have no subscriptions. Send `subscribe DOMAIN` to add one.';
      }
    }
  } catch (e) {
    o.onError?.(e);
    return 'Sorry, that did not work this time; please try again later.';
  }
}
