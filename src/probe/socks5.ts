// SOCKS5 (RFC 1928) with username/password authentication (RFC 1929), just the CONNECT command.
//
// Why credentials at all: Tor's SocksPort isolates streams by SOCKS credentials by default
// (IsolateSOCKSAuth), so fresh random credentials per connection give every probe its own
// circuit and exit. An interceptor that recognised our exit could otherwise spare it, as a
// selective MITM would. We therefore offer *only* method 0x02: a proxy that would accept us
// without credentials would also put every probe on one circuit, which we refuse to do silently.
//
// We connect by IP address only (ATYP 1 or 4): names are resolved by keywatch itself, with
// DNSSEC validation, never by the proxy.
import { randomBytes } from 'node:crypto';
import { isIP, type Socket } from 'node:net';
import { BoundedReader, bytesScan, writeAll, type Budget } from './bounded.ts';
import { ProbeError, type ProbeErrorKind } from './errors.ts';

export interface SocksCredentials {
  username: string;
  password: string;
}

/** Fresh credentials for one connection: 16 random bytes each, hex (RFC 1929 allows 1–255). */
export function freshCredentials(): SocksCredentials {
  return { username: `keywatch-${randomBytes(16).toString('hex')}`, password: randomBytes(16).toString('hex') };
}

/** RFC 1928 §6 reply codes. */
export const SOCKS_REPLIES: Record<number, { meaning: string; kind: ProbeErrorKind }> = {
  1: { meaning: 'general SOCKS server failure', kind: 'socks' },
  2: { meaning: 'connection not allowed by ruleset', kind: 'socks' },
  3: { meaning: 'network unreachable', kind: 'unreachable' },
  4: { meaning: 'host unreachable', kind: 'unreachable' },
  5: { meaning: 'connection refused', kind: 'refused' },
  6: { meaning: 'TTL expired', kind: 'timeout' },
  7: { meaning: 'command not supported', kind: 'socks' },
  8: { meaning: 'address type not supported', kind: 'socks' },
};

export class SocksError extends ProbeError {
  /** The REP field of the proxy's reply, when the failure was one. */
  readonly reply: number | undefined;
  constructor(kind: ProbeErrorKind, message: string, reply?: number) {
    super(kind, message);
    this.name = 'SocksError';
    this.reply = reply;
  }
}

function addressBytes(address: string): { atyp: number; bytes: Buffer } {
  const family = isIP(address);
  if (family === 4) return { atyp: 1, bytes: Buffer.from(address.split('.').map(Number)) };
  if (family === 6) {
    // Expand "::" so we can write the eight 16-bit groups.
    const [head = '', tail = ''] = address.split('::');
    const h = head ? head.split(':') : [];
    const t = address.includes('::') ? (tail ? tail.split(':') : []) : [];
    const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
    const out = Buffer.alloc(16);
    groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
    return { atyp: 4, bytes: out };
  }
  throw new SocksError('config', `SOCKS: connect by IP address only (got ${JSON.stringify(address)}); keywatch resolves names itself`);
}

/**
 * Run the SOCKS5 dialogue on `socket` (already connected to the proxy) so that it then carries
 * a TCP connection to `address:port`. Returns the credentials used (tests check they differ).
 */
export async function socks5Connect(
  socket: Socket,
  target: { address: string; port: number },
  budget: Budget,
  credentials: SocksCredentials = freshCredentials(),
): Promise<SocksCredentials> {
  const { atyp, bytes } = addressBytes(target.address);
  const reader = new BoundedReader(socket, budget);
  try {
    // Greeting: version 5, one method, 0x02 username/password.
    await writeAll(socket, Buffer.from([5, 1, 2]));
    const [ver, method] = await reader.read('SOCKS method selection', bytesScan(2));
    if (ver !== 5) throw new SocksError('socks', `SOCKS: the proxy does not speak SOCKS5 (version byte ${ver})`);
    if (method !== 2) {
      throw new SocksError('socks', method === 0xff ? 'SOCKS: the proxy accepts no username/password authentication' : `SOCKS: the proxy chose method ${method}, not username/password`);
    }
    // RFC 1929: version 1, ULEN, UNAME, PLEN, PASSWD.
    const u = Buffer.from(credentials.username);
    const p = Buffer.from(credentials.password);
    await writeAll(socket, Buffer.concat([Buffer.from([1, u.length]), u, Buffer.from([p.length]), p]));
    const [, status] = await reader.read('SOCKS authentication reply', bytesScan(2));
    if (status !== 0) throw new SocksError('socks', `SOCKS: the proxy rejected our credentials (status ${status})`);
    // CONNECT request.
    const port = Buffer.alloc(2);
    port.writeUInt16BE(target.port);
    await writeAll(socket, Buffer.concat([Buffer.from([5, 1, 0, atyp]), bytes, port]));
    const head = await reader.read('SOCKS connect reply', bytesScan(4));
    const rep = head[1] ?? 1;
    if (head[0] !== 5) throw new SocksError('socks', `SOCKS: malformed reply (version byte ${head[0]})`);
    if (rep !== 0) {
      const known = SOCKS_REPLIES[rep];
      throw new SocksError(known?.kind ?? 'socks', `SOCKS reply ${rep}: ${known?.meaning ?? 'unassigned reply code'}`, rep);
    }
    // BND.ADDR and BND.PORT: skip them, their length depends on ATYP.
    const boundAtyp = head[3];
    let rest: number;
    if (boundAtyp === 1) rest = 4 + 2;
    else if (boundAtyp === 4) rest = 16 + 2;
    else if (boundAtyp === 3) rest = (await reader.read('SOCKS bound address length', bytesScan(1)))[0]! + 2;
    else throw new SocksError('socks', `SOCKS: unknown address type ${boundAtyp} in the reply`);
    await reader.read('SOCKS bound address', bytesScan(rest));
  } finally {
    const extra = reader.detach();
    if (extra.length) socket.unshift(extra);
  }
  return credentials;
}
