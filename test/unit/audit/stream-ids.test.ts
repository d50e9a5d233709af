// Stream-id statistics on synthetic sequences: what a weak generator looks like (counters,
// timestamps in several encodings, short or repeated ids, shared prefixes, ids that change little)
// and what Prosody (UUIDv4) and ejabberd (decimal numbers below 2^64) actually send, which must
// not be flagged. Random-looking ids come from SHA-256 over a counter, so every run is the same.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { alphabetOf, analyzeStreamIds, MAX_ID_CHARS, rangeSlackBits, streamIdFindings, type StreamIdStats } from '../../../src/audit/stream-ids.ts';

const NOW = new Date('2026-01-15T12:00:00Z');
const NOW_MS = NOW.getTime();
const NOW_S = Math.floor(NOW_MS / 1000);

/** Deterministic "random" bytes: SHA-256 of a label and counter. */
const bytes = (label: string, i: number, n: number) => {
  let out = Buffer.alloc(0);
  for (let k = 0; out.length < n; k++) out = Buffer.concat([out, createHash('sha256').update(`${label}/${i}/${k}`).digest()]);
  return out.subarray(0, n);
};
const hex = (label: string, i: number, chars: number) => bytes(label, i, Math.ceil(chars / 2)).toString('hex').slice(0, chars);
const seq = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i));

