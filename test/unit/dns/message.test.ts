import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { describe, it } from 'node:test';
import { DnsFormatError, decodeHeader, decodeMessage, encodeQuery, type DnsRecord } from '../../../src/dns/message.ts';
import { canonicalName, nameToString, nameToWire, parseName, ROOT } from '../../../src/dns/name.ts';
import { canonicalRdata, rdataToString, type RrsigData } from '../../../src/dns/rdata.ts';
import { EdnsOptionCode, RRClass, RRType, Rcode, typeToString } from '../../../src/dns/types.ts';

// Real responses captured from NSD 4.6.1 (with drill -w) serving a zone signed by ldns-signzone
// (ECDSAP256SHA256, ZSK 7517 and KSK 4185, NSEC3 with salt AABBCCDD, signatures valid
// 2024-01-01 to 2030-01-01). NSD compresses names in NS, SOA and MX rdata and copies the case
// of the query name into owner names and compression targets, which is what these exercise.
const FIXTURES = {
  tlsa: [
    'bbb185000001000200030005035f3235045f544350044d61696c074578616d706c6503434f4d0000340001c00c003400',
    '0100000e1000230301010123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdefc00c002e0001',
    '00000e10005f00340d0500000e1070dbd880659200801d5d076578616d706c6503636f6d007171bf60a0aa423c604fbc',
    'be539aef0fca656c11dc409344196ea919e680e758a993c7b4c0f48d55ce903a4e926b77c97906e77e06e8862d1b8c34',
    '249147c88cc01a0002000100000e100006036e7331c01ac01a0002000100000e100006036e7332c01ac01a002e000100',
    '000e10005f00020d0200000e1070dbd880659200801d5d076578616d706c6503636f6d00014c7a278107b6fd8934e252',
    '8d65470b3ec250c89e8a949f5e5db215ea9916381ccdc8329dbe1968f084f30c1e7d070b3a1ec26ea8a2123624dec189',
    '321307cec0d10001000100000e100004c0000235c0d1002e000100000e10005f00010d0300000e1070dbd88065920080',
    '1d5d076578616d706c6503636f6d00a158faa89902254e862672e3b285e91d23274e1044f9f2879db380fe0ed965a2a4',
    '8092b86e2fd52e72f1a482a3a5a4ed1321f65831b4149a3cde2dbeeb3c3610c0e3001c000100000e10001020010db800',
    '0000000000000000000053c0e3002e000100000e10005f001c0d0300000e1070dbd880659200801d5d076578616d706c',
    '6503636f6d001f552276fb9069a9a59007d3434c4cdf346aab8536e4876916f7c03609d24cb6dea2d5981256cacdb121',
    '81dd5c562ecab79c212240d751cb372561bd126896c300002904d0000080000000',
  ].join(''),
  mx: [
    '983f85000001000100020004076578616d706c6503636f6d00000f0001c00c000f000100000e100009000a046d61696c',
    'c00cc00c0002000100000e100006036e7331c00cc00c0002000100000e100006036e7332c00cc02b0001000100000e10',
    '0004c0000219c03e0001000100000e100004c0000235c02b001c000100000e10001020010db800000000000000000000',
    '0025c050001c000100000e10001020010db8000000000000000000000053',
  ].join(''),
  nx: [
    '29bb85030001000000040001046e6f7065076578616d706c6503636f6d000001000120706b626433396568706b6d7236',
    '34336c306c7431397165727435727332763166c011003200010000012c002a0100000004aabbccdd14fb16c242693b9a',
    '96418bc371ea9dc52cad4ea992000722018000000290010140c022002e00010000012c005f00320d030000012c70dbd8',
    '80659200801d5d076578616d706c6503636f6d0042972abe665e7e72b11f8daf744933728541585756439731e27edc72',
    'af5bc3354b4d686c8612c7ef9aa7360ba7f21fd5684b5f3770065848a15c10996cf0e334c011000600010000012c0027',
    '036e7331c0110a686f73746d6173746572c01178a3f17500001c2000000e10001275000000012cc011002e0001000001',
    '2c005f00060d0200000e1070dbd880659200801d5d076578616d706c6503636f6d00a5e4feb46ab1ef8360afa87f1e63',
    '5d324775c75d1209c9f0c9b62068243e89dc2f571abcc859e740a93e33fc67f7766a1e5b54137a9638d19081dd88d7b4',
    'e08e00002904d0000080000000',
  ].join(''),
  dnskey: [
    '2b8085000001000300000001076578616d706c6503636f6d0000300001c00c0030000100000e1000440100030d5c8988',
    '888f6ff6f9fad4838ff68714cfa60eda639be4fa5e986d16ce5244cc6e8ef2ed252e7a8e657f5a3f09da4a59a42d671e',
    '3a75f1fd4b48b3dd434b27e42bc00c0030000100000e1000440101030d0a09c4b0a783d9830d08639edcb48fabef000d',
    'f43a6dd5f6e2167d6c77fc6f4e8f76cfaf0f680904291c30602bb71d2cc504e2cfb4da721d63b3d33cbc99af12c00c00',
    '2e000100000e10005f00300d0200000e1070dbd880659200801059076578616d706c6503636f6d0000f73e7f23a1379a',
    '74688e8b69bb665dd2a4af83d2f3b097032c49d2fca051c222d787ddad7b97fee4d942d328e7dbd514ea9e2e01a27724',
    '2ef0a566e692de1300002904d0000080000000',
  ].join(''),};

