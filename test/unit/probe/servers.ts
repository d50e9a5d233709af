// Test servers for the probe's unit tests, all on 127.0.0.1 with an ephemeral port: a TCP
// server running a scripted handler per connection, server-side TLS on an accepted socket (for
// STARTTLS), and a test PKI from the lab's CA helper (openssl CLI, in a temp dir).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TLSSocket } from 'node:tls';
import { createTestCa, type IssuedCert, type TestCa } from '../../lab/ca.ts';

export interface TestServer {
  port: number;
  connections: number;
  close(): Promise<void>;
}

export async function startServer(handler: (socket: Socket) => void): Promise<TestServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    out.connections++;
    handler(s);
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const out: TestServer = {
    port: (server.address() as AddressInfo).port,
    connections: 0,
    close: () =>
      new Promise<void>((res) => {
        for (const s of sockets) s.destroy();
        server.close(() => res());
      }),
  };
  return out;
}

export interface TlsIdentity {
  key: string;
  /** The certificates to send, leaf first, PEM. */
  cert: string;
}

/** Turn an accepted plain socket into the server side of a TLS session (after STARTTLS). */
export function serverTls(socket: Socket, id: TlsIdentity): TLSSocket {
  const tls = new TLSSocket(socket, { isServer: true, key: id.key, cert: id.cert });
  tls.on('error', () => undefined);
  return tls;
}

/** Collect lines from a socket and hand them to `onLine` (tests' tiny line servers). */
export function onLines(socket: Socket | TLSSocket, onLine: (line: string) => void): void {
  let buf = '';
  const listener = (b: Buffer) => {
    buf += b.toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).replace(/\r$/, '');
      buf = buf.slice(nl + 1);
      onLine(line);
    }
  };
  socket.on('data', listener);
}

export interface TestPki {
  dir: string;
  ca: TestCa;
  leaf: IssuedCert;
  rootPem: string;
  intermediatePem: string;
  leafPem: string;
  key: string;
  /** Sends leaf + intermediate, as a correct server does. */
  full: TlsIdentity;
  /** Sends only the leaf. */
  leafOnly: TlsIdentity;
  cleanup(): void;
}

export async function makePki(): Promise<TestPki> {
  const dir = mkdtempSync(join(tmpdir(), 'keywatch-probe-test-'));
  const ca = await createTestCa(dir);
  const leaf = await ca.issue('server', {
    dnsNames: ['example.test', 'xmpp.example.test'],
    srvNames: ['_xmpp-client.example.test', '_xmpp-server.example.test'],
    xmppAddrs: ['example.test'],
  });
  const leafPem = readFileSync(leaf.certFile, 'utf8');
  const intermediatePem = readFileSync(ca.intermediateFile, 'utf8');
  const key = readFileSync(leaf.keyFile, 'utf8');
  return {
    dir,
    ca,
    leaf,
    rootPem: readFileSync(ca.rootFile, 'utf8'),
    intermediatePem,
    leafPem,
    key,
    full: { key, cert: leafPem + intermediatePem },
    leafOnly: { key, cert: leafPem },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A hostile XMPP server: a stream header, then XML that never ends, as fast as the client reads. */
export function streamXmlForever(s: Socket): void {
  s.write("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'><stream:features><x>");
  const chunk = '<a>'.repeat(5000);
  const pump = () => {
    while (!s.destroyed && s.write(chunk));
    if (!s.destroyed) s.once('drain', pump);
  };
  pump();
}
