// The keywatch command line: one Commander program; each command lives in its own module and
// registers itself here. Only commands that work are listed — planned ones appear when built.
import { Command, CommanderError } from 'commander';
import { EXIT } from './exit-codes.ts';
import { VERSION } from '../version.ts';

const DESCRIPTION = `Would you notice if someone were intercepting your users?

keywatch validates DNSSEC from the root, probes a domain's XMPP and mail endpoints as a client would, and compares the keys they present with the domain's DANE TLSA records.`;

const EPILOG = `
Exit codes (Nagios convention): 0 ok, 1 warning, 2 critical or error, 3 unknown or bad usage.
Documentation: README.md and docs/ in the keywatch source tree.`;

export function buildProgram(): Command {
  const program = new Command('keywatch')
    .description(DESCRIPTION)
    .version(VERSION, '-V, --version', 'print the keywatch version')
    .helpOption('-h, --help', 'show help for keywatch or a command')
    .addHelpText('after', EPILOG)
    .showHelpAfterError('(run keywatch --help for usage)')
    .exitOverride();
  return program;
}

/** Run the CLI; returns the process exit code instead of exiting, so tests can call it. */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  if (argv.length === 0) {
    program.outputHelp();
    return EXIT.unknown;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end with "errors" whose code says all went well.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.ok;
      return EXIT.unknown;
    }
    throw err;
  }
}