const fixture = (name: keyof typeof FIXTURES) => Uint8Array.from(Buffer.from(FIXTURES[name], 'hex'));
const hex = (text: string) => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
const ascii = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const u16 = (v: number) => [v >> 8, v & 0xff];
const u32 = (v: number) => [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
const bytes = (...parts: (Uint8Array | number[])[]) => Uint8Array.from(parts.flatMap((p) => [...p]));

const isFormatError = (pattern: RegExp) => (e: unknown) => e instanceof DnsFormatError && pattern.test(e.message);

// ---------------------------------------------------------------------------------------------
// A tiny hand builder for hostile messages.

function header(o: { id?: number; hi?: number; lo?: number; qd?: number; an?: number; ns?: number; ar?: number }): number[] {
  return [...u16(o.id ?? 0xbeef), o.hi ?? 0x81, o.lo ?? 0x80, ...u16(o.qd ?? 0), ...u16(o.an ?? 0), ...u16(o.ns ?? 0), ...u16(o.ar ?? 0)];
}
function question(name: string, type: number): number[] {
  return [...nameToWire(parseName(name)), ...u16(type), ...u16(RRClass.IN)];
}
function rr(owner: Uint8Array | number[], type: number, klass: number, ttl: number, rdata: Uint8Array | number[]): number[] {
  return [...owner, ...u16(type), ...u16(klass), ...u32(ttl), ...u16(rdata.length), ...rdata];
}
function opt(o: { udp?: number; extRcode?: number; version?: number; flags?: number; options?: [number, Uint8Array][]; owner?: number[] }): number[] {
  const rdata = (o.options ?? []).flatMap(([code, data]) => [...u16(code), ...u16(data.length), ...data]);
  const ttl = (((o.extRcode ?? 0) << 24) | ((o.version ?? 0) << 16) | (o.flags ?? 0)) >>> 0;
  return rr(o.owner ?? [0], RRType.OPT, o.udp ?? 1232, ttl, rdata);
}

// ---------------------------------------------------------------------------------------------
// Signature check over the decoded records, as a validator will do it (RFC 4034 §3.1.8.1), so
// that the raw and canonical rdata are proven byte-exact against a real signer.

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i += 1) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function keyTag(rdata: Uint8Array): number {
  let ac = 0;
  rdata.forEach((b, i) => (ac += i & 1 ? b : b << 8));
  return (ac + ((ac >> 16) & 0xffff)) & 0xffff;
}

function signedData(rrsig: DnsRecord, rrset: DnsRecord[], canonical = true): Uint8Array {
  const sig = rrsig.data as RrsigData;
  const owner = nameToWire(canonicalName(rrset[0]!.name));
  const rdatas = rrset.map((r) => (canonical ? canonicalRdata(r.type, r.rdata) : r.rdata)).sort(compareBytes);
  return bytes(
    rrsig.rdata.subarray(0, 18),
    nameToWire(canonicalName(sig.signerName)),
    ...rdatas.map((rd) => bytes(owner, u16(rrset[0]!.type), u16(rrset[0]!.class), u32(sig.originalTtl), u16(rd.length), rd)),
  );
}

const dnskeys = decodeMessage(fixture('dnskey')).answer.filter((r) => r.type === RRType.DNSKEY);

