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
  | 'srv-unsigned';

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
 *                         so DANE does not apply (RFC 7673 §3) and TLSA there must be ignored.
 */
export type Verdict = 'ok' | 'no-dnssec' | 'dnssec-bogus' | 'no-tlsa' | 'tlsa-mismatch' | 'mitm-suspected' | 'dane-not-applicable';

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
  expect: { srv: DnssecState; tlsa: DnssecState | 'absent'; verdict: Verdict; why: string };
}

const signed = { signed: true, dsInParent: true, nsec3: true, breakage: 'none' } as const;

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
];

export function scenario(name: ScenarioName): ScenarioSpec {
  const s = SCENARIOS.find((x) => x.name === name);
  if (!s) throw new Error(`no lab scenario named ${name}`);
  return s;
}
