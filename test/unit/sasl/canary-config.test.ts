// Where the canary's password comes from, and that no error ever shows it.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CanaryConfigError, canaryUsername } from '../../../src/sasl/canary.ts';
import { canaryFromCli, CANARY_PASSWORD_ENV } from '../../../src/sasl/canary-config.ts';

const dir = mkdtempSync(join(tmpdir(), 'keywatch-canary-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const SECRET = 'hunter2-but-longer';

function fails(f: () => unknown, pattern: RegExp): void {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof CanaryConfigError, String(e));
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes(SECRET), 'the password must not appear');
    return;
  }
  assert.fail('expected a CanaryConfigError');
}

describe('canary configuration', () => {
  it('the password from the environment', () => {
    assert.deepEqual(canaryFromCli({ canary: 'canary@example.org' }, { [CANARY_PASSWORD_ENV]: SECRET }, 'example.org', 'xmpp'), { jid: 'canary@example.org', password: SECRET });
  });
  it('the password from a file (one trailing newline dropped), which wins over the environment', () => {
    const f = join(dir, 'pw');
    writeFileSync(f, `${SECRET}\n`);
    chmodSync(f, 0o600);
    assert.deepEqual(canaryFromCli({ canary: 'canary@example.org', canaryPasswordFile: f, canaryRequirePlus: true }, { [CANARY_PASSWORD_ENV]: 'other' }, 'example.org', 'xmpp'), { jid: 'canary@example.org', password: SECRET, requirePlus: true });
  });
  it('no password anywhere: a clear error naming both ways', () => {
    fails(() => canaryFromCli({ canary: 'canary@example.org' }, {}, 'example.org', 'xmpp'), /KEYWATCH_CANARY_PASSWORD or in a file given with --canary-password-file \(never on the command line\)/);
  });
  it('bad files: missing, empty, several lines, huge — without echoing content', () => {
    fails(() => canaryFromCli({ canary: 'c@example.org', canaryPasswordFile: join(dir, 'nope') }, {}, 'example.org', 'xmpp'), /cannot read .* ENOENT/);
    writeFileSync(join(dir, 'empty'), '\n');
    fails(() => canaryFromCli({ canary: 'c@example.org', canaryPasswordFile: join(dir, 'empty') }, {}, 'example.org', 'xmpp'), /is empty/);
    writeFileSync(join(dir, 'two'), `${SECRET}\nsecond\n`);
    fails(() => canaryFromCli({ canary: 'c@example.org', canaryPasswordFile: join(dir, 'two') }, {}, 'example.org', 'xmpp'), /more than one line/);
    writeFileSync(join(dir, 'huge'), SECRET.repeat(1000));
    fails(() => canaryFromCli({ canary: 'c@example.org', canaryPasswordFile: join(dir, 'huge') }, {}, 'example.org', 'xmpp'), /bytes long/);
  });
  it('the JID must be a bare JID of the checked domain; options need --canary; XMPP only', () => {
    fails(() => canaryFromCli({ canary: 'canary@other.org' }, { [CANARY_PASSWORD_ENV]: SECRET }, 'example.org', 'xmpp'), /not an account of example\.org/);
    fails(() => canaryFromCli({ canary: 'canary@example.org/phone' }, { [CANARY_PASSWORD_ENV]: SECRET }, 'example.org', 'xmpp'), /bare JID/);
    fails(() => canaryFromCli({ canaryRequirePlus: true }, {}, 'example.org', 'xmpp'), /need --canary JID/);
    fails(() => canaryFromCli({ canary: 'canary@example.org' }, { [CANARY_PASSWORD_ENV]: SECRET }, 'example.org', 'smtp'), /does not apply to --service smtp/);
    assert.equal(canaryFromCli({}, { [CANARY_PASSWORD_ENV]: SECRET }, 'example.org', 'xmpp'), undefined);
    assert.equal(canaryUsername('Canary@Example.ORG', 'example.org'), 'Canary');
  });
});