function verifies(rrsig: DnsRecord, rrset: DnsRecord[], canonical = true): boolean {
  const sig = rrsig.data as RrsigData;
  const key = dnskeys.find((k) => keyTag(k.rdata) === sig.keyTag);
  assert.ok(key, `DNSKEY ${sig.keyTag} present`);
  const point = key.rdata.subarray(4);
  const publicKey = createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: Buffer.from(point.subarray(0, 32)).toString('base64url'),
      y: Buffer.from(point.subarray(32)).toString('base64url'),
    },
    format: 'jwk',
  });
  return verify('sha256', signedData(rrsig, rrset, canonical), { key: publicKey, dsaEncoding: 'ieee-p1363' }, sig.signature);
}

function covering(records: DnsRecord[], type: number): [DnsRecord, DnsRecord[]] {
  const rrsig = records.find((r) => r.data?.type === 'RRSIG' && r.data.typeCovered === type);
  assert.ok(rrsig, `RRSIG over ${typeToString(type)}`);
  return [rrsig, records.filter((r) => r.type === type)];
}

// ---------------------------------------------------------------------------------------------

describe('encodeQuery', () => {
  it('builds the exact bytes of a DNSSEC query', () => {
    const query = encodeQuery({ id: 0x1234, name: parseName('Example.com'), type: RRType.TLSA, cd: true, dnssecOk: true });
    const expected = bytes(
      hex('1234 0110 0001 0000 0000 0001'),
      hex('07 4578616d706c65 03 636f6d 00 0034 0001'),
      hex('00 0029 04d0 00 00 8000 0000'),
    );
    assert.equal(query.toString('hex'), Buffer.from(expected).toString('hex'));
  });

  it('omits EDNS when asked and carries options when given', () => {
    const plain = encodeQuery({ id: 1, name: ROOT, type: RRType.NS, rd: false, edns: false });
    assert.equal(plain.toString('hex'), '000100000001000000000000' + '00' + '0002' + '0001');
    const cookie = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const withCookie = decodeMessage(
      encodeQuery({ id: 2, name: parseName('example'), type: RRType.A, udpSize: 4096, ad: true, ednsOptions: [{ code: EdnsOptionCode.COOKIE, data: cookie }] }),
    );
    assert.equal(withCookie.flags.ad, true);
    assert.equal(withCookie.flags.rd, true);
    assert.equal(withCookie.edns?.udpSize, 4096);
    assert.equal(withCookie.edns?.dnssecOk, false);
    assert.deepEqual(withCookie.edns?.options, [{ code: 10, data: cookie }]);
    assert.throws(() => encodeQuery({ id: 65536, name: ROOT, type: 1 }), RangeError);
    assert.throws(() => encodeQuery({ id: 1, name: ROOT, type: 1, edns: false, dnssecOk: true }), RangeError);
  });

  it('round-trips through decodeMessage', () => {
    const msg = decodeMessage(encodeQuery({ id: 77, name: parseName('_25._tcp.mail.example'), type: RRType.TLSA, dnssecOk: true }));
    assert.equal(msg.id, 77);
    assert.equal(msg.flags.qr, false);
    assert.equal(nameToString(msg.question[0]!.name), '_25._tcp.mail.example.');
    assert.equal(msg.question[0]!.type, RRType.TLSA);
    assert.equal(msg.additional.length, 0, 'the OPT record is not listed as additional data');
    assert.equal(msg.edns?.dnssecOk, true);
    assert.equal(msg.edns?.udpSize, 1232);
  });
});

