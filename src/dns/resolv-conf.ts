// Where to send queries: the system's resolv.conf, or an upstream the user names.
//
// Parsing is a pure function over text so tests never read the machine's real configuration
// (and never reach its resolvers). Only IP literals are accepted anywhere: resolving a
// resolver's hostname would need a resolver, and the libc resolver is not ours to trust.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';

/** A DNS server to query: an IP literal (no zone index) and a port. */
export interface DnsServer {
  address: string;
  port: number;
}

export interface ResolvConf {
  servers: DnsServer[];
  /** `options timeout:N` in seconds (resolv.conf(5)), when given. */
  timeoutSeconds?: number;
  /** `options attempts:N`, when given. */
  attempts?: number;
}

/** A resolv.conf that cannot be used, or an upstream string that is not an IP[:port]. */
export class ResolverConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResolverConfigError';
  }
}

// resolv.conf(5) caps both at small values; we clamp rather than reject, like glibc does.
const MAX_TIMEOUT_SECONDS = 30;
const MAX_ATTEMPTS = 5;

/**
 * Parses resolv.conf text. Lines whose keyword is unknown, or whose `nameserver` value is not an
 * IP literal, are skipped (glibc ignores them too); comments start with `#` or `;` anywhere.
 * A link-local IPv6 address keeps no `%scope`: Node would need the interface, and a link-local
 * resolver is out of scope for keywatch.
 */
export function parseResolvConf(text: string): ResolvConf {
  const out: ResolvConf = { servers: [] };
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.replace(/[#;].*$/, '').trim();
    if (line === '') continue;
    const [keyword, ...args] = line.split(/\s+/);
    if (keyword === 'nameserver') {
      const value = args[0];
      if (value === undefined) continue;
      const address = value.replace(/%.*$/, '');
      if (isIP(address) === 0) continue;
      out.servers.push({ address, port: 53 });
    } else if (keyword === 'options') {
      for (const option of args) {
        const m = /^(timeout|attempts):([0-9]{1,4})$/.exec(option);
        if (!m) continue;
        const n = Number(m[2]);
        if (m[1] === 'timeout') out.timeoutSeconds = Math.min(Math.max(n, 1), MAX_TIMEOUT_SECONDS);
        else out.attempts = Math.min(Math.max(n, 1), MAX_ATTEMPTS);
      }
    }
  }
  return out;
}

/** Reads and parses the system resolver configuration; throws when it names no usable server. */
export function systemResolvers(path = '/etc/resolv.conf'): ResolvConf {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new ResolverConfigError(`cannot read ${path} (${why}): name a resolver with an explicit upstream address instead`);
  }
  const conf = parseResolvConf(text);
  if (conf.servers.length === 0) {
    throw new ResolverConfigError(`${path} lists no nameserver with an IP address: name a resolver with an explicit upstream address`);
  }
  return conf;
}

/**
 * Parses a user-given upstream: `192.0.2.53`, `192.0.2.53:5353`, `[2001:db8::53]:53`, `::1`.
 * A bare IPv6 address takes no port (its colons would be ambiguous): use brackets for one.
 */
export function parseUpstream(text: string, defaultPort = 53): DnsServer {
  const input = text.trim();
  if (input === '') throw new ResolverConfigError('empty resolver address');
  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(input);
  if (bracketed) {
    host = bracketed[1] ?? '';
    portText = bracketed[2];
    if (isIP(host) !== 6) throw new ResolverConfigError(`"${text}": only an IPv6 address may stand in brackets`);
  } else if (isIP(input) !== 0) {
    host = input;
  } else {
    const colon = input.lastIndexOf(':');
    if (colon < 0 || input.indexOf(':') !== colon) {
      throw new ResolverConfigError(notAnAddress(text));
    }
    host = input.slice(0, colon);
    portText = input.slice(colon + 1);
    if (isIP(host) !== 4) throw new ResolverConfigError(notAnAddress(text));
  }
  if (host.includes('%')) throw new ResolverConfigError(`"${text}": scoped (link-local) IPv6 addresses are not supported`);
  return { address: host, port: portText === undefined ? defaultPort : parsePort(portText, text) };
}

function parsePort(portText: string, whole: string): number {
  if (!/^[0-9]{1,5}$/.test(portText)) throw new ResolverConfigError(`"${whole}": port "${portText}" is not a number`);
  const port = Number(portText);
  if (port < 1 || port > 65535) throw new ResolverConfigError(`"${whole}": port ${port} is outside 1–65535`);
  return port;
}

function notAnAddress(text: string): string {
  return `"${text}" is not an IP address: give the resolver as an IP literal (192.0.2.53, 192.0.2.53:5353, [2001:db8::53]:53); hostnames are not accepted because resolving them would need a resolver`;
}
