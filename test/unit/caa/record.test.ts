// Reading one CAA record: the RFC 8659 §4.2 issue grammar (strict, as it decides issuance), the
// RFC 8657 parameters, iodef URLs, flags and tags, and presentation text in and out.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { caaRawFromText, caaRawFromWire, quoteCaaValue, readProperty, readPropertyText, type CaaProperty } from '../../../src/caa/record.ts';

const read = (text: string): CaaProperty => readPropertyText(text);
const codes = (p: CaaProperty) => p.notes.map((n) => n.code);

describe('issue / issuewild values: the RFC 8659 §4.2 grammar', () => {
  it('a bare issuer domain', () => {
    const p = read('0 issue "ca1.example.net"');
    assert.equal(p.kind, 'issue');
    assert.equal(p.issue!.issuer, 'ca1.example.net');
    assert.equal(p.issue!.wellFormed, true);
    assert.deepEqual(p.issue!.parameters, []);
    assert.deepEqual(p.notes, []);
  });

  it('";" and the empty value name no issuer, and are well-formed', () => {
    for (const v of ['";"', '""', '" ; "', '"\t;"']) {
      const p = read(`0 issue ${v}`);
      assert.equal(p.issue!.issuer, '', v);
      assert.equal(p.issue!.wellFormed, true, v);
      assert.deepEqual(p.notes, [], v);
    }
  });

  it('parameters after ";", with the whitespace the grammar allows around ";" and "="', () => {
    const p = read('0 issue " ca1.example.net ;  account = 230123 ;policy=ev "');
    assert.equal(p.issue!.wellFormed, true, p.issue!.syntaxErrors.join());
    assert.equal(p.issue!.issuer, 'ca1.example.net');
    assert.deepEqual(p.issue!.parameters, [
      { key: 'account', value: '230123' },
      { key: 'policy', value: 'ev' },
    ]);
  });

  it('parameters without an issuer, an empty parameter value, "=" inside a value', () => {
    const p = read('0 issue "; a=; b=x=y"');
    assert.equal(p.issue!.wellFormed, true);
    assert.equal(p.issue!.issuer, '');
    assert.deepEqual(p.issue!.parameters, [
      { key: 'a', value: '' },
      { key: 'b', value: 'x=y' },
    ]);
  });

  it('RFC 8659 §4.2 malformed.example.com "%%%%%" is malformed: counts as no issuer, no correction guessed', () => {
    const p = read('0 issue "%%%%%"');
    assert.equal(p.issue!.wellFormed, false);
    assert.deepEqual(codes(p), ['malformed']);
    assert.match(p.notes[0]!.message, /contains "%"/);
    assert.equal(p.issue!.corrected, undefined);
  });

  const malformed: Array<[string, RegExp, string | undefined]> = [
    ['letsencrypt.org; accounturi=https://a/1;', /";" after the last parameter/, 'letsencrypt.org; accounturi=https://a/1'],
    ['letsencrypt.org.', /ends in a dot/, 'letsencrypt.org'],
    ['ca1.example.net ca2.example.org', /at most one issuer/, undefined],
    ['ca1.example.net; account', /has no "=" and no value/, undefined],
    ['ca1.example.net; account=a b', /followed by a space/, undefined],
    ['ca1.example.net;; a=b', /empty parameter/, 'ca1.example.net; a=b'],
    ['-ca.example.net', /starts or ends with a hyphen/, undefined],
    ['ca_1.example.net', /contains "_"/, undefined],
    ['ca1..example.net', /empty label/, undefined],
    ['ca1.example.net; -x=1', /starts or ends with a hyphen/, undefined],
    ['ca1.example.net; _x=1', /cannot start with "_"/, undefined],
  ];
  for (const [value, why, corrected] of malformed) {
    it(`malformed: "${value}"`, () => {
      const p = read(`0 issue "${value}"`);
      assert.equal(p.issue!.wellFormed, false);
      assert.match(p.issue!.syntaxErrors.join(' '), why);
      assert.equal(p.issue!.corrected, corrected);
      assert.ok(codes(p).includes('malformed'));
    });
  }

  it('non-ASCII: a UTF-8 issuer (IDN not as an A-label) and a Latin-1 octet in a parameter', () => {
    const idn = read('0 issue "caf\\195\\169.example"');
    assert.equal(idn.issue!.wellFormed, false);
    assert.match(idn.issue!.syntaxErrors[0]!, /non-ASCII octet 0xc3.*xn-- A-label/);
    assert.equal(idn.value, 'caf\\195\\169.example');
    const param = read('0 issue "ca.example; note=\\233t\\233"');
    assert.equal(param.issue!.wellFormed, false);
    assert.match(param.issue!.syntaxErrors[0]!, /non-ASCII octet 0xe9/);
  });

  it('tag case does not matter (RFC 8659 §4.1); the property is still issue/issuewild', () => {
    assert.equal(read('0 ISSUE "ca.example"').kind, 'issue');
    assert.equal(read('0 IssueWild ";"').kind, 'issuewild');
    assert.equal(read('0 IODEF "mailto:a@example.org"').kind, 'iodef');
  });

  it('an upper-case issuer reads fine but is noted: Let\'s Encrypt compares it exactly', () => {
    const p = read('0 issue "LetsEncrypt.org"');
    assert.equal(p.issue!.wellFormed, true);
    assert.deepEqual(codes(p), ['not-lowercase']);
  });
});