describe('decodeMessage on captured NSD responses', () => {
  it('decodes a signed TLSA answer with mixed-case compression targets', () => {
    const msg = decodeMessage(fixture('tlsa'));
    assert.equal(msg.id, 0xbbb1);
    assert.deepEqual(msg.flags, { qr: true, opcode: 0, aa: true, tc: false, rd: true, ra: false, ad: false, cd: false });
    assert.equal(msg.rcode, Rcode.NOERROR);
    assert.equal(nameToString(msg.question[0]!.name), '_25._TCP.Mail.Example.COM.');
    assert.deepEqual(
      msg.answer.map((r) => [nameToString(r.name), r.ttl, typeToString(r.type), rdataToString(r.type, r.rdata)]),
      [
        ['_25._TCP.Mail.Example.COM.', 3600, 'TLSA', '3 1 1 ' + '0123456789abcdef'.repeat(4)],
        [
          '_25._TCP.Mail.Example.COM.',
          3600,
          'RRSIG',
          'TLSA 13 5 3600 20300101000000 20240101000000 7517 example.com. cXG/YKCqQjxgT7y+U5rvD8plbBHcQJNEGW6pGeaA51ipk8e0wPSNVc6QOk6Sa3fJeQbnfgbohi0bjDQkkUfIjA==',
        ],
      ],
    );
    // NS rdata were compressed against "Example.COM" from the question: expanded, case kept.
    assert.deepEqual(
      msg.authority.filter((r) => r.type === RRType.NS).map((r) => rdataToString(r.type, r.rdata)),
      ['ns1.Example.COM.', 'ns2.Example.COM.'],
    );
    assert.deepEqual(
      msg.additional.map((r) => `${nameToString(r.name)} ${typeToString(r.type)}`),
      ['ns1.Example.COM. A', 'ns1.Example.COM. RRSIG', 'ns2.Example.COM. AAAA', 'ns2.Example.COM. RRSIG'],
    );
    assert.deepEqual(msg.edns, { udpSize: 1232, extendedRcode: 0, version: 0, dnssecOk: true, flags: 0x8000, options: [], ede: [] });
  });

  it('expands compressed MX, NS and SOA rdata', () => {
    const mx = decodeMessage(fixture('mx'));
    const answer = mx.answer[0]!;
    assert.equal(answer.data?.type, 'MX');
    assert.deepEqual(answer.rdata, bytes(hex('000a'), nameToWire(parseName('mail.example.com'))));
    assert.equal(mx.edns, undefined);
    assert.deepEqual(
      mx.additional.map((r) => `${nameToString(r.name)} ${rdataToString(r.type, r.rdata)}`),
      ['mail.example.com. 192.0.2.25', 'ns1.example.com. 192.0.2.53', 'mail.example.com. 2001:db8::25', 'ns2.example.com. 2001:db8::53'],
    );
    const nx = decodeMessage(fixture('nx'));
    assert.equal(nx.rcode, Rcode.NXDOMAIN);
    const soa = nx.authority.find((r) => r.type === RRType.SOA)!;
    assert.equal(rdataToString(soa.type, soa.rdata), 'ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300');
    const nsec3 = nx.authority.find((r) => r.type === RRType.NSEC3)!;
    assert.equal(nameToString(nsec3.name), 'pkbd39ehpkmr643l0lt19qert5rs2v1f.example.com.');
    assert.equal(rdataToString(nsec3.type, nsec3.rdata), '1 0 0 AABBCCDD vcbc4gj97ed9cgcbodoul7e55imktaci NS SOA MX TXT RRSIG DNSKEY NSEC3PARAM CAA');
    assert.equal(nsec3.ttl, 300);
  });

  it('keeps rdata byte-exact: every RRSIG in the captures verifies', () => {
    const tlsa = decodeMessage(fixture('tlsa'));
    assert.ok(verifies(...covering(tlsa.answer, RRType.TLSA)));
    assert.ok(verifies(...covering(tlsa.authority, RRType.NS)));
    assert.ok(verifies(...covering(tlsa.additional, RRType.A)));
    assert.ok(verifies(...covering(tlsa.additional, RRType.AAAA)));
    const nx = decodeMessage(fixture('nx'));
    assert.ok(verifies(...covering(nx.authority, RRType.NSEC3)));
    assert.ok(verifies(...covering(nx.authority, RRType.SOA)));
    const keys = decodeMessage(fixture('dnskey'));
    assert.ok(verifies(...covering(keys.answer, RRType.DNSKEY)));
  });

  it('needs canonical rdata: the NS set with "ns1.Example.COM." fails unless lowercased', () => {
    const tlsa = decodeMessage(fixture('tlsa'));
    assert.equal(verifies(...covering(tlsa.authority, RRType.NS), false), false);
  });

  it('decodeHeader reads just the header', () => {
    const head = decodeHeader(fixture('nx'));
    assert.equal(head.id, 0x29bb);
    assert.equal(head.rcode, Rcode.NXDOMAIN);
    assert.deepEqual([head.qdcount, head.ancount, head.nscount, head.arcount], [1, 0, 4, 1]);
    assert.throws(() => decodeHeader(new Uint8Array(11)), isFormatError(/shorter than the 12-byte header/));
  });
});

