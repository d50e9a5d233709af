// Change detection and the alert policy, pure: what a run's observations add up to (status and
// alarms), and what to do about it given the domain's confirmed state.
//
//  - An alarm is a reason to wake someone: a critical or error finding (by code), a presented key
//    that no TLSA record names (by key), -PLUS mechanisms an endpoint offered in the confirmed
//    state and no longer offers (by endpoint). Warnings and notes never alarm.
//  - Worse = the status turns critical, or an alarm appears that the confirmed state did not
//    have. Better = a critical state turns ok or warning. Either is only acted on after a
//    confirmation re-check (fresh connections; through Tor a fresh circuit) agrees.
//  - A DANE rollover done by the procedure keeps every endpoint matching its TLSA records at
//    every step, so it raises no alarm; a key no record names raises one.
//  - The same state persisting changes nothing: no repeats. Other changes (ok ↔ warning, one of
//    several alarms clearing) update the confirmed state silently and are kept in the history.
import { bySeverity, type Finding, type Severity } from '../audit/finding.ts';
import type { Status } from '../audit/report.ts';
import type { DomainState } from './contracts.ts';
import type { EndpointSeen, Observation, Vantage } from './observe.ts';

export interface VantageFinding extends Finding {
  vantage: Vantage | 'watch';
}

export interface Assessment {
  status: Status;
  summary: string;
  /** Sorted, unique. */
  alarms: string[];
  /** Above info, worst first, each with the vantage that saw it (one entry per code and title). */
  findings: VantageFinding[];
  keys: Array<{ endpoint: string; spkiSha256: string }>;
}

const RANK: Record<Status, number> = { ok: 0, warning: 1, critical: 2, unknown: -1 };
const ALARMING: Severity[] = ['critical', 'error'];

const plusOf = (e: EndpointSeen | undefined) => (e?.mechanisms ?? []).filter((m) => m.endsWith('-PLUS'));

/**
 * Combine one run's observations (one per vantage) and the findings about the vantages
 * themselves. `baseline` is what the endpoints showed in the confirmed state (for stripped
 * mechanisms).
 */
export function assess(observations: readonly Observation[], watchFindings: readonly Finding[], baseline: readonly EndpointSeen[] = []): Assessment {
  const definite = observations.filter((o) => o.report.status !== 'unknown');
  const findings: VantageFinding[] = [];
  const seen = new Set<string>();
  const add = (f: Finding, vantage: VantageFinding['vantage']) => {
    if (f.severity === 'info' || f.severity === 'ok') return;
    const key = `${f.code}\0${f.title}`;
    if (seen.has(key)) return;
    seen.add(key);
    findings.push({ ...f, vantage });
  };
  for (const o of definite) for (const f of o.report.findings) add(f, o.vantage);
  for (const f of watchFindings) add(f, 'watch');
  findings.sort(bySeverity);

  const alarms = new Set<string>();
  for (const f of findings) if (ALARMING.includes(f.severity)) alarms.add(f.code);
  const before = new Map(baseline.map((e) => [e.endpoint, e] as const));
  for (const o of definite) {
    for (const e of o.endpoints) {
      if (e.dane === 'mismatch' && e.spkiSha256) alarms.add(`key-unpublished:${e.spkiSha256}`);
      // Stripped only where the probe got as far as the features this time.
      if (e.mechanisms && plusOf(before.get(e.endpoint)).length > 0 && plusOf(e).length === 0) alarms.add(`sasl.plus-stripped:${e.endpoint}`);
    }
  }

  let status: Status;
  if (definite.length === 0) status = 'unknown';
  else {
    status = definite.reduce<Status>((w, o) => (RANK[o.report.status] > RANK[w] ? o.report.status : w), 'ok');
    if (alarms.size > 0) status = 'critical';
    else if (status === 'ok' && findings.some((f) => f.severity === 'warning')) status = 'warning';
  }
  const lead = definite[0] ?? observations[0];
  const watchAlarm = findings.find((f) => f.vantage === 'watch' && ALARMING.includes(f.severity));
  const summary = watchAlarm ? `${status.toUpperCase()}: ${watchAlarm.title}` : lead ? lead.report.summary : 'UNKNOWN: nothing was observed';
  const keys = (lead?.endpoints ?? []).filter((e) => e.spkiSha256).map((e) => ({ endpoint: e.endpoint, spkiSha256: e.spkiSha256! }));
  return { status, summary, alarms: [...alarms].sort(), findings, keys };
}

