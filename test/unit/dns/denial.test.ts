// Denial of existence against the example zones of RFC 4035 (NSEC, Appendix A/B) and RFC 5155
// (NSEC3, Appendix A/B), each vector mutated to fail with the right code, plus edge cases:
// canonical order, wrap-around, empty non-terminals, ancestor delegations, RFC 9276 limits.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nameToString, nameToWire, parseName, type DnsName } from '../../../src/dns/name.ts';
import { RRType, typeFromString } from '../../../src/dns/types.ts';
import { base32hexDecode, base32hexEncode, nsec3Hash } from '../../../src/dns/dnssec/digest.ts';
import {
  closestEncloser,
  nsec3Covers,
  nsec3Matches,
  nsecCovers,
  proveNoData,
  proveNoDs,
  proveNxdomain,
  proveWildcardExpansion,
  type DenialCode,
  type DenialKind,
  type DenialResult,
  type Nsec3RR,
  type NsecRR,
} from '../../../src/dns/dnssec/denial.ts';

const n = parseName;
const EXAMPLE = n('example.');

function types(words: string[]): Set<number> {
  return new Set(
    words.map((w) => {
      const t = typeFromString(w);
      assert.ok(t !== undefined, `unknown type ${w}`);
      return t;
    }),
  );
}

/** "owner NSEC next TYPE…" */
function nsec(line: string): NsecRR {
  const [owner, kw, next, ...rest] = line.trim().split(/\s+/);
  assert.equal(kw, 'NSEC');
  return { owner: n(owner!), next: n(next!), types: types(rest) };
}

/** "owner NSEC3 alg flags iterations salt next TYPE…" (zone-file order, RFC 5155 §3.3). */
function nsec3(line: string, change: Partial<Nsec3RR> = {}): Nsec3RR {
  const [owner, kw, alg, flags, iterations, salt, next, ...rest] = line.trim().split(/\s+/);
  assert.equal(kw, 'NSEC3');
  const nextHashed = base32hexDecode(next!);
  assert.ok(nextHashed);
  return {
    owner: n(owner!),
    hashAlgorithm: Number(alg),
    optOut: (Number(flags) & 1) === 1,
    iterations: Number(iterations),
    salt: salt === '-' ? new Uint8Array(0) : Uint8Array.from(Buffer.from(salt!, 'hex')),
    nextHashed,
    types: types(rest),
    ...change,
  };
}

function noOptOut(records: Nsec3RR[]): Nsec3RR[] {
  return records.map((r) => ({ ...r, optOut: false }));
}

function explain(r: DenialResult): string {
  return r.status === 'secure' ? r.summary : `${r.code}: ${r.reason}`;
}

function assertSecure(r: DenialResult, kind: DenialKind): asserts r is Extract<DenialResult, { status: 'secure' }> {
  assert.equal(r.status, 'secure', explain(r));
  assert.equal(r.proven, true);
  if (r.status === 'secure') assert.equal(r.kind, kind);
}

function assertFails(r: DenialResult, code: DenialCode, status: 'bogus' | 'insecure' = 'bogus'): void {
  assert.equal(r.status, status, explain(r));
  assert.equal(r.proven, false);
  // assert.equal narrowed `r` to the insecure and bogus shapes.
  assert.equal(r.code, code, r.reason);
  assert.ok(r.reason.length > 20, 'a reason for people');
}

const names = (list: DnsName[] | undefined) => (list ?? []).map(nameToString);

// ---------------------------------------------------------------------------------------------
// RFC 4035 Appendix A: the NSEC chain of example.

const Z4035 = {
  apex: nsec('example. NSEC a.example. NS SOA MX RRSIG NSEC DNSKEY'),
  a: nsec('a.example. NSEC ai.example. NS DS RRSIG NSEC'),
  ai: nsec('ai.example. NSEC b.example. A HINFO AAAA RRSIG NSEC'),
  b: nsec('b.example. NSEC ns1.example. NS RRSIG NSEC'),
  ns1: nsec('ns1.example. NSEC ns2.example. A RRSIG NSEC'),
  ns2: nsec('ns2.example. NSEC *.w.example. A RRSIG NSEC'),
  wildW: nsec('*.w.example. NSEC x.w.example. MX RRSIG NSEC'),
  xw: nsec('x.w.example. NSEC x.y.w.example. MX RRSIG NSEC'),
  xyw: nsec('x.y.w.example. NSEC xx.example. MX RRSIG NSEC'),
  xx: nsec('xx.example. NSEC example. A HINFO AAAA RRSIG NSEC'),
};

