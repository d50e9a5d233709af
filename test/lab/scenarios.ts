// The lab's scenarios: each is one domain under `test.` in a known state, with the verdict a
// correct checker must reach about it. Tests ask for a scenario by name and get the domain,
// its addresses, its keys and that expected verdict.

export type ScenarioName =
  | 'good'
  | 'ejabberd'
  | 'unsigned'
  | 'bogus'
  | 'expired'
  | 'stale'
  | 'mitm-c2s'
  | 'mitm-all'
  | 'notlsa'
  | 'srv-unsigned'
  | 'setup'
  | 'rollover'
  | 's2s-optional'
  | 's2s-bidi'
  | 'ejabberd-s2s-optional'
  | 'prosody-noplus'
  | 'ejabberd-noplus'
  | 'stolen-key'
  | 'plus-stripped'
  | 'watch'
  | 'watch-restart'
  | 'watch-channels'
  | 'web';

/** How a validating resolver judges a set of records. */
export type DnssecState = 'secure' | 'insecure' | 'bogus';

/**
 * What a correct checker concludes about the domain as a whole.
 *  - ok:                  DNSSEC secure, every endpoint presents a key its TLSA records name;
 *  - no-dnssec:           the zone is unsigned, so its TLSA records cannot be trusted;
 *  - dnssec-bogus:        validation fails: a resolver returns SERVFAIL, clients cannot connect;
 *  - no-tlsa:             DNSSEC secure, but no TLSA records: the keys cannot be judged;
 *  - tlsa-mismatch:       every endpoint presents the same key and no TLSA record names it:
 *                         most likely a renewal without a TLSA update (keys alone cannot tell
 *                         this apart from a MITM on every path);
 *  - mitm-suspected:      some endpoints of a host present a key no TLSA names while others
 *                         present the published key: the pattern of an interception;
 *  - dane-not-applicable: the SRV records are secure but their target lies in an unsigned zone,
 *                         so DANE does not apply (RFC 7673 §3) and TLSA there must be ignored;
 *  - no-channel-binding: keys and DANE are fine, but SCRAM is offered without any -PLUS mechanism;
 *  - channel-binding-failed: every endpoint presents the published key (an interceptor holds the
 *                         server's own key), but a canary login with channel binding fails: only
 *                         `keywatch check --canary` can see it;
 *  - plus-stripped:       an interceptor removes -PLUS from the SASL offer on some paths: the
 *                         mechanism lists differ, and the server refuses the canary's "y" flag;
 *  - s2s-tls-optional:    keys and DANE are fine, but port 5269 offers STARTTLS without requiring it.
 */
export type Verdict = 'ok' | 'no-dnssec' | 'dnssec-bogus' | 'no-tlsa' | 'tlsa-mismatch' | 'mitm-suspected' | 'dane-not-applicable' | 's2s-tls-optional' | 'no-channel-binding' | 'channel-binding-failed' | 'plus-stripped';

/**
 * How a scenario's host treats server-to-server streams (default: STARTTLS required, no bidi).
 * Set per virtual host: Prosody reads `s2s_require_encryption` per host for the STARTTLS feature it
 * advertises (mod_tls) and loads mod_s2s_bidi per host; ejabberd reads `s2s_use_starttls` per host
 * through `host_config`.
 */
export interface S2sPlan {
  starttls: 'required' | 'optional';
  /** XEP-0288 bidirectional streams (Prosody's mod_s2s_bidi on this host). */
  bidi?: boolean;
}

/** SASL settings of a scenario's host (test/integration/sasl-lab.test.ts). */
export interface SaslPlan {
  /**
   * false: no SCRAM-*-PLUS (Prosody: disable_sasl_mechanisms in the VirtualHost; ejabberd:
   * disable_sasl_mechanisms under host_config).
   */
  plus: boolean;
}

/** The interceptor of a scenario with `mitm` other than none. */
export interface InterceptorPlan {
  /**
   * `stolen`: the server's own key and certificate (so key comparisons see nothing), held by a
   * careful attacker: default TLS suites, and upstream the TLS version the client negotiated.
   */
  key: 'own' | 'stolen';
  /** Remove SCRAM-*-PLUS mechanisms and the XEP-0440 list from the stream features after TLS. */
  stripPlus?: boolean;
  /** Intercept only these services; the other ports are relayed untouched (default: as `mitm` says). */
  only?: Array<'xmpp-client' | 'xmpps-client' | 'xmpp-server'>;
}

