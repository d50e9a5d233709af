// The watch service's tables as Kysely sees them: one interface per table, column names as in
// SQL. Times are integer milliseconds since the epoch (bigint in PostgreSQL, read back as numbers);
// JSON columns are text; booleans are 0/1 integers, so one set of queries runs on SQLite and
// PostgreSQL alike. The DDL lives in migrations.ts; docs/SERVICE.md describes every table.
export interface DomainsTable {
  id: string;
  /** Lower-case, without the trailing dot. */
  name: string;
  /** A ServiceKind: xmpp, smtp, imap, pop3, https. */
  service: string;
  interval_ms: number;
  /** 1 while watched; 0 when paused (kept for its history). */
  active: number;
  created_at: number;
  /** When the next check is due; a claimed domain keeps it until the check ends. */
  next_due_at: number;
  /** The worker running this domain's check, and until when its lease holds. */
  claimed_by: string | null;
  claimed_until: number | null;
  /** Checks in a row that could not run (status unknown, or an error): drives the back-off. */
  consecutive_failures: number;
  last_error: string | null;
  last_run_id: string | null;
  last_run_at: number | null;
  /** The confirmed state: `new` until the first check, then a Status. */
  status: string;
  /** JSON array of alarm keys of the confirmed state (policy.ts). */
  alarms: string;
  status_since: number | null;
  /** The run whose result is the confirmed state. */
  state_run_id: string | null;
  /** A change seen but not confirmed yet: the next run is the confirmation re-check. */
  pending_status: string | null;
  pending_alarms: string | null;
  pending_run_id: string | null;
  pending_since: number | null;
  /** The latest verified proof of control: its token (SHA-256 hex of the requester's key, published as `_keywatch-challenge.DOMAIN` TXT); the proofs table has each one. */
  control_hash: string | null;
  control_proven_at: number | null;
}

export interface RunsTable {
  id: string;
  domain_id: string;
  /** `scheduled` or `confirm` (the re-check before an alert or a recovery). */
  purpose: string;
  started_at: number;
  finished_at: number;
  /** Combined over the vantages: ok, warning, critical, unknown. */
  status: string;
  summary: string;
  alarms: string;
  /** What the policy made of it: baseline, steady, change, confirming, alert, recovery, unconfirmed, inconclusive, error. */
  outcome: string;
  error: string | null;
}

export interface ObservationsTable {
  id: string;
  run_id: string;
  domain_id: string;
  /** `direct` or `tor`. */
  vantage: string;
  observed_at: number;
  status: string;
  summary: string;
  duration_ms: number;
  /** Worst DNSSEC security over the lookups: secure, insecure, bogus, indeterminate. */
  dnssec: string;
  /** JSON: what each endpoint presented (EndpointSeen[] in observe.ts). */
  endpoints: string;
  /** The full Report as JSON; null when the check could not run (see error). */
  report: string | null;
  error: string | null;
}

export interface FindingsTable {
  id: string;
  run_id: string;
  domain_id: string;
  observed_at: number;
  /** `direct`, `tor`, or `watch` for findings about the vantages themselves. */
  vantage: string;
  code: string;
  severity: string;
  title: string;
  endpoints: string;
}

export interface TransitionsTable {
  id: string;
  domain_id: string;
  at: number;
  run_id: string;
  from_status: string;
  to_status: string;
  from_alarms: string;
  to_alarms: string;
  /** baseline, alert, recovery, change, unconfirmed. */
  kind: string;
  reason: string;
}

export interface SubscriptionsTable {
  id: string;
  domain_id: string;
  /** A Channel: email, xmpp, webhook, pubsub. */
  channel: string;
  target: string;
  created_at: number;
  /** Where the request came from: api, xmpp-bot. */
  origin: string;
  confirmed_at: number | null;
  /** SHA-256 (hex) of the double opt-in token; the token itself is only in the message. */
  confirm_token_hash: string | null;
  confirm_expires_at: number | null;
  /** Every message carries it in its unsubscribe link. */
  unsubscribe_token: string;
  /** Webhooks: the HMAC-SHA256 key. */
  secret: string | null;
  unsubscribed_at: number | null;
  /** Rate limit bookkeeping: messages sent in the window that started at window_start. */
  window_start: number;
  window_count: number;
}

export interface AlertsTable {
  id: string;
  domain_id: string;
  transition_id: string | null;
  /** A MessageKind: alert, recovery. */
  kind: string;
  created_at: number;
  subject: string;
  /** JSON DomainState at the time. */
  state: string;
}

export interface DeliveriesTable {
  id: string;
  alert_id: string | null;
  subscription_id: string | null;
  domain_id: string;
  channel: string;
  target: string;
  kind: string;
  /** JSON AlertMessage, links included. */
  message: string;
  /** pending, sent, failed, suppressed (rate limit), cancelled (unsubscribed before it went). */
  status: string;
  attempts: number;
  next_attempt_at: number;
  claimed_until: number | null;
  last_error: string | null;
  created_at: number;
  sent_at: number | null;
}

export interface ProofsTable {
  id: string;
  domain_id: string;
  /** SHA-256 (hex) of the requester's secret key: the value published in the challenge TXT record. */
  token: string;
  created_at: number;
  /** Until when the challenge may be verified for the first time. */
  challenge_expires_at: number;
  /** The last successful verification, and until when the proof holds (re-verifying extends it). */
  verified_at: number | null;
  expires_at: number | null;
  checked_at: number | null;
  /** Why the last verification failed (null after a success). */
  last_result: string | null;
}

export interface CanariesTable {
  /** One canary per domain. */
  domain_id: string;
  /** The account's bare JID (an account of the domain). */
  jid: string;
  /** 1: the account must bind (-PLUS); no -PLUS login possible is a downgrade. */
  require_plus: number;
  /** base64(nonce ‖ AES-256-GCM ciphertext ‖ tag) of the password, associated data bound to the domain id and JID (src/service/canary-store.ts). */
  sealed_password: string;
  created_at: number;
  updated_at: number;
}

export interface Database {
  domains: DomainsTable;
  runs: RunsTable;
  observations: ObservationsTable;
  findings: FindingsTable;
  transitions: TransitionsTable;
  subscriptions: SubscriptionsTable;
  alerts: AlertsTable;
  deliveries: DeliveriesTable;
  proofs: ProofsTable;
  canaries: CanariesTable;
}