describe('NSEC: RFC 4035 Appendix B', () => {
  it('B.2 name error ml.example.', () => {
    const r = proveNxdomain(n('ml.example.'), EXAMPLE, { nsec: [Z4035.b, Z4035.apex] });
    assertSecure(r, 'nxdomain');
    assert.equal(nameToString(r.evidence.closestEncloser!), 'example.');
    assert.equal(nameToString(r.evidence.wildcard!), '*.example.');
    assert.deepEqual(
      r.evidence.steps.map((s) => [s.role, nameToString(s.record.owner)]),
      [
        ['qname-cover', 'b.example.'],
        ['wildcard-cover', 'example.'],
      ],
    );
  });

  it('B.2 mutated: each missing or swapped record fails with its code', () => {
    assertFails(proveNxdomain(n('ml.example.'), EXAMPLE, { nsec: [Z4035.b] }), 'denial.wildcard-not-denied');
    assertFails(proveNxdomain(n('ml.example.'), EXAMPLE, { nsec: [Z4035.apex] }), 'denial.nsec-no-cover');
    // The wildcard proof swapped for a record that does not cover *.example.
    assertFails(proveNxdomain(n('ml.example.'), EXAMPLE, { nsec: [Z4035.b, Z4035.ns1] }), 'denial.wildcard-not-denied');
    // A wildcard that exists: the name should have been synthesised.
    const wild = nsec('*.example. NSEC a.example. TXT RRSIG NSEC');
    assertFails(proveNxdomain(n('ml.example.'), EXAMPLE, { nsec: [Z4035.b, wild] }), 'denial.wildcard-not-denied');
    // The name exists.
    assertFails(proveNxdomain(n('ns1.example.'), EXAMPLE, { nsec: [Z4035.ns1, Z4035.apex] }), 'denial.name-exists');
    assertFails(proveNxdomain(n('ml.example.'), EXAMPLE, {}), 'denial.no-records');
  });

  it('B.3 no data ns1.example. MX', () => {
    const r = proveNoData(n('ns1.example.'), RRType.MX, EXAMPLE, { nsec: [Z4035.ns1] });
    assertSecure(r, 'nodata');
    assert.equal(r.evidence.steps[0]!.role, 'qname-match');
    assertFails(proveNoData(n('ns1.example.'), RRType.A, EXAMPLE, { nsec: [Z4035.ns1] }), 'denial.type-present');
    const withCname = nsec('ns1.example. NSEC ns2.example. CNAME RRSIG NSEC');
    assertFails(proveNoData(n('ns1.example.'), RRType.MX, EXAMPLE, { nsec: [withCname] }), 'denial.type-present');
    assertFails(proveNoData(n('ns1.example.'), RRType.MX, EXAMPLE, { nsec: [Z4035.apex] }), 'denial.nsec-no-cover');
  });

  it('B.4 referral to a signed zone: a.example. has DS, no insecure delegation', () => {
    assertFails(proveNoDs(n('a.example.'), EXAMPLE, { nsec: [Z4035.a] }), 'denial.type-present');
  });

  it('B.5 referral to an unsigned zone b.example.: NS without DS', () => {
    const r = proveNoDs(n('b.example.'), EXAMPLE, { nsec: [Z4035.b] });
    assertSecure(r, 'no-ds');
    assertSecure(proveNoData(n('b.example.'), RRType.DS, EXAMPLE, { nsec: [Z4035.b] }), 'nodata');
    assertFails(proveNoDs(n('b.example.'), EXAMPLE, { nsec: [nsec('b.example. NSEC ns1.example. NS DS RRSIG NSEC')] }), 'denial.type-present');
    assertFails(proveNoDs(n('b.example.'), EXAMPLE, { nsec: [nsec('b.example. NSEC ns1.example. A RRSIG NSEC')] }), 'denial.not-delegation');
    // The child's apex NSEC (SOA present) is from the wrong side of the cut.
    assertFails(proveNoDs(n('b.example.'), EXAMPLE, { nsec: [nsec('b.example. NSEC ns1.example. NS SOA RRSIG NSEC')] }), 'denial.child-apex');
    // A name that does not exist, or an empty non-terminal, is no delegation.
    assertFails(proveNoDs(n('ml.example.'), EXAMPLE, { nsec: [Z4035.b] }), 'denial.not-delegation');
    assertFails(proveNoDs(n('w.example.'), EXAMPLE, { nsec: [Z4035.ns2] }), 'denial.not-delegation');
    assertFails(proveNoDs(n('b.example.'), EXAMPLE, { nsec: [Z4035.apex] }), 'denial.nsec-no-cover');
  });

  it('B.6 wildcard expansion a.z.w.example. (RRSIG labels 2)', () => {
    const r = proveWildcardExpansion(n('a.z.w.example.'), 2, EXAMPLE, { nsec: [Z4035.xyw] });
    assertSecure(r, 'wildcard-expansion');
    assert.equal(nameToString(r.evidence.closestEncloser!), 'w.example.');
    assertSecure(proveWildcardExpansion(n('a.z.w.example.'), n('*.w.example.'), EXAMPLE, { nsec: [Z4035.xyw] }), 'wildcard-expansion');
    assertFails(proveWildcardExpansion(n('a.z.w.example.'), 2, EXAMPLE, { nsec: [Z4035.xw] }), 'denial.nsec-no-cover');
    // Claiming the answer came from *.example.: the NSEC shows w.example. exists, a closer match.
    assertFails(proveWildcardExpansion(n('a.z.w.example.'), 1, EXAMPLE, { nsec: [Z4035.xyw] }), 'denial.wildcard-mismatch');
    assertFails(proveWildcardExpansion(n('a.z.w.example.'), 4, EXAMPLE, { nsec: [Z4035.xyw] }), 'denial.wildcard-bad-source');
    assertFails(proveWildcardExpansion(n('a.z.w.example.'), n('z.w.example.'), EXAMPLE, { nsec: [Z4035.xyw] }), 'denial.wildcard-bad-source');
    // The name exists (its own NSEC, or as an empty non-terminal): no wildcard applies.
    assertFails(proveWildcardExpansion(n('x.w.example.'), 2, EXAMPLE, { nsec: [Z4035.xw] }), 'denial.name-exists');
    assertFails(proveWildcardExpansion(n('y.w.example.'), 2, EXAMPLE, { nsec: [Z4035.xw] }), 'denial.name-exists');
  });

  it('B.7 wildcard no data a.z.w.example. AAAA', () => {
    const r = proveNoData(n('a.z.w.example.'), RRType.AAAA, EXAMPLE, { nsec: [Z4035.xyw, Z4035.wildW] });
    assertSecure(r, 'wildcard-nodata');
    assert.equal(nameToString(r.evidence.wildcard!), '*.w.example.');
    assertFails(proveNoData(n('a.z.w.example.'), RRType.MX, EXAMPLE, { nsec: [Z4035.xyw, Z4035.wildW] }), 'denial.type-present');
    const wildAaaa = nsec('*.w.example. NSEC x.w.example. MX AAAA RRSIG NSEC');
    assertFails(proveNoData(n('a.z.w.example.'), RRType.AAAA, EXAMPLE, { nsec: [Z4035.xyw, wildAaaa] }), 'denial.type-present');
    assertFails(proveNoData(n('a.z.w.example.'), RRType.AAAA, EXAMPLE, { nsec: [Z4035.xyw] }), 'denial.no-match');
    assertFails(proveNoData(n('a.z.w.example.'), RRType.AAAA, EXAMPLE, { nsec: [Z4035.wildW] }), 'denial.nsec-no-cover');
  });

  it('B.8 DS child zone no data: proves NODATA, with a warning, and no insecure delegation', () => {
    const r = proveNoData(EXAMPLE, RRType.DS, EXAMPLE, { nsec: [Z4035.apex] });
    assertSecure(r, 'nodata');
    assert.deepEqual(
      r.warnings.map((w) => w.code),
      ['denial.ds-child-apex'],
    );
    assertFails(proveNoDs(EXAMPLE, n('.'), { nsec: [Z4035.apex] }), 'denial.child-apex');
  });
});

