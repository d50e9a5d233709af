// A Finding: one thing keywatch concluded about a domain, with a stable code (tests and alerts
// key on it), a severity, the endpoint it concerns, the evidence, and what to do about it.
// docs/FINDINGS.md lists every code.

export type Severity = 'critical' | 'error' | 'warning' | 'info' | 'ok';

export interface Finding {
  code: string;
  severity: Severity;
  /** One line a person reads first. */
  title: string;
  /** Why keywatch concludes this, naming the evidence. */
  detail: string;
  /** `host:port (address)` of each endpoint concerned; empty for domain-wide findings. */
  endpoints: string[];
  evidence: Record<string, unknown>;
  /** What to change: exact records in zone-file syntax, or configuration. */
  remediation?: string;
  rfc?: string;
}

const ORDER: Record<Severity, number> = { critical: 4, error: 3, warning: 2, info: 1, ok: 0 };

export function worstSeverity(findings: readonly Finding[]): Severity {
  return findings.reduce<Severity>((w, f) => (ORDER[f.severity] > ORDER[w] ? f.severity : w), 'ok');
}

export function bySeverity(a: Finding, b: Finding): number {
  return ORDER[b.severity] - ORDER[a.severity] || a.code.localeCompare(b.code);
}
