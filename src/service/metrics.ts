// Prometheus metrics (prom-client, on a registry of our own): counters and a histogram updated as
// work happens, gauges read from the database at scrape time so they are right across restarts
// and across workers sharing a PostgreSQL database.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { countActive } from './store/domains.ts';
import { countByStatus } from './store/outbox.ts';
import type { Store } from './store/store.ts';

export class Metrics {
  readonly registry = new Registry();
  readonly checks: Counter<'vantage' | 'status'>;
  readonly checkDuration: Histogram<'vantage'>;
  readonly runs: Counter<'purpose' | 'outcome'>;
  readonly alerts: Counter<'kind'>;
  readonly deliveries: Counter<'channel' | 'result'>;

  constructor(store?: Store) {
    const registers = [this.registry];
    this.checks = new Counter({ name: 'keywatch_checks_total', help: 'Checks run, by vantage and resulting status.', labelNames: ['vantage', 'status'], registers });
    this.checkDuration = new Histogram({
      name: 'keywatch_check_duration_seconds',
      help: 'How long one check of one domain from one vantage took.',
      labelNames: ['vantage'],
      buckets: [0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120],
      registers,
    });
    this.runs = new Counter({ name: 'keywatch_runs_total', help: 'Scheduled and confirmation runs, by what the alert policy made of them.', labelNames: ['purpose', 'outcome'], registers });
    this.alerts = new Counter({ name: 'keywatch_alerts_total', help: 'Alerts and recoveries raised (one per confirmed transition, before fan-out to subscribers).', labelNames: ['kind'], registers });
    this.deliveries = new Counter({ name: 'keywatch_deliveries_total', help: 'Delivery attempts by channel and result (sent, retry, failed).', labelNames: ['channel', 'result'], registers });
    if (store) {
      new Gauge({
        name: 'keywatch_deliveries_pending',
        help: 'Messages waiting in the outbox.',
        registers,
        async collect() {
          this.set((await countByStatus(store.db)).pending ?? 0);
        },
      });
      new Gauge({
        name: 'keywatch_domains_watched',
        help: 'Domains being watched.',
        registers,
        async collect() {
          this.set(await countActive(store.db));
        },
      });
    }
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