describe('RFC 8657 parameters', () => {
  const LE = 'https://acme-v02.api.letsencrypt.org/acme/acct/1234';

  it('one accounturi, and a validationmethods list', () => {
    const p = read(`0 issue "letsencrypt.org; accounturi=${LE}; validationmethods=dns-01,tls-alpn-01"`);
    assert.equal(p.issue!.accountUri, LE);
    assert.deepEqual(p.issue!.validationMethods, ['dns-01', 'tls-alpn-01']);
    assert.equal(p.issue!.unsatisfiable, undefined);
    assert.deepEqual(p.notes, []);
  });

  it('two accounturi in one record: unsatisfiable (RFC 8657 §3)', () => {
    const p = read(`0 issue "example.net; accounturi=https://example.net/account/1234; accounturi=https://example.net/account/2345"`);
    assert.equal(p.issue!.wellFormed, true);
    assert.equal(p.issue!.accountUri, undefined);
    assert.match(p.issue!.unsatisfiable!, /2 accounturi parameters.*unsatisfiable/);
    assert.deepEqual(codes(p), ['accounturi-invalid']);
  });

  it('an accounturi that is not a URI, or empty: unsatisfiable', () => {
    assert.match(read('0 issue "example.net; accounturi=1234"').issue!.unsatisfiable!, /not a URI/);
    assert.match(read('0 issue "example.net; accounturi="').issue!.unsatisfiable!, /empty/);
  });

  it('an account at another CA (RFC 8657 §3 example: CA A domain, CA B account) is unsatisfiable', () => {
    const p = read(`0 issue "pki.goog; accounturi=${LE}"`);
    assert.match(p.issue!.unsatisfiable!, /belongs to letsencrypt\.org, but the record names pki\.goog/);
  });

  it('Let\'s Encrypt: the staging server, the directory URL, and http: do not identify a production account', () => {
    assert.match(read('0 issue "letsencrypt.org; accounturi=https://acme-staging-v02.api.letsencrypt.org/acme/acct/5"').issue!.unsatisfiable!, /staging/);
    assert.match(read('0 issue "letsencrypt.org; accounturi=https://acme-v02.api.letsencrypt.org/directory"').issue!.unsatisfiable!, /not an account URL.*acme\/acct\/123456789/);
    assert.match(read('0 issue "letsencrypt.org; accounturi=http://acme-v02.api.letsencrypt.org/acme/acct/5"').issue!.unsatisfiable!, /https:/);
    assert.equal(read('0 issue "letsencrypt.org; accounturi=https://acme-v01.api.letsencrypt.org/acme/reg/5"').issue!.unsatisfiable, undefined);
  });

  it('validationmethods: unknown labels are noted, ca- labels are CA-specific, case and syntax errors', () => {
    const unknown = read('0 issue "example.net; validationmethods=dns-01,xyz-01,ca-foo"');
    assert.deepEqual(unknown.issue!.validationMethods, ['dns-01', 'xyz-01', 'ca-foo']);
    assert.deepEqual(codes(unknown), ['validationmethods-unknown']);
    assert.match(unknown.notes[0]!.message, /"xyz-01"/);
    assert.doesNotMatch(unknown.notes[0]!.message, /ca-foo/);
    assert.deepEqual(codes(read('0 issue "example.net; validationmethods=DNS-01"')), ['not-lowercase']);
    for (const bad of ['dns-01,,http-01', 'dns-01,', 'dns_01']) assert.ok(read(`0 issue "example.net; validationmethods=${bad}"`).issue!.unsatisfiable, bad);
    assert.match(read('0 issue "example.net; validationmethods="').issue!.unsatisfiable!, /empty/);
    assert.match(read('0 issue "example.net; validationmethods=dns-01; validationmethods=http-01"').issue!.unsatisfiable!, /2 validationmethods/);
  });

  it('a parameter name in another case is noted: Let\'s Encrypt would not see the pin', () => {
    const p = read(`0 issue "letsencrypt.org; AccountURI=${LE}"`);
    assert.equal(p.issue!.accountUri, undefined);
    assert.deepEqual(codes(p), ['not-lowercase']);
  });
});