/** Which TLSA records a scenario publishes for its host's ports. */
export type TlsaPlan =
  | 'ee+ta' // 3 1 1 of the deployed key and 2 1 1 of the issuing CA
  | 'ee' // 3 1 1 of the deployed key only
  | 'old-ee' // 3 1 1 of a key that is no longer deployed
  | 'none';

export type MitmPlan = 'none' | 'c2s' | 'all';

export interface ScenarioSpec {
  name: ScenarioName;
  description: string;
  server: 'prosody' | 'ejabberd';
  zone: { signed: boolean; dsInParent: boolean; nsec3: boolean; breakage: 'none' | 'corrupt-tlsa-rrsig' | 'expired' };
  tlsa: TlsaPlan;
  mitm: MitmPlan;
  /** Put the SRV target (with its A and TLSA records) into the unsigned zone instead. */
  targetInUnsignedZone?: boolean;
  /** TTL of the TLSA records (default 300); short for the rollover test. */
  tlsaTtl?: number;
  /** Issue a second certificate with a new key: the key a rollover moves to (LabDomain.keys.next). */
  nextKey?: boolean;
  /** Tests rewrite this scenario's zone or certificates while they run: other tests must not judge it. */
  mutable?: boolean;
  /** Server-to-server settings of this host (default: STARTTLS required, no bidi). */
  s2s?: S2sPlan;
  /** SASL settings of this host (default: the server's own, which offer SCRAM-*-PLUS). */
  sasl?: SaslPlan;
  /** What the interceptor of `mitm` holds and does (default: a key of its own from the same CA). */
  interceptor?: InterceptorPlan;
  expect: { srv: DnssecState; tlsa: DnssecState | 'absent'; verdict: Verdict; why: string };
}

const signed = { signed: true, dsInParent: true, nsec3: true, breakage: 'none' } as const;

/**
 * A Prosody domain whose tests change it while they run (`mutable`): TLSA 3 1 1 of the served key
 * with a 2-second TTL and a next key issued, so a test can roll over or swap in an unpublished key
 * (a MITM) and back within seconds. Each test file gets its own, so none judges another's changes.
 */
function keySwitching(name: ScenarioName, description: string, why = 'the published key is served until the test swaps it'): ScenarioSpec {
  return { name, description, server: 'prosody', zone: signed, tlsa: 'ee', tlsaTtl: 2, nextKey: true, mitm: 'none', mutable: true, expect: { srv: 'secure', tlsa: 'secure', verdict: 'ok', why } };
}

