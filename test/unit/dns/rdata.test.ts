import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DnsFormatError, DnsSyntaxError, nameToString, nameToWire, parseName } from '../../../src/dns/name.ts';
import {
  base32hexDecode,
  base32hexEncode,
  canonicalRdata,
  decodeRdata,
  decodeTypeBitmap,
  encodeTypeBitmap,
  rdataFromMessage,
  rdataFromString,
  rdataToString,
  type RData,
} from '../../../src/dns/rdata.ts';
import { RRClass, RRType, typeFromString, typeToString } from '../../../src/dns/types.ts';

const hex = (text: string) => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const ascii = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));

function isFormatError(pattern: RegExp) {
  return (e: unknown) => e instanceof DnsFormatError && pattern.test(e.message);
}
function isSyntaxError(pattern: RegExp) {
  return (e: unknown) => e instanceof DnsSyntaxError && pattern.test(e.message);
}

/** Text → wire → typed → text must give back `expected` (defaults to the input). */
function roundTrip(type: number, text: string, expected = text): RData | undefined {
  const wire = rdataFromString(type, text);
  const data = decodeRdata(type, wire);
  assert.equal(rdataToString(type, wire), expected);
  assert.deepEqual(rdataFromString(type, expected), wire, 'output parses back to the same wire');
  return data;
}

describe('types', () => {
  it('maps mnemonics and RFC 3597 generic names both ways', () => {
    assert.equal(typeToString(52), 'TLSA');
    assert.equal(typeToString(257), 'CAA');
    assert.equal(typeToString(12345), 'TYPE12345');
    assert.equal(typeFromString('tlsa'), 52);
    assert.equal(typeFromString('TYPE1'), 1);
    assert.equal(typeFromString('TYPE65536'), undefined);
    assert.equal(typeFromString('BOGUS'), undefined);
  });
});

describe('type bitmaps', () => {
  it('encodes the RFC 4034 §4.3 example exactly', () => {
    // alfa.example.com. NSEC host.example.com. ( A MX RRSIG NSEC TYPE1234 )
    const expected = hex(`0006 40010000 0003 041b ${'00'.repeat(26)} 20`);
    const bitmap = encodeTypeBitmap([RRType.NSEC, 1234, RRType.A, RRType.RRSIG, RRType.MX, RRType.A]);
    assert.equal(toHex(bitmap), toHex(expected));
    assert.deepEqual(decodeTypeBitmap(expected), [1, 15, 46, 47, 1234]);
  });

  it('handles window 1 types (TYPE256, CAA=257) and the last type 65535', () => {
    const types = [RRType.NS, 256, RRType.CAA, 65535];
    const bitmap = encodeTypeBitmap(types);
    // NS: window 0, octet 0, bit 2. TYPE256/CAA: window 1, bits 0 and 1. 65535: window 255, octet 31, bit 7.
    assert.equal(toHex(bitmap), '000120' + '0101c0' + 'ff20' + '00'.repeat(31) + '01');
    assert.deepEqual(decodeTypeBitmap(bitmap), types);
  });

  it('accepts an empty bitmap (NSEC3 of an empty non-terminal)', () => {
    assert.deepEqual(decodeTypeBitmap(new Uint8Array(0)), []);
    assert.equal(encodeTypeBitmap([]).length, 0);
  });

  it('rejects bad ordering, bad lengths, trailing zeros and truncation', () => {
    assert.throws(() => decodeTypeBitmap(hex('0101c0 000140')), isFormatError(/window 0 after window 1/));
    assert.throws(() => decodeTypeBitmap(hex('000140 000120')), isFormatError(/window 0 after window 0/));
    assert.throws(() => decodeTypeBitmap(hex('0000')), isFormatError(/length 0/));
    assert.throws(() => decodeTypeBitmap(concat(hex('0021'), new Uint8Array(33).fill(1))), isFormatError(/length 33/));
    assert.throws(() => decodeTypeBitmap(hex('00024000')), isFormatError(/ends with a zero octet/));
    assert.throws(() => decodeTypeBitmap(hex('000240')), isFormatError(/cut short/));
    assert.throws(() => decodeTypeBitmap(hex('00')), isFormatError(/cut short/));
  });

  it('reports offsets relative to the given base', () => {
    assert.throws(() => decodeTypeBitmap(hex('000240'), 100), (e: unknown) => e instanceof DnsFormatError && e.offset === 100);
  });
});

