// `keywatch check DOMAIN`: probe every endpoint of a domain's service and judge what it presents
// against DANE, DNSSEC and the other endpoints. Text report by default, the Report as JSON with
// --json; the exit code is the Nagios status.
import { Command } from 'commander';
import { CheckConfigError, DEFAULT_CONCURRENCY, runCheck } from '../../audit/check.ts';
import { progressPrinter } from '../progress.ts';
import { renderReport } from '../../audit/render-report.ts';
import { DEFAULT_TIMEOUT_MS } from '../../probe/probe.ts';
import { UsageError } from '../errors.ts';
import { addDnsOptions, domainArg, parseService, parseSocks, positiveInt, SERVICES, useColor, validatorFrom, type DnsCliOptions } from '../options.ts';
import type { ExitCode } from '../exit-codes.ts';

interface CheckCliOptions extends DnsCliOptions {
  service: string;
  caFile?: string;
  socks?: string;
  allowPrivate?: boolean;
  concurrency: string;
  timeout: string;
  checkerDomain?: string;
  quick?: boolean;
  json?: boolean;
  verbose?: boolean;
  color: boolean;
  progress: boolean;
}

export function checkCommand(setExit: (code: ExitCode) => void): Command {
  const cmd = new Command('check')
    .summary("probe every endpoint of a domain and judge its keys against DANE")
    .description(
      `Find every endpoint a client or peer server would use for DOMAIN (each address of each SRV or MX target), connect to each as they would (STARTTLS or direct TLS), and judge what is presented: keys against the DNSSEC-validated TLSA records (RFC 6698, 7671, 7672, 7673), keys and TLS parameters against the other endpoints of the same host (an interceptor on some paths shows up as a difference), certificate dates, names and chain, STARTTLS, and DNSSEC on the way.

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
    .option('--quick', 'skip the extra handshakes (anonymous suites, one per key type)')
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
