// Option parsing shared by the commands: numbers, domain names, services, SOCKS addresses, and
// the DNS options (resolver, trust anchor, timeout) every command that validates DNSSEC takes.
import { Option, type Command } from 'commander';
import { isIP } from 'node:net';
import { CheckConfigError } from '../audit/check.ts';
import type { ServiceKind } from '../audit/discover.ts';
import { parseName } from '../dns/name.ts';
import { makeValidator } from '../dns/resolver.ts';
import type { Validator } from '../dns/dnssec/validator.ts';
import { UsageError } from './errors.ts';

export const SERVICES: ServiceKind[] = ['xmpp', 'smtp', 'imap', 'pop3', 'https'];

export function positiveInt(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${what} must be a positive integer, got "${text}"`);
  return n;
}

/** A domain name argument, without its trailing dot; an address is refused with a hint. */
export function domainArg(text: string, what: string): string {
  try {
    parseName(text);
  } catch (e) {
    throw new UsageError(`${what} "${text}" is not a domain name: ${(e as Error).message}`);
  }
  if (isIP(text)) throw new UsageError(`${what} must be a domain name, not an address ("${text}"); for an address use --service tls:${text}:PORT`);
  return text.replace(/\.$/, '');
}

export function parseService(text: string): { service: ServiceKind; tlsTarget?: { host: string; port: number } } {
  if ((SERVICES as string[]).includes(text)) return { service: text as ServiceKind };
  const m = /^tls:(.+):(\d{1,5})$/.exec(text);
  if (m) {
    const port = Number(m[2]);
    if (port < 1 || port > 65535) throw new UsageError(`--service ${text}: port must be 1-65535`);
    return { service: 'tls', tlsTarget: { host: domainArg(m[1]!, '--service tls: HOST'), port } };
  }
  throw new UsageError(`unknown --service "${text}": use one of ${SERVICES.join(', ')}, or tls:HOST:PORT`);
}

export function parseSocks(text: string): { host: string; port: number } {
  const m = /^(?:socks5h?:\/\/)?(\[[0-9a-fA-F:.]+\]|[^:/]+):(\d{1,5})\/?$/.exec(text);
  if (!m) throw new UsageError(`--socks "${text}" is not a SOCKS5 address; use socks5://HOST:PORT, e.g. socks5://127.0.0.1:9050 for Tor`);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new UsageError(`--socks ${text}: port must be 1-65535`);
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}

/** What `addDnsOptions` adds to a command's options. */
export interface DnsCliOptions {
  resolver?: string[];
  trustAnchor?: string;
  dnsTimeout: string;
}

/** `--resolver` (repeatable), `--trust-anchor` and `--dns-timeout`, as every DNSSEC-validating command takes them. */
export function addDnsOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('-r, --resolver <address[:port]>', 'recursive resolver to ask, repeatable; default: /etc/resolv.conf').argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]),
    )
    .option('-a, --trust-anchor <file-or-text>', 'DNSSEC trust anchor, DS or DNSKEY lines (default: the IANA root KSKs)')
    .option('--dns-timeout <ms>', 'time limit for each DNS query', '3000');
}

/** The validator those options describe. */
export function validatorFrom(opts: DnsCliOptions): Validator {
  const timeoutMs = positiveInt(opts.dnsTimeout, '--dns-timeout');
  return makeValidator({ resolvers: opts.resolver ?? [], ...(opts.trustAnchor ? { trustAnchor: opts.trustAnchor } : {}), timeoutMs }).validator;
}

/** Colour on stdout: only on a terminal, never with --no-color or NO_COLOR. */
export function useColor(opts: { color: boolean }): boolean {
  return opts.color && process.stdout.isTTY === true && !process.env.NO_COLOR;
}

/** What `addProbeOptions` adds: how endpoints are probed. */
export interface ProbeCliOptions {
  caFile?: string;
  socks?: string;
  allowPrivate?: boolean;
  timeout: string;
  checkerDomain?: string;
}

/** `--ca-file`, `--socks`, `--allow-private`, `--timeout`, `--checker-domain`: every command that probes endpoints. */
export function addProbeOptions(cmd: Command, defaultTimeoutMs: number): Command {
  return cmd
    .option('--ca-file <pem>', 'trust anchors for PKIX validation (default: the system store)')
    .option('--socks <url>', 'probe through a SOCKS5 proxy, e.g. socks5://127.0.0.1:9050 for Tor; every connection gets fresh credentials, hence its own circuit')
    .option('--allow-private', 'also probe loopback, private and reserved addresses (refused by default)')
    .option('--timeout <ms>', 'time limit for each probe', String(defaultTimeoutMs))
    .option('--checker-domain <domain>', 'our own domain: the s2s stream "from" and the SMTP EHLO name');
}

/** Those options as the check takes them. */
export function probeSettingsFrom(opts: ProbeCliOptions): { caFile?: string; socks?: { host: string; port: number }; allowPrivate: boolean; timeoutMs: number; checkerDomain?: string } {
  const socks = opts.socks ? parseSocks(opts.socks) : undefined;
  const checkerDomain = opts.checkerDomain ? domainArg(opts.checkerDomain, '--checker-domain') : undefined;
  return {
    ...(opts.caFile ? { caFile: opts.caFile } : {}),
    ...(socks ? { socks } : {}),
    allowPrivate: opts.allowPrivate === true,
    timeoutMs: positiveInt(opts.timeout, '--timeout'),
    ...(checkerDomain ? { checkerDomain } : {}),
  };
}

/** Run `f`, turning a problem with the check's own configuration (a bad CA file) into a usage error. */
export async function asUsageErrors<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof CheckConfigError) throw new UsageError(e.message);
    throw e;
  }
}
