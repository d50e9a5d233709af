// `keywatch serve --config FILE`: run the watch service — scheduled, jittered checks of every
// watched domain (directly and over Tor), alerts through the outbox, the JSON API, /healthz and
// /metrics — until SIGTERM or SIGINT, then stop gracefully (docs/SERVICE.md).
import { Command } from 'commander';
import type { WatchService } from '../../service/service.ts';
import { UsageError } from '../errors.ts';
import { EXIT, type ExitCode } from '../exit-codes.ts';

export function serveCommand(setExit: (code: ExitCode) => void): Command {
  return new Command('serve')
    .summary('run the watch service: jittered checks, alerts, JSON API, /metrics')
    .description(
      `Watch domains continuously: each is checked on its interval with random jitter (and in random endpoint order), directly and through Tor when a SOCKS port is configured; a change for the worse is confirmed by a second check over fresh connections, then subscribers are alerted (and told again when it clears). Everything is kept in a database (SQLite under the data directory, or PostgreSQL), so a restart loses nothing and resumes the schedule.

Logs are JSON lines on stdout. SIGTERM or SIGINT stops taking work, lets running checks finish within the grace period, and requeues the rest.`,
    )
    .requiredOption('-c, --config <file>', 'the configuration file (JSON; docs/SERVICE.md lists every field)')
    .option('--check-config', 'validate the configuration and exit')
    .addHelpText(
      'after',
      `
Environment overrides: KEYWATCH_DATA_DIR, KEYWATCH_DATABASE_URL, KEYWATCH_LISTEN (host:port),
KEYWATCH_PUBLIC_URL, KEYWATCH_RESOLVERS (comma-separated), KEYWATCH_TRUST_ANCHOR,
KEYWATCH_CA_FILE, KEYWATCH_SOCKS, KEYWATCH_ALLOW_PRIVATE, KEYWATCH_INTERVAL_SECONDS,
KEYWATCH_CONCURRENCY, KEYWATCH_WORKER_ID, KEYWATCH_LOG_LEVEL.

Example:
  keywatch serve --config /etc/keywatch/keywatch.json`,
    )
    .action(async (opts: { config: string; checkConfig?: boolean }) => {
      // The service's modules (database drivers, notifiers) load only when the service runs, so
      // every other command starts as fast as before.
      const [{ ConfigError, loadConfig }, { jsonLog }, { MigrationError }, { DatabaseOpenError }, { WatchService }] = await Promise.all([
        import('../../service/config.ts'),
        import('../../service/log.ts'),
        import('../../service/store/migrations.ts'),
        import('../../service/store/open.ts'),
        import('../../service/service.ts'),
      ]);
      let config;
      try {
        config = loadConfig(opts.config);
      } catch (e) {
        if (e instanceof ConfigError) throw new UsageError(`configuration: ${e.message.replaceAll('\n', '; ')}`);
        throw e;
      }
      if (opts.checkConfig) {
        process.stdout.write(`${opts.config}: valid\n`);
        setExit(EXIT.ok);
        return;
      }
      const log = jsonLog(config.logLevel);
      let svc: WatchService;
      try {
        svc = await WatchService.start(config, { log });
      } catch (e) {
        if (e instanceof ConfigError || e instanceof DatabaseOpenError || e instanceof MigrationError) throw new UsageError(e.message.replaceAll('\n', '; '));
        if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new UsageError(`listen: ${config.listen.host}:${config.listen.port} is already in use`);
        throw e;
      }
      await new Promise<void>((resolve) => {
        let signals = 0;
        const onSignal = (signal: NodeJS.Signals) => {
          signals++;
          if (signals > 1) {
            log.warn({ event: 'forced-exit', signal }, 'second signal: exiting now');
            process.exit(EXIT.unknown);
          }
          log.info({ event: 'signal', signal }, `${signal}: shutting down`);
          svc.stop().then(resolve, (e: unknown) => {
            log.error({ event: 'stop-failed', error: e instanceof Error ? e.message : String(e) }, 'shutdown failed');
            resolve();
          });
        };
        process.on('SIGTERM', onSignal);
        process.on('SIGINT', onSignal);
      });
      setExit(EXIT.ok);
    });
}
