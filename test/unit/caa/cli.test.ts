// `keywatch caa` usage errors: exit 3 with one line on stderr, before any DNS query is made
// (the resolver given is a loopback address nobody listens on).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'caa', ...args], { encoding: 'utf8', timeout: 30_000 });
const NOWHERE = ['--resolver', '127.0.0.1:9', '--dns-timeout', '200'];

describe('keywatch caa: usage', () => {
  it('--help teaches: the climb, accounturi, an example, the exit codes', () => {
    const r = cli('--help');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Usage: keywatch caa \[options\] <domain>/);
    assert.match(r.stdout, /RFC 8659 §3/);
    assert.match(r.stdout, /--account-uri <url>/);
    assert.match(r.stdout, /jabber\.ru/);
    assert.match(r.stdout, /Examples:\n {2}keywatch caa example\.org/);
    assert.match(r.stdout, /Exit codes: 0 ok/);
  });

  const bad: Array<[string, string[], RegExp]> = [
    ['no domain', [], /missing required argument 'domain'/],
    ['a name with an empty label', ['bad..example', ...NOWHERE], /"bad\.\.example" is not a domain name/],
    ['an address', ['192.0.2.1', ...NOWHERE], /not an address/],
    ['a CA that is not a domain', ['example.org', '--ca', "Let's Encrypt", ...NOWHERE], /--ca "Let's Encrypt"/],
    ['an account URL that is not a URI', ['example.org', '--account-uri', 'acct 12', ...NOWHERE], /--account-uri: .*not a URI/],
    ['a staging account URL', ['example.org', '--account-uri', 'https://acme-staging-v02.api.letsencrypt.org/acme/acct/1', ...NOWHERE], /staging/],
    ['an account at another CA than --ca', ['example.org', '--ca', 'pki.goog', '--account-uri', 'https://acme-v02.api.letsencrypt.org/acme/acct/1', ...NOWHERE], /belongs to letsencrypt\.org/],
    ['an unknown validation method', ['example.org', '--validation-methods', 'dns-01,smoke-signal', ...NOWHERE], /unknown method "smoke-signal"/],
    ['an upper-case method list', ['example.org', '--validation-methods', 'DNS-01', ...NOWHERE], /not a method label/],
    ['an iodef that is not mailto/http(s)', ['example.org', '--iodef', 'ftp://x.example', ...NOWHERE], /--iodef: .*only mailto:, http: and https:/],
    ['a zero DNS timeout', ['example.org', '--resolver', '127.0.0.1:9', '--dns-timeout', '0'], /--dns-timeout must be a positive integer/],
    ['a resolver that is not an address', ['example.org', '--resolver', 'not an address', '--dns-timeout', '200'], /./],
  ];
  for (const [what, args, message] of bad) {
    it(`${what}: exit 3, one line, no stack`, () => {
      const r = cli(...args);
      assert.equal(r.status, 3, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
      const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('(run keywatch'));
      assert.equal(lines.length, 1, r.stderr);
      assert.equal(r.stdout, '');
    });
  }

  it('a bare e-mail address is accepted as --iodef (made mailto:); the run then fails on DNS, not on usage', () => {
    const r = cli('example.org', '--iodef', 'security@example.org', '--json', ...NOWHERE);
    assert.equal(r.status, 3, r.stderr);
    const j = JSON.parse(r.stdout) as { request: { iodef: string }; status: string; findings: Array<{ code: string }> };
    assert.equal(j.request.iodef, 'mailto:security@example.org');
    assert.equal(j.status, 'unknown');
    assert.deepEqual(j.findings.map((f) => f.code), ['caa.lookup-failed']);
  });
});