export const SCENARIOS: readonly ScenarioSpec[] = [
  {
    name: 'good',
    description: 'DNSSEC-signed, TLSA 3 1 1 and 2 1 1 on every port, served by Prosody',
    server: 'prosody',
    zone: signed,
    tlsa: 'ee+ta',
    mitm: 'none',
    expect: { srv: 'secure', tlsa: 'secure', verdict: 'ok', why: 'every endpoint presents the published key' },
  },
  {
    name: 'ejabberd',
    description: 'DNSSEC-signed (NSEC), TLSA 3 1 1 and 2 1 1 on every port, served by ejabberd',
    server: 'ejabberd',
    zone: { ...signed, nsec3: false },
    tlsa: 'ee+ta',
    mitm: 'none',
    expect: { srv: 'secure', tlsa: 'secure', verdict: 'ok', why: 'every endpoint presents the published key' },
  },
  {
    name: 'unsigned',
    description: 'zone not signed (no DS in test.), TLSA records published anyway',
    server: 'prosody',
    zone: { signed: false, dsInParent: false, nsec3: false, breakage: 'none' },
    tlsa: 'ee+ta',
    mitm: 'none',
    expect: { srv: 'insecure', tlsa: 'insecure', verdict: 'no-dnssec', why: 'TLSA records in an unsigned zone prove nothing' },
  },
  {
    name: 'bogus',
    description: 'signed, but the signatures over the TLSA records are corrupted',
    server: 'prosody',
    zone: { ...signed, breakage: 'corrupt-tlsa-rrsig' },
    tlsa: 'ee+ta',
    mitm: 'none',
    expect: { srv: 'secure', tlsa: 'bogus', verdict: 'dnssec-bogus', why: 'the RRSIG over each TLSA RRset does not verify' },
  },
  {
    name: 'expired',
    description: 'signed, but every signature expired 30 days ago',
    server: 'prosody',
    zone: { ...signed, breakage: 'expired' },
    tlsa: 'ee+ta',
    mitm: 'none',
    expect: { srv: 'bogus', tlsa: 'bogus', verdict: 'dnssec-bogus', why: 'every RRSIG in the zone is past its expiration' },
  },
  {
    name: 'stale',
    description: 'the server moved to a new key; TLSA still names the old one',
    server: 'prosody',
    zone: signed,
    tlsa: 'old-ee',
    mitm: 'none',
    expect: {
      srv: 'secure',
      tlsa: 'secure',
      verdict: 'tlsa-mismatch',
      why: 'every endpoint presents the same new key and no TLSA names it: a renewal without a TLSA update',
    },
  },
  {
    name: 'mitm-c2s',
    description: 'an interceptor with a valid certificate (same CA, own key) on the client ports only',
    server: 'prosody',
    zone: signed,
    tlsa: 'ee',
    mitm: 'c2s',
    expect: {
      srv: 'secure',
      tlsa: 'secure',
      verdict: 'mitm-suspected',
      why: 'the client ports present a key no TLSA names while port 5269 of the same host presents the published key',
    },
  },
  {
    name: 'mitm-all',
    description: 'an interceptor with a valid certificate (same CA, own key) on every port',
    server: 'prosody',
    zone: signed,
    tlsa: 'ee',
    mitm: 'all',
    expect: {
      srv: 'secure',
      tlsa: 'secure',
      verdict: 'tlsa-mismatch',
      why: 'every endpoint presents one key that no TLSA names; keys alone cannot tell this from a renewal',
    },
  },
  {
    name: 'notlsa',
    description: 'DNSSEC-signed, no TLSA records at all',
    server: 'prosody',
    zone: signed,
    tlsa: 'none',
    mitm: 'none',
    expect: { srv: 'secure', tlsa: 'absent', verdict: 'no-tlsa', why: 'nothing to compare the presented keys with' },
  },
  {
    name: 'srv-unsigned',
    description: 'signed zone whose SRV records point at a host in the unsigned zone',
    server: 'prosody',
    zone: signed,
    tlsa: 'ee+ta',
    mitm: 'none',
    targetInUnsignedZone: true,
    expect: {
      srv: 'secure',
      tlsa: 'insecure',
      verdict: 'dane-not-applicable',
      why: 'the SRV target lies in an unsigned zone, so its TLSA records cannot be used',
    },
  },
  // The two below are changed by test/integration/setup-lab.test.ts while it runs (`mutable`).
  {
    name: 'setup',
    description: 'DNSSEC-signed, no TLSA yet: the setup test publishes what keywatch records prints, then checks again',
    server: 'prosody',
    zone: signed,
    tlsa: 'none',
    mitm: 'none',
    mutable: true,
    expect: { srv: 'secure', tlsa: 'absent', verdict: 'no-tlsa', why: 'no TLSA records until the test publishes them' },
  },
  keySwitching('rollover', 'DNSSEC-signed, TLSA 3 1 1 with a 2-second TTL and a next key ready: the rollover test walks the DANE rollover', 'the published key is served until the test rolls it over'),
  // Server-to-server settings (test/integration/s2s-lab.test.ts).
  {
    name: 's2s-optional',
    description: 'like good, but Prosody offers STARTTLS on port 5269 without requiring it (s2s_require_encryption = false for this host)',
    server: 'prosody',
    zone: signed,
    tlsa: 'ee+ta',
    mitm: 'none',
    s2s: { starttls: 'optional' },
    expect: { srv: 'secure', tlsa: 'secure', verdict: 's2s-tls-optional', why: 'port 5269 advertises <starttls/> without <required/>' },
  },
  {
    name: 's2s-bidi',
    description: 'like good, with XEP-0288 bidirectional server-to-server streams (mod_s2s_bidi on this host)',
    server: 'prosody',
    zone: signed,
    tlsa: 'ee+ta',
    mitm: 'none',
    s2s: { starttls: 'required', bidi: true },
    expect: { srv: 'secure', tlsa: 'secure', verdict: 'ok', why: 'bidi is a feature, not a weakness; everything else is as in good' },
  },
  {
    name: 'ejabberd-s2s-optional',
    description: 'like ejabberd, but port 5269 offers STARTTLS without requiring it (host_config s2s_use_starttls: optional)',
    server: 'ejabberd',
    zone: { ...signed, nsec3: false },
    tlsa: 'ee+ta',
    mitm: 'none',
    s2s: { starttls: 'optional' },
    expect: { srv: 'secure', tlsa: 'secure', verdict: 's2s-tls-optional', why: 'port 5269 advertises <starttls/> without <required/>' },
  },
  // SASL channel binding (test/integration/sasl-lab.test.ts).
  {
    name: 'prosody-noplus',
    description: 'like good, but Prosody offers no SCRAM-*-PLUS (disable_sasl_mechanisms in this VirtualHost)',
    server: 'prosody',
    zone: signed,
    tlsa: 'ee+ta',
    mitm: 'none',
    sasl: { plus: false },
    expect: { srv: 'secure', tlsa: 'secure', verdict: 'no-channel-binding', why: 'SCRAM without -PLUS under TLS 1.3 and TLS 1.2: no client can bind' },
  },
  {
    name: 'ejabberd-noplus',
    description: 'like ejabberd, but no SCRAM-*-PLUS (disable_sasl_mechanisms under host_config)',
    server: 'ejabberd',
    zone: { ...signed, nsec3: false },
    tlsa: 'ee+ta',
    mitm: 'none',
    sasl: { plus: false },
    expect: { srv: 'secure', tlsa: 'secure', verdict: 'no-channel-binding', why: 'SCRAM without -PLUS under TLS 1.3 and TLS 1.2: no client can bind' },
  },
  {
    name: 'stolen-key',
    description: "an interceptor holding the server's own key and certificate on the client ports, relaying the stream with the client's TLS version upstream",
    server: 'prosody',
    zone: signed,
    tlsa: 'ee',
    mitm: 'c2s',
    interceptor: { key: 'stolen' },
    expect: {
      srv: 'secure',
      tlsa: 'secure',
      verdict: 'channel-binding-failed',
      why: "every endpoint presents the published key; the canary's tls-unique binding (TLS 1.2) fails while its password works",
    },
  },
  {
    name: 'plus-stripped',
    description: "an interceptor with the server's own key on port 5222 only, removing SCRAM-*-PLUS and XEP-0440 from the stream features after TLS",
    server: 'prosody',
    zone: signed,
    tlsa: 'ee',
    mitm: 'c2s',
    interceptor: { key: 'stolen', stripPlus: true, only: ['xmpp-client'] },
    expect: {
      srv: 'secure',
      tlsa: 'secure',
      verdict: 'plus-stripped',
      why: 'under TLS 1.2 port 5222 offers no -PLUS while 5223 does, and the server refuses the canary\'s "y" flag on 5222',
    },
  },
  // Changed by the watch service's tests (test/integration/watch-*.test.ts) while they run: a MITM
  // simulated by serving the next key before its TLSA record exists, and a rollover by the procedure.
  keySwitching('watch', 'like rollover (TLSA 3 1 1 with a 2-second TTL, a next key ready), for the watch service tests to switch keys under', 'the published key is served until a test swaps it'),
  keySwitching('watch-restart', 'like watch, for the restart test (test/integration/watch-restart.test.ts), so it never shares a domain with the alert tests'),
  keySwitching('web', 'like watch, for the web pages\' browser test (test/integration/web-browser.test.ts) to switch to a MITM and back'),
  keySwitching('watch-channels', 'like watch, for the channel test (test/integration/watch-channels.test.ts): alerts through `keywatch serve` to a webhook, a chat user and a PubSub subscriber'),
];

