// Logs: JSON lines on stdout (pino), one object per event with `time`, `level` as a word, `msg`
// and the event's fields. Modules take the small Log interface, so tests can pass a silent one.
import pino from 'pino';

export interface Log {
  debug(fields: object, msg: string): void;
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export function jsonLog(level: LogLevel = 'info', fd = 1): Log {
  return pino(
    {
      level,
      base: { service: 'keywatch' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    // Synchronous: a line is written before the next event, and none is lost when the process is killed.
    pino.destination({ dest: fd, sync: true }),
  );
}

export const silentLog: Log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

export const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));
