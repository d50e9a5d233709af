// Judging the keys a domain's endpoints present against its TLSA records — and telling an
// attack from a mistake (DESIGN.md):
//
//   - some endpoints of a host present the published key and others a key no TLSA names:
//     the pattern of an interception on some paths (jabber.ru: port 5222 only) → critical;
//   - every endpoint presents the same new key and no TLSA names it: most likely the certificate
//     was renewed with a new key and TLSA was not updated → error, with the records to publish
//     (keys alone cannot exclude an interceptor on every path; the finding says so);
//   - endpoints disagree among themselves and none matches: critical.
// Pure: the probe and the DANE matcher produce the inputs.

import { endpointLabel, type Finding } from './finding.ts';

export type TlsaState =
  | { kind: 'match'; by: string }
  | { kind: 'mismatch' }
  | { kind: 'no-usable-records' }
  /** DNSSEC-secure proof that there are no TLSA records. */
  | { kind: 'absent' }
  | { kind: 'bogus'; reason: string }
  | { kind: 'not-applicable'; reason: string }
  | { kind: 'lookup-failed'; reason: string };

export interface KeyObservation {
  host: string;
  port: number;
  address: string;
  /** Owner of the TLSA RRset for this endpoint. */
  tlsaName?: string;
  /** SPKI SHA-256 of the presented leaf, hex; undefined when the probe failed. */
  spkiSha256?: string;
  tlsa: TlsaState;
}

const label = endpointLabel;
/** What an admin runs on the server to see which key it is configured with (TLSA 3 1 1 data). */
const VERIFY_KEY = 'openssl x509 -in /path/to/cert.pem -noout -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha256';
const short = (hex: string) => `${hex.slice(0, 16)}…`;

/** The records that would make these keys match: one 3 1 1 per TLSA owner name. */
export function tlsaRecordsFor(observations: readonly KeyObservation[]): string {
  const lines = new Set<string>();
  for (const o of observations) if (o.tlsaName && o.spkiSha256) lines.add(`${o.tlsaName}. 3600 IN TLSA 3 1 1 ${o.spkiSha256}`);
  return [...lines].sort().join('\n');
}