/** The domain's confirmed state and a change awaiting its confirmation re-check. */
export interface ConfirmedState {
  status: Status | 'new';
  alarms: readonly string[];
  pending?: { direction: 'worse' | 'better' };
}

export type Decision =
  /** The first definite result of a new domain: it becomes the state, nobody is told. */
  | { kind: 'baseline' }
  | { kind: 'steady' }
  /** A change that alarms nobody (ok ↔ warning, an alarm clearing while others remain). */
  | { kind: 'change' }
  /** Worse or better: re-check soon before acting. */
  | { kind: 'confirming'; direction: 'worse' | 'better' }
  | { kind: 'alert'; newAlarms: string[] }
  | { kind: 'recovery' }
  /** The re-check did not agree: the state stays as it was. */
  | { kind: 'unconfirmed' }
  /** The check could not tell (status unknown): back off and try again. */
  | { kind: 'inconclusive' };

export function direction(state: Pick<ConfirmedState, 'status' | 'alarms'>, a: Pick<Assessment, 'status' | 'alarms'>): 'worse' | 'better' | 'changed' | 'same' {
  const had = new Set(state.alarms);
  const fresh = a.alarms.filter((x) => !had.has(x));
  if ((a.status === 'critical' && state.status !== 'critical') || fresh.length > 0) return 'worse';
  if (state.status === 'critical' && (a.status === 'ok' || a.status === 'warning')) return 'better';
  const same = a.status === state.status && a.alarms.length === state.alarms.length && a.alarms.every((x) => had.has(x));
  return same ? 'same' : 'changed';
}

export function decide(state: ConfirmedState, a: Pick<Assessment, 'status' | 'alarms'>, purpose: 'scheduled' | 'confirm'): Decision {
  if (a.status === 'unknown') return { kind: 'inconclusive' };
  if (state.status === 'new' || state.status === 'unknown') return { kind: 'baseline' };
  const d = direction(state, a);
  if (purpose === 'confirm' && state.pending) {
    if (d !== state.pending.direction) return { kind: 'unconfirmed' };
    if (d === 'better') return { kind: 'recovery' };
    const had = new Set(state.alarms);
    return { kind: 'alert', newAlarms: a.alarms.filter((x) => !had.has(x)) };
  }
  if (d === 'worse' || d === 'better') return { kind: 'confirming', direction: d };
  return d === 'changed' ? { kind: 'change' } : { kind: 'steady' };
}

/** The DomainState subscribers see (contracts.ts). */
export function domainState(domain: string, service: string, a: Assessment, checkedAt: number, url: string): DomainState {
  return {
    domain,
    service,
    status: a.status,
    summary: a.summary,
    checkedAt: new Date(checkedAt).toISOString(),
    findings: a.findings.map((f) => ({ code: f.code, severity: f.severity, title: f.title, endpoints: f.endpoints })),
    keys: a.keys,
    url,
  };
}

/** An alarm key in words, for messages. */
export function describeAlarm(alarm: string, findings: readonly Finding[]): string {
  if (alarm.startsWith('key-unpublished:')) return `a key no TLSA record names: ${alarm.slice('key-unpublished:'.length)}`;
  if (alarm.startsWith('sasl.plus-stripped:')) return `${alarm.slice('sasl.plus-stripped:'.length)} no longer offers SCRAM -PLUS (channel binding)`;
  const f = findings.find((x) => x.code === alarm);
  return f ? `${f.title} (${f.code})` : alarm;
}
