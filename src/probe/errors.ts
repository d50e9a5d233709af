// The ways a probe can fail, as types. A probe never throws for what the network or the server
// does: probe.ts turns each of these into `{ ok: false, stage, error: { kind, message } }`, and
// the audit turns that into a finding. The kinds are stable identifiers; messages are prose.

export type ProbeErrorKind =
  /** Time limit reached (connect, a read, or the TLS handshake). */
  | 'timeout'
  /** The peer sent more than the byte limit allows before we had what we needed. */
  | 'byte-limit'
  /** TCP RST to our SYN (ECONNREFUSED), or the SOCKS proxy reported reply code 5. */
  | 'refused'
  /** No route, host or network unreachable (directly or as reported by the proxy). */
  | 'unreachable'
  /** The connection was reset or closed while we were waiting for the peer. */
  | 'closed'
  /** Any other failure reported by the SOCKS proxy, or a proxy that does not speak SOCKS5. */
  | 'socks'
  /** The server said something the protocol does not allow at this point. */
  | 'protocol'
  /** The server does not advertise STARTTLS (or STLS). */
  | 'starttls-not-offered'
  /** The server advertised STARTTLS but refused it (`<failure/>`, `454`, `a2 NO`, `-ERR`). */
  | 'starttls-refused'
  /** The TLS handshake failed (alert, version or cipher mismatch, not TLS at all). */
  | 'tls'
  /** A local error: bad option, unreadable CA file. */
  | 'config'
  /** Anything else from the socket layer (kept with its errno code in the message). */
  | 'network'
  /** A bug in keywatch, caught so that one probe cannot take a batch down. */
  | 'internal';

export class ProbeError extends Error {
  readonly kind: ProbeErrorKind;
  constructor(kind: ProbeErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProbeError';
    this.kind = kind;
  }
}

/**
 * A read stopped by one of its limits. `limit` says which; `bytes` and `ms` say how much had
 * been received and how long we had waited, so a report can show "the server sent 1 MiB of XML
 * without finishing <stream:features>" rather than a bare failure.
 */
export class ProbeLimitError extends ProbeError {
  readonly limit: 'bytes' | 'time';
  readonly bytes: number;
  readonly ms: number;
  readonly waitingFor: string;
  constructor(limit: 'bytes' | 'time', waitingFor: string, bytes: number, ms: number, max: number) {
    super(
      limit === 'bytes' ? 'byte-limit' : 'timeout',
      limit === 'bytes'
        ? `more than ${max} bytes received while waiting for ${waitingFor} (after ${Math.round(ms)} ms)`
        : `timed out after ${max} ms waiting for ${waitingFor} (${bytes} bytes received)`,
    );
    this.name = 'ProbeLimitError';
    this.limit = limit;
    this.bytes = bytes;
    this.ms = ms;
    this.waitingFor = waitingFor;
  }
}

/** Map a Node socket error to a probe error; keeps the errno code visible in the message. */
export function fromSocketError(err: unknown, what: string): ProbeError {
  if (err instanceof ProbeError) return err;
  const e = err as NodeJS.ErrnoException;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const detail = `${what}: ${e?.message ?? String(err)}`;
  switch (code) {
    case 'ECONNREFUSED':
      return new ProbeError('refused', detail, { cause: err });
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EADDRNOTAVAIL':
      return new ProbeError('unreachable', detail, { cause: err });
    case 'ECONNRESET':
    case 'EPIPE':
      return new ProbeError('closed', detail, { cause: err });
    case 'ETIMEDOUT':
      return new ProbeError('timeout', detail, { cause: err });
    default:
      return new ProbeError('network', detail, { cause: err });
  }
}