describe('presentation format round trips', () => {
  it('A and AAAA (RFC 5952 output)', () => {
    assert.deepEqual(roundTrip(RRType.A, '192.0.2.1'), { type: 'A', address: '192.0.2.1' });
    roundTrip(RRType.AAAA, '2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1');
    roundTrip(RRType.AAAA, '2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1');
    roundTrip(RRType.AAAA, '2001:db8:0:1:1:1:1:1'); // a single zero group stays
    roundTrip(RRType.AAAA, '::');
    roundTrip(RRType.AAAA, '::1');
    roundTrip(RRType.AAAA, 'fe80::');
    roundTrip(RRType.AAAA, '::FFFF:c000:0201', '::ffff:192.0.2.1'); // RFC 5952 §5 mixed notation
    roundTrip(RRType.AAAA, '64:ff9b::192.0.2.1', '64:ff9b::c000:201'); // only IPv4-mapped is mixed
    for (const bad of ['1.2.3', '256.1.1.1', '01.2.3.4', '1.2.3.4.5']) {
      assert.throws(() => rdataFromString(RRType.A, bad), isSyntaxError(/not an IPv4/), bad);
    }
    for (const bad of ['1::2::3', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '::12345', 'fe80::1%eth0', ':::']) {
      assert.throws(() => rdataFromString(RRType.AAAA, bad), isSyntaxError(/not an IPv6/), bad);
    }
  });

  it('names: NS, CNAME, DNAME, PTR keep case and odd octets', () => {
    const data = roundTrip(RRType.CNAME, 'Target\\.x.\\000.Example.');
    assert.equal(data?.type, 'CNAME');
    roundTrip(RRType.NS, 'ns1.example.');
    roundTrip(RRType.DNAME, 'example.net.');
    roundTrip(RRType.PTR, 'host.example.', 'host.example.');
    roundTrip(RRType.NS, 'ns1.example', 'ns1.example.');
  });

  it('SOA and MX', () => {
    const soa = roundTrip(RRType.SOA, 'ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300');
    assert.deepEqual(soa && soa.type === 'SOA' ? [soa.serial, soa.minimum] : [], [2024010101, 300]);
    assert.deepEqual(roundTrip(RRType.MX, '10 Mail.example.'), {
      type: 'MX',
      preference: 10,
      exchange: parseName('Mail.example.'),
    });
    assert.throws(() => rdataFromString(RRType.MX, '65536 mail.example.'), isSyntaxError(/0 to 65535/));
    assert.throws(() => rdataFromString(RRType.MX, '10'), isSyntaxError(/missing exchange/));
    assert.throws(() => rdataFromString(RRType.MX, '10 a. b.'), isSyntaxError(/unexpected "b\."/));
  });

  it('TXT: several strings, escapes, binary, UTF-8, limits', () => {
    const data = roundTrip(RRType.TXT, '"v=spf1 -all" "a\\"b\\\\c" "\\000\\255" unquoted "café"', '"v=spf1 -all" "a\\"b\\\\c" "\\000\\255" "unquoted" "caf\\195\\169"');
    assert.ok(data?.type === 'TXT');
    assert.deepEqual(data.strings, [ascii('v=spf1 -all'), ascii('a"b\\c'), Uint8Array.of(0, 255), ascii('unquoted'), Uint8Array.of(0x63, 0x61, 0x66, 0xc3, 0xa9)]);
    roundTrip(RRType.TXT, '""');
    assert.throws(() => rdataFromString(RRType.TXT, `"${'x'.repeat(256)}"`), isSyntaxError(/256 octets/));
    assert.throws(() => rdataFromString(RRType.TXT, '"open'), isSyntaxError(/unterminated/));
    assert.throws(() => rdataFromString(RRType.TXT, '"\\4"'), isSyntaxError(/bad escape/));
    assert.throws(() => decodeRdata(RRType.TXT, new Uint8Array(0)), isFormatError(/without any string/));
    assert.throws(() => decodeRdata(RRType.TXT, hex('05616263')), isFormatError(/cut short/));
  });

  it('SRV', () => {
    assert.deepEqual(roundTrip(RRType.SRV, '5 0 5269 xmpp.example.com.'), {
      type: 'SRV',
      priority: 5,
      weight: 0,
      port: 5269,
      target: parseName('xmpp.example.com'),
    });
  });

  it('TLSA: lowercase hex, whitespace inside the hex allowed', () => {
    const digest = '0123456789ABCDEF'.repeat(4);
    const data = roundTrip(RRType.TLSA, `3 1 1 ( ${digest.slice(0, 20)}\n ${digest.slice(20)} )`, `3 1 1 ${digest.toLowerCase()}`);
    assert.ok(data?.type === 'TLSA');
    assert.equal(data.usage, 3);
    assert.equal(data.selector, 1);
    assert.equal(data.matchingType, 1);
    assert.equal(toHex(data.data), digest.toLowerCase());
    assert.throws(() => rdataFromString(RRType.TLSA, '3 1 1'), isSyntaxError(/missing certificate association data/));
    assert.throws(() => rdataFromString(RRType.TLSA, '3 1 1 abc'), isSyntaxError(/hex/));
  });

  it('CAA: flags, tag rules, value quoting', () => {
    const data = roundTrip(RRType.CAA, '0 issue "letsencrypt.org; accounturi=https://acme-v02.api.letsencrypt.org/acme/acct/1"');
    assert.ok(data?.type === 'CAA');
    assert.equal(data.tag, 'issue');
    assert.equal(data.critical, false);
    const critical = roundTrip(RRType.CAA, '128 tbs "Unknown"');
    assert.ok(critical?.type === 'CAA' && critical.critical);
    roundTrip(RRType.CAA, '0 issue ";"'); // "no CA may issue"
    roundTrip(RRType.CAA, '0 iodef mailto:security@example.com', '0 iodef "mailto:security@example.com"');
    assert.throws(() => rdataFromString(RRType.CAA, '0 issue'), isSyntaxError(/missing value/));
  });

  it('CAA: rejects bad tags from text and from the wire', () => {
    assert.throws(() => rdataFromString(RRType.CAA, '0 is-sue "x"'), isSyntaxError(/tag "is-sue"/));
    assert.throws(() => rdataFromString(RRType.CAA, `0 ${'a'.repeat(16)} "x"`), isSyntaxError(/1–15/));
    assert.throws(() => decodeRdata(RRType.CAA, hex('0000')), isFormatError(/tag length 0/));
    assert.throws(() => decodeRdata(RRType.CAA, hex('0002612d')), isFormatError(/A–Z, a–z, 0–9/));
    // RFC 8659 only requires ≥ 1 alphanumeric octets on the wire; a 16-octet tag decodes.
    const long = decodeRdata(RRType.CAA, concat(hex('0010'), ascii('a'.repeat(16)), ascii('v')));
    assert.ok(long?.type === 'CAA' && long.tag.length === 16);
  });

  it('DS: the RFC 4034 §5.4 example, digest split over tokens', () => {
    const wire = rdataFromString(RRType.DS, '60485 5 1 ( 2BB183AF5F22588179A53B0A\n 98631FAD1A292118 )');
    assert.equal(toHex(wire), 'ec4505012bb183af5f22588179a53b0a98631fad1a292118');
    assert.equal(rdataToString(RRType.DS, wire), '60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118');
    assert.deepEqual(rdataFromString(RRType.DS, '60485 RSASHA1 1 2bb183af5f22588179a53b0a98631fad1a292118'), wire);
    roundTrip(RRType.CDS, '0 0 0 00'); // RFC 8078 §4 delete request
  });

  it('DNSKEY: base64 over several tokens, algorithm mnemonic', () => {
    const key = 'XImIiI9v9vn61IOP9ocUz6YO2mOb5PpemG0WzlJEzG6O8u0lLnqOZX9aPwnaSlmkLWceOnXx/UtIs91DSyfkKw==';
    const data = roundTrip(RRType.DNSKEY, `256 3 ECDSAP256SHA256 ( ${key.slice(0, 30)} ${key.slice(30)} )`, `256 3 13 ${key}`);
    assert.ok(data?.type === 'DNSKEY');
    assert.equal(data.publicKey.length, 64);
    roundTrip(RRType.CDNSKEY, '0 3 0 AA=='); // RFC 8078 §4 delete request
    assert.throws(() => rdataFromString(RRType.DNSKEY, '256 3 13 not*base64'), isSyntaxError(/base64/));
    assert.throws(() => rdataFromString(RRType.DNSKEY, '256 3 13 abc'), isSyntaxError(/base64/));
    assert.throws(() => rdataFromString(RRType.DNSKEY, '256 3 NOSUCHALG AA=='), isSyntaxError(/unknown algorithm/));
  });

  it('RRSIG: YYYYMMDDHHmmSS times, decimal times accepted', () => {
    const text = 'TLSA 13 5 3600 20300101000000 20240101000000 7517 example.com. cXG/YKCqQjxgT7y+U5rvD8plbBHcQJNEGW6pGeaA51ipk8e0wPSNVc6QOk6Sa3fJeQbnfgbohi0bjDQkkUfIjA==';
    const data = roundTrip(RRType.RRSIG, text);
    assert.ok(data?.type === 'RRSIG');
    assert.equal(data.typeCovered, RRType.TLSA);
    assert.equal(data.expiration, Date.UTC(2030, 0, 1) / 1000);
    assert.equal(data.inception, 1704067200);
    assert.equal(nameToString(data.signerName), 'example.com.');
    const decimal = text.replace('20240101000000', '1704067200');
    assert.deepEqual(rdataFromString(RRType.RRSIG, decimal), rdataFromString(RRType.RRSIG, text));
    assert.throws(() => rdataFromString(RRType.RRSIG, text.replace('20300101000000', '20300231000000')), isSyntaxError(/not a valid date/));
    assert.throws(() => rdataFromString(RRType.RRSIG, text.replace('20300101000000', '21070101000000')), isSyntaxError(/1970–2106/));
  });

  it('NSEC and NSEC3 / NSEC3PARAM (RFC 5155 base32hex, salts)', () => {
    roundTrip(RRType.NSEC, 'host.example.com. A MX RRSIG NSEC TYPE1234');
    roundTrip(RRType.NSEC, 'host.example.com.'); // empty bitmap
    const nsec3 = roundTrip(
      RRType.NSEC3,
      '1 1 12 aabbccdd ( 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR MX DNSKEY NS SOA NSEC3PARAM RRSIG )',
      '1 1 12 AABBCCDD 2t7b4g4vsa5smi47k61mv5bv1a22bojr NS SOA MX RRSIG DNSKEY NSEC3PARAM',
    );
    assert.ok(nsec3?.type === 'NSEC3');
    assert.equal(nsec3.optOut, true);
    assert.equal(nsec3.nextHashedOwner.length, 20);
    roundTrip(RRType.NSEC3, '1 0 0 - vcbc4gj97ed9cgcbodoul7e55imktaci NS SOA MX TXT RRSIG DNSKEY NSEC3PARAM CAA');
    roundTrip(RRType.NSEC3PARAM, '1 0 0 -');
    roundTrip(RRType.NSEC3PARAM, '1 0 10 AABBCCDD');
    assert.throws(() => decodeRdata(RRType.NSEC3, hex('01000000 00 00')), isFormatError(/length 0/));
    assert.throws(() => rdataFromString(RRType.NSEC3, '1 0 0 - 2t7b4g4vsa5smi47k61mv5bv1a22boj!'), isSyntaxError(/base32hex/));
  });

  it('generic \\# form for any type (RFC 3597 §5)', () => {
    assert.deepEqual(rdataFromString(RRType.A, '\\# 4 0A000001'), Uint8Array.of(10, 0, 0, 1));
    assert.equal(rdataToString(65280, hex('abcdef')), '\\# 3 abcdef');
    assert.equal(rdataToString(65280, new Uint8Array(0)), '\\# 0');
    assert.deepEqual(rdataFromString(65280, '\\# 0'), new Uint8Array(0));
    assert.deepEqual(rdataFromString(65280, '\\# 3 ab cd ef'), hex('abcdef'));
    assert.throws(() => rdataFromString(65280, '\\# 2 abcdef'), isSyntaxError(/3 octets, not 2/));
    assert.throws(() => rdataFromString(RRType.A, '\\# 3 0a0000'), isSyntaxError(/does not fit/));
    assert.throws(() => rdataFromString(RRType.MX, '\\# 3 000a05'), isSyntaxError(/does not fit/));
    assert.throws(() => rdataFromString(65280, 'plain text'), isSyntaxError(/generic/));
    // Types keywatch does not interpret print generically even when known.
    assert.equal(rdataToString(RRType.HINFO, hex('0141 0142')), '\\# 4 01410142');
  });

  it('falls back to the generic form when the typed text form would lose an empty field', () => {
    for (const type of [RRType.TLSA, RRType.DS, RRType.DNSKEY]) {
      const rdata = hex('01020304').subarray(0, type === RRType.TLSA ? 3 : 4);
      const text = rdataToString(type, rdata);
      assert.match(text, /^\\# /);
      assert.deepEqual(rdataFromString(type, text), rdata);
    }
  });

  it('A in a class other than IN is left uninterpreted', () => {
    assert.equal(decodeRdata(RRType.A, hex('0102'), { klass: RRClass.CH }), undefined);
    assert.equal(rdataToString(RRType.A, hex('0102'), RRClass.CH), '\\# 2 0102');
  });
});

describe('strict typed decoding', () => {
  it('rejects wrong lengths and trailing bytes', () => {
    assert.throws(() => decodeRdata(RRType.A, hex('0102030405')), isFormatError(/1 unexpected bytes after A rdata/));
    assert.throws(() => decodeRdata(RRType.AAAA, hex('01')), isFormatError(/AAAA address cut short/));
    assert.throws(() => decodeRdata(RRType.MX, concat(hex('000a'), nameToWire(parseName('a.')), hex('00'))), isFormatError(/unexpected bytes/));
    assert.throws(() => decodeRdata(RRType.SOA, concat(nameToWire(parseName('a.')), nameToWire(parseName('b.')), hex('00'))), isFormatError(/SOA SERIAL cut short/));
    assert.throws(() => decodeRdata(RRType.DNSKEY, hex('0100')), isFormatError(/DNSKEY protocol cut short/));
  });

  it('adds the message offset to error offsets', () => {
    assert.throws(
      () => decodeRdata(RRType.A, hex('01'), { offset: 500 }),
      (e: unknown) => e instanceof DnsFormatError && e.offset === 500,
    );
  });

  it('rejects compression pointers where the RFCs forbid them', () => {
    // RRSIG signer (RFC 4034 §3.1.7) and NSEC next name (§4.1.1) are never compressed.
    const rrsig = concat(hex('0001 0d 02 00000e10 70dbd880 65920080 1d5d'), hex('c00c'), hex('abcd'));
    assert.throws(() => decodeRdata(RRType.RRSIG, rrsig), isFormatError(/RRSIG signer name: compression pointer/));
    assert.throws(() => decodeRdata(RRType.NSEC, hex('c00c 000140')), isFormatError(/NSEC next domain name: compression pointer/));
  });
});

describe('rdataFromMessage', () => {
  // A fragment standing in for a message: "example.com." at offset 0, then MX rdata at 13
  // whose exchange is "mail" + a pointer to offset 0.
  const msg = concat(nameToWire(parseName('Example.COM.')), hex('000a 046d61696c c000'), hex('ffff'));

  it('expands compressed names for the types RFC 3597 §4 allows', () => {
    const rdata = rdataFromMessage(msg, 13, 22, RRType.MX);
    assert.equal(toHex(rdata), '000a' + toHex(nameToWire(parseName('mail.Example.COM.'))));
    assert.equal(rdataToString(RRType.MX, rdata), '10 mail.Example.COM.');
  });

  it('copies other types verbatim', () => {
    const rdata = rdataFromMessage(msg, 13, 22, RRType.TLSA);
    assert.equal(toHex(rdata), '000a046d61696cc000');
    msg[13] = 0x77;
    assert.equal(rdata[0], 0x00, 'a copy, not a view');
    msg[13] = 0x00;
  });

  it('rejects a name running past the rdata length', () => {
    assert.throws(() => rdataFromMessage(msg, 13, 20, RRType.MX), isFormatError(/MX rdata field 2: .*past the end/));
  });

  it('rejects bytes left over after the layout', () => {
    assert.throws(() => rdataFromMessage(msg, 13, 23, RRType.MX), isFormatError(/1 unexpected bytes after MX rdata/));
  });
});

describe('canonicalRdata (RFC 4034 §6.2 as amended by RFC 6840 §5.1)', () => {
  const wire = (type: number, text: string) => rdataFromString(type, text);
  const canonicalText = (type: number, text: string) => rdataToString(type, canonicalRdata(type, wire(type, text)));

  it('lowercases names in MX, SRV, NS, CNAME, DNAME, PTR, SOA', () => {
    assert.equal(canonicalText(RRType.MX, '10 MAIL.Example.'), '10 mail.example.');
    assert.equal(canonicalText(RRType.SRV, '5 0 5269 XMPP.Example.COM.'), '5 0 5269 xmpp.example.com.');
    assert.equal(canonicalText(RRType.NS, 'NS1.EXAMPLE.'), 'ns1.example.');
    assert.equal(canonicalText(RRType.CNAME, 'A.B.'), 'a.b.');
    assert.equal(canonicalText(RRType.DNAME, 'Example.NET.'), 'example.net.');
    assert.equal(canonicalText(RRType.PTR, 'Host.'), 'host.');
    assert.equal(canonicalText(RRType.SOA, 'NS1.X. Host.X. 1 2 3 4 5'), 'ns1.x. host.x. 1 2 3 4 5');
  });

  it('lowercases the RRSIG signer name', () => {
    const text = 'A 13 3 3600 20300101000000 20240101000000 7517 EXAMPLE.com. AAAA';
    assert.equal(canonicalText(RRType.RRSIG, text), text.replace('EXAMPLE', 'example'));
  });

  it('does NOT lowercase the NSEC next domain name', () => {
    const text = 'Host.EXAMPLE.com. A RRSIG NSEC';
    assert.equal(canonicalText(RRType.NSEC, text), text);
  });

  it('leaves non-name octets alone, including ASCII in TXT/CAA/TLSA', () => {
    for (const [type, text] of [
      [RRType.TXT, '"ABC"'],
      [RRType.CAA, '0 issue "LetsEncrypt.ORG"'],
      [RRType.TLSA, '3 1 1 ABCDEF'],
      [RRType.MX, '65 \\200\\196X.'], // 0xC4 is not folded; 'X' is
    ] as const) {
      const expected = type === RRType.MX ? '65 \\200\\196x.' : rdataToString(type, wire(type, text));
      assert.equal(canonicalText(type, text), expected);
    }
  });

  it('handles the less common listed types: NAPTR, KX, RP, AFSDB, A6', () => {
    const naptr = concat(hex('0064 000a'), hex('0155'), hex('07') , ascii('E2U+sip'), hex('00'), nameToWire(parseName('SIP.Example.')));
    assert.equal(toHex(canonicalRdata(RRType.NAPTR, naptr)), toHex(concat(naptr.subarray(0, 15), nameToWire(parseName('sip.example.')))));
    const kx = concat(hex('000a'), nameToWire(parseName('KX.Example.')));
    assert.equal(toHex(canonicalRdata(RRType.KX, kx)), toHex(concat(hex('000a'), nameToWire(parseName('kx.example.')))));
    const rp = concat(nameToWire(parseName('Mbox.X.')), nameToWire(parseName('TXT.X.')));
    assert.equal(toHex(canonicalRdata(RRType.RP, rp)), toHex(concat(nameToWire(parseName('mbox.x.')), nameToWire(parseName('txt.x.')))));
    // A6 with prefix length 64: 8 suffix octets, then the prefix name.
    const a6 = concat(hex('40'), hex('0000000000000001'), nameToWire(parseName('Prefix.NET.')));
    assert.equal(toHex(canonicalRdata(RRType.A6, a6)), toHex(concat(a6.subarray(0, 9), nameToWire(parseName('prefix.net.')))));
    // A6 with prefix length 0: 16 octets, no name.
    const a6full = concat(hex('00'), new Uint8Array(16).fill(0x41));
    assert.deepEqual(canonicalRdata(RRType.A6, a6full), a6full);
    assert.throws(() => canonicalRdata(RRType.A6, hex('81')), isFormatError(/above 128/));
  });

  it('rejects malformed rdata and compression pointers', () => {
    assert.throws(() => canonicalRdata(RRType.MX, hex('000a')), isFormatError(/MX rdata field 2/));
    assert.throws(() => canonicalRdata(RRType.MX, hex('000a c000')), isFormatError(/compression pointer/));
  });

  it('returns a copy for types without names', () => {
    const rdata = hex('0a000001');
    const out = canonicalRdata(RRType.A, rdata);
    assert.deepEqual(out, rdata);
    assert.notEqual(out, rdata);
  });
});

describe('base32hex (RFC 4648 §10 test vectors, unpadded lowercase)', () => {
  const vectors: [string, string][] = [
    ['', ''],
    ['f', 'co'],
    ['fo', 'cpng'],
    ['foo', 'cpnmu'],
    ['foob', 'cpnmuog'],
    ['fooba', 'cpnmuoj1'],
    ['foobar', 'cpnmuoj1e8'],
  ];
  it('encodes and decodes', () => {
    for (const [plain, encoded] of vectors) {
      assert.equal(base32hexEncode(ascii(plain)), encoded);
      assert.deepEqual(base32hexDecode(encoded.toUpperCase()), ascii(plain));
    }
  });
  it('rejects impossible lengths, bad characters and non-zero padding bits', () => {
    assert.equal(base32hexDecode('c'), undefined);
    assert.equal(base32hexDecode('cpw'), undefined);
    assert.equal(base32hexDecode('cp'), undefined); // low bits of 'p' would be lost
  });
});
