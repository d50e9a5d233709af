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

  it('a reader that closes the pipe early is not an error (keywatch … | head)', () => {
    // `head -c 0` exits at once, so every write of keywatch meets a closed pipe.
    const r = spawnSync('bash', ['-c', `set -o pipefail; ${process.execPath} --import tsx src/cli/main.ts check --help | head -c 0`], { encoding: 'utf8' });
    assert.equal(r.stdout, '');
    assert.doesNotMatch(r.stderr, /EPIPE|Unhandled/);
    assert.equal(r.status, 0, r.stderr);
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

describe('keywatch dns usage errors (no network needed)', () => {
  it('an unknown record type exits 3 with a clear message', () => {
    const r = cli('dns', 'example.org', 'NOSUCHTYPE', '--resolver', '127.0.0.1');
    assert.equal(r.status, 3);
    assert.match(r.stderr, /unknown record type "NOSUCHTYPE"/);
  });

  it('a resolver that is not an IP address exits 3 and says why', () => {
    const r = cli('dns', 'example.org', 'A', '--resolver', 'dns.example.net');
    assert.equal(r.status, 3);
    assert.match(r.stderr, /keywatch: .*dns\.example\.net/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  it('a trust anchor that is neither a file nor DS/DNSKEY text exits 3', () => {
    const r = cli('dns', 'example.org', 'A', '--resolver', '127.0.0.1', '--trust-anchor', 'not an anchor');
    assert.equal(r.status, 3);
    assert.match(r.stderr, /keywatch: line 1: expected a DS or DNSKEY record/);
  });

  it('a malformed name exits 3', () => {
    const r = cli('dns', 'a..b', 'A', '--resolver', '127.0.0.1');
    assert.equal(r.status, 3);
    assert.match(r.stderr, /"a\.\.b" is not a domain name/);
  });

  it('dns --help teaches: verdicts, examples, exit codes', () => {
    const r = cli('dns', '--help');
    assert.equal(r.status, 0);
    assert.match(r.stdout, /secure .*insecure .*bogus .*indeterminate/s);
    assert.match(r.stdout, /Examples:/);
    assert.match(r.stdout, /Exit codes: 0 secure, 1 insecure, 2 bogus, 3 indeterminate/);
  });
});