describe('NSEC: edge cases', () => {
  it('empty non-terminals exist: NODATA, never NXDOMAIN', () => {
    assertSecure(proveNoData(n('w.example.'), RRType.A, EXAMPLE, { nsec: [Z4035.ns2] }), 'empty-non-terminal');
    assertSecure(proveNoData(n('y.w.example.'), RRType.MX, EXAMPLE, { nsec: [Z4035.xw] }), 'empty-non-terminal');
    assertFails(proveNxdomain(n('w.example.'), EXAMPLE, { nsec: [Z4035.ns2, Z4035.apex] }), 'denial.name-exists');
    assertFails(proveNxdomain(n('y.w.example.'), EXAMPLE, { nsec: [Z4035.xw, Z4035.apex] }), 'denial.name-exists');
  });

  it('the last NSEC wraps around to the apex', () => {
    assert.ok(nsecCovers(Z4035.xx, n('zz.example.'), EXAMPLE));
    assert.ok(nsecCovers(Z4035.xx, n('a.xx.example.'), EXAMPLE));
    assert.ok(!nsecCovers(Z4035.xx, n('xx.example.'), EXAMPLE));
    assert.ok(!nsecCovers(Z4035.xx, EXAMPLE, EXAMPLE));
    assert.ok(!nsecCovers(Z4035.xx, n('a.example.'), EXAMPLE));
    assert.ok(!nsecCovers(Z4035.xx, n('zz.other.'), EXAMPLE), 'never outside the zone');
    // next ≤ owner but not the apex: no valid chain link, covers nothing.
    assert.ok(!nsecCovers(nsec('xx.example. NSEC b.example. A'), n('zz.example.'), EXAMPLE));
    // A zone with a single NSEC spans every other name.
    assert.ok(nsecCovers(nsec('example. NSEC example. SOA NS'), n('anything.example.'), EXAMPLE));
    const r = proveNxdomain(n('zz.example.'), EXAMPLE, { nsec: [Z4035.xx, Z4035.apex] });
    assertSecure(r, 'nxdomain');
    assert.deepEqual(
      r.evidence.steps.map((s) => nameToString(s.record.owner)),
      ['xx.example.', 'example.'],
    );
    // One wrap-around NSEC denying both the name and the wildcard.
    assertSecure(proveNxdomain(n('a.xx.example.'), EXAMPLE, { nsec: [Z4035.xx] }), 'nxdomain');
  });

  it('canonical order of RFC 4034 §6.1, uppercase and escaped octets', () => {
    const order = ['example.', 'a.example.', 'yljkjljk.a.example.', 'Z.a.example.', 'zABC.a.EXAMPLE.', 'z.example.', '\\001.z.example.', '*.z.example.', '\\200.z.example.'];
    for (let i = 0; i + 1 < order.length; i += 1) {
      const link: NsecRR = { owner: n(order[i]!), next: n(order[i + 1]!), types: types(['RRSIG', 'NSEC']) };
      assert.ok(!nsecCovers(link, n(order[i]!), EXAMPLE));
      assert.ok(!nsecCovers(link, n(order[i + 1]!), EXAMPLE));
      for (const other of order) if (other !== order[i] && other !== order[i + 1]) assert.ok(!nsecCovers(link, n(other), EXAMPLE), `${order[i]} → ${order[i + 1]} must not cover ${other}`);
    }
    const zToZabc = nsec('Z.a.example. NSEC zABC.a.EXAMPLE. A');
    assert.ok(nsecCovers(zToZabc, n('za.A.Example.'), EXAMPLE), 'case-insensitive, byte-wise within the label');
    assert.ok(nsecCovers(zToZabc, n('a.z.a.example.'), EXAMPLE), 'a child of the owner follows it');
    const lowToStar = nsec('\\001.z.example. NSEC *.z.example. A');
    assert.ok(nsecCovers(lowToStar, n('\\002.z.example.'), EXAMPLE));
    const starToHigh = nsec('*.z.example. NSEC \\200.z.example. A');
    assert.ok(nsecCovers(starToHigh, n('Ab.z.example.'), EXAMPLE), 'uppercase sorts as lowercase (0x61 > 0x2a)');
    assert.ok(!nsecCovers(starToHigh, n('\\255.z.example.'), EXAMPLE));
    // The same NODATA proof whatever the case of the query.
    assertSecure(proveNoData(n('NS1.Example.'), RRType.MX, EXAMPLE, { nsec: [Z4035.ns1] }), 'nodata');
  });

  it('an ancestor delegation cannot deny anything below the cut (RFC 6840 §4.1)', () => {
    assertFails(proveNxdomain(n('mc.b.example.'), EXAMPLE, { nsec: [Z4035.b, Z4035.apex] }), 'denial.ancestor-delegation');
    assertFails(proveNoData(n('mc.b.example.'), RRType.A, EXAMPLE, { nsec: [Z4035.b] }), 'denial.ancestor-delegation');
    assertFails(proveNoData(n('b.example.'), RRType.A, EXAMPLE, { nsec: [Z4035.b] }), 'denial.ancestor-delegation');
    assertFails(proveWildcardExpansion(n('x.b.example.'), 1, EXAMPLE, { nsec: [Z4035.b] }), 'denial.ancestor-delegation');
    assertFails(proveNoDs(n('x.b.example.'), EXAMPLE, { nsec: [Z4035.b] }), 'denial.ancestor-delegation');
    const dname = nsec('d.example. NSEC e.example. DNAME RRSIG NSEC');
    assertFails(proveNxdomain(n('x.d.example.'), EXAMPLE, { nsec: [dname, Z4035.apex] }), 'denial.ancestor-delegation');
    // The apex has NS and SOA: it is no cut.
    assertSecure(proveNxdomain(n('aa.example.'), EXAMPLE, { nsec: [Z4035.a, Z4035.apex] }), 'nxdomain');
  });

  it('wrong zone, out of zone and empty input', () => {
    const foreign = nsec('ml.other. NSEC zz.other. A');
    assertFails(proveNxdomain(n('ml.example.'), EXAMPLE, { nsec: [foreign] }), 'denial.wrong-zone');
    const mixed = proveNxdomain(n('ml.example.'), EXAMPLE, { nsec: [foreign, Z4035.b, Z4035.apex] });
    assertSecure(mixed, 'nxdomain');
    assert.ok(mixed.warnings.some((w) => w.code === 'denial.ignored-record'));
    assertFails(proveNxdomain(n('ml.other.'), EXAMPLE, { nsec: [Z4035.b] }), 'denial.out-of-zone');
    assertFails(proveNoDs(EXAMPLE, EXAMPLE, { nsec: [Z4035.apex] }), 'denial.out-of-zone');
    assertFails(proveNoData(n('ml.example.'), RRType.A, EXAMPLE, { nsec: [], nsec3: [] }), 'denial.no-records');
  });

  it('closestEncloser locates the encloser and next closer name', () => {
    const ce = closestEncloser(n('a.z.w.example.'), EXAMPLE, { nsec: [Z4035.xyw] });
    assert.deepEqual(ce && [ce.method, nameToString(ce.closestEncloser), nameToString(ce.nextCloser)], ['nsec', 'w.example.', 'z.w.example.']);
    assert.equal(closestEncloser(n('ns1.example.'), EXAMPLE, { nsec: [Z4035.ns1] }), undefined);
  });
});

