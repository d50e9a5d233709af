// `keywatch rollover DOMAIN --next-key FILE`: where a DANE key rollover stands, whether the next
// step is safe now, and how long to wait if not. Remembers between runs when it first saw the
// next key's record and the new key served (a small state file), since the waits count from there.
import { Command, Option } from 'commander';
import { runCheck } from '../../audit/check.ts';
import { DEFAULT_TIMEOUT_MS } from '../../probe/probe.ts';
import { observationsFromReport, planRollover, type RolloverPlan } from '../../setup/rollover.ts';
import { defaultStateFile, forgetMemory, loadMemory, RolloverStateError, saveMemory } from '../../setup/rollover-state.ts';
import { renderRollover } from '../../setup/render-rollover.ts';
import { UsageError } from '../errors.ts';
import { EXIT, type ExitCode } from '../exit-codes.ts';
import { addDnsOptions, addProbeOptions, asUsageErrors, domainArg, parseService, probeSettingsFrom, SERVICES, validatorFrom, type DnsCliOptions, type ProbeCliOptions } from '../options.ts';
import { loadKeys } from './records.ts';

interface RolloverCliOptions extends DnsCliOptions, ProbeCliOptions {
  service: string;
  nextKey?: string[];
  nextCert?: string[];
  state?: string;
  forget?: boolean;
  json?: boolean;
}

const repeatable = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

/** 0: the next action is safe now (or the rollover is done); 1: wait; 2: something is wrong; 3: unknown. */
export function rolloverExitCode(plan: RolloverPlan): ExitCode {
  if (plan.owners.length === 0) return EXIT.unknown;
  if (plan.problems.length) return EXIT.critical;
  return plan.safe ? EXIT.ok : EXIT.warning;
}

export function rolloverCommand(setExit: (code: ExitCode) => void): Command {
  const cmd = new Command('rollover')
    .summary('walk a DANE key rollover step by step, saying when each step is safe')
    .description(
      `Follow the standard DANE key rollover (RFC 7671 §8.1, "current + next") for DOMAIN's endpoints: 1. publish the next key's 3 1 1 record beside the current one; 2. wait two TTLs of the TLSA RRset; 3. deploy the new certificate; 4. wait two TTLs; 5. withdraw the old key's record.

Each run looks at the live TLSA RRsets (DNSSEC-validated, with the zone's TTL) and the keys the endpoints present, says which step the domain is at, whether the next action is safe now and why, how long is left when it is not, and the exact records to add or remove. The waits count from when keywatch first saw a record or key, kept in a small state file between runs.`,
    )
    .argument('<domain>', 'the domain users have in their addresses, e.g. example.org')
    .option('-s, --service <service>', `which endpoints: ${SERVICES.join(', ')}, or tls:HOST:PORT`, 'xmpp');
  return addProbeOptions(addDnsOptions(cmd), DEFAULT_TIMEOUT_MS)
    .addOption(new Option('--next-key <pem>', 'the key that replaces the current one (public or private PEM, or a certificate), repeatable').argParser(repeatable))
    .addOption(new Option('--next-cert <pem>', 'the same as --next-key, for a certificate (chain)').argParser(repeatable))
    .option('--state <file>', 'where to remember first-seen times (default: $XDG_STATE_HOME/keywatch/rollover/DOMAIN.json)')
    .option('--forget', 'start the memory afresh (after an aborted rollover)')
    .option('--json', 'print the plan as JSON')
    .addHelpText(
      'after',
      `
Examples:
  keywatch records example.org --next-key next.pem    the records to publish first
  keywatch rollover example.org --next-key next.pem   where the rollover stands, and what is safe now

Exit codes: 0 the next action is safe now (or the rollover is complete), 1 not yet: wait (the
time left is printed), 2 something is wrong (a key served that DANE clients reject, a bogus
RRset), 3 nothing found or bad usage. Scripts can wait for 0 before deploying.`,
    )
    .action(async (domainText: string, opts: RolloverCliOptions) => {
      const domain = domainArg(domainText, 'DOMAIN');
      const { service, tlsTarget } = parseService(opts.service);
      const next = [...loadKeys(opts.nextKey, '--next-key'), ...loadKeys(opts.nextCert, '--next-cert')];
      if (next.length === 0) throw new UsageError('give the key that replaces the current one: --next-key FILE (or --next-cert FILE)');
      const probing = probeSettingsFrom(opts);
      const stateFile = opts.state ?? defaultStateFile(domain);
      const validator = validatorFrom(opts);
      let previous;
      try {
        if (opts.forget) forgetMemory(stateFile);
        previous = loadMemory(stateFile);
      } catch (e) {
        if (e instanceof RolloverStateError) throw new UsageError(e.message);
        throw e;
      }
      const report = await asUsageErrors(() => runCheck({ domain, service, ...(tlsTarget ? { tlsTarget } : {}), validator, ...probing, extraHandshakes: false }));
      const now = Date.now();
      const plan = planRollover(report.domain, observationsFromReport(report), next.map((k) => k.spkiSha256), previous, now);
      if (plan.owners.length) saveMemory(stateFile, plan.memory);
      const labels = next.map((k) => `3 1 1 ${k.spkiSha256} (${k.keyType}, ${k.source})`);
      process.stdout.write(opts.json ? `${JSON.stringify({ schema: 'keywatch.rollover/1', ...plan, stateFile }, null, 2)}\n` : `${renderRollover(plan, { now, nextLabels: labels })}\n`);
      setExit(rolloverExitCode(plan));
    });
}
