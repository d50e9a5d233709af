#!/usr/bin/env node
// Process entry point: run the CLI and turn any unexpected failure into exit code 3 with a
// one-line message (the stack only with KEYWATCH_DEBUG=1).
import { runCli } from './program.ts';
import { EXIT } from './exit-codes.ts';

// A reader that stops early (`keywatch check … | head`) closes the pipe: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const debug = process.env.KEYWATCH_DEBUG === '1';
    process.stderr.write(`keywatch: ${err instanceof Error ? (debug ? err.stack : err.message) : String(err)}\n`);
    process.exitCode = EXIT.unknown;
  },
);
