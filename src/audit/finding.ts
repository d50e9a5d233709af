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

/** How findings name an endpoint: `host:port (address)`, IPv6 addresses in brackets. */
export const endpointLabel = (e: { host: string; port: number; address: string }): string => `${e.host}:${e.port} (${e.address.includes(':') ? `[${e.address}]` : e.address})`;

const ORDER: Record<Severity, number> = { critical: 4, error: 3, warning: 2, info: 1, ok: 0 };

export function worstSeverity(findings: readonly Finding[]): Severity {
  return findings.reduce<Severity>((w, f) => (ORDER[f.severity] > ORDER[w] ? f.severity : w), 'ok');
}

export function bySeverity(a: Finding, b: Finding): number {
  return ORDER[b.severity] - ORDER[a.severity] || a.code.localeCompare(b.code);
}

/**
 * Findings of the same code, severity and detail on several endpoints (one certificate served on
 * three ports) become one finding naming them all.
 */
export function mergeFindings(findings: readonly Finding[]): Finding[] {
  const out: Finding[] = [];
  const seen = new Map<string, Finding>();
  for (const f of findings) {
    // Only findings whose title names their one endpoint can be retitled for several.
    if (f.endpoints.length !== 1 || !f.title.includes(f.endpoints[0]!)) {
      out.push(f);
      continue;
    }
    const key = `${f.code}\0${f.severity}\0${f.detail}\0${f.remediation ?? ''}`;
    const prev = seen.get(key);
    if (!prev) {
      const copy = { ...f, endpoints: [...f.endpoints] };
      seen.set(key, copy);
      out.push(copy);
      continue;
    }
    if (prev.endpoints.length === 1) prev.title = prev.title.replace(prev.endpoints[0]!, '{endpoints}');
    prev.endpoints.push(f.endpoints[0]!);
  }
  for (const f of out) {
    if (f.title.includes('{endpoints}')) f.title = f.title.replace('{endpoints}', `${f.endpoints.length} endpoints (${f.endpoints.join(', ')})`);
  }
  return out;
}
