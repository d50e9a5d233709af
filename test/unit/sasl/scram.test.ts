// The SCRAM client against the published test vectors (RFC 5802 §5, RFC 7677 §3, the XEP-0474
// example flow for -PLUS), the GS2 header rules, and hostile server messages.
import assert from 'node:assert/strict';
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  authMessage,
  channelBindingAttribute,
  clientProof,
  gs2Header,
  keysFromSaltedPassword,
  parseMechanism,
  parseServerFirst,
  parseServerFinal,
  SaltedPasswordCache,
  saltedPassword,
  ScramClient,
  ScramError,
  serverSignature,
  strictBase64,
} from '../../../src/sasl/scram.ts';

async function rejects(p: Promise<unknown> | (() => unknown), code: string): Promise<void> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    assert.ok(e instanceof ScramError, `expected a ScramError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return;
  }
  assert.fail(`expected ScramError ${code}`);
}

describe('RFC 5802 §5: SCRAM-SHA-1, user "user", password "pencil"', () => {
  const nonce = 'fyko+d2lbbFgONRv9qkxdawL';
  const serverFirst = 'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096';

  it('client-first, client-final and the server signature are the RFC text exactly', async () => {
    const c = new ScramClient({ hash: 'SHA-1', username: 'user', credentials: { password: 'pencil' }, binding: { flag: 'n' }, nonce });
    assert.equal(c.clientFirst(), 'n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL');
    assert.equal(await c.clientFinal(serverFirst), 'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=');
    const f = c.verifyServerFinal('v=rmF9pqV8S7suAoZWja4dJRkFsKQ=');
    assert.equal(f.kind, 'verifier');
    assert.equal(c.serverFirst?.iterations, 4096);
  });

  it('a server signature one bit off is refused (mutual authentication)', async () => {
    const c = new ScramClient({ hash: 'SHA-1', username: 'user', credentials: { password: 'pencil' }, binding: { flag: 'n' }, nonce });
    c.clientFirst();
    await c.clientFinal(serverFirst);
    await rejects(() => c.verifyServerFinal('v=rmF9pqV8S7suAoZWja4dJRkFsKA='), 'bad-server-signature');
  });

  it('the exposed keys reproduce the proof: a service may store ClientKey/ServerKey instead of the password', async () => {
    const salt = Buffer.from('QSXCR+Q6sek8bf92', 'base64');
    const salted = saltedPassword('SHA-1', 'pencil', salt, 4096);
    // Independent derivation with Node's crypto directly.
    assert.deepEqual(salted, pbkdf2Sync('pencil', salt, 4096, 20, 'sha1'));
    const keys = keysFromSaltedPassword('SHA-1', salted);
    assert.deepEqual(keys.storedKey, createHash('sha1').update(createHmac('sha1', salted).update('Client Key').digest()).digest());
    const c = new ScramClient({ hash: 'SHA-1', username: 'user', credentials: { salt, iterations: 4096, clientKey: keys.clientKey, serverKey: keys.serverKey }, binding: { flag: 'n' }, nonce });
    c.clientFirst();
    assert.match(await c.clientFinal(serverFirst), /,p=v0X8v3Bz2T0CJGbJQyF0X\+HI4Ts=$/);
    c.verifyServerFinal('v=rmF9pqV8S7suAoZWja4dJRkFsKQ=');
    // Stored keys for another salt are refused rather than silently producing a wrong proof.
    const stale = new ScramClient({ hash: 'SHA-1', username: 'user', credentials: { salt: Buffer.from('other'), iterations: 4096, clientKey: keys.clientKey, serverKey: keys.serverKey }, binding: { flag: 'n' }, nonce });
    stale.clientFirst();
    await rejects(stale.clientFinal(serverFirst), 'stale-keys');
  });
});

describe('RFC 7677 §3: SCRAM-SHA-256', () => {
  it('matches the RFC text exactly', async () => {
    const c = new ScramClient({ hash: 'SHA-256', username: 'user', credentials: { password: 'pencil' }, binding: { flag: 'n' }, nonce: 'rOprNGfwEbeRWgbNEkqO' });
    assert.equal(c.clientFirst(), 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
    const final = await c.clientFinal('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096');
    assert.equal(final, 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=');
    c.verifyServerFinal('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
  });
});

describe('-PLUS: the XEP-0474 (0.4.0) example flow, SCRAM-SHA-1-PLUS with tls-exporter', () => {
  // Published in XEP-0474 §"Full Example": channel-binding data "THIS IS FAKE CB DATA", an
  // extension x= in client-final, proof and server signature for password "pencil".
  const cb = Buffer.from('THIS IS FAKE CB DATA');
  it('the c= attribute is base64(gs2 header + binding data)', () => {
    const binding = { flag: 'p' as const, type: 'tls-exporter', data: cb };
    const header = gs2Header(binding);
    assert.equal(header, 'p=tls-exporter,,');
    assert.equal(channelBindingAttribute(header, binding), 'cD10bHMtZXhwb3J0ZXIsLFRISVMgSVMgRkFLRSBDQiBEQVRB');
  });
  it('proof and server signature over its AuthMessage', () => {
    const salted = saltedPassword('SHA-1', 'pencil', Buffer.from('QSXCR+Q6sek8bf92', 'base64'), 4096);
    const keys = keysFromSaltedPassword('SHA-1', salted);
    const msg = authMessage(
      'n=user,r=12C4CD5C-E38E-4A98-8F6D-15C38F51CCC6',
      'r=12C4CD5C-E38E-4A98-8F6D-15C38F51CCC6a09117a6-ac50-4f2f-93f1-93799c2bddf6,s=QSXCR+Q6sek8bf92,i=4096,h=G6k/rBLDqgOhRRaCuuatSDFkJ08=',
      'c=cD10bHMtZXhwb3J0ZXIsLFRISVMgSVMgRkFLRSBDQiBEQVRB,r=12C4CD5C-E38E-4A98-8F6D-15C38F51CCC6a09117a6-ac50-4f2f-93f1-93799c2bddf6,x=19C6532F-1CF4-4A27-A18D-DC9CEA41BBB3',
    );
    assert.equal(clientProof('SHA-1', keys, msg).toString('base64'), 'M/SIDjT+dfcxUh89jZEypRvFxB4=');
    assert.equal(serverSignature('SHA-1', keys.serverKey, msg).toString('base64'), 'MQrMPvv7yv4x4Cq4W4Ih25EqS2c=');
  });
  it('a full -PLUS exchange sends the binding data in c= and keeps d=/h= extensions for checking', async () => {
    const c = new ScramClient({ hash: 'SHA-1', username: 'user', credentials: { password: 'pencil' }, binding: { flag: 'p', type: 'tls-exporter', data: cb }, nonce: '12C4CD5C-E38E-4A98-8F6D-15C38F51CCC6' });
    assert.equal(c.clientFirst(), 'p=tls-exporter,,n=user,r=12C4CD5C-E38E-4A98-8F6D-15C38F51CCC6');
    const final = await c.clientFinal('r=12C4CD5C-E38E-4A98-8F6D-15C38F51CCC6a09117a6-ac50-4f2f-93f1-93799c2bddf6,s=QSXCR+Q6sek8bf92,i=4096,h=G6k/rBLDqgOhRRaCuuatSDFkJ08=');
    assert.match(final, /^c=cD10bHMtZXhwb3J0ZXIsLFRISVMgSVMgRkFLRSBDQiBEQVRB,r=/);
    assert.deepEqual(c.serverFirst?.extensions, { h: 'G6k/rBLDqgOhRRaCuuatSDFkJ08=' });
  });
});

describe('GS2 header and names (RFC 5802 §5.1, §7)', () => {
  it('n, y and p flags; authzid and username escape "=" and ","', () => {
    assert.equal(gs2Header({ flag: 'n' }), 'n,,');
    assert.equal(gs2Header({ flag: 'y' }), 'y,,');
    assert.equal(gs2Header({ flag: 'p', type: 'tls-unique', data: Buffer.alloc(12) }), 'p=tls-unique,,');
    assert.equal(gs2Header({ flag: 'n' }, 'admin=x,y@example.org'), 'n,a=admin=3Dx=2Cy@example.org,');
    assert.throws(() => gs2Header({ flag: 'p', type: 'tls unique', data: Buffer.alloc(1) }), ScramError);
    const c = new ScramClient({ hash: 'SHA-256', username: 'a,b=c', credentials: { password: 'x' }, binding: { flag: 'y' }, nonce: 'abc' });
    assert.equal(c.clientFirst(), 'y,,n=a=2Cb=3Dc,r=abc');
    // y flag: c= is base64("y,,").
    assert.equal(channelBindingAttribute('y,,', { flag: 'y' }), Buffer.from('y,,').toString('base64'));
  });
  it('SASLprep is applied to the username (NFKC, non-ASCII space mapped)', () => {
    const c = new ScramClient({ hash: 'SHA-256', username: 'I\u00adX\u00a0\u2168', credentials: { password: 'x' }, binding: { flag: 'n' }, nonce: 'abc' });
    assert.equal(c.clientFirst(), 'n,,n=IX IX,r=abc');
  });
  it('random nonces are long, printable and differ', () => {
    const a = new ScramClient({ hash: 'SHA-256', username: 'u', credentials: { password: 'x' }, binding: { flag: 'n' } });
    const b = new ScramClient({ hash: 'SHA-256', username: 'u', credentials: { password: 'x' }, binding: { flag: 'n' } });
    assert.notEqual(a.nonce, b.nonce);
    assert.ok(a.nonce.length >= 32 && /^[\x21-\x2b\x2d-\x7e]+$/.test(a.nonce));
  });
  it('mechanism names', () => {
    assert.deepEqual(parseMechanism('SCRAM-SHA-512-PLUS'), { hash: 'SHA-512', plus: true });
    assert.deepEqual(parseMechanism('SCRAM-SHA-1'), { hash: 'SHA-1', plus: false });
    assert.equal(parseMechanism('SCRAM-SHA-384'), undefined);
    assert.equal(parseMechanism('PLAIN'), undefined);
  });
});

describe('hostile or broken server-first-message', () => {
  const ours = 'clientnonce';
  it('nonce must extend ours, and be longer', async () => {
    await rejects(() => parseServerFirst('r=someoneelse123,s=QSXCR+Q6sek8bf92,i=4096', ours), 'nonce-mismatch');
    await rejects(() => parseServerFirst('r=clientnonce,s=QSXCR+Q6sek8bf92,i=4096', ours), 'nonce-mismatch');
    assert.equal(parseServerFirst('r=clientnonceXYZ,s=QSXCR+Q6sek8bf92,i=4096', ours).nonce, 'clientnonceXYZ');
  });
  it('iteration count: positive integer, at most the bound', async () => {
    for (const i of ['0', '-1', '4096.5', '', '0x10', '99999999999']) await rejects(() => parseServerFirst(`r=clientnonceX,s=QSXCR+Q6sek8bf92,i=${i}`, ours), 'malformed');
    await rejects(() => parseServerFirst('r=clientnonceX,s=QSXCR+Q6sek8bf92,i=1000001', ours), 'iterations-out-of-range');
    await rejects(() => parseServerFirst('r=clientnonceX,s=QSXCR+Q6sek8bf92,i=5000', ours, { maxIterations: 4096 }), 'iterations-out-of-range');
    assert.equal(parseServerFirst('r=clientnonceX,s=QSXCR+Q6sek8bf92,i=1', ours).iterations, 1);
  });
  it('salt must be strict base64', async () => {
    for (const s of ['', 'not base64!', 'QSXCR+Q6sek8bf9', 'QSXCR-Q6sek8bf92']) await rejects(() => parseServerFirst(`r=clientnonceX,s=${s},i=4096`, ours), 'malformed');
    assert.deepEqual(strictBase64('QQ=='), Buffer.from('A'));
    assert.equal(strictBase64('QR=='), undefined, 'non-canonical padding bits');
  });
  it('order, mandatory extensions, repeated attributes, errors, size', async () => {
    await rejects(() => parseServerFirst('s=QSXCR+Q6sek8bf92,r=clientnonceX,i=4096', ours), 'malformed');
    await rejects(() => parseServerFirst('m=ext,r=clientnonceX,s=QSXCR+Q6sek8bf92,i=4096', ours), 'mandatory-extension');
    await rejects(() => parseServerFirst('r=clientnonceX,s=QSXCR+Q6sek8bf92,i=4096,d=a,d=b', ours), 'malformed');
    await rejects(() => parseServerFirst('e=invalid-encoding', ours), 'server-error');
    await rejects(() => parseServerFirst(`r=clientnonce${'x'.repeat(5000)},s=QSXCR+Q6sek8bf92,i=4096`, ours), 'malformed');
    await rejects(() => parseServerFirst('r=clientnonce\u00e9,s=QSXCR+Q6sek8bf92,i=4096', ours), 'malformed');
    assert.deepEqual(parseServerFirst('r=clientnonceX,s=QSXCR+Q6sek8bf92,i=4096,d=abc=,h=xyz', ours).extensions, { d: 'abc=', h: 'xyz' });
  });
  it('server-final: e= is a server error with its value; garbage is malformed', async () => {
    assert.deepEqual(parseServerFinal('e=channel-bindings-dont-match'), { kind: 'error', error: 'channel-bindings-dont-match' });
    await rejects(() => parseServerFinal('x=1'), 'malformed');
    await rejects(() => parseServerFinal('v=***'), 'malformed');
    const c = new ScramClient({ hash: 'SHA-1', username: 'user', credentials: { password: 'pencil' }, binding: { flag: 'n' }, nonce: 'fyko+d2lbbFgONRv9qkxdawL' });
    c.clientFirst();
    await c.clientFinal('r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096');
    try {
      c.verifyServerFinal('e=channel-bindings-dont-match');
      assert.fail('expected a server error');
    } catch (e) {
      assert.ok(e instanceof ScramError);
      assert.equal(e.code, 'server-error');
      assert.equal(e.serverError, 'channel-bindings-dont-match');
    }
  });
  it('steps out of order are refused', async () => {
    const c = new ScramClient({ hash: 'SHA-1', username: 'u', credentials: { password: 'p' }, binding: { flag: 'n' }, nonce: 'n1' });
    await rejects(c.clientFinal('r=n1x,s=QSXCR+Q6sek8bf92,i=1'), 'state');
    c.clientFirst();
    await rejects(() => c.clientFirst(), 'state');
  });
  it('no error message ever contains the password', async () => {
    const password = 'Sup3r-s3cret-canary';
    const messages: string[] = [];
    for (const sf of ['r=bad,s=x,i=1', 'r=n1x,s=QSXCR+Q6sek8bf92,i=99999999', 'm=1', 'r=n1x,s=QSXCR+Q6sek8bf92,i=1']) {
      const c = new ScramClient({ hash: 'SHA-256', username: 'u', credentials: { password }, binding: { flag: 'n' }, nonce: 'n1' });
      c.clientFirst();
      try {
        await c.clientFinal(sf);
        c.verifyServerFinal('v=AAAA');
      } catch (e) {
        messages.push(String(e), JSON.stringify(e));
      }
    }
    assert.equal(messages.length, 8);
    assert.ok(messages.every((m) => !m.includes(password)));
  });
  it('the salted-password cache computes each (hash, salt, count) once', async () => {
    const cache = new SaltedPasswordCache();
    const salt = Buffer.from('QSXCR+Q6sek8bf92', 'base64');
    const a = cache.get('SHA-256', 'pencil', salt, 4096);
    const b = cache.get('SHA-256', 'pencil', salt, 4096);
    assert.equal(a, b);
    assert.deepEqual(await a, pbkdf2Sync('pencil', salt, 4096, 32, 'sha256'));
    assert.notEqual(cache.get('SHA-256', 'pencil', salt, 4097), a);
  });
});