// ---------------------------------------------------------------------------------------------
// RFC 5155 Appendix A: NSEC3 records of example. (SHA-1, flags 1 = Opt-Out, 12 iterations, salt aabbccdd).

const Z5155 = {
  apex: nsec3('0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.example. NSEC3 1 1 12 aabbccdd 2t7b4g4vsa5smi47k61mv5bv1a22bojr NS SOA MX RRSIG DNSKEY NSEC3PARAM'),
  ns1: nsec3('2t7b4g4vsa5smi47k61mv5bv1a22bojr.example. NSEC3 1 1 12 aabbccdd 2vptu5timamqttgl4luu9kg21e0aor3s A RRSIG'),
  xyw: nsec3('2vptu5timamqttgl4luu9kg21e0aor3s.example. NSEC3 1 1 12 aabbccdd 35mthgpgcu1qg68fab165klnsnk3dpvl MX RRSIG'),
  a: nsec3('35mthgpgcu1qg68fab165klnsnk3dpvl.example. NSEC3 1 1 12 aabbccdd b4um86eghhds6nea196smvmlo4ors995 NS DS RRSIG'),
  xw: nsec3('b4um86eghhds6nea196smvmlo4ors995.example. NSEC3 1 1 12 aabbccdd gjeqe526plbf1g8mklp59enfd789njgi MX RRSIG'),
  ai: nsec3('gjeqe526plbf1g8mklp59enfd789njgi.example. NSEC3 1 1 12 aabbccdd ji6neoaepv8b5o6k4ev33abha8ht9fgc A HINFO AAAA RRSIG'),
  yw: nsec3('ji6neoaepv8b5o6k4ev33abha8ht9fgc.example. NSEC3 1 1 12 aabbccdd k8udemvp1j2f7eg6jebps17vp3n8i58h'),
  w: nsec3('k8udemvp1j2f7eg6jebps17vp3n8i58h.example. NSEC3 1 1 12 aabbccdd kohar7mbb8dc2ce8a9qvl8hon4k53uhi'),
  ns2: nsec3('q04jkcevqvmu85r014c7dkba38o0ji5r.example. NSEC3 1 1 12 aabbccdd r53bq7cc2uvmubfu5ocmm6pers9tk9en A RRSIG'),
  wildW: nsec3('r53bq7cc2uvmubfu5ocmm6pers9tk9en.example. NSEC3 1 1 12 aabbccdd t644ebqk9bibcna874givr6joj62mlhv MX RRSIG'),
  xx: nsec3('t644ebqk9bibcna874givr6joj62mlhv.example. NSEC3 1 1 12 aabbccdd 0p9mhaveqvm6t7vbl5lop2u3t2rp3tom A HINFO AAAA RRSIG'),
};