describe('iodef, flags, tags', () => {
  it('RFC 8659 §4.4: mailto: and https: URLs', () => {
    const mail = read('0 iodef "mailto:security@example.com"');
    assert.deepEqual([mail.iodef!.valid, mail.iodef!.scheme, mail.iodef!.target], [true, 'mailto', 'security@example.com']);
    const web = read('0 iodef "https://iodef.example.com/"');
    assert.deepEqual([web.iodef!.valid, web.iodef!.scheme, web.iodef!.target], [true, 'https', 'iodef.example.com']);
  });

  it('other schemes, mailto without an address, spaces: iodef-invalid', () => {
    for (const v of ['ftp://x.example', 'security@example.com', 'mailto:nobody', 'https://exa mple.com/', 'mailto:a%ZZ@x.example', 'https://', 'mailto:']) assert.deepEqual(codes(read(`0 iodef "${v}"`)), ['iodef-invalid'], v);
  });

  it('RFC 8659 §4.5: 128 tbs "Unknown" is critical and unknown', () => {
    const p = read('128 tbs "Unknown"');
    assert.equal(p.critical, true);
    assert.equal(p.kind, 'other');
    assert.deepEqual(codes(p), ['critical-unknown-tag']);
    assert.equal(p.notes[0]!.registered, false);
  });

  it('a critical registered-but-optional tag, flag 1 on an unknown tag, reserved bits on a known one', () => {
    assert.equal(read('128 contactemail "a@example.org"').notes[0]!.registered, true);
    assert.deepEqual(codes(read('1 tbs "x"')), ['reserved-flags', 'critical-unknown-tag']);
    assert.deepEqual(codes(read('1 issue "ca.example"')), ['reserved-flags']);
    assert.equal(read('129 issue "ca.example"').critical, true);
  });

  it('unknown non-critical tags are ignored; a misspelling of a defined tag is named', () => {
    assert.equal(read('0 isue "ca.example"').notes[0]!.didYouMean, 'issue');
    assert.equal(read('0 issuewlid ";"').notes[0]!.didYouMean, 'issuewild');
    assert.equal(read('0 iodf "mailto:a@b.example"').notes[0]!.didYouMean, 'iodef');
    assert.equal(read('0 somethingelse "x"').notes[0]!.didYouMean, undefined);
    assert.deepEqual(read('0 contactemail "a@example.org"').notes, []);
  });
});

describe('presentation text in and out', () => {
  it('quoted, unquoted and escaped values; the generic \\# form', () => {
    assert.deepEqual(caaRawFromText('0 issue ca.example'), { flags: 0, tag: 'issue', value: new TextEncoder().encode('ca.example') });
    assert.equal(new TextDecoder().decode(caaRawFromText('0 issue "a\\"b\\\\c\\059"').value), 'a"b\\c;');
    const wire = Uint8Array.from([0, 5, ...new TextEncoder().encode('issue'), ...new TextEncoder().encode(';')]);
    assert.deepEqual(caaRawFromText(`\\# ${wire.length} ${Buffer.from(wire).toString('hex')}`), caaRawFromWire(wire));
  });

  it('a tag the DNS library would not print (hyphen) still reads, as undecodable with the reason', () => {
    const wire = Uint8Array.from([0, 6, ...new TextEncoder().encode('is-sue'), 0x3b]);
    const p = readPropertyText(`\\# ${wire.length} ${Buffer.from(wire).toString('hex')}`);
    assert.equal(p.kind, 'undecodable');
    assert.match(p.notes[0]!.message, /letters and digits/);
  });

  it('garbage never throws: it becomes an undecodable record', () => {
    for (const t of ['', 'issue', '300 issue "x"', '0 issue "unterminated', '\\# 3 00', '\\# 2 0000']) {
      const p = readPropertyText(t);
      assert.equal(p.kind, 'undecodable', t);
      assert.deepEqual(codes(p), ['malformed'], t);
    }
  });

  it('quoteCaaValue escapes " and \\ and octets outside printable ASCII (RFC 1035 §5.1)', () => {
    assert.equal(quoteCaaValue('letsencrypt.org; accounturi=https://a/1'), '"letsencrypt.org; accounturi=https://a/1"');
    assert.equal(quoteCaaValue('a"b\\c'), '"a\\"b\\\\c"');
    assert.equal(quoteCaaValue('é\n'), '"\\195\\169\\010"');
    // and the text round-trips to the same octets
    assert.deepEqual(caaRawFromText(`0 issue ${quoteCaaValue('a"b\\c é')}`).value, new TextEncoder().encode('a"b\\c é'));
  });

  it('the record text is what a zone file would carry, also for octets outside ASCII', () => {
    const p = readProperty({ flags: 0, tag: 'issue', value: Uint8Array.from([0x63, 0x61, 0x22, 0xff]) });
    assert.equal(p.text, '0 issue "ca\\"\\255"');
    assert.equal(p.value, 'ca\\"\\255');
  });
});
