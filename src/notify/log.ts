// What the notifiers tell the service's log: one call per event, fields and a short message
// (never a password, an HMAC key or a whole message body). The shape is pino's, the same as the
// service's Log (src/service/log.ts), so the service passes its own logger as it is.

export interface NotifyLog {
  debug(fields: object, msg: string): void;
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
}

export const silentLog: NotifyLog = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** An error as one line for a log or a DeliveryResult (no stack; bounded length). */
export function errorLine(e: unknown, max = 300): string {
  const text = e instanceof Error ? e.message || e.name : String(e);
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}
