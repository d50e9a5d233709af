// SASLprep (RFC 4013): the examples of RFC 4013 §3 and the prohibited output.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { saslname, saslprep, SaslprepError } from '../../../src/sasl/saslprep.ts';

describe('SASLprep (RFC 4013 §3 examples)', () => {
  it('maps, normalises and refuses as the RFC shows', () => {
    assert.equal(saslprep('I\u00adX'), 'IX', 'SOFT HYPHEN mapped to nothing');
    assert.equal(saslprep('user'), 'user', 'no transformation');
    assert.equal(saslprep('USER'), 'USER', 'case preserved');
    assert.equal(saslprep('\u00aa'), 'a', 'output is NFKC, input in ISO 8859-1');
    assert.equal(saslprep('\u2168'), 'IX', 'output is NFKC');
    assert.throws(() => saslprep('\u0007'), SaslprepError, 'prohibited character');
  });
  it('non-ASCII spaces become SPACE; controls, private use, non-characters and surrogates are refused', () => {
    assert.equal(saslprep('a\u3000b\u00a0c'), 'a b c');
    for (const bad of ['a\u0000b', 'a\u007f', '\ue000', '\ufdd0', '\uffff', '\ud800', 'x\u202ey', '\u{e0041}', '\u{10fffd}']) {
      assert.throws(() => saslprep(bad), SaslprepError, JSON.stringify(bad));
    }
  });
  it('errors name the position, never the string', () => {
    try {
      saslprep('secretpassword\u0001', 'the password');
      assert.fail('expected an error');
    } catch (e) {
      assert.ok(e instanceof SaslprepError);
      assert.match(e.message, /the password contains an ASCII control character \(U\+0001\) at position 14/);
      assert.ok(!e.message.includes('secretpassword'));
    }
  });
  it('saslname escapes = and , after SASLprep and refuses empty names', () => {
    assert.equal(saslname('a=b,c'), 'a=3Db=2Cc');
    assert.equal(saslname('=,'), '=3D=2C');
    assert.throws(() => saslname('\u00ad'), SaslprepError);
  });
});