const SALT = Uint8Array.from([0xaa, 0xbb, 0xcc, 0xdd]);
const hashOf = (name: string, iterations = 12, salt: Uint8Array = SALT) => base32hexEncode(nsec3Hash(nameToWire(n(name)), salt, iterations)!);

/** An NSEC3 at H(name) spanning to `next` (a name to hash, or a ready hash), for made-up chains. */
function made(name: string, next: string, typeWords: string[], params: { iterations?: number; salt?: Uint8Array; optOut?: boolean; zone?: string } = {}): Nsec3RR {
  const iterations = params.iterations ?? 12;
  const salt = params.salt ?? SALT;
  const zone = params.zone ?? 'example.';
  const nextHash = /^[0-9a-v]{32}$/.test(next) ? next : hashOf(next, iterations, salt);
  return {
    owner: n(`${hashOf(name, iterations, salt)}.${zone}`),
    hashAlgorithm: 1,
    optOut: params.optOut ?? false,
    iterations,
    salt,
    nextHashed: base32hexDecode(nextHash)!,
    types: types(typeWords),
  };
}

describe('NSEC3: RFC 5155 Appendix A hashes', () => {
  it('digest.ts hashes the example names to the owners of Appendix A', () => {
    const expected: Record<string, string> = {
      'example.': '0p9mhaveqvm6t7vbl5lop2u3t2rp3tom',
      'a.example.': '35mthgpgcu1qg68fab165klnsnk3dpvl',
      'ai.example.': 'gjeqe526plbf1g8mklp59enfd789njgi',
      'ns1.example.': '2t7b4g4vsa5smi47k61mv5bv1a22bojr',
      'ns2.example.': 'q04jkcevqvmu85r014c7dkba38o0ji5r',
      'w.example.': 'k8udemvp1j2f7eg6jebps17vp3n8i58h',
      '*.w.example.': 'r53bq7cc2uvmubfu5ocmm6pers9tk9en',
      'x.w.example.': 'b4um86eghhds6nea196smvmlo4ors995',
      'y.w.example.': 'ji6neoaepv8b5o6k4ev33abha8ht9fgc',
      'x.y.w.example.': '2vptu5timamqttgl4luu9kg21e0aor3s',
      'xx.example.': 't644ebqk9bibcna874givr6joj62mlhv',
    };
    for (const [name, hash] of Object.entries(expected)) assert.equal(hashOf(name), hash, name);
    assert.ok(nsec3Matches(Z5155.ns1, n('NS1.EXAMPLE.'), EXAMPLE), 'hashing lowercases the name');
  });
});

