// Sending one DNS query and receiving its response, over UDP or TCP. Bytes in, bytes out: the
// message codec and the retry policy live elsewhere (message.ts, client.ts).
//
// Everything is bounded: one overall timer per query covers connect, send and read; a response
// longer than `maxBytes` is refused; every path clears the timer and closes the socket.
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { BlockList, connect as tcpConnect, isIP, type Socket as TcpSocket } from 'node:net';
import { DnsFormatError, nameEquals, nameFromWire } from './name.ts';
import type { DnsServer } from './resolv-conf.ts';

export type TransportKind = 'udp' | 'tcp';

export interface TransportOptions {
  /** Overall time allowed for this exchange, from the first packet to the last byte. */
  timeoutMs: number;
  /** Longest response accepted, in octets. Default 65535, the most a TCP length prefix can say. */
  maxBytes?: number;
}

export const DEFAULT_MAX_RESPONSE_BYTES = 65535;

/** The server could not be reached, or spoke something other than a DNS response to us. */
export class DnsTransportError extends Error {
  readonly server: DnsServer;
  readonly transport: TransportKind;
  /** What went wrong, without the server (e.g. "connection refused"). */
  readonly reason: string;
  constructor(server: DnsServer, transport: TransportKind, reason: string) {
    super(`${transport.toUpperCase()} ${serverToString(server)}: ${reason}`);
    this.name = 'DnsTransportError';
    this.server = server;
    this.transport = transport;
    this.reason = reason;
  }
}

/** No acceptable response before the deadline. A transport error, so one catch handles both. */
export class DnsTimeoutError extends DnsTransportError {
  readonly timeoutMs: number;
  constructor(server: DnsServer, transport: TransportKind, timeoutMs: number, detail = '') {
    super(server, transport, `no response within ${timeoutMs} ms${detail}`);
    this.name = 'DnsTimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

/** `192.0.2.1:53`, `[2001:db8::1]:53`. */
export function serverToString(server: DnsServer): string {
  return isIP(server.address) === 6 ? `[${server.address}]:${server.port}` : `${server.address}:${server.port}`;
}

const HEADER_LENGTH = 12;

/**
 * True when `response` answers `query`: same ID, QR set, and the same question (name compared
 * case-insensitively, since resolvers may echo a 0x20-randomised case; type and class exactly).
 * Checking the question and not only the 16-bit ID is the RFC 5452 §9.1 defence against forged
 * UDP answers. A response without a question section does not match, even for FORMERR: it cannot
 * be told apart from a forgery, so it counts as no answer and the client moves on.
 */
export function responseMatchesQuery(query: Uint8Array, response: Uint8Array): boolean {
  if (query.length < HEADER_LENGTH || response.length < HEADER_LENGTH) return false;
  if (query[0] !== response[0] || query[1] !== response[1]) return false;
  if (((response[2] ?? 0) & 0x80) === 0) return false; // QR: a query is not an answer
  const qdcount = ((query[4] ?? 0) << 8) | (query[5] ?? 0);
  if (qdcount !== (((response[4] ?? 0) << 8) | (response[5] ?? 0))) return false;
  let q = HEADER_LENGTH;
  let r = HEADER_LENGTH;
  try {
    for (let i = 0; i < qdcount; i += 1) {
      const qn = nameFromWire(query, q);
      const rn = nameFromWire(response, r);
      if (!nameEquals(qn.name, rn.name)) return false;
      q = qn.next;
      r = rn.next;
      if (q + 4 > query.length || r + 4 > response.length) return false;
      for (let k = 0; k < 4; k += 1) if (query[q + k] !== response[r + k]) return false; // QTYPE, QCLASS
      q += 4;
      r += 4;
    }
  } catch (err) {
    if (err instanceof DnsFormatError) return false;
    throw err;
  }
  return true;
}

function familyOf(server: DnsServer, transport: TransportKind): 4 | 6 {
  const family = isIP(server.address);
  if (family !== 4 && family !== 6) {
    throw new DnsTransportError(server, transport, `"${server.address}" is not an IP address`);
  }
  if (!Number.isInteger(server.port) || server.port < 1 || server.port > 65535) {
    throw new DnsTransportError(server, transport, `port ${server.port} is outside 1–65535`);
  }
  return family;
}

function errorReason(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ECONNREFUSED') return 'connection refused (ECONNREFUSED)';
    if (code === 'ECONNRESET') return 'connection reset by the server (ECONNRESET)';
    return err.message;
  }
  return String(err);
}

/**
 * One query over UDP from a fresh socket, so the OS picks a random source port (RFC 5452 §9.2)
 * and the socket dies with the query. The socket is connected to the server, so the kernel drops
 * datagrams from anyone else; we check the source again, then ID and question, and silently ignore
 * anything that does not match — an off-path forger must not be able to end the wait early.
 */
export async function queryUdp(server: DnsServer, query: Uint8Array, options: TransportOptions): Promise<Buffer> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const family = familyOf(server, 'udp');
  return new Promise<Buffer>((resolve, reject) => {
    const source = new BlockList();
    source.addAddress(server.address, family === 6 ? 'ipv6' : 'ipv4');
    const socket: UdpSocket = createSocket({ type: family === 6 ? 'udp6' : 'udp4' });
    let ignored = 0;
    let done = false;
    const finish = (err: Error | undefined, response?: Buffer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.removeAllListeners('message');
      try {
        socket.close();
      } catch {
        // Already closed (an 'error' event may close it first); nothing left to release.
      }
      if (err) reject(err);
      else resolve(response!);
    };
    const timer = setTimeout(() => {
      const detail = ignored > 0 ? ` (${ignored} non-matching datagram${ignored === 1 ? '' : 's'} ignored)` : '';
      finish(new DnsTimeoutError(server, 'udp', options.timeoutMs, detail));
    }, options.timeoutMs);
    socket.on('error', (err) => finish(new DnsTransportError(server, 'udp', errorReason(err))));
    socket.on('message', (msg: Buffer, rinfo: RemoteInfo) => {
      if (rinfo.port !== server.port || !source.check(rinfo.address, rinfo.family === 'IPv6' ? 'ipv6' : 'ipv4')) {
        ignored += 1;
        return;
      }
      if (!responseMatchesQuery(query, msg)) {
        ignored += 1;
        return;
      }
      if (msg.length > maxBytes) {
        finish(new DnsTransportError(server, 'udp', `response of ${msg.length} octets exceeds the ${maxBytes}-octet limit`));
        return;
      }
      finish(undefined, msg);
    });
    // Without a callback, a failed connect() is reported through the 'error' event above.
    socket.once('connect', () => {
      if (done) return;
      socket.send(query, (err) => {
        if (err) finish(new DnsTransportError(server, 'udp', `send failed: ${errorReason(err)}`));
      });
    });
    socket.connect(server.port, server.address);
  });
}

