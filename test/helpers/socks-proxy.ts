// A minimal SOCKS5 proxy (RFC 1928, username/password per RFC 1929) for tests: it stands in for
// Tor's SOCKS port, records the credentials and targets of every connection, and relays.
import { connect, type Socket } from 'node:net';
import { startServer, type TestServer } from '../unit/probe/servers.ts';

export interface Proxy {
  server: TestServer;
  usernames: string[];
  methodsOffered: number[][];
  /** `address:port` of every CONNECT. */
  targets: string[];
}

/** Accepts only method 0x02; answers CONNECT with `reply` (0 = relay to the target). */
export async function startSocks(reply = 0): Promise<Proxy> {
  const p: Proxy = { server: undefined as unknown as TestServer, usernames: [], methodsOffered: [], targets: [] };
  p.server = await startServer((client: Socket) => {
    let buf = Buffer.alloc(0);
    let phase = 0;
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (phase === 0 && buf.length >= 2 && buf.length >= 2 + buf[1]!) {
        p.methodsOffered.push([...buf.subarray(2, 2 + buf[1]!)]);
        const ok = buf.subarray(2, 2 + buf[1]!).includes(2);
        buf = buf.subarray(2 + buf[1]!);
        client.write(Buffer.from([5, ok ? 2 : 0xff]));
        phase = 1;
      }
      if (phase === 1 && buf.length >= 2) {
        const ulen = buf[1]!;
        if (buf.length < 3 + ulen) return;
        const plen = buf[2 + ulen]!;
        if (buf.length < 3 + ulen + plen) return;
        p.usernames.push(buf.subarray(2, 2 + ulen).toString());
        buf = buf.subarray(3 + ulen + plen);
        client.write(Buffer.from([1, 0]));
        phase = 2;
      }
      if (phase === 2 && buf.length >= 10 && buf[3] === 1) {
        const host = [...buf.subarray(4, 8)].join('.');
        const port = buf.readUInt16BE(8);
        p.targets.push(`${host}:${port}`);
        buf = buf.subarray(10);
        phase = 3;
        client.off('data', onData);
        if (reply !== 0) {
          client.end(Buffer.from([5, reply, 0, 1, 0, 0, 0, 0, 0, 0]));
          return;
        }
        const upstream = connect({ host, port }, () => {
          client.write(Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0x10, 0x00]));
          if (buf.length) upstream.write(buf);
          client.pipe(upstream).pipe(client);
        });
        upstream.on('error', () => client.destroy());
      }
    };
    client.on('data', onData);
  });
  return p;
}
