// `keywatch caa DOMAIN`: find the CAA records that govern DOMAIN (RFC 8659 tree climbing,
// through keywatch's own DNSSEC validation), explain each one, say whether the chosen CA and
// ACME account may issue, and print the records to publish. Exit code = the Nagios status.
import { Command } from 'commander';
import { isIP } from 'node:net';
import { validatorLookup } from '../../caa/climb.ts';
import { DEFAULT_CA } from '../../caa/recommend.ts';
import { KNOWN_METHODS, accountUriProblem, issuerDomainProblem, readProperty } from '../../caa/record.ts';
import { renderCaaReport } from '../../caa/render.ts';
import { runCaa } from '../../caa/report.ts';
import { UsageError } from '../errors.ts';
import type { ExitCode } from '../exit-codes.ts';
import { addDnsOptions, domainArg, useColor, validatorFrom, type DnsCliOptions } from '../options.ts';

interface CaaCliOptions extends DnsCliOptions {
  ca?: string;
  accountUri?: string;
  validationMethods?: string;
  iodef?: string;
  wildcard?: boolean;
  json?: boolean;
  color: boolean;
}

function caArg(text: string): string {
  const problem = issuerDomainProblem(text);
  if (problem) throw new UsageError(`--ca "${text}": ${problem}; give the CA's CAA issuer domain, e.g. letsencrypt.org`);
  return text.toLowerCase();
}

function methodsArg(text: string): string[] {
  const labels = text.split(',').map((l) => l.trim());
  for (const l of labels) {
    if (!/^[a-z0-9-]+$/.test(l)) throw new UsageError(`--validation-methods "${text}": "${l}" is not a method label (lower-case letters, digits, hyphens; comma-separated)`);
    if (!KNOWN_METHODS[l] && !l.startsWith('ca-')) throw new UsageError(`--validation-methods: unknown method "${l}"; use ${Object.keys(KNOWN_METHODS).slice(0, 3).join(', ')}, another ACME method, or a CA-specific ca-… label`);
  }
  return [...new Set(labels)];
}

function iodefArg(text: string): string {
  const url = /^[a-z][a-z0-9+.-]*:/i.test(text) ? text : text.includes('@') ? `mailto:${text}` : text;
  const p = readProperty({ flags: 0, tag: 'iodef', value: new TextEncoder().encode(url) });
  const bad = p.notes.find((n) => n.code === 'iodef-invalid');
  if (bad) throw new UsageError(`--iodef: ${bad.message}`);
  return url;
}

export function caaCommand(setExit: (code: ExitCode) => void): Command {
  const cmd = new Command('caa')
    .summary('which CAs may issue certificates for a domain, and the CAA records to publish')
    .description(
      `Find the CAA records that govern DOMAIN: the first CAA record set found looking up DOMAIN, then each parent up to the top-level domain (RFC 8659 §3), each lookup validated with DNSSEC here. Explain every record (issue, issuewild, iodef, the critical flag, RFC 8657 accounturi and validationmethods), say whether the CA you use (--ca; by default the CA the published records name, else ${DEFAULT_CA}) may issue for DOMAIN and *.DOMAIN, and print the record set to publish.

The records matter for interception: in 2023 the hosting provider of jabber.ru obtained valid Let's Encrypt certificates for it by answering HTTP-01 challenges on the traffic it intercepted. A CAA issue record with accounturi limits issuance to your own ACME account, so such an interceptor would also need your account key; DNSSEC keeps the CAA answers themselves from being forged.`,
    )
    .argument('<domain>', 'the domain certificates are issued for, e.g. example.org (or *.example.org for wildcards)');
  return addDnsOptions(cmd)
    .option('--ca <issuer-domain>', `the CA you use, as CAA names it: ${DEFAULT_CA}, pki.goog, sectigo.com, digicert.com... (default: the one the published records name, else ${DEFAULT_CA})`)
    .option('--account-uri <url>', 'your ACME account URL, e.g. https://acme-v02.api.letsencrypt.org/acme/acct/123456789')
    .option('--validation-methods <list>', 'the ACME challenge types your client uses, comma-separated: dns-01, http-01, tls-alpn-01')
    .option('--iodef <url>', 'where CAs should report refused requests: mailto:security@example.org (or an https: URL)')
    .option('--wildcard', 'you need wildcard certificates (*.DOMAIN): evaluate them and allow them in the recommended records')
    .option('--json', 'print the whole report as JSON (schema keywatch.caa-report/1, docs/CAA.md)')
    .option('--no-color', 'no colour, even on a terminal (NO_COLOR is honoured too)')
    .addHelpText(
      'after',
      `
Examples:
  keywatch caa example.org
  keywatch caa example.org --account-uri https://acme-v02.api.letsencrypt.org/acme/acct/123456789 \\
      --validation-methods dns-01 --iodef mailto:security@example.org
  keywatch caa example.org --json | jq .recommended.zone

Your ACME account URL: "certbot show_account", or "grep -r ACCOUNT_URL ~/.acme.sh/ca/" for acme.sh.

Exit codes: 0 ok, 1 warning (e.g. no CAA, no accounturi, unsigned), 2 error (bogus DNSSEC, malformed
or blocking records, or the CA/account you named may not issue), 3 unknown (lookup failed, bad usage).`,
    )
    .action(async (domainText: string, opts: CaaCliOptions) => {
      const wildcardArg = domainText.startsWith('*.');
      if (isIP(domainText)) throw new UsageError(`DOMAIN must be a domain name, not an address ("${domainText}"): CAA applies to names`);
      const domain = domainArg(wildcardArg ? domainText.slice(2) : domainText, 'DOMAIN').toLowerCase();
      if (domain === '' || domain === '.') throw new UsageError('DOMAIN must not be the root');
      const ca = opts.ca !== undefined ? caArg(opts.ca) : undefined;
      if (opts.accountUri !== undefined) {
        const problem = accountUriProblem(opts.accountUri, ca ?? '');
        if (problem) throw new UsageError(`--account-uri: ${problem}`);
      }
      const methods = opts.validationMethods !== undefined ? methodsArg(opts.validationMethods) : undefined;
      const iodef = opts.iodef !== undefined ? iodefArg(opts.iodef) : undefined;
      const validator = validatorFrom(opts);
      const report = await runCaa(domain, validatorLookup(validator), {
        ...(ca ? { ca } : {}),
        ...(opts.accountUri !== undefined ? { accountUri: opts.accountUri } : {}),
        ...(methods ? { methods } : {}),
        ...(iodef ? { iodef } : {}),
        wildcard: opts.wildcard === true || wildcardArg,
        explicit: opts.ca !== undefined || opts.accountUri !== undefined || methods !== undefined,
      });
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${renderCaaReport(report, { color: useColor(opts) })}\n`);
      setExit(report.exitCode);
    });
}
