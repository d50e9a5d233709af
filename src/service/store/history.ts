// What the checks saw over time: runs (one per scheduled or confirmation check of a domain), the
// observation of each vantage in a run, the findings above info, and the confirmed-state
// transitions. Written by the watcher in one transaction per run; read by the API.
import type { Selectable } from 'kysely';
import { randomUUID } from 'node:crypto';
import type { Db } from './domains.ts';
import type { ObservationsTable, RunsTable, TransitionsTable } from './schema.ts';

export type RunRow = Selectable<RunsTable>;
export type ObservationRow = Selectable<ObservationsTable>;
export type TransitionRow = Selectable<TransitionsTable>;

export async function insertRun(db: Db, r: Omit<RunRow, 'id'>): Promise<string> {
  const id = randomUUID();
  await db.insertInto('runs').values({ id, ...r }).execute();
  return id;
}

export async function insertObservation(db: Db, o: Omit<ObservationRow, 'id'>): Promise<string> {
  const id = randomUUID();
  await db.insertInto('observations').values({ id, ...o }).execute();
  return id;
}

export interface FindingInput {
  vantage: string;
  code: string;
  severity: string;
  title: string;
  endpoints: string[];
}

export async function insertFindings(db: Db, runId: string, domainId: string, at: number, findings: readonly FindingInput[]): Promise<void> {
  if (findings.length === 0) return;
  await db
    .insertInto('findings')
    .values(findings.map((f) => ({ id: randomUUID(), run_id: runId, domain_id: domainId, observed_at: at, vantage: f.vantage, code: f.code, severity: f.severity, title: f.title, endpoints: JSON.stringify(f.endpoints) })))
    .execute();
}

export async function insertTransition(db: Db, t: Omit<TransitionRow, 'id'>): Promise<string> {
  const id = randomUUID();
  await db.insertInto('transitions').values({ id, ...t }).execute();
  return id;
}

export async function runObservations(db: Db, runId: string): Promise<ObservationRow[]> {
  return db.selectFrom('observations').selectAll().where('run_id', '=', runId).orderBy('vantage').execute();
}

/** Runs, newest first, started before `before`. */
export async function listRuns(db: Db, domainId: string, limit: number, before?: number): Promise<RunRow[]> {
  let q = db.selectFrom('runs').selectAll().where('domain_id', '=', domainId);
  if (before !== undefined) q = q.where('started_at', '<', before);
  return q.orderBy('started_at', 'desc').orderBy('id').limit(limit).execute();
}

/** The observations of these runs without the Report JSON (endpoints, status, DNSSEC). */
export async function observationsOfRuns(db: Db, runIds: readonly string[]): Promise<Array<Omit<ObservationRow, 'report'>>> {
  if (runIds.length === 0) return [];
  return db
    .selectFrom('observations')
    .select(['id', 'run_id', 'domain_id', 'vantage', 'observed_at', 'status', 'summary', 'duration_ms', 'dnssec', 'endpoints', 'error'])
    .where('run_id', 'in', [...runIds])
    .execute();
}

export async function findingsOfRuns(db: Db, runIds: readonly string[]): Promise<Array<{ run_id: string; vantage: string; code: string; severity: string; title: string; endpoints: string }>> {
  if (runIds.length === 0) return [];
  return db.selectFrom('findings').select(['run_id', 'vantage', 'code', 'severity', 'title', 'endpoints']).where('run_id', 'in', [...runIds]).execute();
}

export async function listTransitions(db: Db, domainId: string, limit: number, before?: number): Promise<TransitionRow[]> {
  let q = db.selectFrom('transitions').selectAll().where('domain_id', '=', domainId);
  if (before !== undefined) q = q.where('at', '<', before);
  return q.orderBy('at', 'desc').orderBy('id').limit(limit).execute();
}

export async function countRows(db: Db, table: 'runs' | 'observations' | 'transitions' | 'alerts', domainId?: string): Promise<number> {
  let q = db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n'));
  if (domainId) q = q.where('domain_id', '=', domainId);
  const r = await q.executeTakeFirst();
  return Number(r?.n ?? 0);
}