export function judgeKeys(observations: readonly KeyObservation[]): Finding[] {
  const findings: Finding[] = [];
  const byHost = new Map<string, KeyObservation[]>();
  for (const o of observations) byHost.set(o.host, [...(byHost.get(o.host) ?? []), o]);

  for (const [host, obs] of byHost) {
    const probed = obs.filter((o) => o.spkiSha256);
    const matched = probed.filter((o) => o.tlsa.kind === 'match');
    const mismatched = probed.filter((o) => o.tlsa.kind === 'mismatch');
    const publishedKeys = new Set(matched.map((o) => o.spkiSha256));

    for (const o of obs.filter((x) => x.tlsa.kind === 'bogus')) {
      findings.push({
        code: 'dane.tlsa-bogus',
        severity: 'critical',
        title: `TLSA records for ${label(o)} fail DNSSEC validation`,
        detail: `${o.tlsaName} TLSA is bogus: ${(o.tlsa as { reason: string }).reason}. Validating clients cannot connect; an attacker may have forged them.`,
        endpoints: [label(o)],
        evidence: { tlsaName: o.tlsaName },
        remediation: `Run keywatch dns ${o.tlsaName} TLSA to see the failing link. Usually the zone was not re-signed after an edit, or its signatures expired: re-sign it (and check the signer's cron or policy). If the zone on the primary is correctly signed, a secondary or a path to it serves other data.`,
        rfc: 'RFC 6698 §4.1, RFC 7671 §4',
      });
    }

    if (mismatched.length && matched.length) {
      // Same host, some paths with the published key, some without: an interception pattern.
      for (const o of mismatched) {
        findings.push({
          code: 'dane.key-differs-on-path',
          severity: 'critical',
          title: `${label(o)} presents a key that no TLSA record names, while other endpoints of ${host} present the published key`,
          detail: `Presented key ${short(o.spkiSha256!)} matches none of the TLSA records at ${o.tlsaName}, but ${matched.map(label).join(', ')} present${matched.length === 1 ? 's' : ''} the published key ${short([...publishedKeys][0]!)}. One host with two keys, only one of them published, is the pattern of a machine in the middle on some paths (as in the 2023 jabber.ru interception). Check what terminates TLS on this port.`,
          endpoints: [label(o)],
          evidence: { presented: o.spkiSha256, published: [...publishedKeys], matchingEndpoints: matched.map(label) },
          remediation: `Do not publish this key to silence the alert. On the server, compute the SPKI SHA-256 of the certificate it is configured with (${VERIFY_KEY}); if it is ${short([...publishedKeys][0]!)}, something else answers on ${o.host}:${o.port}: check port forwarding, load balancers and the hosting provider's network, and warn your users.`,
          rfc: 'RFC 6698 §2.1, RFC 7671 §5.1',
        });
      }
    } else if (mismatched.length) {
      const keys = new Set(mismatched.map((o) => o.spkiSha256));
      if (keys.size === 1) {
        findings.push({
          code: 'dane.tlsa-stale',
          severity: 'error',
          title: `every endpoint of ${host} presents one key that no TLSA record names`,
          detail: `All ${mismatched.length} endpoints present ${short([...keys][0]!)}; the TLSA records name other keys. This is what a certificate renewal with a new key looks like when TLSA was not updated first, and DANE clients now refuse to connect. Keys alone cannot rule out an interceptor on every path: if nobody renewed this certificate, treat it as an attack.`,
          endpoints: mismatched.map(label),
          evidence: { presented: [...keys] },
          remediation: `If the new key is yours, publish (then keep the old record until every cache has the new one):\n${tlsaRecordsFor(mismatched)}`,
          rfc: 'RFC 7671 §8.1',
        });
      } else {
        findings.push({
          code: 'dane.tlsa-mismatch',
          severity: 'critical',
          title: `endpoints of ${host} present ${keys.size} different keys and none matches its TLSA records`,
          detail: `Presented keys: ${mismatched.map((o) => `${label(o)} ${short(o.spkiSha256!)}`).join('; ')}.`,
          endpoints: mismatched.map(label),
          evidence: { presented: Object.fromEntries(mismatched.map((o) => [label(o), o.spkiSha256])) },
          remediation: `Compute the key your server is configured with (${VERIFY_KEY}). Endpoints presenting any other key are not your server: find out what answers there before changing DNS.`,
          rfc: 'RFC 6698 §2.1',
        });
      }
    }

    const absent = probed.filter((o) => o.tlsa.kind === 'absent');
    if (absent.length) {
      findings.push({
        code: 'dane.tlsa-missing',
        severity: 'warning',
        title: `no TLSA records for ${host}, so a substituted key would go unnoticed`,
        detail: `DNSSEC proves there are no TLSA records at ${[...new Set(absent.map((o) => o.tlsaName))].join(', ')}.`,
        endpoints: absent.map(label),
        evidence: {},
        remediation: `Publish, for the keys presented now:\n${tlsaRecordsFor(absent)}`,
        rfc: 'RFC 6698, RFC 7673',
      });
    }

    // Without TLSA to judge by, disagreement between endpoints of one host is still evidence.
    const unjudged = probed.filter((o) => o.tlsa.kind !== 'match' && o.tlsa.kind !== 'mismatch');
    const unjudgedKeys = new Set(unjudged.map((o) => o.spkiSha256));
    if (unjudgedKeys.size > 1) {
      findings.push({
        code: 'tls.key-differs-between-endpoints',
        severity: 'warning',
        title: `endpoints of ${host} present ${unjudgedKeys.size} different keys`,
        detail: `With no usable TLSA records, keywatch cannot tell which key is the right one; one host serving different keys on different ports or addresses is worth explaining (several certificates by design, or a box in the middle on some paths).`,
        endpoints: unjudged.map(label),
        evidence: { presented: Object.fromEntries(unjudged.map((o) => [label(o), o.spkiSha256])) },
        remediation: `Compare with the key the server is configured with (${VERIFY_KEY}), then publish TLSA 3 1 1 records for the right keys so that clients and keywatch can tell.`,
      });
    }
  }
  return findings;
}