describe('NSEC3: RFC 5155 Appendix B', () => {
  const b1 = [Z5155.xw, Z5155.apex, Z5155.a];

  it('B.1 name error a.c.x.w.example.: closest encloser proof under Opt-Out is insecure', () => {
    const r = proveNxdomain(n('a.c.x.w.example.'), EXAMPLE, { nsec3: b1 });
    assertFails(r, 'denial.optout-insecure', 'insecure');
    assert.ok(r.status === 'insecure' && r.evidence && r.kind === 'nxdomain');
    if (r.status !== 'insecure' || !r.evidence) return;
    assert.equal(nameToString(r.evidence.closestEncloser!), 'x.w.example.');
    assert.equal(nameToString(r.evidence.nextCloser!), 'c.x.w.example.');
    assert.equal(nameToString(r.evidence.wildcard!), '*.x.w.example.');
    assert.deepEqual(
      r.evidence.steps.map((s) => [s.role, s.record.owner.labels[0] && String.fromCharCode(...s.record.owner.labels[0])]),
      [
        ['closest-encloser', 'b4um86eghhds6nea196smvmlo4ors995'],
        ['next-closer-cover', '0p9mhaveqvm6t7vbl5lop2u3t2rp3tom'],
        ['wildcard-cover', '35mthgpgcu1qg68fab165klnsnk3dpvl'],
      ],
    );
  });

  it('B.1 without Opt-Out proves the name error; mutations fail', () => {
    const records = noOptOut(b1);
    const r = proveNxdomain(n('a.c.x.w.example.'), EXAMPLE, { nsec3: records });
    assertSecure(r, 'nxdomain');
    assert.deepEqual(r.evidence.nsec3, { hashAlgorithm: 1, iterations: 12, salt: 'aabbccdd' });
    assert.deepEqual(r.warnings.map((w) => w.code).sort(), ['denial.nsec3-iterations-nonzero', 'denial.nsec3-salt']);
    const [xw, apex, a] = records as [Nsec3RR, Nsec3RR, Nsec3RR];
    // Without the record for x.w.example. the nearest matching ancestor is example., and w.example. is not covered.
    assertFails(proveNxdomain(n('a.c.x.w.example.'), EXAMPLE, { nsec3: [apex, a] }), 'denial.nsec3-no-cover');
    assertFails(proveNxdomain(n('a.c.x.w.example.'), EXAMPLE, { nsec3: [xw, a] }), 'denial.nsec3-no-cover');
    assertFails(proveNxdomain(n('a.c.x.w.example.'), EXAMPLE, { nsec3: [xw, apex] }), 'denial.wildcard-not-denied');
    // The wildcard proof swapped for a record that does not cover H(*.x.w.example.).
    assertFails(proveNxdomain(n('a.c.x.w.example.'), EXAMPLE, { nsec3: [xw, apex, { ...Z5155.xyw, optOut: false }] }), 'denial.wildcard-not-denied');
    // A wildcard that exists.
    const wild = made('*.x.w.example.', '35mthgpgcu1qg68fab165klnsnk3dpvl', ['MX', 'RRSIG']);
    assertFails(proveNxdomain(n('a.c.x.w.example.'), EXAMPLE, { nsec3: [xw, apex, wild] }), 'denial.wildcard-not-denied');
    // Nothing matches any ancestor.
    assertFails(proveNxdomain(n('a.c.x.w.example.'), EXAMPLE, { nsec3: [a] }), 'denial.nsec3-no-closest-encloser');
    // The name exists.
    assertFails(proveNxdomain(n('x.w.example.'), EXAMPLE, { nsec3: records }), 'denial.name-exists');
  });

  it('B.2 no data ns1.example. MX', () => {
    const r = proveNoData(n('ns1.example.'), RRType.MX, EXAMPLE, { nsec3: [Z5155.ns1] });
    assertSecure(r, 'nodata');
    assert.equal(r.evidence.steps[0]!.hash, '2t7b4g4vsa5smi47k61mv5bv1a22bojr');
    assertFails(proveNoData(n('ns1.example.'), RRType.A, EXAMPLE, { nsec3: [Z5155.ns1] }), 'denial.type-present');
    assertFails(proveNoData(n('ns1.example.'), RRType.MX, EXAMPLE, { nsec3: [{ ...Z5155.ns1, types: types(['A', 'MX', 'RRSIG']) }] }), 'denial.type-present');
    assertFails(proveNoData(n('ns1.example.'), RRType.MX, EXAMPLE, { nsec3: [{ ...Z5155.ns1, types: types(['CNAME', 'RRSIG']) }] }), 'denial.type-present');
    assertFails(proveNoData(n('ns1.example.'), RRType.MX, EXAMPLE, { nsec3: [Z5155.ai] }), 'denial.nsec3-no-closest-encloser');
  });

  it('B.2.1 no data at the empty non-terminal y.w.example.', () => {
    assertSecure(proveNoData(n('y.w.example.'), RRType.A, EXAMPLE, { nsec3: [Z5155.yw] }), 'empty-non-terminal');
    assertFails(proveNoData(n('y.w.example.'), RRType.A, EXAMPLE, { nsec3: [{ ...Z5155.yw, types: types(['A']) }] }), 'denial.type-present');
    assertFails(proveNxdomain(n('y.w.example.'), EXAMPLE, { nsec3: [Z5155.yw] }), 'denial.name-exists');
  });

  it('B.3 referral to the Opt-Out unsigned zone c.example.: insecure delegation', () => {
    const records = [Z5155.a, Z5155.apex];
    const r = proveNoDs(n('c.example.'), EXAMPLE, { nsec3: records });
    assertFails(r, 'denial.optout-insecure', 'insecure');
    assert.ok(r.status === 'insecure' && r.kind === 'no-ds');
    if (r.status === 'insecure') assert.deepEqual(names([r.evidence!.closestEncloser!, r.evidence!.nextCloser!]), ['example.', 'c.example.']);
    assertFails(proveNoData(n('c.example.'), RRType.DS, EXAMPLE, { nsec3: records }), 'denial.optout-insecure', 'insecure');
    // The same span without Opt-Out proves c.example. does not exist: no delegation.
    assertFails(proveNoDs(n('c.example.'), EXAMPLE, { nsec3: noOptOut(records) }), 'denial.not-delegation');
    assertFails(proveNoData(n('c.example.'), RRType.DS, EXAMPLE, { nsec3: noOptOut(records) }), 'denial.no-match');
    assertFails(proveNoDs(n('c.example.'), EXAMPLE, { nsec3: [Z5155.apex] }), 'denial.nsec3-no-cover');
  });

  it('B.4 wildcard expansion a.z.w.example.: next closer covered, Opt-Out makes it insecure', () => {
    const r = proveWildcardExpansion(n('a.z.w.example.'), 2, EXAMPLE, { nsec3: [Z5155.ns2] });
    assertFails(r, 'denial.optout-insecure', 'insecure');
    const secureOne = proveWildcardExpansion(n('a.z.w.example.'), n('*.w.example.'), EXAMPLE, { nsec3: noOptOut([Z5155.ns2]) });
    assertSecure(secureOne, 'wildcard-expansion');
    assert.equal(nameToString(secureOne.evidence.nextCloser!), 'z.w.example.');
    assertFails(proveWildcardExpansion(n('a.z.w.example.'), 2, EXAMPLE, { nsec3: noOptOut([Z5155.xw]) }), 'denial.nsec3-no-cover');
    // Claiming *.example.: the next closer w.example. exists.
    assertFails(proveWildcardExpansion(n('a.z.w.example.'), 1, EXAMPLE, { nsec3: noOptOut([Z5155.ns2, Z5155.w]) }), 'denial.name-exists');
  });

  it('B.5 wildcard no data a.z.w.example. AAAA', () => {
    const records = [Z5155.w, Z5155.ns2, Z5155.wildW];
    const r = proveNoData(n('a.z.w.example.'), RRType.AAAA, EXAMPLE, { nsec3: records });
    assertSecure(r, 'wildcard-nodata');
    assert.deepEqual(names([r.evidence.closestEncloser!, r.evidence.nextCloser!, r.evidence.wildcard!]), ['w.example.', 'z.w.example.', '*.w.example.']);
    assertFails(proveNoData(n('a.z.w.example.'), RRType.MX, EXAMPLE, { nsec3: records }), 'denial.type-present');
    assertFails(proveNoData(n('a.z.w.example.'), RRType.AAAA, EXAMPLE, { nsec3: [Z5155.w, Z5155.ns2, { ...Z5155.wildW, types: types(['MX', 'AAAA']) }] }), 'denial.type-present');
    // Without the wildcard record: under Opt-Out this is insecure, without it the name does not exist.
    assertFails(proveNoData(n('a.z.w.example.'), RRType.AAAA, EXAMPLE, { nsec3: [Z5155.w, Z5155.ns2] }), 'denial.optout-insecure', 'insecure');
    assertFails(proveNoData(n('a.z.w.example.'), RRType.AAAA, EXAMPLE, { nsec3: noOptOut([Z5155.w, Z5155.ns2]) }), 'denial.no-match');
    assertFails(proveNoData(n('a.z.w.example.'), RRType.AAAA, EXAMPLE, { nsec3: [Z5155.ns2, Z5155.wildW] }), 'denial.nsec3-no-closest-encloser');
    assertFails(proveNoData(n('a.z.w.example.'), RRType.AAAA, EXAMPLE, { nsec3: [Z5155.w, Z5155.wildW] }), 'denial.nsec3-no-cover');
  });

  it('B.6 DS child zone no data example. DS', () => {
    const r = proveNoData(EXAMPLE, RRType.DS, EXAMPLE, { nsec3: [Z5155.apex] });
    assertSecure(r, 'nodata');
    assert.ok(r.warnings.some((w) => w.code === 'denial.ds-child-apex'));
    assertFails(proveNoData(EXAMPLE, RRType.DS, EXAMPLE, { nsec3: [{ ...Z5155.apex, types: types(['NS', 'SOA', 'DS']) }] }), 'denial.type-present');
  });
});

