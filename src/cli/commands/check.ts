// `keywatch check DOMAIN`: probe every endpoint of a domain's service and judge what it presents
// against DANE, DNSSEC and the other endpoints. Text report by default, the Report as JSON with
// --json; the exit code is the Nagios status.
import { Command } from 'commander';
import { CheckConfigError, DEFAULT_CONCURRENCY, runCheck } from '../../audit/check.ts';
import { progressPrinter } from '../progress.ts';
import { renderReport } from '../../audit/render-report.ts';
import { DEFAULT_STREAM_ID_CONNECTIONS, MAX_STREAM_ID_CONNECTIONS } from '../../audit/stream-ids.ts';
import { DEFAULT_TIMEOUT_MS } from '../../probe/probe.ts';
import { UsageError } from '../errors.ts';
import { addDnsOptions, domainArg, parseService, parseSocks, positiveInt, SERVICES, useColor, validatorFrom, type DnsCliOptions } from '../options.ts';
import type { ExitCode } from '../exit-codes.ts';
import { CanaryConfigError } from '../../sasl/canary.ts';
import { canaryFromCli, CANARY_PASSWORD_ENV, type CanaryCliOptions } from '../../sasl/canary-config.ts';

interface CheckCliOptions extends DnsCliOptions, CanaryCliOptions {
  service: string;
  caFile?: string;
  socks?: string;
  allowPrivate?: boolean;
  concurrency: string;
  timeout: string;
  checkerDomain?: string;
  quick?: boolean;
  caa: boolean;
  streamIds?: string;
  json?: boolean;
  verbose?: boolean;
  color: boolean;
  progress: boolean;
}

function streamIdCount(text: string): number {
  if (!/^\d{1,3}$/.test(text) || Number(text) > MAX_STREAM_ID_CONNECTIONS) throw new UsageError(`--stream-ids must be an integer from 0 to ${MAX_STREAM_ID_CONNECTIONS}, got "${text}"`);
  return Number(text);
}

export function checkCommand(setExit: (code: ExitCode) => void): Command {
  const cmd = new Command('check')
    .summary("probe every endpoint of a domain and judge its keys against DANE")
    .description(
      `Find every endpoint a client or peer server would use for DOMAIN (each address of each SRV or MX target), connect to each as they would (STARTTLS or direct TLS), and judge what is presented: keys against the DNSSEC-validated TLSA records (RFC 6698, 7671, 7672, 7673), keys and TLS parameters against the other endpoints of the same host (an interceptor on some paths shows up as a difference), certificate dates, names and chain, STARTTLS, SASL channel binding for XMPP clients (with --canary, logins that prove no one terminates TLS on the way), and DNSSEC on the way.

Each finding has a stable code (docs/FINDINGS.md), a severity and, where keywatch can compute it, the exact records or settings that fix it.`,
    )
    .argument('<domain>', 'the domain users have in their addresses, e.g. example.org')
    .option('-s, --service <service>', `what to check: ${SERVICES.join(', ')}, or tls:HOST:PORT`, 'xmpp');
  return addDnsOptions(cmd)
    .option('--ca-file <pem>', 'trust anchors for PKIX validation (default: the system store)')
    .option('--socks <url>', 'probe through a SOCKS5 proxy, e.g. socks5://127.0.0.1:9050 for Tor; every connection gets fresh credentials, hence its own circuit')
    .option('--allow-private', 'also probe loopback, private and reserved addresses (refused by default)')
    .option('--concurrency <n>', 'endpoints probed at once', String(DEFAULT_CONCURRENCY))
    .option('--timeout <ms>', 'time limit for each probe', String(DEFAULT_TIMEOUT_MS))
    .option('--checker-domain <domain>', 'our own domain: the s2s stream "from" and the SMTP EHLO name')
    .option('--quick', 'skip the extra handshakes (anonymous suites, one per key type, SASL under TLS 1.2 and the password-less binding-type questions) and the stream-id connections')
    .option('--no-caa', 'do not judge the domain\'s CAA records (keywatch caa does it alone)')
    .option('--stream-ids <n>', `XMPP: fresh connections per host and role (c2s, s2s) whose stream ids are judged for predictability, 0-${MAX_STREAM_ID_CONNECTIONS} (default ${DEFAULT_STREAM_ID_CONNECTIONS}, 0 with --quick; the probes' own ids are always judged)`)
    .option('--canary <jid>', `XMPP: log this account in on every client endpoint with SCRAM-*-PLUS and every channel-binding type the server supports (a failed binding is the strongest interception signal); the password comes from ${CANARY_PASSWORD_ENV} or --canary-password-file, never the command line`)
    .option('--canary-password-file <file>', "file holding the canary's password (one line)")
    .option('--canary-require-plus', 'the canary must be able to bind on every endpoint: no -PLUS there is a downgrade (critical)')
    .option('--json', 'print the full Report as JSON (schema: docs/REPORT.md)')
    .option('-v, --verbose', 'list every DNS lookup and every TLSA record result')
    .option('--no-color', 'no colour, even on a terminal (NO_COLOR is honoured too)')
    .option('--no-progress', 'no progress line on stderr')
    .addHelpText(
      'after',
      `
Examples:
  keywatch check example.org                        XMPP: c2s, direct TLS and s2s endpoints
  keywatch check example.org --service smtp         every MX host on port 25
  keywatch check example.org --socks socks5://127.0.0.1:9050
  keywatch check example.org --json | jq .findings
  KEYWATCH_CANARY_PASSWORD=… keywatch check example.org --canary canary@example.org

Exit codes: 0 ok, 1 warning, 2 critical or error (likely attack, or users exposed), 3 unknown
(nothing could be probed, bad usage).`,
    )
    .action(async (domainText: string, opts: CheckCliOptions) => {
      const domain = domainArg(domainText, 'DOMAIN');
      const { service, tlsTarget } = parseService(opts.service);
      const concurrency = positiveInt(opts.concurrency, '--concurrency');
      const timeoutMs = positiveInt(opts.timeout, '--timeout');
      const socks = opts.socks ? parseSocks(opts.socks) : undefined;
      const checkerDomain = opts.checkerDomain ? domainArg(opts.checkerDomain, '--checker-domain') : undefined;
      const streamIds = opts.streamIds !== undefined ? streamIdCount(opts.streamIds) : opts.quick === true ? 0 : DEFAULT_STREAM_ID_CONNECTIONS;
      let canary;
      try {
        canary = canaryFromCli(opts, process.env, domain, service);
      } catch (e) {
        if (e instanceof CanaryConfigError) throw new UsageError(e.message);
        throw e;
      }
      const validator = validatorFrom(opts);
      const progress = progressPrinter(opts.progress && process.stderr.isTTY === true);
      let report;
      try {
        report = await runCheck({
          domain,
          service,
          ...(tlsTarget ? { tlsTarget } : {}),
          validator,
          ...(opts.caFile ? { caFile: opts.caFile } : {}),
          ...(socks ? { socks } : {}),
          allowPrivate: opts.allowPrivate === true,
          concurrency,
          timeoutMs,
          ...(checkerDomain ? { checkerDomain } : {}),
          extraHandshakes: opts.quick !== true,
          caa: opts.caa,
          streamIds,
          ...(canary ? { canary } : {}),
          onProgress: progress.on,
        });
      } catch (e) {
        if (e instanceof CheckConfigError) throw new UsageError(e.message);
        throw e;
      } finally {
        progress.clear();
      }
      const color = useColor(opts);
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${renderReport(report, { color, verbose: opts.verbose === true })}\n`);
      setExit(report.exitCode);
    });
}
