// The read side: what the API (and later the web pages) show of a domain — its confirmed state as
// a DomainState, the latest run with its Report, and the history of runs and transitions.
import type { Report } from '../audit/report.ts';
import type { DomainState } from './contracts.ts';
import type { Links } from './messages.ts';
import type { EndpointSeen } from './observe.ts';
import type { Db, DomainRow } from './store/domains.ts';
import { findingsOfRuns, listRuns, listTransitions, observationsOfRuns, runObservations } from './store/history.ts';
import type { Store } from './store/store.ts';
import { countActiveSubscriptions } from './store/subscriptions.ts';
import type { Severity } from '../audit/finding.ts';
import type { Status } from '../audit/report.ts';

const json = <T>(text: string | null, fallback: T): T => {
  if (text === null) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
};
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const ORDER: Record<string, number> = { critical: 4, error: 3, warning: 2, info: 1, ok: 0 };

/** The confirmed state, from the run that established it. */
export async function loadDomainState(db: Db, d: DomainRow, links: Links): Promise<DomainState | undefined> {
  if (!d.state_run_id) return undefined;
  const run = await db.selectFrom('runs').selectAll().where('id', '=', d.state_run_id).executeTakeFirst();
  if (!run) return undefined;
  const findings = (await findingsOfRuns(db, [run.id]))
    .map((f) => ({ code: f.code, severity: f.severity as Severity, title: f.title, endpoints: json<string[]>(f.endpoints, []) }))
    .sort((a, b) => ORDER[b.severity]! - ORDER[a.severity]! || a.code.localeCompare(b.code));
  const obs = (await observationsOfRuns(db, [run.id])).filter((o) => o.status !== 'unknown').sort((a, b) => a.vantage.localeCompare(b.vantage));
  const lead = obs[0];
  const keys = lead ? json<EndpointSeen[]>(lead.endpoints, []).filter((e) => e.spkiSha256).map((e) => ({ endpoint: e.endpoint, spkiSha256: e.spkiSha256! })) : [];
  return { domain: d.name, service: d.service, status: d.status as Status, summary: run.summary, checkedAt: new Date(run.started_at).toISOString(), findings, keys, url: links.page(d.name, d.service) };
}

export interface DomainView {
  domain: string;
  service: string;
  watched: boolean;
  intervalSeconds: number;
  /** The confirmed status: `new` until the first check finished. */
  status: string;
  statusSince: string | null;
  /** A change seen and awaiting its confirmation re-check. */
  pending: { status: string; since: string | null } | null;
  lastCheckedAt: string | null;
  nextCheckAt: string | null;
  consecutiveFailures: number;
  lastError: string | null;
  controlProven: boolean;
  subscribers: number;
  state: DomainState | null;
  /** The latest run, whatever the policy made of it. */
  latest: { runId: string; at: string; purpose: string; status: string; summary: string; outcome: string; vantages: Array<{ vantage: string; status: string; summary: string; error: string | null }> } | null;
  /** The latest run's Report (of the direct vantage when there are several). */
  report: Report | null;
  url: string;
}

export async function domainView(store: Store, d: DomainRow, links: Links): Promise<DomainView> {
  let latest: DomainView['latest'] = null;
  let report: Report | null = null;
  if (d.last_run_id) {
    const run = await store.db.selectFrom('runs').selectAll().where('id', '=', d.last_run_id).executeTakeFirst();
    const obs = await runObservations(store.db, d.last_run_id);
    if (run) {
      latest = {
        runId: run.id,
        at: new Date(run.started_at).toISOString(),
        purpose: run.purpose,
        status: run.status,
        summary: run.summary,
        outcome: run.outcome,
        vantages: obs.map((o) => ({ vantage: o.vantage, status: o.status, summary: o.summary, error: o.error })),
      };
    }
    const withReport = obs.find((o) => o.vantage === 'direct' && o.report) ?? obs.find((o) => o.report);
    report = withReport ? json<Report | null>(withReport.report, null) : null;
  }
  return {
    domain: d.name,
    service: d.service,
    watched: d.active === 1,
    intervalSeconds: Math.round(d.interval_ms / 1000),
    status: d.status,
    statusSince: iso(d.status_since),
    pending: d.pending_status ? { status: d.pending_status, since: iso(d.pending_since) } : null,
    lastCheckedAt: iso(d.last_run_at),
    nextCheckAt: d.active === 1 ? iso(d.next_due_at) : null,
    consecutiveFailures: d.consecutive_failures,
    lastError: d.last_error,
    controlProven: d.control_proven_at !== null,
    subscribers: await countActiveSubscriptions(store.db, d.id),
    state: (await loadDomainState(store.db, d, links)) ?? null,
    latest,
    report,
    url: links.page(d.name, d.service),
  };
}

export interface HistoryView {
  domain: string;
  service: string;
  runs: Array<{
    id: string;
    at: string;
    purpose: string;
    status: string;
    summary: string;
    outcome: string;
    alarms: string[];
    error: string | null;
    vantages: Array<{ vantage: string; status: string; dnssec: string; durationMs: number; endpoints: EndpointSeen[]; error: string | null }>;
    findings: Array<{ vantage: string; code: string; severity: string; title: string; endpoints: string[] }>;
  }>;
  transitions: Array<{ at: string; kind: string; from: string; to: string; reason: string; runId: string }>;
  /** Pass as `before` for the next (older) page; null at the end. */
  next: string | null;
}

export async function historyView(store: Store, d: DomainRow, limit: number, before?: number): Promise<HistoryView> {
  const runs = await listRuns(store.db, d.id, limit, before);
  const ids = runs.map((r) => r.id);
  const [obs, findings, transitions] = await Promise.all([observationsOfRuns(store.db, ids), findingsOfRuns(store.db, ids), listTransitions(store.db, d.id, limit, before)]);
  return {
    domain: d.name,
    service: d.service,
    runs: runs.map((r) => ({
      id: r.id,
      at: new Date(r.started_at).toISOString(),
      purpose: r.purpose,
      status: r.status,
      summary: r.summary,
      outcome: r.outcome,
      alarms: json<string[]>(r.alarms, []),
      error: r.error,
      vantages: obs
        .filter((o) => o.run_id === r.id)
        .sort((a, b) => a.vantage.localeCompare(b.vantage))
        .map((o) => ({ vantage: o.vantage, status: o.status, dnssec: o.dnssec, durationMs: o.duration_ms, endpoints: json<EndpointSeen[]>(o.endpoints, []), error: o.error })),
      findings: findings.filter((f) => f.run_id === r.id).map((f) => ({ vantage: f.vantage, code: f.code, severity: f.severity, title: f.title, endpoints: json<string[]>(f.endpoints, []) })),
    })),
    transitions: transitions.map((t) => ({ at: new Date(t.at).toISOString(), kind: t.kind, from: t.from_status, to: t.to_status, reason: t.reason, runId: t.run_id })),
    next: runs.length === limit ? new Date(runs[runs.length - 1]!.started_at).toISOString() : null,
  };
}