describe('EDNS', () => {
  const base = [...header({ qd: 1, ar: 1 }), ...question('example.com', RRType.A)];

  it('combines the extended rcode from OPT with the header rcode', () => {
    const badvers = decodeMessage(bytes(base, opt({ extRcode: 1 })));
    assert.equal(badvers.rcode, Rcode.BADVERS);
    assert.equal(badvers.edns?.extendedRcode, 1);
    const badcookie = bytes(header({ qd: 1, ar: 1, lo: 0x87 }), question('example.com', RRType.A), opt({ extRcode: 1 }));
    assert.equal(decodeMessage(badcookie).rcode, Rcode.BADCOOKIE);
    const high = decodeMessage(bytes(header({ qd: 1, ar: 1, lo: 0x0f }), question('example.com', RRType.A), opt({ extRcode: 0xff, version: 1 })));
    assert.equal(high.rcode, 0xfff);
    assert.equal(high.edns?.version, 1);
  });

  it('parses Extended DNS Errors (option 15) with and without text', () => {
    const msg = decodeMessage(
      bytes(
        header({ qd: 1, ar: 1, lo: 0x82 }),
        question('example.com', RRType.A),
        opt({
          flags: 0x8000,
          options: [
            [EdnsOptionCode.COOKIE, hex('0102030405060708')],
            [EdnsOptionCode.EDE, bytes(u16(6), ascii('RRSIG expired for example.com'))],
            [EdnsOptionCode.EDE, bytes(u16(22))],
            [EdnsOptionCode.EDE, bytes(u16(0), hex('e282ac ff'))],
          ],
        }),
      ),
    );
    assert.equal(msg.rcode, Rcode.SERVFAIL);
    assert.deepEqual(msg.edns?.ede, [
      { code: 6, text: 'RRSIG expired for example.com' },
      { code: 22, text: '' },
      { code: 0, text: '€\ufffd' },
    ]);
    assert.deepEqual(
      msg.edns?.options.map((o) => o.code),
      [10, 15, 15, 15],
    );
  });

  it('rejects a short EDE option, two OPT records, OPT outside additional, and a named OPT owner', () => {
    assert.throws(() => decodeMessage(bytes(base, opt({ options: [[15, hex('06')]] }))), isFormatError(/Extended DNS Error option of 1 bytes/));
    const two = bytes(header({ qd: 1, ar: 2 }), question('example.com', RRType.A), opt({}), opt({}));
    assert.throws(() => decodeMessage(two), isFormatError(/more than one OPT/));
    const inAnswer = bytes(header({ qd: 1, an: 1 }), question('example.com', RRType.A), opt({}));
    assert.throws(() => decodeMessage(inAnswer), isFormatError(/OPT record in the answer section/));
    assert.throws(() => decodeMessage(bytes(base, opt({ owner: [1, 0x61, 0] }))), isFormatError(/owner is not the root/));
    assert.throws(() => decodeMessage(bytes(base, opt({ options: [[15, hex('0006')]] }).slice(0, -1))), DnsFormatError);
  });
});