/**
 * One query over TCP (RFC 1035 §4.2.2, RFC 7766 §8): each message is preceded by its length in
 * two octets. The length prefix itself may arrive split across reads, and so may the body; the
 * prefix is checked against `maxBytes` before anything else is buffered, so a server announcing
 * 65535 octets and then dripping them costs one timer and at most `maxBytes` of memory.
 */
export async function queryTcp(server: DnsServer, query: Uint8Array, options: TransportOptions): Promise<Buffer> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  familyOf(server, 'tcp');
  if (query.length > 0xffff) throw new DnsTransportError(server, 'tcp', `query of ${query.length} octets does not fit a TCP length prefix`);
  return new Promise<Buffer>((resolve, reject) => {
    const socket: TcpSocket = tcpConnect({ host: server.address, port: server.port });
    const chunks: Buffer[] = [];
    let received = 0;
    let expected = -1; // body length once the two-octet prefix is in
    let done = false;
    const finish = (err: Error | undefined, response?: Buffer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.removeAllListeners('data');
      socket.destroy();
      if (err) reject(err);
      else resolve(response!);
    };
    const timer = setTimeout(() => {
      const progress = expected < 0 ? `${received} octets received` : `${Math.max(received - 2, 0)} of ${expected} octets received`;
      finish(new DnsTimeoutError(server, 'tcp', options.timeoutMs, ` (${progress})`));
    }, options.timeoutMs);
    // Stays registered after finish(): destroy() may still emit an error we have no use for.
    socket.on('error', (err) => finish(new DnsTransportError(server, 'tcp', errorReason(err))));
    socket.on('connect', () => {
      const framed = Buffer.allocUnsafe(2 + query.length);
      framed.writeUInt16BE(query.length, 0);
      framed.set(query, 2);
      socket.write(framed);
    });
    socket.on('data', (chunk: Buffer) => {
      // Never keep more than prefix + limit: anything past the announced message is discarded.
      const room = (expected < 0 ? 2 + maxBytes : 2 + expected) - received;
      const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
      chunks.push(kept);
      received += kept.length;
      if (expected < 0 && received >= 2) {
        const head = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
        chunks.length = 0;
        chunks.push(head);
        expected = head.readUInt16BE(0);
        if (expected < HEADER_LENGTH) {
          finish(new DnsTransportError(server, 'tcp', `length prefix announces ${expected} octets, shorter than a DNS header`));
          return;
        }
        if (expected > maxBytes) {
          finish(new DnsTransportError(server, 'tcp', `length prefix announces ${expected} octets, above the ${maxBytes}-octet limit`));
          return;
        }
      }
      if (expected >= 0 && received >= 2 + expected) {
        const whole = Buffer.concat(chunks, received);
        const response = Buffer.from(whole.subarray(2, 2 + expected));
        if (!responseMatchesQuery(query, response)) {
          finish(new DnsTransportError(server, 'tcp', 'response ID or question does not match the query'));
          return;
        }
        finish(undefined, response);
      }
    });
    socket.on('end', () => {
      const progress = expected < 0 ? `${received} octets of the length prefix` : `${Math.max(received - 2, 0)} of ${expected} octets`;
      finish(new DnsTransportError(server, 'tcp', `connection closed by the server after ${progress}`));
    });
  });
}
