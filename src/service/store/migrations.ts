// Versioned migrations, in code, run at every start (Kysely's Migrator: one transaction for the
// whole batch on SQLite and PostgreSQL, which both have transactional DDL, and a lock table so two
// workers starting at once do not both migrate). Never edit a migration that has shipped: add the
// next one. Names sort in the order they run.
import { Migrator, sql, type Kysely, type Migration } from 'kysely';

/* eslint-disable @typescript-eslint/no-explicit-any -- migrations run on any past schema, so they take Kysely<any> (Kysely's own convention) */

const m0001: Migration = {
  // Domains, their scheduling and confirmed state, and what each check saw.
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('domains')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('service', 'text', (c) => c.notNull())
      .addColumn('interval_ms', 'bigint', (c) => c.notNull())
      .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('next_due_at', 'bigint', (c) => c.notNull())
      .addColumn('claimed_by', 'text')
      .addColumn('claimed_until', 'bigint')
      .addColumn('consecutive_failures', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('last_error', 'text')
      .addColumn('last_run_id', 'text')
      .addColumn('last_run_at', 'bigint')
      .addColumn('status', 'text', (c) => c.notNull().defaultTo('new'))
      .addColumn('alarms', 'text', (c) => c.notNull().defaultTo('[]'))
      .addColumn('status_since', 'bigint')
      .addColumn('state_run_id', 'text')
      .addColumn('pending_status', 'text')
      .addColumn('pending_alarms', 'text')
      .addColumn('pending_run_id', 'text')
      .addColumn('pending_since', 'bigint')
      .addUniqueConstraint('domains_name_service', ['name', 'service'])
      .execute();
    await db.schema.createIndex('domains_due').on('domains').columns(['active', 'next_due_at']).execute();

    await db.schema
      .createTable('runs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('domain_id', 'text', (c) => c.notNull().references('domains.id').onDelete('cascade'))
      .addColumn('purpose', 'text', (c) => c.notNull())
      .addColumn('started_at', 'bigint', (c) => c.notNull())
      .addColumn('finished_at', 'bigint', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('summary', 'text', (c) => c.notNull())
      .addColumn('alarms', 'text', (c) => c.notNull())
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('error', 'text')
      .execute();
    await db.schema.createIndex('runs_domain_time').on('runs').columns(['domain_id', 'started_at']).execute();

    await db.schema
      .createTable('observations')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id').onDelete('cascade'))
      .addColumn('domain_id', 'text', (c) => c.notNull().references('domains.id').onDelete('cascade'))
      .addColumn('vantage', 'text', (c) => c.notNull())
      .addColumn('observed_at', 'bigint', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('summary', 'text', (c) => c.notNull())
      .addColumn('duration_ms', 'integer', (c) => c.notNull())
      .addColumn('dnssec', 'text', (c) => c.notNull())
      .addColumn('endpoints', 'text', (c) => c.notNull())
      .addColumn('report', 'text')
      .addColumn('error', 'text')
      .execute();
    await db.schema.createIndex('observations_run').on('observations').column('run_id').execute();
    await db.schema.createIndex('observations_domain_time').on('observations').columns(['domain_id', 'observed_at']).execute();

    await db.schema
      .createTable('findings')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id').onDelete('cascade'))
      .addColumn('domain_id', 'text', (c) => c.notNull().references('domains.id').onDelete('cascade'))
      .addColumn('observed_at', 'bigint', (c) => c.notNull())
      .addColumn('vantage', 'text', (c) => c.notNull())
      .addColumn('code', 'text', (c) => c.notNull())
      .addColumn('severity', 'text', (c) => c.notNull())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('endpoints', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('findings_run').on('findings').column('run_id').execute();
    await db.schema.createIndex('findings_domain_code').on('findings').columns(['domain_id', 'code', 'observed_at']).execute();

    await db.schema
      .createTable('transitions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('domain_id', 'text', (c) => c.notNull().references('domains.id').onDelete('cascade'))
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('run_id', 'text', (c) => c.notNull().references('runs.id').onDelete('cascade'))
      .addColumn('from_status', 'text', (c) => c.notNull())
      .addColumn('to_status', 'text', (c) => c.notNull())
      .addColumn('from_alarms', 'text', (c) => c.notNull())
      .addColumn('to_alarms', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('transitions_domain_time').on('transitions').columns(['domain_id', 'at']).execute();
  },
};

const m0002: Migration = {
  // Subscribers, the alert log and the outbox of deliveries (pending alerts survive a restart).
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('subscriptions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('domain_id', 'text', (c) => c.notNull().references('domains.id').onDelete('cascade'))
      .addColumn('channel', 'text', (c) => c.notNull())
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('origin', 'text', (c) => c.notNull())
      .addColumn('confirmed_at', 'bigint')
      .addColumn('confirm_token_hash', 'text')
      .addColumn('confirm_expires_at', 'bigint')
      .addColumn('unsubscribe_token', 'text', (c) => c.notNull().unique())
      .addColumn('secret', 'text')
      .addColumn('unsubscribed_at', 'bigint')
      .addColumn('window_start', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('window_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addUniqueConstraint('subscriptions_domain_channel_target', ['domain_id', 'channel', 'target'])
      .execute();
    await db.schema.createIndex('subscriptions_confirm').on('subscriptions').column('confirm_token_hash').execute();
    await db.schema.createIndex('subscriptions_target').on('subscriptions').columns(['channel', 'target']).execute();

    await db.schema
      .createTable('alerts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('domain_id', 'text', (c) => c.notNull().references('domains.id').onDelete('cascade'))
      .addColumn('transition_id', 'text', (c) => c.references('transitions.id').onDelete('set null'))
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('state', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('alerts_domain_time').on('alerts').columns(['domain_id', 'created_at']).execute();

    await db.schema
      .createTable('deliveries')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('alert_id', 'text', (c) => c.references('alerts.id').onDelete('cascade'))
      .addColumn('subscription_id', 'text', (c) => c.references('subscriptions.id').onDelete('set null'))
      .addColumn('domain_id', 'text', (c) => c.notNull().references('domains.id').onDelete('cascade'))
      .addColumn('channel', 'text', (c) => c.notNull())
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('message', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
      .addColumn('claimed_until', 'bigint')
      .addColumn('last_error', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('sent_at', 'bigint')
      .execute();
    await db.schema.createIndex('deliveries_due').on('deliveries').columns(['status', 'next_attempt_at']).execute();
    await db.schema.createIndex('deliveries_subscription').on('deliveries').columns(['subscription_id', 'created_at']).execute();
  },
};

const m0003: Migration = {
  // Proof of control (privileged features: shorter intervals, webhooks).
  async up(db: Kysely<any>) {
    await db.schema.alterTable('domains').addColumn('control_hash', 'text').execute();
    await db.schema.alterTable('domains').addColumn('control_proven_at', 'bigint').execute();
  },
};

const m0004: Migration = {
  // Proof-of-control challenges and proofs, one per (domain, requester): the published token is the
  // SHA-256 of the requester's secret key, so the key itself is never stored.
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('proofs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('domain_id', 'text', (c) => c.notNull().references('domains.id').onDelete('cascade'))
      .addColumn('token', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('challenge_expires_at', 'bigint', (c) => c.notNull())
      .addColumn('verified_at', 'bigint')
      .addColumn('expires_at', 'bigint')
      .addColumn('checked_at', 'bigint')
      .addColumn('last_result', 'text')
      .execute();
    await db.schema.createIndex('proofs_domain').on('proofs').column('domain_id').execute();
  },
};

const m0005: Migration = {
  // Canary accounts (src/service/canary-store.ts): one per domain, the password sealed with
  // AES-256-GCM under the key in secrets.keyFile (never in clear).
  async up(db: Kysely<any>) {
    await db.schema
      .createTable('canaries')
      .addColumn('domain_id', 'text', (c) => c.primaryKey().references('domains.id').onDelete('cascade'))
      .addColumn('jid', 'text', (c) => c.notNull())
      .addColumn('require_plus', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('sealed_password', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
  },
};

/** Every migration, by name; the names sort in the order they run. */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001_domains_runs_observations': m0001,
  '0002_subscriptions_alerts_outbox': m0002,
  '0003_proof_of_control': m0003,
  '0004_proofs': m0004,
  '0005_canaries': m0005,
};

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/**
 * Bring the database to `target` (default: the latest migration). A failed migration rolls the
 * whole batch back and raises MigrationError naming it; returns the names that ran.
 */
export async function migrate(db: Kysely<any>, target?: string): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: () => Promise.resolve({ ...MIGRATIONS }) } });
  const { error, results } = target ? await migrator.migrateTo(target) : await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new MigrationError(`database migration ${failed ?? ''} failed: ${error instanceof Error ? error.message : JSON.stringify(error)}`.replace('  ', ' '));
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** The migrations applied so far, oldest first. */
export async function appliedMigrations(db: Kysely<any>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: () => Promise.resolve({ ...MIGRATIONS }) } });
  return (await migrator.getMigrations()).filter((m) => m.executedAt).map((m) => m.name);
}

/** Used by health checks: one round trip. */
export async function ping(db: Kysely<any>): Promise<void> {
  await sql`select 1`.execute(db);
}