describe('decodeMessage on hostile input', () => {
  it('reads TTLs with the top bit set as 0 (RFC 2181 §8)', () => {
    const msg = decodeMessage(bytes(header({ an: 1 }), rr([0], RRType.A, RRClass.IN, 0x80000000, [1, 2, 3, 4])));
    assert.equal(msg.answer[0]!.ttl, 0);
  });

  it('leaves A records of other classes uninterpreted', () => {
    const msg = decodeMessage(bytes(header({ an: 1 }), rr([0], RRType.A, RRClass.CH, 0, [1, 2])));
    assert.equal(msg.answer[0]!.data, undefined);
    assert.deepEqual(msg.answer[0]!.rdata, Uint8Array.of(1, 2));
  });

  it('rejects pointer loops, forward pointers and pointers past the end', () => {
    assert.throws(() => decodeMessage(bytes(header({ qd: 1 }), [0xc0, 12, 0, 1, 0, 1])), isFormatError(/question 1 name: compression pointer to 12 does not point backwards.*offset 12/));
    assert.throws(() => decodeMessage(bytes(header({ qd: 1 }), [0xc0, 14, 0, 1, 0, 1])), isFormatError(/does not point backwards/));
    assert.throws(() => decodeMessage(bytes(header({ qd: 1 }), [0xff, 0xff, 0, 1, 0, 1])), isFormatError(/does not point backwards/));
    // Two names pointing at each other: 12 → 20 is forward, so it is refused before any loop.
    const mutual = bytes(header({ qd: 2 }), [1, 0x61, 0xc0, 20, 0, 1, 0, 1], [1, 0x62, 0xc0, 12, 0, 1, 0, 1]);
    assert.throws(() => decodeMessage(mutual), isFormatError(/does not point backwards/));
  });

  it('rejects an rdata length running past the end', () => {
    const msg = bytes(header({ an: 1 }), [0], u16(RRType.A), u16(1), u32(0), u16(5), [1, 2, 3, 4]);
    assert.throws(() => decodeMessage(msg), isFormatError(/answer record 1 rdata length 5 runs past the end.*offset 21/));
  });

  it('rejects counts that do not match the data', () => {
    const record = rr([0], RRType.A, RRClass.IN, 60, [1, 2, 3, 4]);
    assert.throws(() => decodeMessage(bytes(header({ an: 2 }), record)), isFormatError(/answer record 2 owner name/));
    assert.throws(() => decodeMessage(bytes(header({ an: 1 }), record, record)), isFormatError(/15 bytes after the last record/));
    assert.throws(() => decodeMessage(bytes(header({ qd: 1 }))), isFormatError(/question 1 name/));
  });

  it('rejects typed rdata that does not fit its type, at the right offset', () => {
    const msg = bytes(header({ an: 1 }), rr([0], RRType.AAAA, RRClass.IN, 60, [1, 2, 3, 4]));
    assert.throws(() => decodeMessage(msg), (e: unknown) => e instanceof DnsFormatError && /AAAA address cut short/.test(e.message) && e.offset === 23);
  });

  it('rejects messages over 65535 bytes and under 12', () => {
    assert.throws(() => decodeMessage(new Uint8Array(65536)), isFormatError(/exceeds 65535/));
    assert.throws(() => decodeMessage(new Uint8Array(0)), isFormatError(/shorter than the 12-byte header/));
  });

  it('accepts a Buffer that is a view into a larger pool', () => {
    const pool = Buffer.concat([Buffer.alloc(100, 0xee), Buffer.from(fixture('mx')), Buffer.alloc(7, 0xee)]);
    const view = pool.subarray(100, pool.length - 7);
    const msg = decodeMessage(view);
    assert.equal(msg.answer.length, 1);
    pool.fill(0);
    assert.equal(rdataToString(RRType.MX, msg.answer[0]!.rdata), '10 mail.example.com.', 'decoded data does not alias the input');
  });

  for (const name of Object.keys(FIXTURES) as (keyof typeof FIXTURES)[]) {
    it(`throws only DnsFormatError for every truncation of the ${name} capture`, () => {
      const full = fixture(name);
      assert.doesNotThrow(() => decodeMessage(full));
      for (let length = 0; length < full.length; length += 1) {
        assert.throws(
          () => decodeMessage(full.subarray(0, length)),
          (e: unknown) => e instanceof DnsFormatError,
          `truncated to ${length} bytes`,
        );
      }
    });
  }

  it('throws only DnsFormatError on randomly mutated captures', () => {
    // xorshift32 with a fixed seed, so a failure reproduces.
    let state = 0x2545f491;
    const random = (n: number) => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return (state >>> 0) % n;
    };
    const captures = Object.keys(FIXTURES).map((k) => fixture(k as keyof typeof FIXTURES));
    let decoded = 0;
    let rejected = 0;
    for (let round = 0; round < 20000; round += 1) {
      const input = Uint8Array.from(captures[random(captures.length)]!);
      const edits = 1 + random(4);
      for (let e = 0; e < edits; e += 1) {
        const at = random(input.length);
        // Bias towards values that matter: pointers, length octets, counts.
        const choices = [random(256), 0xc0 | random(64), random(64), 0, 0xff];
        input[at] = choices[random(choices.length)]!;
      }
      const cut = random(8) === 0 ? input.subarray(0, random(input.length + 1)) : input;
      try {
        decodeMessage(cut);
        decoded += 1;
      } catch (error) {
        if (!(error instanceof DnsFormatError)) {
          assert.fail(`round ${round}: ${String(error)} for ${Buffer.from(cut).toString('hex')}`);
        }
        rejected += 1;
      }
    }
    assert.ok(decoded > 100 && rejected > 100, `both outcomes exercised (${decoded} decoded, ${rejected} rejected)`);
  });
});