export function scenario(name: ScenarioName): ScenarioSpec {
  const s = SCENARIOS.find((x) => x.name === name);
  if (!s) throw new Error(`no lab scenario named ${name}`);
  return s;
}

/**
 * Mail scenarios: a domain whose MX host runs a real SMTP server (test/lab/smtp-servers.ts) on
 * port 25 with STARTTLS, serving an RSA and an ECDSA certificate at once. They live apart from
 * the XMPP scenarios because what a checker must judge differs: an MX host shows each client
 * only one of its keys, chosen from the client's signature algorithms, so a probe that sees
 * one key has not seen them all.
 */
export type MailScenarioName = 'mail' | 'mail-partial';

/** The two certificates every lab MX host serves. */
export type MailKey = 'rsa' | 'ec';

/**
 *  - ok:              DNSSEC secure, and every key the host may present has a TLSA record;
 *  - key-unpublished: DNSSEC secure, but a key the host serves has none: DANE clients that
 *                     negotiate that key fail (RFC 7671 §5: the TLSA set must match every
 *                     certificate chain a server may present), while probes that get the
 *                     other key see nothing wrong.
 */
export type MailVerdict = 'ok' | 'key-unpublished';

export interface MailScenarioSpec {
  name: MailScenarioName;
  description: string;
  /** Always signed and delegated with a DS; only the denial flavour varies. */
  zone: { nsec3: boolean };
  /** TLSA records at `_25._tcp.<mx host>`: DANE-EE `3 1 1` of these keys, and `2 1 1` of the issuing CA when `ta`. */
  tlsa: { ee: MailKey[]; ta: boolean };
  expect: {
    mx: DnssecState;
    tlsa: DnssecState;
    verdict: MailVerdict;
    /** Keys the host serves that no TLSA record names (none when the issuing CA's record covers them). */
    unpublished: MailKey[];
    why: string;
  };
}

