// What every STARTTLS dialect shares: the errors that carry what the server told us before
// things went wrong (a report wants the banner and capabilities even when TLS never started),
// and the check that nothing follows the server's go-ahead.
import { ProbeError } from '../errors.ts';

/** What a line-based dialect (SMTP, IMAP, POP3) learned before TLS. */
export interface LineStarttlsInfo {
  protocol: 'smtp' | 'imap' | 'pop3';
  /** STARTTLS (STLS for POP3) advertised. */
  offered: boolean;
  /** The greeting, as received (capped). */
  banner: string;
  /** Capability keywords: EHLO keywords, IMAP capabilities, POP3 CAPA lines (upper-cased). */
  capabilities: string[];
  /** The dialogue as received, capped: for reports and for issues this probe does not judge. */
  transcript: string;
}

/** A STARTTLS dialogue that failed after the server had told us something worth reporting. */
export class StarttlsFailed extends ProbeError {
  readonly learned: unknown;
  constructor(inner: ProbeError, learned: unknown) {
    super(inner.kind, inner.message, { cause: inner });
    this.name = 'StarttlsFailed';
    this.learned = learned;
  }
}

export class StarttlsNotOffered extends StarttlsFailed {
  constructor(message: string, learned: unknown) {
    super(new ProbeError('starttls-not-offered', message), learned);
    this.name = 'StarttlsNotOffered';
  }
}

/**
 * Bytes received after the go-ahead (`<proceed/>`, `220`, `a2 OK`, `+OK`) but before our
 * ClientHello would be read as TLS data: the STARTTLS response-injection problem (RFC 7457
 * §2.1, CVE-2011-0411 on the server side). A correct server sends nothing there.
 */
export function assertNothingAfter(rest: Buffer, what: string, learned: unknown): void {
  if (rest.length) {
    throw new StarttlsFailed(new ProbeError('protocol', `the server sent ${rest.length} bytes after ${what}, before the TLS handshake`), learned);
  }
}
