// Synthetic Reports for the service's unit tests: just the fields the watch service reads
// (status, summary, findings, endpoints with their key and TLSA verdict, DNSSEC states).
import type { Finding } from '../../../src/audit/finding.ts';
import type { Report, Status } from '../../../src/audit/report.ts';

export interface FakeEndpoint {
  label: string;
  spki?: string;
  dane?: 'match' | 'mismatch';
  mechanisms?: string[];
}

export function fakeReport(domain: string, status: Status, opts: { findings?: Finding[]; endpoints?: FakeEndpoint[] } = {}): Report {
  const endpoints = (opts.endpoints ?? [{ label: `xmpp.${domain}:5222 (192.0.2.1)`, spki: 'aa'.repeat(32), dane: 'match' }]).map((e) => ({
    label: e.label,
    protocol: 'xmpp-c2s',
    ...(e.spki
      ? {
          probe: {
            ok: true,
            tls: { version: 'TLSv1.3', cipher: 'x', alpn: null, chain: [Buffer.from(e.spki).toString('base64')], leaf: { spkiSha256: e.spki }, pkix: { valid: true, anchors: 'test' } },
            ...(e.mechanisms ? { features: { header: {}, mechanisms: e.mechanisms, channelBindings: [], sasl2: false, sasl2Mechanisms: [], dialback: false, names: [] } } : {}),
            timings: { connectMs: 1, totalMs: 2 },
          },
        }
      : {}),
    ...(e.dane ? { daneVerdict: { verdict: e.dane, results: [] } } : {}),
  }));
  return {
    schema: 'keywatch.check-report/1',
    keywatch: 'test',
    domain,
    service: 'xmpp',
    startedAt: new Date(0).toISOString(),
    durationMs: 5,
    status,
    exitCode: status === 'ok' ? 0 : status === 'warning' ? 1 : status === 'critical' ? 2 : 3,
    summary: `${status.toUpperCase()}: ${domain}`,
    counts: { critical: 0, error: 0, warning: 0, info: 0, ok: 0 },
    endpoints,
    findings: opts.findings ?? [],
    dnssec: [{ name: domain, type: 'SRV', security: 'secure', rcode: 'NOERROR', problems: [] }],
    ...(status === 'unknown' ? { unknownBecause: 'test' } : {}),
  } as unknown as Report;
}

export const finding = (code: string, severity: Finding['severity'], endpoints: string[] = []): Finding => ({ code, severity, title: `${code} title`, detail: 'd', endpoints, evidence: {} });