function uuid4(i: number): string {
  const b = bytes('uuid4', i, 16);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** UUIDv1: 100 ns ticks since 1582-10-15, a fixed clock sequence and node (a MAC address). */
function uuid1(ms: number): string {
  const t = (BigInt(ms) + 12_219_292_800_000n) * 10_000n;
  const low = (t & 0xffffffffn).toString(16).padStart(8, '0');
  const mid = ((t >> 32n) & 0xffffn).toString(16).padStart(4, '0');
  const hi = (((t >> 48n) & 0x0fffn) | 0x1000n).toString(16).padStart(4, '0');
  return `${low}-${mid}-${hi}-9a3c-0242ac110002`;
}

/** UUIDv7: 48-bit Unix milliseconds, then 74 random bits. */
function uuid7(ms: number, i: number): string {
  const b = bytes('uuid7', i, 16);
  const t = BigInt(ms).toString(16).padStart(12, '0');
  b[6] = (b[6]! & 0x0f) | 0x70;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = t + b.toString('hex').slice(12);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** ejabberd 23.01: integer_to_binary(rand:uniform(2^64)). */
const ejabberdId = (i: number) => (BigInt(`0x${bytes('ejabberd', i, 8).toString('hex')}`) + 1n).toString();

const stats = (ids: string[]) => analyzeStreamIds(ids, { now: NOW });
const findings = (ids: string[], headersWithoutId = 0) =>
  streamIdFindings({ host: 'xmpp.example.org', role: 's2s', endpoints: ['xmpp.example.org:5269 (192.0.2.1)'], ids, headersWithoutId, stats: stats(ids) });
const codes = (ids: string[], headersWithoutId = 0) => findings(ids, headersWithoutId).map((f) => `${f.code}:${f.severity}`);

describe('stream ids that must not be flagged', () => {
  it('Prosody-like UUIDv4: 122 bits from the layout, no finding', () => {
    const ids = seq(16, uuid4);
    const s = stats(ids);
    assert.equal(s.layout, 'uuid');
    assert.deepEqual(s.uuidVersions, [4]);
    assert.equal(s.apparentBits, 122);
    assert.equal(s.method, 'uuid');
    assert.equal(s.repeats.length, 0);
    assert.equal(s.timestamp, undefined);
    assert.equal(s.counter, undefined);
    assert.deepEqual(codes(ids), []);
  });

  it('ejabberd-like decimal numbers below 2^64: about 64 bits from the numeric range, no finding (16 and 10 ids)', () => {
    for (const n of [16, 10]) {
      const ids = seq(n, (i) => ejabberdId(i + n));
      const s = stats(ids);
      assert.equal(s.layout, 'decimal');
      assert.equal(s.method, 'numeric-range');
      assert.ok(s.apparentBits > 62 && s.apparentBits < 65.5, `${n}: ${s.apparentBits}`);
      assert.ok(s.apparentBits + s.estimateSlackBits >= 64, `${n}: ${s.apparentBits} + ${s.estimateSlackBits}`);
      assert.deepEqual(codes(ids), [], `${n} ids`);
    }
  });

  it('what the lab servers sent (captured): no finding', () => {
    const prosody = ['48baffc1-e99a-4f65-8373-0488a4d0e99d', '8bc4bc66-8bb0-4248-aa70-23af17cb51a1', '8cbe8d19-4e4a-45b3-b767-a764ef1ca388', 'b1bda51b-a3b7-490e-af93-7ff992ffd734'];
    const ejabberd = ['11241754978675579996', '8458614058638130308', '1330904944759871747', '1042789213306540809', '12820086818131348321', '11355351541495326942'];
    assert.deepEqual(codes(prosody), []);
    assert.equal(stats(prosody).apparentBits, 122);
    assert.deepEqual(codes(ejabberd), []);
  });

  it('128 random bits as 32 hex digits, or as base64: no finding', () => {
    assert.deepEqual(codes(seq(12, (i) => hex('h32', i, 32))), []);
    const b64 = seq(12, (i) => bytes('b64', i, 16).toString('base64'));
    const s = stats(b64);
    assert.ok(s.apparentBits >= 120, String(s.apparentBits));
    assert.deepEqual(codes(b64), []);
  });

  it('a constant prefix before 128 random bits is only a note', () => {
    const ids = seq(10, (i) => `node7-${hex('p', i, 32)}`);
    assert.deepEqual(codes(ids), ['xmpp.stream-id-shared-prefix:info']);
    const s = stats(ids);
    assert.equal(s.commonPrefix, 'node7-');
    assert.equal(s.bitsAfterPrefix, 128);
  });

  it('small samples of good ids raise nothing: 300 samples of 4 to 10 UUIDv4s and of ejabberd-like ids', () => {
    const flagged: string[] = [];
    for (let k = 0; k < 300; k++) {
      const n = 4 + (k % 7);
      for (const ids of [seq(n, (i) => uuid4(k * 100 + i)), seq(n, (i) => ejabberdId(k * 100 + i))]) {
        const c = codes(ids);
        if (c.length) flagged.push(`${ids.join(' ')}: ${c.join(', ')}`);
      }
    }
    assert.deepEqual(flagged, []);
  });

  it('a UUID field that happens to rise is not a counter (captured from the lab: field 2 rose by chance)', () => {
    const ids = ['0c7a6f29-22ad-4e51-9a0b-5d1c2f3e4a6b', '9b1e3d57-5c01-4c2f-8d3e-1a2b3c4d5e6f', '4f2d8a10-a3f0-4a6d-b7e8-9f0a1b2c3d4e', 'e81c5b92-e677-47b3-a1c4-2d3e4f5a6b7c'];
    assert.equal(stats(ids).counter, undefined);
    assert.deepEqual(codes(ids), []);
  });

  it('UUIDv7: the time is there, but 74 random bits remain: a note, not a warning', () => {
    const ids = seq(12, (i) => uuid7(NOW_MS + i * 7, i));
    const s = stats(ids);
    assert.equal(s.timestamp?.where, 'uuid-v7');
    assert.equal(s.timestamp?.bitsBeside, 74);
    assert.deepEqual(codes(ids), ['xmpp.stream-id-timestamp:info']);
  });
});

describe('stream ids that a weak generator makes', () => {
  it('a decimal counter: counter, and nothing that merely restates it', () => {
    const ids = seq(16, (i) => String(1000 + i));
    const s = stats(ids);
    assert.equal(s.counter?.direction, 'up');
    assert.deepEqual(s.counter?.steps, { min: '1', median: '1', max: '1' });
    assert.equal(s.counter?.bitsBeside, 0);
    assert.deepEqual(codes(ids), ['xmpp.stream-id-counter:warning']);
  });

  it('a counter inside a layout, with gaps from other clients, counting down in hex', () => {
    const up = seq(10, (i) => `s2s-${String(50_000 + i * 3 + (i % 2)).padStart(8, '0')}-x`);
    assert.equal(stats(up).counter?.where, 'field 2');
    assert.deepEqual(codes(up), ['xmpp.stream-id-counter:warning']);
    const down = seq(10, (i) => (0xffff00 - i * 17).toString(16));
    assert.equal(stats(down).counter?.direction, 'down');
    assert.deepEqual(codes(down), ['xmpp.stream-id-counter:warning']);
  });

  it('Unix seconds in decimal', () => {
    const ids = seq(8, (i) => String(NOW_S + Math.floor(i / 3)));
    const s = stats(ids);
    assert.equal(s.timestamp?.encoding, 'decimal');
    assert.equal(s.timestamp?.unit, 's');
    assert.ok(codes(ids).includes('xmpp.stream-id-timestamp:warning'));
    assert.ok(codes(ids).includes('xmpp.stream-id-repeat:error'), 'the same second twice is also a repeat');
  });

  it('milliseconds, then a separator and 16 random bits', () => {
    const ids = seq(10, (i) => `${NOW_MS + i * 3}-${hex('ms', i, 4)}`);
    const s = stats(ids);
    assert.equal(s.timestamp?.where, 'field 1');
    assert.equal(s.timestamp?.unit, 'ms');
    assert.equal(s.timestamp?.bitsBeside, 16);
    assert.equal(s.timestamp?.first, new Date(NOW_MS).toISOString());
    assert.deepEqual(codes(ids), ['xmpp.stream-id-timestamp:warning']);
  });

  it('hex seconds as a prefix (like a MongoDB ObjectId), with 64 random bits after it: a note', () => {
    const ids = seq(10, (i) => `${(NOW_S + i).toString(16)}${hex('oid', i, 16)}`);
    const s = stats(ids);
    assert.equal(s.timestamp?.where, 'whole id');
    assert.equal(s.timestamp?.encoding, 'hex');
    assert.equal(s.timestamp?.bitsBeside, 64);
    assert.deepEqual(codes(ids), ['xmpp.stream-id-timestamp:info']);
  });

  it('hex seconds and 16 random bits: a warning', () => {
    const ids = seq(10, (i) => `${NOW_S.toString(16)}${hex('ts16', i, 4)}`);
    assert.deepEqual(codes(ids), ['xmpp.stream-id-timestamp:warning']);
  });

  it('milliseconds in base36 (JavaScript Date.now().toString(36))', () => {
    const ids = seq(10, (i) => (NOW_MS + i * 11).toString(36));
    const s = stats(ids);
    assert.equal(s.timestamp?.encoding, 'base36');
    assert.deepEqual(codes(ids), ['xmpp.stream-id-timestamp:warning']);
  });

  it('UUIDv1 with a fixed node: the time, and almost nothing else', () => {
    const ids = seq(10, (i) => uuid1(NOW_MS + i * 5));
    const s = stats(ids);
    assert.equal(s.timestamp?.where, 'uuid-v1');
    assert.equal(s.timestamp?.unit, '100ns');
    assert.equal(s.timestamp?.bitsBeside, 0);
    assert.equal(s.timestamp?.first, new Date(NOW_MS).toISOString());
    assert.deepEqual(codes(ids), ['xmpp.stream-id-timestamp:warning']);
  });

  it('a time far from the check\'s clock is not a timestamp', () => {
    const ids = seq(8, (i) => String(NOW_S - 400 * 86_400 + i * 1000 + (i % 3)));
    assert.equal(stats(ids).timestamp, undefined);
  });

  it('short random ids: 32 bits of hex are flagged, 64 are not', () => {
    const short = seq(16, (i) => hex('s8', i, 8));
    const s = stats(short);
    assert.equal(s.apparentBits, 32);
    assert.equal(s.method, 'positions');
    assert.deepEqual(codes(short), ['xmpp.stream-id-short:warning']);
    assert.match(findings(short)[0]!.title, /about 32 bits/);
    assert.deepEqual(codes(seq(16, (i) => hex('s16', i, 16))), []);
  });

  it('short decimal numbers (a 32-bit random) are judged by their range', () => {
    const ids = seq(16, (i) => String(bytes('d32', i, 4).readUInt32BE(0)));
    const s = stats(ids);
    assert.equal(s.method, 'numeric-range');
    assert.ok(s.apparentBits > 29 && s.apparentBits < 33.5, String(s.apparentBits));
    assert.deepEqual(codes(ids), ['xmpp.stream-id-short:warning']);
  });

  it('a long shared prefix before a short random part: the prefix is the finding', () => {
    const ids = seq(10, (i) => `keywatch-lab-stream-${hex('pfx', i, 8)}`);
    const s = stats(ids);
    assert.equal(s.commonPrefix, 'keywatch-lab-stream-');
    assert.equal(s.bitsAfterPrefix, 32);
    assert.deepEqual(codes(ids), ['xmpp.stream-id-shared-prefix:warning']);
  });

  it('repeats are an error even among few ids', () => {
    const ids = ['a1b2c3d4e5f60718a1b2c3d4e5f60718', 'deadbeefcafef00ddeadbeefcafef00d', 'a1b2c3d4e5f60718a1b2c3d4e5f60718'];
    const s = stats(ids);
    assert.deepEqual(s.repeats, [{ id: 'a1b2c3d4e5f60718a1b2c3d4e5f60718', times: 2 }]);
    assert.deepEqual(codes(ids), ['xmpp.stream-id-repeat:error']);
  });

  it('ids that change in a few characters from one to the next (a generator state showing through)', () => {
    let cur = hex('walk', 0, 32).split('');
    const ids: string[] = [];
    for (let i = 0; i < 16; i++) {
      ids.push(cur.join(''));
      cur = [...cur];
      for (let k = 0; k < 4; k++) cur[bytes('pos', i * 4 + k, 1)[0]! % 32] = hex('chr', i * 4 + k, 1);
    }
    const s = stats(ids);
    assert.ok(s.distance && s.distance.median <= 4, JSON.stringify(s.distance));
    assert.ok(s.apparentBits >= 64, `most positions vary over the sample: ${s.apparentBits}`);
    assert.deepEqual(codes(ids), ['xmpp.stream-id-similar:warning']);
  });

  it('headers without an id', () => {
    assert.deepEqual(codes([], 3), ['xmpp.stream-id-missing:warning']);
  });
});

describe('what the statistics refuse to conclude, and hostile input', () => {
  it('three ids are too few for statistics: only repeats would count', () => {
    assert.deepEqual(codes(['1', '2', '3']), []);
    assert.deepEqual(codes([]), []);
  });

  it('the findings carry the statistics and the ids as evidence, and explain the dialback link', () => {
    const f = findings(seq(8, (i) => String(7 + i)))[0]!;
    const ev = f.evidence as { stats: StreamIdStats; ids: string[] };
    assert.equal(ev.stats.count, 8);
    assert.equal(ev.ids.length, 8);
    assert.match(f.detail, /XEP-0185/);
    assert.match(f.detail, /CVE-2016-1232/);
    assert.ok(f.remediation);
    assert.equal(f.rfc, 'RFC 6120 §4.7.3, XEP-0185');
  });

  it('a 10 000-character id is cut to the analysed length; odd characters do not break anything', () => {
    const s = stats(['x'.repeat(10_000), 'y'.repeat(10_000), '☃'.repeat(40), '', '<&>"\'\u0000']);
    assert.equal(s.length.max, MAX_ID_CHARS);
    assert.equal(s.count, 5);
    assert.ok(Number.isFinite(s.apparentBits));
  });

  it('alphabets and the range-estimate margin', () => {
    assert.deepEqual([alphabetOf('0123').name, alphabetOf('00ff').name, alphabetOf('00FF').name, alphabetOf('abcz09').name, alphabetOf('aZ09').name, alphabetOf('aZ-_').name, alphabetOf('aZ+/=').name], [
      'decimal',
      'hex',
      'HEX',
      'base36',
      'alphanumeric',
      'base64url',
      'base64',
    ]);
    assert.equal(alphabetOf('0123').bitsPerChar, 3.322);
    assert.ok(rangeSlackBits(16) < rangeSlackBits(8) && rangeSlackBits(8) < rangeSlackBits(4));
    assert.ok(rangeSlackBits(16) > 0.5 && rangeSlackBits(16) < 1.5, String(rangeSlackBits(16)));
  });
});
