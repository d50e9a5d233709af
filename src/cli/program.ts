// The keywatch command line: one Commander program; each command lives in its own module and
// registers itself here. Only commands that work are listed — planned ones appear when built.
import { Command, CommanderError } from 'commander';
import { EXIT, type ExitCode } from './exit-codes.ts';
import { caaCommand } from './commands/caa.ts';
import { checkCommand } from './commands/check.ts';
import { dnsCommand } from './commands/dns.ts';
import { recordsCommand } from './commands/records.ts';
import { rolloverCommand } from './commands/rollover.ts';
import { serveCommand } from './commands/serve.ts';
import { UsageError } from './errors.ts';
import { ResolverConfigError } from '../dns/resolv-conf.ts';
import { TrustAnchorError } from '../dns/dnssec/trust-anchor.ts';
import { VERSION } from '../version.ts';

const DESCRIPTION = `Would you notice if someone were intercepting your users?

keywatch validates DNSSEC from the root, probes a domain's XMPP and mail endpoints as a client would, compares the keys they present with the domain's DANE TLSA records, audits SASL channel binding (and proves it with a canary login), checks CAA, tells admins which records to publish, and watches domains as a service with alerts.`;

const EPILOG = `
Exit codes (Nagios convention): 0 ok, 1 warning, 2 critical or error, 3 unknown or bad usage.
Documentation: README.md and docs/ in the keywatch source tree.`;

export function buildProgram(setExit: (code: ExitCode) => void = () => undefined): Command {
  const program = new Command('keywatch')
    .description(DESCRIPTION)
    .version(VERSION, '-V, --version', 'print the keywatch version')
    .helpOption('-h, --help', 'show help for keywatch or a command')
    .addHelpText('after', EPILOG)
    .showHelpAfterError('(run keywatch --help for usage)')
    .exitOverride();
  program.addCommand(checkCommand(setExit).exitOverride().showHelpAfterError('(run keywatch check --help for usage)'));
  program.addCommand(recordsCommand(setExit).exitOverride().showHelpAfterError('(run keywatch records --help for usage)'));
  program.addCommand(caaCommand(setExit).exitOverride().showHelpAfterError('(run keywatch caa --help for usage)'));
  program.addCommand(rolloverCommand(setExit).exitOverride().showHelpAfterError('(run keywatch rollover --help for usage)'));
  program.addCommand(dnsCommand(setExit).exitOverride().showHelpAfterError('(run keywatch dns --help for usage)'));
  program.addCommand(serveCommand(setExit).exitOverride().showHelpAfterError('(run keywatch serve --help for usage)'));
  return program;
}

/** Run the CLI; returns the process exit code instead of exiting, so tests can call it. */
export async function runCli(argv: string[]): Promise<number> {
  let code: ExitCode = EXIT.ok;
  const program = buildProgram((c) => (code = c));
  if (argv.length === 0) {
    program.outputHelp();
    return EXIT.unknown;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end with "errors" whose code says all went well.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.ok;
      return EXIT.unknown;
    }
    // Bad input the user can fix: one line, no stack, exit 3.
    if (err instanceof UsageError || err instanceof ResolverConfigError || err instanceof TrustAnchorError) {
      process.stderr.write(`keywatch: ${err.message}\n`);
      return EXIT.unknown;
    }
    throw err;
  }
}
