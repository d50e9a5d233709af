// Opening the TCP connection a probe runs over: directly, or through a SOCKS5 proxy (Tor) with
// fresh credentials so that each probe gets its own circuit (see socks5.ts). Always to an IP
// address: keywatch resolves names itself, with DNSSEC, and probes every address separately.
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { remainingMs, type Budget } from './bounded.ts';
import { fromSocketError, ProbeError } from './errors.ts';
import { socks5Connect, type SocksCredentials } from './socks5.ts';

export interface ConnectOptions {
  address: string;
  port: number;
  family?: 4 | 6;
  socks?: { host: string; port: number };
  /** For tests; by default fresh random credentials per connection. */
  socksCredentials?: SocksCredentials;
}

export interface Connection {
  socket: Socket;
  /** The SOCKS credentials used, when through a proxy. */
  socks?: SocksCredentials;
}

function tcp(host: string, port: number, family: 4 | 6 | undefined, budget: Budget, what: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    // noDelay: the dialogues are small write-then-wait exchanges; Nagle's algorithm against the
    // peer's delayed ACK would add ~40 ms to several round trips of every probe.
    const socket = netConnect({ host, port, noDelay: true, ...(family ? { family } : {}) });
    const ms = remainingMs(budget);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ProbeError('timeout', `${what}: no TCP connection within ${Math.round(budget.timeoutMs)} ms`));
    }, ms);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      socket.destroy();
      reject(fromSocketError(err, what));
    });
  });
}

export async function connectTcp(o: ConnectOptions, budget: Budget): Promise<Connection> {
  if (!isIP(o.address)) throw new ProbeError('config', `connect by IP address only (got ${JSON.stringify(o.address)})`);
  const target = `${o.address.includes(':') ? `[${o.address}]` : o.address}:${o.port}`;
  if (!o.socks) return { socket: await tcp(o.address, o.port, o.family, budget, `connect ${target}`) };
  const socket = await tcp(o.socks.host, o.socks.port, undefined, budget, `connect to SOCKS proxy ${o.socks.host}:${o.socks.port}`);
  // Errors after `connect` must not go unhandled; the readers report them.
  socket.on('error', () => undefined);
  try {
    const creds = await socks5Connect(socket, { address: o.address, port: o.port }, budget, o.socksCredentials);
    return { socket, socks: creds };
  } catch (e) {
    socket.destroy();
    throw e;
  }
}
