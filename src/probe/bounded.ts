// Bounded reading from a socket: every read the probe makes has a byte limit and a time limit
// (DESIGN.md, "Everything bounded"). A hostile or broken server — a banner that never ends, XML
// dripped forever, silence — costs us at most `maxBytes` of memory and `timeoutMs` of time, and
// yields a ProbeLimitError that says which limit was hit, not a hang or a crash.
//
// One Budget covers a whole probe (connect, SOCKS, STARTTLS dialogue, handshake, post-TLS
// features): the deadline is absolute and the byte count is cumulative, so a server cannot get a
// fresh allowance at each step.
import type { Duplex } from 'node:stream';
import { ProbeError, ProbeLimitError } from './errors.ts';

export interface Budget {
  readonly startedAt: number;
  readonly timeoutMs: number;
  readonly maxBytes: number;
  /** Bytes received from the peer so far, across every reader sharing this budget. */
  bytesRead: number;
}

export function createBudget(timeoutMs: number, maxBytes: number): Budget {
  return { startedAt: performance.now(), timeoutMs, maxBytes, bytesRead: 0 };
}

export const elapsedMs = (b: Budget): number => performance.now() - b.startedAt;
export const remainingMs = (b: Budget): number => Math.max(0, b.timeoutMs - elapsedMs(b));

/**
 * What a scan returns: how many bytes at the front of the buffer it has finished with (they are
 * dropped, so a stateful scanner never sees them twice), and the value once it has one.
 */
export interface ScanStep<T> {
  consumed: number;
  value?: T;
  done: boolean;
}
export type Scan<T> = (buf: Buffer) => ScanStep<T>;

/**
 * Buffers what a socket receives and hands it to scans, one read at a time. `detach()` stops
 * listening before the socket is given to TLS, and returns what was received but not consumed
 * (which must be nothing: bytes after `<proceed/>` or `220` would be the STARTTLS injection of
 * CVE-2011-0411 / RFC 7457 §2.1, and would corrupt the handshake anyway).
 */
export class BoundedReader {
  private buf: Buffer = Buffer.alloc(0);
  private failure: ProbeError | undefined;
  private closed = false;
  private wake: (() => void) | undefined;
  private readonly onData = (chunk: Buffer) => {
    this.budget.bytesRead += chunk.length;
    if (this.budget.bytesRead > this.budget.maxBytes) {
      // Stop buffering at once: the limit is on memory, not only on what we look at.
      this.failure ??= new ProbeLimitError('bytes', this.waitingFor, this.budget.bytesRead, elapsedMs(this.budget), this.budget.maxBytes);
      this.socket.pause();
    } else {
      this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    }
    this.wake?.();
  };
  private readonly onEnd = () => {
    this.closed = true;
    this.wake?.();
  };
  private readonly onError = (err: Error) => {
    this.failure ??= new ProbeError('closed', `connection failed while waiting for ${this.waitingFor}: ${err.message}`, { cause: err });
    this.wake?.();
  };
  private waitingFor = 'data';

  constructor(
    private readonly socket: Duplex,
    private readonly budget: Budget,
  ) {
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onEnd);
    socket.on('error', this.onError);
    // A 'data' listener does not restart a stream an earlier reader paused explicitly.
    socket.resume();
  }

  /** Run `scan` over what arrives until it is done; bounded by the budget's bytes and deadline. */
  async read<T>(waitingFor: string, scan: Scan<T>): Promise<T> {
    this.waitingFor = waitingFor;
    const started = performance.now();
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        finish(new ProbeLimitError('time', waitingFor, this.budget.bytesRead, performance.now() - started, Math.round(this.budget.timeoutMs)));
      }, remainingMs(this.budget));
      const finish = (err: ProbeError | undefined, value?: T) => {
        clearTimeout(timer);
        this.wake = undefined;
        if (err) reject(err);
        else resolve(value as T);
      };
      const step = () => {
        if (this.failure) return finish(this.failure);
        if (this.buf.length) {
          let r: ScanStep<T>;
          try {
            r = scan(this.buf);
          } catch (e) {
            return finish(e instanceof ProbeError ? e : new ProbeError('protocol', `${waitingFor}: ${(e as Error).message}`));
          }
          if (r.consumed) this.buf = this.buf.subarray(r.consumed);
          if (r.done) return finish(undefined, r.value);
        }
        if (this.closed) {
          return finish(new ProbeError('closed', `connection closed while waiting for ${waitingFor} (${this.budget.bytesRead} bytes received)`));
        }
        this.wake = step;
      };
      step();
    });
  }

  /** Stop reading; returns bytes received and not consumed. */
  detach(): Buffer {
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('close', this.onEnd);
    this.socket.off('error', this.onError);
    this.socket.pause();
    const rest = this.buf;
    this.buf = Buffer.alloc(0);
    return rest;
  }
}

/** A scan for one CRLF- (or LF-) terminated line, returned without its terminator. */
export const lineScan: Scan<string> = (buf) => {
  const nl = buf.indexOf(0x0a);
  if (nl < 0) return { consumed: 0, done: false };
  const end = nl > 0 && buf[nl - 1] === 0x0d ? nl - 1 : nl;
  return { consumed: nl + 1, value: buf.subarray(0, end).toString('utf8'), done: true };
};

/** A scan for exactly `n` bytes. */
export const bytesScan =
  (n: number): Scan<Buffer> =>
  (buf) =>
    buf.length >= n ? { consumed: n, value: Buffer.from(buf.subarray(0, n)), done: true } : { consumed: 0, done: false };

/** Write and wait until the data is handed to the kernel (or the socket fails). */
export function writeAll(socket: Duplex, data: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.write(data, (err) => (err ? reject(new ProbeError('closed', `write failed: ${err.message}`, { cause: err })) : resolve()));
  });
}

/** Keep at most `max` characters of server-supplied text for a report. */
export function capText(text: string, max = 16_384): string {
  return text.length > max ? `${text.slice(0, max)}…[${text.length - max} more characters]` : text;
}
