// One run of one domain: check it from every vantage, compare the vantages, let the alert policy
// decide, and write everything — run, observations, findings, the new state, the transition, the
// alert and one delivery per subscriber — in one transaction, before anything is sent. The
// outbox worker sends afterwards, from the database.
import type { Report, Status } from '../audit/report.ts';
import type { CanaryAccount } from '../sasl/canary.ts';
import type { AlertMessage, Channel } from './contracts.ts';
import { errorText, type Log } from './log.ts';
import { alertMessage, recoveryMessage, subscribedMessage, type Links } from './messages.ts';
import type { Metrics } from './metrics.ts';
import { observe, type EndpointSeen, type Vantage } from './observe.ts';
import { assess, decide, describeAlarm, direction, domainState, type Assessment, type ConfirmedState, type Decision } from './policy.ts';
import type { Db, DomainRow } from './store/domains.ts';
import { insertFindings, insertObservation, insertRun, insertTransition, runObservations } from './store/history.ts';
import { insertAlert, insertDelivery } from './store/outbox.ts';
import type { Store } from './store/store.ts';
import { activeSubscriptions, takeRateSlot } from './store/subscriptions.ts';
import { nextAfterFailure, nextConfirmation, nextScheduled, type Timing } from './timing.ts';
import { compareVantages } from './vantage.ts';

export type Purpose = 'scheduled' | 'confirm';

/**
 * Runs one check of a domain from one vantage (runCheck, configured by the service). `canary` is
 * the domain's canary account with its password opened for this check only: pass it to runCheck
 * and keep no reference to it.
 */
export type CheckFn = (domain: { name: string; service: string; canary?: CanaryAccount }, vantage: Vantage, purpose: Purpose) => Promise<Report>;

export interface RateLimit {
  windowMs: number;
  /** Messages per window and subscription. */
  limit: number;
}

export interface WatcherOptions {
  store: Store;
  worker: string;
  vantages: readonly Vantage[];
  check: CheckFn;
  timing: Timing;
  links: Links;
  rate: RateLimit;
  /** When a PubSub notifier is configured, the baseline and each alert and recovery also go to the domain's node. */
  pubsub?: { enabled: () => boolean; node: (domain: string, service: string) => string };
  now: () => number;
  random: () => number;
  log: Log;
  metrics?: Metrics;
  /**
   * The domain's canary account with its password decrypted (src/service/canary-store.ts), or
   * undefined; called just before each check. When it throws (the key changed), the check runs
   * without the canary and the error is logged (never the password).
   */
  canary?: (domain: DomainRow) => Promise<CanaryAccount | undefined>;
  /** Called after a run created deliveries (wakes the outbox). */
  onDeliveries?: () => void;
}

export class LeaseLostError extends Error {
  override name = 'LeaseLostError';
}

export interface RunResult {
  runId: string;
  decision: Decision;
  assessment: Assessment;
  deliveries: number;
}

const parse = <T>(json: string | null, fallback: T): T => {
  if (json === null) return fallback;
  try {
    return JSON.parse(json) as T;
  } catch {
    return fallback;
  }
};

export class Watcher {
  constructor(private readonly o: WatcherOptions) {}