export const MAIL_SCENARIOS: readonly MailScenarioSpec[] = [
  {
    name: 'mail',
    description: 'DNSSEC-signed MX; the host serves RSA and ECDSA certificates, TLSA 3 1 1 for both keys and 2 1 1 for the issuing CA',
    zone: { nsec3: true },
    tlsa: { ee: ['rsa', 'ec'], ta: true },
    expect: { mx: 'secure', tlsa: 'secure', verdict: 'ok', unpublished: [], why: 'every key the host serves is published' },
  },
  {
    name: 'mail-partial',
    description: 'DNSSEC-signed MX; the host serves RSA and ECDSA certificates, but TLSA 3 1 1 names only the ECDSA key',
    zone: { nsec3: true },
    tlsa: { ee: ['ec'], ta: false },
    expect: {
      mx: 'secure',
      tlsa: 'secure',
      verdict: 'key-unpublished',
      unpublished: ['rsa'],
      why: 'the RSA key is served but not published: clients that negotiate RSA fail DANE (RFC 7671 §5)',
    },
  },
];

export function mailScenario(name: MailScenarioName): MailScenarioSpec {
  const s = MAIL_SCENARIOS.find((x) => x.name === name);
  if (!s) throw new Error(`no lab mail scenario named ${name}`);
  return s;
}

/**
 * DNS-only zones for the validator: one per signing algorithm, and one with the answer shapes
 * that need more than a plain signature check (wildcards, CNAME, DNAME, NODATA, NXDOMAIN).
 * Each query names the verdict a correct validator reaches; `unbound` is what Debian's unbound
 * says where keywatch deliberately differs (SHA-1, being retired, counts as unsupported here).
 */
export interface DnsZoneSpec {
  /** Labels under test., e.g. `alg-ed25519`, or `child.optout` for a zone below another. */
  label: string;
  /** Unsigned zone (default signed). */
  unsigned?: boolean;
  /** How the parent publishes the DS: as computed, with a wrong digest, with an algorithm no validator knows, or not at all. */
  ds?: 'normal' | 'wrong-digest' | 'unknown-algorithm' | 'none';
  breakage?: 'not-yet-valid';
  optOut?: boolean;
  /** ldns-keygen algorithm name and its number. */
  algorithm: string;
  algorithmNumber: number;
  nsec3: boolean;
  /** Records with owners relative to the zone (`@` for the apex); `{net}` becomes the lab's second octet, `{zone}` the zone. */
  records: string[];
  queries: Array<{
    name: string;
    type: string;
    expect: DnssecState;
    rcode: 'NOERROR' | 'NXDOMAIN';
    /** unbound's verdict where keywatch deliberately differs. */
    unbound?: DnssecState;
    /** The problem code keywatch must report. */
    problem?: string;
    why: string;
  }>;
}

const algZone = (label: string, algorithm: string, algorithmNumber: number, nsec3: boolean, expect: DnssecState, unbound?: DnssecState): DnsZoneSpec => ({
  label,
  algorithm,
  algorithmNumber,
  nsec3,
  records: ['www 300 IN A 127.{net}.9.1'],
  queries: [
    { name: 'www', type: 'A', expect, rcode: 'NOERROR', ...(unbound ? { unbound, problem: 'ds.unsupported-only' } : {}), why: `an A record signed with ${algorithm}` },
    {
      name: 'nope',
      type: 'A',
      expect,
      rcode: 'NXDOMAIN',
      ...(unbound ? { unbound, problem: 'ds.unsupported-only' } : {}),
      why: `NXDOMAIN proven with ${nsec3 ? 'NSEC3' : 'NSEC'} under ${algorithm}`,
    },
  ],
});

