// The CLI's contract: --help lists only commands that exist, and usage errors exit 3 with a
// message on stderr (Nagios "unknown"), never a stack trace.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { encoding: 'utf8', timeout: 30_000 });

function listedCommands(help: string): string[] {
  const section = help.split(/^Commands:$/m)[1] ?? '';
  return [...section.matchAll(/^ {2}(\S+)/gm)].map((m) => m[1]!).filter((c) => c !== 'help');
}

describe('keywatch CLI', () => {
  it('--help describes keywatch and the exit codes, and exits 0', () => {
    const r = cli('--help');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Usage: keywatch/);
    assert.match(r.stdout, /Exit codes .*0 ok, 1 warning, 2 critical/);
  });

  it('every command --help lists answers its own --help (no stubs)', () => {
    for (const c of listedCommands(cli('--help').stdout)) {
      const r = cli(c, '--help');
      assert.equal(r.status, 0, `${c} --help: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`Usage: keywatch ${c}`));
    }
  });

  it('--version prints the package version', () => {
    const r = cli('--version');
    assert.equal(r.status, 0);
    assert.match(r.stdout.trim(), /^\d+\.\d+\.\d+/);
  });

  it('an unknown option exits 3 with a clear message and no stack trace', () => {
    const r = cli('--frobnicate');
    assert.equal(r.status, 3);
    assert.match(r.stderr, /unknown option '--frobnicate'/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  it('with no arguments it shows the help and exits 3', () => {
    const r = cli();
    assert.equal(r.status, 3);
    assert.match(r.stdout + r.stderr, /Usage: keywatch/);
  });
});