  /** Check a claimed domain and record the outcome; `signal` aborts before anything is written. */
  async run(domain: DomainRow, signal?: AbortSignal): Promise<RunResult | undefined> {
    const { o } = this;
    const purpose: Purpose = domain.pending_status ? 'confirm' : 'scheduled';
    const startedAt = o.now();
    const attempts = await Promise.all(
      o.vantages.map(async (vantage) => {
        const t0 = performance.now();
        try {
          const report = await o.check({ name: domain.name, service: domain.service, ...(await this.canary(domain)) }, vantage, purpose);
          o.metrics?.checks.inc({ vantage, status: report.status });
          o.metrics?.checkDuration.observe({ vantage }, (performance.now() - t0) / 1000);
          return { vantage, observation: observe(vantage, report) };
        } catch (e) {
          o.metrics?.checks.inc({ vantage, status: 'error' });
          return { vantage, error: errorText(e) };
        }
      }),
    );
    if (signal?.aborted) return undefined;
    const observations = attempts.flatMap((a) => (a.observation ? [a.observation] : []));
    const errors = attempts.flatMap((a) => (a.error ? [`${a.vantage}: ${a.error}`] : []));
    const baseline = await this.baseline(domain);
    const assessment = assess(observations, compareVantages(observations), baseline);
    const state: ConfirmedState = {
      status: domain.status as ConfirmedState['status'],
      alarms: parse<string[]>(domain.alarms, []),
      ...(domain.pending_status ? { pending: { direction: pendingDirection(domain) } } : {}),
    };
    const decision = decide(state, assessment, purpose);
    const finishedAt = o.now();
    let deliveries = 0;
    const runId = await o.store.transaction(async (trx) => {
      const runId = await insertRun(trx, {
        domain_id: domain.id,
        purpose,
        started_at: startedAt,
        finished_at: finishedAt,
        status: assessment.status,
        summary: assessment.summary,
        alarms: JSON.stringify(assessment.alarms),
        outcome: decision.kind,
        error: errors.length ? errors.join('; ') : null,
      });
      for (const a of attempts) {
        const obs = a.observation;
        await insertObservation(trx, {
          run_id: runId,
          domain_id: domain.id,
          vantage: a.vantage,
          observed_at: startedAt,
          status: obs ? obs.report.status : 'unknown',
          summary: obs ? obs.report.summary : `the check could not run: ${a.error}`,
          duration_ms: obs ? obs.report.durationMs : finishedAt - startedAt,
          dnssec: obs ? obs.dnssec : 'indeterminate',
          endpoints: JSON.stringify(obs ? obs.endpoints : []),
          report: obs ? JSON.stringify(obs.report) : null,
          error: a.error ?? null,
        });
      }
      await insertFindings(trx, runId, domain.id, startedAt, assessment.findings.map((f) => ({ vantage: f.vantage, code: f.code, severity: f.severity, title: f.title, endpoints: f.endpoints })));
      deliveries = await this.apply(trx, domain, runId, state, assessment, decision, errors, finishedAt);
      return runId;
    });
    o.metrics?.runs.inc({ purpose, outcome: decision.kind });
    o.log.info(
      { event: 'run', domain: domain.name, service: domain.service, purpose, status: assessment.status, outcome: decision.kind, alarms: assessment.alarms, durationMs: finishedAt - startedAt, ...(errors.length ? { errors } : {}) },
      `${domain.name}: ${assessment.summary}`,
    );
    if (deliveries > 0) o.onDeliveries?.();
    return { runId, decision, assessment, deliveries };
  }

  /** `{canary}` opened for one check, or nothing; the plaintext lives only in the object handed to the check. */
  private async canary(domain: DomainRow): Promise<{ canary?: CanaryAccount }> {
    if (!this.o.canary) return {};
    try {
      const canary = await this.o.canary(domain);
      return canary ? { canary } : {};
    } catch (e) {
      this.o.log.error({ event: 'canary-unavailable', domain: domain.name, service: domain.service, error: errorText(e) }, `${domain.name}: the canary account could not be opened; checking without it`);
      return {};
    }
  }

  /** What the endpoints showed in the confirmed state (for mechanisms that disappear). */
  private async baseline(domain: DomainRow): Promise<EndpointSeen[]> {
    if (!domain.state_run_id) return [];
    const rows = await runObservations(this.o.store.db, domain.state_run_id);
    return rows.flatMap((r) => parse<EndpointSeen[]>(r.endpoints, []));
  }

