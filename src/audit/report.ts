// The Report of one check: what every face (CLI text, --json, the web page, alerts) renders.
// Its JSON form is documented in docs/REPORT.md; `schema` changes when a field changes meaning.
import type { Endpoint, ServiceKind } from './discover.ts';
import { worstSeverity, type Finding, type Severity } from './finding.ts';
import type { AddressVerdict } from './address-policy.ts';
import type { TlsaLookup } from './tlsa-lookup.ts';
import type { DaneVerdict } from '../dane/tlsa-match.ts';
import type { FeaturesAfterTls, ProbeStage, ProbeTimings, StarttlsLearned } from '../probe/probe.ts';
import type { LeafInfo } from '../probe/tls.ts';
import type { AnonymousResult } from '../probe/variants.ts';
import type { CanaryResult } from '../sasl/canary.ts';
import type { SaslObservation } from '../sasl/observe.ts';
import type { Security } from '../dns/dnssec/problems.ts';
import type { StreamIdRun } from './stream-ids.ts';

export const REPORT_SCHEMA = 'keywatch.check-report/1';

export type Status = 'ok' | 'warning' | 'critical' | 'unknown';

export interface TlsView {
  version: string;
  cipher: string;
  alpn: string | null;
  /** Certificates as the server sent them, leaf first, base64 DER. */
  chain: string[];
  leaf: LeafInfo;
  pkix: { valid: boolean; reason?: string; anchor?: string; anchors: string };
}

export interface ProbeView {
  ok: boolean;
  stage?: ProbeStage;
  error?: { kind: string; message: string };
  starttls?: StarttlsLearned;
  tls?: TlsView;
  features?: Omit<FeaturesAfterTls, 'raw'>;
  timings: ProbeTimings;
  /** The random SOCKS username used (each probe gets its own Tor circuit). */
  socksUsername?: string;
}

export interface KeyTypeView {
  family: string;
  outcome: 'served' | 'not-served' | 'unknown';
  spkiSha256?: string;
  keyType?: string;
  /** SPKI SHA-256 of the certificate sent right after this leaf (its issuer): the `2 1 1` data. */
  issuerSpkiSha256?: string;
  /** Whether this key matches the endpoint's TLSA records (when DANE applies). */
  dane?: DaneVerdict['verdict'];
  error?: string;
}

export interface EndpointReport extends Endpoint {
  /** `host:port (address)`: how findings name this endpoint. */
  label: string;
  addressPolicy: AddressVerdict;
  /** Not probed: the address is not public and --allow-private was not given. */
  refused?: string;
  probe?: ProbeView;
  /** The TLSA lookup at this endpoint's owner name (also where DANE does not apply). */
  tlsa?: TlsaView;
  /** TLSA matching of the presented chain, when DANE applies and records were found. */
  daneVerdict?: DaneVerdict;
  keyTypes?: KeyTypeView[];
  anonymous?: AnonymousResult;
  /** XMPP client endpoints: SASL offered per TLS version, binding-type probes, and the canary's logins. */
  sasl?: SaslView;
}

/** What keywatch learned about SASL at one XMPP client endpoint (src/sasl/observe.ts, canary.ts). */
export type SaslView = SaslObservation & { canary?: CanaryResult };

/** A TLSA lookup without the decoded records (their text is kept). */
export type TlsaView = { [K in TlsaLookup['state']]: Omit<Extract<TlsaLookup, { state: K }>, 'records'> }[TlsaLookup['state']];

export interface DnssecView {
  name: string;
  type: string;
  security: Security;
  rcode: string;
  insecureAt?: string;
  problems: Array<{ code: string; message: string; rfc: string }>;
}

/** One zone on the chain of trust, as the check's lookups met it (RFC 4033 §3): how its keys were authenticated. */
export interface ChainView {
  zone: string;
  security: Security;
  /** `trust-anchor`, `ds` (a DS at the parent matched), `no-ds` / `parent-insecure` (the chain ends here), `failed`. */
  via: string;
  /** The parent's DS records: key tag, algorithm, digest type and whether a DNSKEY matched. */
  ds: Array<{ keyTag: number; algorithm: number; digestType: number; status: string }>;
  /** The zone's DNSKEYs: tag, algorithm, role, and whether a DS (or the anchor) names it. */
  keys: Array<{ keyTag: number; algorithm: number; role: string; matchedByDs: boolean }>;
  problems: string[];
}

export interface Report {
  schema: typeof REPORT_SCHEMA;
  keywatch: string;
  domain: string;
  service: ServiceKind;
  startedAt: string;
  durationMs: number;
  status: Status;
  exitCode: 0 | 1 | 2 | 3;
  /** One line: the status and the worst finding. */
  summary: string;
  /** Severity counts. */
  counts: Record<Severity, number>;
  endpoints: EndpointReport[];
  /** Every finding, worst first. */
  findings: Finding[];
  dnssec: DnssecView[];
  /** The chain of trust: every zone the lookups passed through, root first. */
  chain?: ChainView[];
  /** XMPP: stream ids per host and role (c2s, s2s) with their predictability statistics. */
  streamIds?: StreamIdRun[];
  /** Why the check could not tell, when status is unknown. */
  unknownBecause?: string;
}

/**
 * Nagios semantics: a critical or error finding decides the status even when part of the check
 * could not run; otherwise, a check that probed nothing it was asked to is unknown (3).
 */
export function statusOf(findings: readonly Finding[], unknownBecause: string | undefined): { status: Status; exitCode: Report['exitCode'] } {
  const worst = worstSeverity(findings);
  if (worst === 'critical' || worst === 'error') return { status: 'critical', exitCode: 2 };
  if (unknownBecause) return { status: 'unknown', exitCode: 3 };
  if (worst === 'warning') return { status: 'warning', exitCode: 1 };
  return { status: 'ok', exitCode: 0 };
}

export function countBySeverity(findings: readonly Finding[]): Record<Severity, number> {
  const c: Record<Severity, number> = { critical: 0, error: 0, warning: 0, info: 0, ok: 0 };
  for (const f of findings) c[f.severity]++;
  return c;
}
