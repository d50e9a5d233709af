// Operational findings on one endpoint's TLSA RRset, from the records alone (no certificate):
// what will break at the next renewal or key change, what clients will ignore, and what makes
// the RRset needlessly large. Pure. RFC 7671 is the operational guide behind each rule.
import { formatTlsa, recordProblem, supersededByDigestAgility, Matching, Selector, Usage, type DaneService, type TlsaRecord } from './tlsa-match.ts';

export type TlsaLintCode =
  | 'tlsa.cert-pin-fragile'
  | 'tlsa.no-rollover-cover'
  | 'tlsa.pkix-usage-smtp'
  | 'tlsa.unknown-parameters'
  | 'tlsa.bad-data'
  | 'tlsa.full-matching-type'
  | 'tlsa.weaker-digest-ignored'
  | 'tlsa.sha512-only'
  | 'tlsa.unusable-only';

export interface TlsaLintFinding {
  code: TlsaLintCode;
  severity: 'error' | 'warning' | 'info';
  message: string;
  rfc: string;
  /** The records concerned, as presentation text. */
  records: string[];
}

export function lintTlsa(records: readonly TlsaRecord[], service: DaneService): TlsaLintFinding[] {
  if (records.length === 0) return []; // absence is the caller's finding, not an RRset's
  const out: TlsaLintFinding[] = [];
  const text = (rs: readonly TlsaRecord[]) => rs.map(formatTlsa);
  const problems = records.map((r) => recordProblem(r, service));
  const usableIdx = new Set(records.flatMap((_, i) => (problems[i] ? [] : [i])));
  const usable = records.filter((_, i) => usableIdx.has(i));
  const withCode = (code: string) => records.filter((_, i) => problems[i]?.code === code);

  const unknown = records.filter((_, i) => ['unknown-usage', 'unknown-selector', 'unknown-matching-type'].includes(problems[i]?.code ?? ''));
  if (unknown.length) {
    out.push({
      code: 'tlsa.unknown-parameters',
      severity: 'warning',
      message: 'These records use an undefined usage, selector or matching type; clients treat them as unusable and ignore them.',
      rfc: 'RFC 6698 §2.1, RFC 7671 §4',
      records: text(unknown),
    });
  }
  const bad = [...withCode('bad-digest-length'), ...withCode('bad-full-data')];
  if (bad.length) {
    out.push({
      code: 'tlsa.bad-data',
      severity: 'warning',
      message: 'The data of these records has the wrong length for its digest, or does not parse as a certificate/public key; no certificate can match them.',
      rfc: 'RFC 6698 §2.1.3',
      records: text(bad),
    });
  }
  const pkixSmtp = withCode('pkix-usage-smtp');
  if (pkixSmtp.length) {
    out.push({
      code: 'tlsa.pkix-usage-smtp',
      severity: 'warning',
      message: 'PKIX-TA(0) and PKIX-EE(1) records are unusable for SMTP: MTAs have no agreed set of trusted CAs. Publish DANE-EE(3) (3 1 1) or DANE-TA(2) (2 1 1) records instead.',
      rfc: 'RFC 7672 §3.1.3',
      records: text(pkixSmtp),
    });
  }
  if (usable.length === 0) {
    out.push({
      code: 'tlsa.unusable-only',
      severity: 'error',
      message: 'No record in this TLSA RRset is usable, so DANE authenticates nothing: clients treat the service as if it had no usable TLSA (SMTP MTAs fall back to unauthenticated TLS) and an interceptor\'s key goes unnoticed.',
      rfc: service === 'smtp' ? 'RFC 6698 §4.1, RFC 7672 §2.2' : 'RFC 6698 §4.1',
      records: text(records),
    });
    return out;
  }

  // RFC 7671 §5.1: Cert(0) pins the whole certificate, which changes at every renewal even when
  // the key stays; SPKI(1) survives renewals with the same key (3 1 1, 2 1 1 recommended).
  const certPins = usable.filter((r) => r.selector === Selector.CERT && (r.usage === Usage.DANE_EE || r.usage === Usage.DANE_TA));
  if (certPins.length) {
    out.push({
      code: 'tlsa.cert-pin-fragile',
      severity: 'warning',
      message: 'These records pin a whole certificate (selector 0). Every renewal changes it, even with the same key, and breaks DANE until DNS is updated; pin the public key instead (3 1 1 for the server, 2 1 1 for an issuing CA).',
      rfc: 'RFC 7671 §5.1, §5.2',
      records: text(certPins),
    });
  }

  // RFC 7671 §8.1: key rollover needs the next key's record published (two TTLs) before the
  // switch. One DANE-EE key and no DANE-TA record means any key change breaks DANE.
  const eeKeys = new Map<string, number>();
  for (const r of usable.filter((x) => x.usage === Usage.DANE_EE)) {
    const group = `${r.selector}/${r.matchingType}`;
    eeKeys.set(group, (eeKeys.get(group) ?? 0) + 1);
  }
  const hasTa = usable.some((r) => r.usage === Usage.DANE_TA);
  if (eeKeys.size > 0 && Math.max(...eeKeys.values()) === 1 && !hasTa) {
    out.push({
      code: 'tlsa.no-rollover-cover',
      severity: 'warning',
      message: 'Only one server key is published and no DANE-TA record covers its issuer, so any key change breaks DANE. Publish the next key\'s 3 1 1 record (or a 2 1 1 record for the issuing CA) at least two TTLs before switching.',
      rfc: 'RFC 7671 §8.1, §8.4',
      records: text(usable.filter((r) => r.usage === Usage.DANE_EE)),
    });
  }

  const full = usable.filter((r) => r.matchingType === Matching.FULL);
  if (full.length) {
    out.push({
      code: 'tlsa.full-matching-type',
      severity: 'info',
      message: 'Full(0) records carry the whole certificate or key, which makes large RRsets (TCP fallback, fragmentation); a SHA2-256 digest is enough unless the server omits its trust anchor (2 1 0).',
      rfc: 'RFC 7671 §10.1',
      records: text(full),
    });
  }

  const superseded = supersededByDigestAgility(records, new Set(records.flatMap((_, i) => (usableIdx.has(i) ? [] : [i]))));
  if (superseded.size) {
    out.push({
      code: 'tlsa.weaker-digest-ignored',
      severity: 'info',
      message: 'SHA2-512 records exist for the same usage and selector, so clients that support SHA2-512 ignore these SHA2-256 records; keys listed only here (e.g. a rollover key) will not match for them.',
      rfc: 'RFC 7671 §9',
      records: text(records.filter((_, i) => superseded.has(i))),
    });
  }

  const groups = new Map<string, TlsaRecord[]>();
  for (const r of usable) groups.set(`${r.usage}/${r.selector}`, [...(groups.get(`${r.usage}/${r.selector}`) ?? []), r]);
  const only512 = [...groups.values()].filter((g) => g.every((r) => r.matchingType === Matching.SHA2_512)).flat();
  if (only512.length) {
    out.push({
      code: 'tlsa.sha512-only',
      severity: 'info',
      message: 'These usage/selector combinations are published only with SHA2-512. SHA2-256 is the digest DANE clients most widely support; a client without SHA2-512 finds nothing usable here. Consider a SHA2-256 record alongside.',
      rfc: 'RFC 7671 §9',
      records: text(only512),
    });
  }
  return out;
}
