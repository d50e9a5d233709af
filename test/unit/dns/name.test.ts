import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DnsFormatError,
  DnsSyntaxError,
  ROOT,
  canonicalName,
  compareNames,
  concatNames,
  isSubdomainOf,
  isWildcard,
  labelCount,
  nameEquals,
  nameFromLabels,
  nameFromWire,
  nameToString,
  nameToWire,
  nameWireLength,
  parentName,
  parseName,
  prependLabel,
} from '../../../src/dns/name.ts';

const bytes = (...values: number[]) => Uint8Array.from(values);
const ascii = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

describe('parseName / nameToString', () => {
  it('parses plain names with or without the trailing dot', () => {
    const a = parseName('mail.Example.org.');
    const b = parseName('mail.Example.org');
    assert.deepEqual(a.labels, [ascii('mail'), ascii('Example'), ascii('org')]);
    assert.deepEqual(b.labels, a.labels);
    assert.equal(nameToString(a), 'mail.Example.org.');
  });

  it('parses the root', () => {
    assert.deepEqual(parseName('.').labels, []);
    assert.equal(nameToString(ROOT), '.');
    assert.deepEqual(nameToWire(ROOT), bytes(0));
  });

  it('handles \\X and \\DDD escapes', () => {
    const name = parseName('a\\.b.\\000\\255\\\\x.example.');
    assert.deepEqual(name.labels, [ascii('a.b'), bytes(0, 255, 0x5c, 0x78), ascii('example')]);
    assert.equal(nameToString(name), 'a\\.b.\\000\\255\\\\x.example.');
  });

  it('round-trips labels with odd octets (0x00, 0xff, ".", uppercase, backslash, specials)', () => {
    const labels = [
      bytes(0x00, 0x41, 0xff),
      ascii('A.B\\C'),
      ascii('"();@$ '),
      bytes(0x7f, 0x80, 0x09, 0x20),
      ascii('MiXeD'),
    ];
    const name = nameFromLabels(labels);
    const text = nameToString(name);
    assert.equal(text, '\\000A\\255.A\\.B\\\\C.\\"\\(\\)\\;\\@\\$\\ .\\127\\128\\009\\ .MiXeD.');
    const back = parseName(text);
    assert.deepEqual(back.labels, labels);
    // And through the wire.
    const wire = nameToWire(back);
    const { name: fromWire, next } = nameFromWire(wire, 0);
    assert.equal(next, wire.length);
    assert.deepEqual(fromWire.labels, labels);
  });

  it('rejects malformed text with clear errors', () => {
    const cases: [string, RegExp][] = [
      ['', /empty domain name/],
      ['a..b', /empty label/],
      ['.a', /empty label/],
      ['a.b..', /empty label/],
      ['x'.repeat(64) + '.example', /label of 64 octets/],
      [`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(62)}`, /longer than 255/],
      ['a\\', /backslash at the end/],
      ['a\\25', /three decimal digits/],
      ['a\\256', /above 255/],
      ['a b', /U\+0020/],
      ['bücher.example', /xn--/],
      ['@', /origin/],
    ];
    for (const [text, message] of cases) {
      assert.throws(() => parseName(text), (e: unknown) => e instanceof DnsSyntaxError && message.test(e.message), text);
    }
  });

  it('accepts a name of exactly 255 wire octets', () => {
    const text = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    assert.equal(nameWireLength(parseName(text)), 255);
  });
});

