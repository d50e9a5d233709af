// `keywatch dns NAME [TYPE]`: look a name up and validate the answer ourselves, from the trust
// anchor down, printing the security state, the records, and every link of the chain.
import { Command, Option } from 'commander';
import { makeValidator } from '../../dns/resolver.ts';
import { renderValidation } from '../../dns/render.ts';
import { typeFromString } from '../../dns/types.ts';
import { parseName } from '../../dns/name.ts';
import { EXIT, type ExitCode } from '../exit-codes.ts';
import { UsageError } from '../errors.ts';
import type { Security } from '../../dns/dnssec/problems.ts';

const EXIT_FOR: Record<Security, ExitCode> = { secure: EXIT.ok, insecure: EXIT.warning, bogus: EXIT.critical, indeterminate: EXIT.unknown };

export function dnsCommand(setExit: (code: ExitCode) => void): Command {
  return new Command('dns')
    .summary('look up a name and validate its DNSSEC chain from the root')
    .description(
      `Look up NAME (record TYPE, default A) through a recursive resolver, then validate the answer here, from the trust anchor down — never trusting the resolver's AD bit — and explain each link: the DS at each parent, the keys it vouches for, every signature and its validity window.

The verdict is one of: secure (every link holds), insecure (a parent proves the delegation is unsigned, so there is nothing to check below it), bogus (a link fails; the reason names the zone, key tag and RFC rule), indeterminate (the records could not be had).`,
    )
    .argument('<name>', 'domain name, e.g. _5222._tcp.xmpp.example.org')
    .argument('[type]', 'record type (A, AAAA, TLSA, SRV, MX, CAA, DS, DNSKEY, ... or TYPE123)', 'A')
    .addOption(
      new Option('-r, --resolver <address[:port]>', 'recursive resolver to ask, repeatable; default: nameservers in /etc/resolv.conf')
        .argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]),
    )
    .option('-a, --trust-anchor <file-or-text>', 'DS or DNSKEY lines to start from (default: the IANA root KSKs 20326 and 38696)')
    .option('--timeout <ms>', 'per-query timeout in milliseconds', '3000')
    .option('--json', 'print the full result as JSON')
    .addHelpText(
      'after',
      `
Examples:
  keywatch dns _5222._tcp.xmpp.example.org TLSA
  keywatch dns example.org DNSKEY --json
  keywatch dns good.test SOA --resolver 127.53.0.53 --trust-anchor /tmp/keywatch-lab-53/unbound/root.key

Exit codes: 0 secure, 1 insecure, 2 bogus, 3 indeterminate or bad usage.`,
    )
    .action(async (nameArg: string, typeArg: string, opts: { resolver?: string[]; trustAnchor?: string; timeout: string; json?: boolean }) => {
      const type = typeFromString(typeArg.toUpperCase());
      if (type === undefined) throw new UsageError(`unknown record type "${typeArg}"`);
      try {
        parseName(nameArg);
      } catch (e) {
        throw new UsageError(`"${nameArg}" is not a domain name: ${(e as Error).message}`);
      }
      const timeoutMs = Number(opts.timeout);
      if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new UsageError(`--timeout must be a positive number of milliseconds, got "${opts.timeout}"`);
      const { validator } = makeValidator({ resolvers: opts.resolver ?? [], ...(opts.trustAnchor ? { trustAnchor: opts.trustAnchor } : {}), timeoutMs });
      const result = await validator.lookup(nameArg, type);
      process.stdout.write(opts.json ? `${JSON.stringify(result, null, 2)}\n` : `${renderValidation(result)}\n`);
      setExit(EXIT_FOR[result.security]);
    });
}