export const DNS_ZONES: readonly DnsZoneSpec[] = [
  algZone('alg-rsasha256', 'RSASHA256', 8, true, 'secure'),
  algZone('alg-rsasha512', 'RSASHA512', 10, false, 'secure'),
  algZone('alg-ecdsap384', 'ECDSAP384SHA384', 14, true, 'secure'),
  algZone('alg-ed25519', 'ED25519', 15, false, 'secure'),
  algZone('alg-ed448', 'ED448', 16, true, 'secure'),
  algZone('alg-rsasha1', 'RSASHA1', 5, false, 'insecure', 'secure'),
  {
    label: 'future',
    algorithm: 'ECDSAP256SHA256',
    algorithmNumber: 13,
    nsec3: true,
    breakage: 'not-yet-valid',
    records: ['www 300 IN A 127.{net}.9.3'],
    queries: [{ name: 'www', type: 'A', expect: 'bogus', rcode: 'NOERROR', problem: 'rrsig.not-yet-valid', why: 'every signature becomes valid only in ten days' }],
  },
  {
    label: 'nods',
    algorithm: 'ECDSAP256SHA256',
    algorithmNumber: 13,
    nsec3: true,
    ds: 'none',
    records: ['www 300 IN A 127.{net}.9.4'],
    queries: [{ name: 'www', type: 'A', expect: 'insecure', rcode: 'NOERROR', why: 'signed, but test. publishes no DS for it (and proves it)' }],
  },
  {
    label: 'badds',
    algorithm: 'ECDSAP256SHA256',
    algorithmNumber: 13,
    nsec3: false,
    ds: 'wrong-digest',
    records: ['www 300 IN A 127.{net}.9.5'],
    queries: [{ name: 'www', type: 'A', expect: 'bogus', rcode: 'NOERROR', problem: 'ds.digest-mismatch', why: 'the DS at test. has a digest no DNSKEY matches' }],
  },
  {
    label: 'unknownalg',
    algorithm: 'ECDSAP256SHA256',
    algorithmNumber: 13,
    nsec3: true,
    ds: 'unknown-algorithm',
    records: ['www 300 IN A 127.{net}.9.6'],
    queries: [{ name: 'www', type: 'A', expect: 'insecure', rcode: 'NOERROR', problem: 'ds.unsupported-only', why: 'the only DS names algorithm 253, which no validator supports (RFC 4035 §5.2)' }],
  },
  {
    label: 'optout',
    algorithm: 'ECDSAP256SHA256',
    algorithmNumber: 13,
    nsec3: true,
    optOut: true,
    records: ['www 300 IN A 127.{net}.9.7', 'child 86400 IN NS ns.test.'],
    queries: [{ name: 'www', type: 'A', expect: 'secure', rcode: 'NOERROR', why: 'a signed record in an opt-out zone' }],
  },
  {
    label: 'child.optout',
    algorithm: 'ECDSAP256SHA256',
    algorithmNumber: 13,
    nsec3: false,
    unsigned: true,
    ds: 'none',
    records: ['www 300 IN A 127.{net}.9.8'],
    queries: [{ name: 'www', type: 'A', expect: 'insecure', rcode: 'NOERROR', why: 'an unsigned delegation covered by an opt-out NSEC3 span (RFC 5155 §6)' }],
  },
  {
    label: 'features',
    algorithm: 'ECDSAP256SHA256',
    algorithmNumber: 13,
    nsec3: true,
    records: [
      'www 300 IN A 127.{net}.9.2',
      '*.wild 300 IN TXT "synthesised from a wildcard"',
      'alias 300 IN CNAME www.{zone}.',
      'old 300 IN DNAME good.test.',
      'xmpp-alias 300 IN CNAME xmpp.good.test.',
      '_xmpp-server._tcp 300 IN SRV 0 0 0 .',
      '@ 300 IN MX 10 mx.{zone}.',
      'mx 300 IN A 127.{net}.9.9',
      '*._tcp 300 IN TLSA 3 1 1 0c72ac70b745ac19998811b131d662c9ac69dbdbe7cb23e5b514b56664c5d3d6',
    ],
    queries: [
      { name: 'anything.wild', type: 'TXT', expect: 'secure', rcode: 'NOERROR', why: 'a wildcard answer, with NSEC3 proof that the exact name does not exist' },
      { name: 'alias', type: 'A', expect: 'secure', rcode: 'NOERROR', why: 'a signed CNAME to a signed A' },
      { name: '_xmpp-client._tcp.old', type: 'SRV', expect: 'secure', rcode: 'NOERROR', why: 'a signed DNAME, the CNAME synthesised from it, and the SRV in good.test.' },
      { name: 'www', type: 'TXT', expect: 'secure', rcode: 'NOERROR', why: 'NODATA proven by the NSEC3 at www' },
      { name: 'xmpp-alias', type: 'A', expect: 'secure', rcode: 'NOERROR', why: 'a CNAME into another signed zone (good.test.)' },
      { name: '_5222._tcp', type: 'TLSA', expect: 'secure', rcode: 'NOERROR', why: 'a TLSA record synthesised from *._tcp (a wildcard TLSA)' },
    ],
  },
  // CAA (test/integration/caa-lab.test.ts): a pinned set at the apex that names below it inherit
  // by tree climbing (RFC 8659 §3), a name with its own unpinned set, aliases into and out of it.
  {
    label: 'caa',
    algorithm: 'ECDSAP256SHA256',
    algorithmNumber: 13,
    nsec3: true,
    records: [
      '@ 300 IN CAA 0 issue "ca.test; accounturi=https://acme.ca.test/acct/1; validationmethods=dns-01"',
      '@ 300 IN CAA 0 issuewild ";"',
      '@ 300 IN CAA 0 iodef "mailto:security@{zone}"',
      'xmpp 300 IN A 127.{net}.9.20',
      'host.sub 300 IN A 127.{net}.9.21',
      'own 300 IN CAA 0 issue "letsencrypt.org"',
      'alias 300 IN CNAME own.{zone}.',
      'alias-good 300 IN CNAME xmpp.good.test.',
    ],
    queries: [
      { name: 'xmpp', type: 'CAA', expect: 'secure', rcode: 'NOERROR', why: 'NODATA: no CAA at the name, so CAs climb to the apex' },
      { name: 'own', type: 'CAA', expect: 'secure', rcode: 'NOERROR', why: 'a name with its own CAA set' },
      { name: 'alias', type: 'CAA', expect: 'secure', rcode: 'NOERROR', why: 'a signed CNAME to a signed CAA set' },
      { name: 'alias-good', type: 'CAA', expect: 'secure', rcode: 'NOERROR', why: 'a CNAME into good.test., which has no CAA there' },
    ],
  },
  {
    label: 'caa-unsigned',
    algorithm: 'ECDSAP256SHA256',
    algorithmNumber: 13,
    nsec3: false,
    unsigned: true,
    records: ['@ 300 IN CAA 0 issue "letsencrypt.org"', 'www 300 IN A 127.{net}.9.23'],
    queries: [{ name: 'www', type: 'CAA', expect: 'insecure', rcode: 'NOERROR', why: 'no CAA at www of an unsigned zone: the climb goes on, unprotected' }],
  },
  // Proof of control (test/integration/watch-proof.test.ts): the tests publish the challenge TXT
  // record into these zones (test/lab/mutate.ts); only the signed one can prove control.
  {
    label: 'proof',
    algorithm: 'ECDSAP256SHA256',
    algorithmNumber: 13,
    nsec3: true,
    records: ['@ 300 IN A 127.{net}.9.30', 'www 300 IN A 127.{net}.9.30'],
    queries: [{ name: 'www', type: 'A', expect: 'secure', rcode: 'NOERROR', why: 'an A record in the signed zone used for proofs of control' }],
  },
  {
    label: 'proof-unsigned',
    algorithm: 'ECDSAP256SHA256',
    algorithmNumber: 13,
    nsec3: false,
    unsigned: true,
    records: ['@ 300 IN A 127.{net}.9.31', 'www 300 IN A 127.{net}.9.31'],
    queries: [{ name: 'www', type: 'A', expect: 'insecure', rcode: 'NOERROR', why: 'an unsigned zone: a challenge published here proves nothing' }],
  },
];