  private async apply(trx: Db, d: DomainRow, runId: string, state: ConfirmedState, a: Assessment, decision: Decision, errors: string[], now: number): Promise<number> {
    const { o } = this;
    const regular = nextScheduled(now, d.interval_ms, o.timing, o.random);
    const common = { last_run_id: runId, last_run_at: now, claimed_by: null, claimed_until: null };
    const adopt = {
      status: a.status,
      alarms: JSON.stringify(a.alarms),
      state_run_id: runId,
      ...(a.status !== d.status ? { status_since: now } : {}),
      pending_status: null,
      pending_alarms: null,
      pending_run_id: null,
      pending_since: null,
      consecutive_failures: 0,
      last_error: null,
      next_due_at: regular,
    };
    let set: Record<string, unknown>;
    switch (decision.kind) {
      case 'inconclusive': {
        const failures = d.consecutive_failures + 1;
        set = { consecutive_failures: failures, last_error: errors.join('; ') || a.summary, next_due_at: nextAfterFailure(now, failures, o.timing, o.random) };
        break;
      }
      case 'steady':
        set = { state_run_id: runId, consecutive_failures: 0, last_error: null, next_due_at: regular };
        break;
      case 'confirming':
        set = { pending_status: a.status, pending_alarms: JSON.stringify(a.alarms), pending_run_id: runId, pending_since: now, consecutive_failures: 0, last_error: null, next_due_at: nextConfirmation(now, o.timing, o.random) };
        break;
      case 'unconfirmed':
        set = { pending_status: null, pending_alarms: null, pending_run_id: null, pending_since: null, consecutive_failures: 0, last_error: null, next_due_at: regular };
        break;
      default:
        set = adopt;
    }
    const updated = await trx
      .updateTable('domains')
      .set({ ...common, ...set })
      .where('id', '=', d.id)
      .where('claimed_by', '=', o.worker)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) !== 1) throw new LeaseLostError(`${d.name}: the lease was lost before the run could be recorded (another worker took the domain)`);

    if (decision.kind === 'steady' || decision.kind === 'confirming' || decision.kind === 'inconclusive') return 0;
    const from = state.status;
    const reason = transitionReason(decision, a);
    const transitionId = await insertTransition(trx, {
      domain_id: d.id,
      at: now,
      run_id: runId,
      from_status: from,
      to_status: decision.kind === 'unconfirmed' ? from : a.status,
      from_alarms: JSON.stringify(state.alarms),
      to_alarms: JSON.stringify(decision.kind === 'unconfirmed' ? state.alarms : a.alarms),
      kind: decision.kind,
      reason,
    });
    if (decision.kind === 'baseline' && o.pubsub?.enabled()) {
      // A node exists from its first publish on: publishing the baseline makes it, so native
      // subscribers can subscribe before any alert, and get the current state at once.
      const page = o.links.page(d.name, d.service);
      const first = subscribedMessage({ domain: d.name, service: d.service, page, unsubscribe: page }, domainState(d.name, d.service, a, now, page));
      await insertDelivery(trx, { alert_id: null, subscription_id: null, domain_id: d.id, channel: 'pubsub', target: o.pubsub.node(d.name, d.service), kind: first.kind, message: JSON.stringify(first), status: 'pending', next_attempt_at: now, last_error: null, created_at: now });
      return 1;
    }
    if (decision.kind !== 'alert' && decision.kind !== 'recovery') return 0;

    const page = o.links.page(d.name, d.service);
    const ds = domainState(d.name, d.service, a, now, page);
    const reasons = decision.kind === 'alert' ? decision.newAlarms.map((x) => describeAlarm(x, a.findings)) : [];
    const render = (unsubscribe: string): AlertMessage => {
      const input = { domain: d.name, service: d.service, page, unsubscribe };
      return decision.kind === 'alert' ? alertMessage(input, ds, from, reasons) : recoveryMessage(input, ds, from);
    };
    const template = render(o.links.unsubscribe('…'));
    const alertId = await insertAlert(trx, { domain_id: d.id, transition_id: transitionId, kind: decision.kind, created_at: now, subject: template.subject, state: JSON.stringify(ds) });
    o.metrics?.alerts.inc({ kind: decision.kind });
    let count = 0;
    for (const sub of await activeSubscriptions(trx, d.id)) {
      const allowed = await takeRateSlot(trx, sub, now, o.rate.windowMs, o.rate.limit);
      await insertDelivery(trx, {
        alert_id: alertId,
        subscription_id: sub.id,
        domain_id: d.id,
        channel: sub.channel,
        target: sub.target,
        kind: decision.kind,
        message: JSON.stringify(render(o.links.unsubscribe(sub.unsubscribe_token))),
        status: allowed ? 'pending' : 'suppressed',
        next_attempt_at: now,
        last_error: allowed ? null : `rate limit: more than ${o.rate.limit} messages in ${Math.round(o.rate.windowMs / 60000)} minutes to this subscriber`,
        created_at: now,
      });
      if (allowed) count++;
    }
    if (o.pubsub?.enabled()) {
      const channel: Channel = 'pubsub';
      await insertDelivery(trx, {
        alert_id: alertId,
        subscription_id: null,
        domain_id: d.id,
        channel,
        target: o.pubsub.node(d.name, d.service),
        kind: decision.kind,
        message: JSON.stringify(render(page)),
        status: 'pending',
        next_attempt_at: now,
        last_error: null,
        created_at: now,
      });
      count++;
    }
    return count;
  }
}

function pendingDirection(d: DomainRow): 'worse' | 'better' {
  const dir = direction({ status: d.status as Status, alarms: parse<string[]>(d.alarms, []) }, { status: d.pending_status as Status, alarms: parse<string[]>(d.pending_alarms, []) });
  return dir === 'better' ? 'better' : 'worse';
}

function transitionReason(decision: Decision, a: Assessment): string {
  switch (decision.kind) {
    case 'baseline':
      return `first result: ${a.summary}`;
    case 'alert':
      return `confirmed: ${decision.newAlarms.map((x) => describeAlarm(x, a.findings)).join('; ') || a.summary}`;
    case 'recovery':
      return `confirmed recovery: ${a.summary}`;
    case 'unconfirmed':
      return `the confirmation re-check did not see the change again: ${a.summary}`;
    default:
      return a.summary;
  }
}