describe('NSEC3: edge cases and guard rails', () => {
  it('the hash ring wraps around at its end', () => {
    // H(f.example.) = vh6oa7…, after the last owner t644eb…; H(xq.example.) = 04i601…, before the first.
    assert.ok(nsec3Covers(Z5155.xx, n('f.example.'), EXAMPLE));
    assert.ok(nsec3Covers(Z5155.xx, n('xq.example.'), EXAMPLE));
    assert.ok(!nsec3Covers(Z5155.xx, n('ns2.example.'), EXAMPLE));
    assert.ok(!nsec3Covers(Z5155.xx, n('xx.example.'), EXAMPLE), 'the owner itself is matched, not covered');
    assert.ok(!nsec3Covers(Z5155.xx, n('f.other.'), EXAMPLE));
    const r = proveNxdomain(n('f.example.'), EXAMPLE, { nsec3: noOptOut([Z5155.apex, Z5155.xx, Z5155.ai]) });
    assertSecure(r, 'nxdomain');
    assert.equal(r.evidence.steps[1]!.hash, hashOf('f.example.'));
    // A chain of one record spans every other hash.
    const only = made('example.', hashOf('example.'), ['NS', 'SOA']);
    assert.ok(nsec3Covers(only, n('anything.example.'), EXAMPLE));
    assert.ok(!nsec3Covers(only, EXAMPLE, EXAMPLE));
  });

  it('an ancestor delegation cannot deny anything below the cut (RFC 6840 §4.1)', () => {
    assertFails(proveNoData(n('a.example.'), RRType.A, EXAMPLE, { nsec3: [Z5155.a] }), 'denial.ancestor-delegation');
    const below = noOptOut([Z5155.a, made('zz.example.', 'zz.example.', [])]);
    assertFails(proveNxdomain(n('x.a.example.'), EXAMPLE, { nsec3: below }), 'denial.ancestor-delegation');
    assertFails(proveNoData(n('a.example.'), RRType.DS, EXAMPLE, { nsec3: [Z5155.a] }), 'denial.type-present');
  });

  it('insecure delegation with a matching NSEC3: NS, no DS, no SOA', () => {
    const c = made('c.example.', 'ns1.example.', ['NS']);
    assertSecure(proveNoDs(n('c.example.'), EXAMPLE, { nsec3: [c] }), 'no-ds');
    assertFails(proveNoDs(n('c.example.'), EXAMPLE, { nsec3: [{ ...c, types: types(['NS', 'SOA', 'RRSIG']) }] }), 'denial.child-apex');
    assertFails(proveNoDs(n('c.example.'), EXAMPLE, { nsec3: [{ ...c, types: types(['A']) }] }), 'denial.not-delegation');
  });

  it('iterations above 150 are insecure without hashing; the limit is configurable', () => {
    const at150 = [made('ns1.example.', 'ns2.example.', ['A'], { iterations: 150, salt: new Uint8Array(0) })];
    assertSecure(proveNoData(n('ns1.example.'), RRType.MX, EXAMPLE, { nsec3: at150 }), 'nodata');
    const at151 = [made('ns1.example.', 'ns2.example.', ['A'], { iterations: 151, salt: new Uint8Array(0) })];
    const r = proveNoData(n('ns1.example.'), RRType.MX, EXAMPLE, { nsec3: at151 });
    assertFails(r, 'denial.nsec3-iterations', 'insecure');
    assert.equal(r.status === 'insecure' ? r.evidence : 'x', undefined);
    assertFails(proveNxdomain(n('zz.example.'), EXAMPLE, { nsec3: at151 }), 'denial.nsec3-iterations', 'insecure');
    assertFails(proveNoData(n('ns1.example.'), RRType.MX, EXAMPLE, { nsec3: [Z5155.ns1] }, { maxIterations: 10 }), 'denial.nsec3-iterations', 'insecure');
    // RFC 9276 parameters give no warning.
    const zero = made('ns1.example.', 'ns2.example.', ['A'], { iterations: 0, salt: new Uint8Array(0) });
    assert.deepEqual(proveNoData(n('ns1.example.'), RRType.MX, EXAMPLE, { nsec3: [zero] }).warnings, []);
  });

  it('a proof never mixes NSEC3 parameter sets (RFC 5155 §8.2)', () => {
    const [xw, apex] = noOptOut([Z5155.xw, Z5155.apex]) as [Nsec3RR, Nsec3RR];
    // The wildcard cover with another salt: neither set alone proves the name error.
    const cover: Nsec3RR = { ...Z5155.a, optOut: false, salt: Uint8Array.from([1, 2]) };
    assertFails(proveNxdomain(n('a.c.x.w.example.'), EXAMPLE, { nsec3: [xw, apex, cover] }), 'denial.nsec3-mixed-params');
    // A complete proof in one set wins, with a warning about the other.
    const extra = made('zz.example.', 'zz.example.', ['A'], { iterations: 0, salt: new Uint8Array(0) });
    const r = proveNoData(n('ns1.example.'), RRType.MX, EXAMPLE, { nsec3: [extra, Z5155.ns1] });
    assertSecure(r, 'nodata');
    assert.ok(r.warnings.some((w) => w.code === 'denial.nsec3-mixed-params'));
    // Work is bounded: beyond four parameter sets nothing is hashed.
    const many = [1, 2, 3, 4].map((i) => made('zz.example.', 'zz.example.', ['A'], { iterations: i, salt: new Uint8Array(0) }));
    assertFails(proveNoData(n('ns1.example.'), RRType.MX, EXAMPLE, { nsec3: [...many, Z5155.ns1] }), 'denial.nsec3-mixed-params');
  });

  it('unknown hash algorithms, unknown flags and foreign owners are ignored', () => {
    assertFails(proveNoData(n('ns1.example.'), RRType.MX, EXAMPLE, { nsec3: [{ ...Z5155.ns1, hashAlgorithm: 2 }] }), 'denial.nsec3-unknown-algorithm');
    const r = proveNoData(n('ns1.example.'), RRType.MX, EXAMPLE, { nsec3: [{ ...Z5155.ns2, hashAlgorithm: 2 }, Z5155.ns1] });
    assertSecure(r, 'nodata');
    assert.ok(r.warnings.some((w) => w.code === 'denial.ignored-record'));
    assertFails(proveNoData(n('ns1.example.'), RRType.MX, EXAMPLE, { nsec3: [{ ...Z5155.ns1, flags: 0x81 }] }), 'denial.wrong-zone');
    assertSecure(proveNoData(n('ns1.example.'), RRType.MX, EXAMPLE, { nsec3: [{ ...Z5155.ns1, flags: 1 }] }), 'nodata');
    const foreign = { ...Z5155.ns1, owner: n('2t7b4g4vsa5smi47k61mv5bv1a22bojr.other.') };
    assertFails(proveNoData(n('ns1.example.'), RRType.MX, EXAMPLE, { nsec3: [foreign] }), 'denial.wrong-zone');
    const deep = { ...Z5155.ns1, owner: n('2t7b4g4vsa5smi47k61mv5bv1a22bojr.sub.example.') };
    assertFails(proveNoData(n('ns1.example.'), RRType.MX, EXAMPLE, { nsec3: [deep] }), 'denial.wrong-zone');
    const notBase32 = { ...Z5155.ns1, owner: n('zzzz.example.') };
    assertFails(proveNoData(n('ns1.example.'), RRType.MX, EXAMPLE, { nsec3: [notBase32] }), 'denial.wrong-zone');
    const shortNext = { ...Z5155.ns1, nextHashed: Z5155.ns1.nextHashed.subarray(0, 10) };
    assertFails(proveNoData(n('ns1.example.'), RRType.MX, EXAMPLE, { nsec3: [shortNext] }), 'denial.wrong-zone');
    const badIterations = { ...Z5155.ns1, iterations: -1 };
    assertFails(proveNoData(n('ns1.example.'), RRType.MX, EXAMPLE, { nsec3: [badIterations] }), 'denial.wrong-zone');
  });

  it('uppercase hashed owners and query names match', () => {
    const upper = { ...Z5155.ns1, owner: n('2T7B4G4VSA5SMI47K61MV5BV1A22BOJR.EXAMPLE.') };
    assertSecure(proveNoData(n('Ns1.Example.'), RRType.MX, EXAMPLE, { nsec3: [upper] }), 'nodata');
  });

  it('NSEC and NSEC3 in one response: the one that proves wins', () => {
    const r = proveNoData(n('ns1.example.'), RRType.MX, EXAMPLE, { nsec: [Z4035.apex], nsec3: [Z5155.ns1] });
    assertSecure(r, 'nodata');
    assert.equal(r.evidence.method, 'nsec3');
  });

  it('closestEncloser with NSEC3', () => {
    const ce = closestEncloser(n('a.c.x.w.example.'), EXAMPLE, { nsec3: [Z5155.xw, Z5155.apex, Z5155.a] });
    assert.deepEqual(ce && [ce.method, nameToString(ce.closestEncloser), nameToString(ce.nextCloser)], ['nsec3', 'x.w.example.', 'c.x.w.example.']);
    assert.equal(closestEncloser(n('ns1.example.'), EXAMPLE, { nsec3: [Z5155.ns1] }), undefined);
  });
});