describe('nameFromWire', () => {
  it('reads an uncompressed name and reports the next offset', () => {
    const buf = bytes(0xaa, 3, 0x77, 0x77, 0x77, 7, ...ascii('example'), 0, 0xbb);
    const { name, next } = nameFromWire(buf, 1);
    assert.equal(nameToString(name), 'www.example.');
    assert.equal(next, 14);
  });

  it('follows a valid backward compression pointer', () => {
    // offset 0: "example." ; offset 9: "mail" + pointer to 0
    const buf = bytes(7, ...ascii('example'), 0, 4, ...ascii('mail'), 0xc0, 0x00, 0xee);
    const { name, next } = nameFromWire(buf, 9);
    assert.equal(nameToString(name), 'mail.example.');
    assert.equal(next, 16);
  });

  it('follows chained pointers', () => {
    // 0: example. ; 9: b + ptr(0) ; 13: a + ptr(9) ; 17: ptr(13)
    const buf = bytes(7, ...ascii('example'), 0, 1, 0x62, 0xc0, 0, 1, 0x61, 0xc0, 9, 0xc0, 13);
    const { name, next } = nameFromWire(buf, 17);
    assert.equal(nameToString(name), 'a.b.example.');
    assert.equal(next, 19);
  });

  const rejects = (buf: Uint8Array, offset: number, message: RegExp) =>
    assert.throws(() => nameFromWire(buf, offset), (e: unknown) => e instanceof DnsFormatError && message.test(e.message));

  it('rejects a pointer to itself', () => rejects(bytes(0xc0, 0x00), 0, /does not point backwards/));

  it('rejects a forward pointer', () => rejects(bytes(0xc0, 0x02, 1, 0x61, 0), 0, /does not point backwards/));

  it('rejects a two-step loop', () => {
    // 0: "a" + ptr(4) ... 4: ptr(0) — entering at 4 jumps back to 0, whose pointer goes forward.
    rejects(bytes(1, 0x61, 0xc0, 0x04, 0xc0, 0x00), 4, /does not point backwards/);
  });

  it('rejects a pointer into the middle of its own run of labels', () => {
    rejects(bytes(1, 0x61, 1, 0x62, 0xc0, 0x02), 0, /does not point backwards/);
  });

  it('rejects a pointer past the end', () => rejects(bytes(1, 0x61, 0, 0xc0, 0xff), 3, /does not point backwards|past the end/));

  it('rejects a pointer cut short', () => rejects(bytes(1, 0x61, 0xc0), 0, /cut short/));

  it('rejects truncated labels and a missing terminator', () => {
    rejects(bytes(5, 0x61, 0x62), 0, /label runs past/);
    rejects(bytes(1, 0x61), 0, /past the end/);
    rejects(bytes(), 0, /past the end/);
  });

  it('rejects extended label types', () => {
    rejects(bytes(0x41, 0), 0, /label type 0x40/);
    rejects(bytes(0x80, 0), 0, /label type 0x80/);
  });

  it('rejects a decompressed name longer than 255 octets', () => {
    // Four 63-octet labels reached through pointers: 4 * 64 + 1 = 257 octets.
    const label = (prefix: number[]) => [63, ...new Array<number>(63).fill(0x61), ...prefix];
    // Runs start at 0, 65, 131 and 197; each points to the previous one.
    const buf = bytes(...label([0]), ...label([0xc0, 0]), ...label([0xc0, 65]), ...label([0xc0, 131]));
    assert.equal(nameWireLength(nameFromWire(buf, 131).name), 193); // 3 labels
    rejects(buf, 197, /longer than 255/);
  });

  it('caps the number of pointers followed (a chain of pointers to pointers)', () => {
    // Root at 0, then pointers each aiming at the previous one: 1 → 0, 3 → 1, 5 → 3, ...
    const chain = [0];
    for (let at = 1; at < 1 + 2 * 200; at += 2) {
      const target = at === 1 ? 0 : at - 2;
      chain.push(0xc0 | (target >> 8), target & 0xff);
    }
    const buf = Uint8Array.from(chain);
    assert.deepEqual(nameFromWire(buf, 1 + 2 * 126).name.labels, []); // 127 hops: allowed
    rejects(buf, 1 + 2 * 127, /more than 127 compression pointers/);
    rejects(buf, buf.length - 2, /more than 127 compression pointers/);
  });

  it('forbids pointers when asked to', () => {
    const buf = bytes(0, 0xc0, 0x00);
    assert.throws(() => nameFromWire(buf, 1, { allowCompression: false }), /forbids compression/);
  });

  it('respects an end limit', () => {
    const buf = bytes(3, 0x61, 0x62, 0x63, 0);
    assert.throws(() => nameFromWire(buf, 0, { end: 4 }), DnsFormatError);
    assert.equal(nameFromWire(buf, 0, { end: 5 }).next, 5);
  });

  it('returns copies, not views of the input', () => {
    const buf = Buffer.from([1, 0x61, 0]);
    const { name } = nameFromWire(buf, 0);
    buf[1] = 0x62;
    assert.deepEqual(name.labels[0], ascii('a'));
  });
});

