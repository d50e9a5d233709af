// A small XMPP endpoint for tests that issues predictable stream ids: it answers a stream header
// (jabber:client or jabber:server, echoing the namespace) with its own header carrying the id the
// chosen mode makes, and stream features offering STARTTLS (which it then refuses: there is no
// TLS here, only ids). Loopback only; bounded input; every socket is destroyed on close().
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';

export type IdMode =
  /** 1000, 1001, 1002, … */
  | 'counter'
  /** Unix milliseconds followed by a three-digit sequence number: `1717171717171005`. */
  | 'timestamp'
  /** Unix seconds in hex followed by four random hex digits (16 random bits). */
  | 'timestamp-hex'
  /** Six random hex digits: 24 bits. */
  | 'short'
  /** A long constant prefix and eight random hex digits (32 bits). */
  | 'prefix'
  /** Three ids, over and over. */
  | 'repeat'
  /** UUIDv4 from a CSPRNG, like Prosody: the control that must not be flagged. */
  | 'uuid4'
  /** No id attribute at all. */
  | 'none';

export interface PredictableXmpp {
  address: string;
  port: number;
  mode: IdMode;
  /** The ids issued so far, in order. */
  issued: string[];
  /** Connections accepted, and how many of them closed their stream with </stream:stream>. */
  connections: number;
  politeCloses: number;
  close(): Promise<void>;
}

const MAX_INPUT = 16_384;

export function makeId(mode: IdMode, n: number, nowMs: number): string | undefined {
  switch (mode) {
    case 'counter':
      return String(1000 + n);
    case 'timestamp':
      return `${nowMs}${String(n % 1000).padStart(3, '0')}`;
    case 'timestamp-hex':
      return `${Math.floor(nowMs / 1000).toString(16)}${randomBytes(2).toString('hex')}`;
    case 'short':
      return randomBytes(3).toString('hex');
    case 'prefix':
      return `keywatch-lab-stream-${randomBytes(4).toString('hex')}`;
    case 'repeat':
      return ['a1b2c3d4e5f60718', '0f1e2d3c4b5a6978', 'deadbeefcafef00d'][n % 3];
    case 'uuid4':
      return randomUUID();
    case 'none':
      return undefined;
  }
}

export async function startPredictableXmpp(o: { mode: IdMode; domain?: string; address?: string }): Promise<PredictableXmpp> {
  const domain = o.domain ?? 'predictable.test';
  const sockets = new Set<Socket>();
  const state: PredictableXmpp = {
    address: o.address ?? '127.0.0.1',
    port: 0,
    mode: o.mode,
    issued: [],
    connections: 0,
    politeCloses: 0,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const n = state.connections++;
    let input = '';
    let opened = false;
    socket.on('data', (chunk: Buffer) => {
      input += chunk.toString('utf8');
      if (input.length > MAX_INPUT) {
        socket.destroy();
        return;
      }
      if (!opened) {
        const m = /<stream:stream\b[^>]*>/.exec(input);
        if (!m) return;
        opened = true;
        const ns = /xmlns=['"]jabber:server['"]/.test(m[0]) ? 'jabber:server' : 'jabber:client';
        const id = makeId(o.mode, n, Date.now());
        if (id !== undefined) state.issued.push(id);
        socket.write(
          `<?xml version='1.0'?><stream:stream xmlns='${ns}' xmlns:stream='http://etherx.jabber.org/streams'${id !== undefined ? ` id='${id}'` : ''} from='${domain}' version='1.0'>` +
            `<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>`,
        );
        input = input.slice(m.index + m[0].length);
      }
      if (input.includes('</stream:stream>')) {
        state.politeCloses++;
        socket.end('</stream:stream>');
      } else if (input.includes('<starttls')) {
        socket.end(`<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>`);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, state.address, () => resolve());
  });
  const addr = server.address();
  if (addr && typeof addr === 'object') state.port = addr.port;
  return state;
}