describe('canonical form and ordering', () => {
  it('lowercases ASCII A–Z only', () => {
    const name = nameFromLabels([bytes(0x41, 0x5a, 0x40, 0x5b, 0xc4, 0x61)]);
    assert.deepEqual(canonicalName(name).labels, [bytes(0x61, 0x7a, 0x40, 0x5b, 0xc4, 0x61)]);
  });

  it('sorts the RFC 4034 §6.1 example in canonical order', () => {
    const expected = [
      'example',
      'a.example',
      'yljkjljk.a.example',
      'Z.a.example',
      'zABC.a.EXAMPLE',
      'z.example',
      '\\001.z.example',
      '*.z.example',
      '\\200.z.example',
    ];
    const shuffled = [...expected].reverse();
    shuffled.push(shuffled.shift()!);
    const sorted = shuffled.map(parseName).sort(compareNames).map(nameToString);
    assert.deepEqual(
      sorted,
      expected.map((t) => t + '.'),
    );
  });

  it('compares case-insensitively and treats the root as smallest', () => {
    assert.equal(compareNames(parseName('EXAMPLE.org'), parseName('example.ORG')), 0);
    assert.equal(compareNames(ROOT, parseName('org')), -1);
    assert.equal(compareNames(parseName('org'), ROOT), 1);
    // A label that is a prefix of another sorts first.
    assert.equal(compareNames(parseName('ab.org'), parseName('abc.org')), -1);
    // Octets ≥ 0x80 compare unsigned and are not folded.
    assert.equal(compareNames(parseName('\\200.org'), parseName('z.org')), 1);
  });

  it('nameEquals ignores ASCII case only', () => {
    assert.ok(nameEquals(parseName('WWW.Example.'), parseName('www.example')));
    assert.ok(!nameEquals(parseName('\\196.example'), parseName('\\228.example'))); // Ä vs ä in Latin-1
    assert.ok(!nameEquals(parseName('a.example'), parseName('example')));
  });
});

describe('name relations', () => {
  it('isSubdomainOf is inclusive and label-aligned', () => {
    assert.ok(isSubdomainOf(parseName('a.b.Example.'), parseName('example')));
    assert.ok(isSubdomainOf(parseName('example'), parseName('EXAMPLE')));
    assert.ok(isSubdomainOf(parseName('example'), ROOT));
    assert.ok(!isSubdomainOf(parseName('badexample'), parseName('example')));
    assert.ok(!isSubdomainOf(parseName('example'), parseName('a.example')));
  });

  it('labelCount skips a leftmost wildcard, as the RRSIG Labels field does', () => {
    assert.equal(labelCount(ROOT), 0);
    assert.equal(labelCount(parseName('www.example.com')), 3);
    assert.equal(labelCount(parseName('*.example.com')), 2);
    assert.equal(labelCount(parseName('a.*.example.com')), 4); // only the leftmost counts as wildcard
    assert.ok(isWildcard(parseName('*.example')));
    assert.ok(!isWildcard(parseName('\\*x.example')));
    assert.ok(!isWildcard(ROOT));
  });

  it('parentName walks up to the root and stops', () => {
    const parent = parentName(parseName('a.example'));
    assert.ok(parent);
    assert.equal(nameToString(parent), 'example.');
    assert.equal(nameToString(parentName(parent)!), '.');
    assert.equal(parentName(ROOT), undefined);
  });

  it('concatNames and prependLabel build names within limits', () => {
    assert.equal(nameToString(concatNames(parseName('_25._tcp'), parseName('mail.example'))), '_25._tcp.mail.example.');
    assert.equal(nameToString(prependLabel(parseName('example'), '*')), '*.example.');
    assert.equal(nameToString(prependLabel(ROOT, bytes(0x2e))), '\\..');
    const long = parseName(`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(60)}`);
    assert.throws(() => prependLabel(long, 'xy'), RangeError);
    assert.throws(() => prependLabel(ROOT, new Uint8Array(64)), RangeError);
    assert.throws(() => prependLabel(ROOT, new Uint8Array(0)), RangeError);
  });
});
