// Interception proxies for the lab's attack scenarios, the way the jabber.ru interceptor
// worked: accept the client's connection, terminate TLS with a key of the attacker's own (in a
// certificate from the same trusted CA), open TLS to the real server, relay the cleartext.
//
// Modes:
//  - relay:          plain TCP relay, no interception (the "untouched" ports of a scenario);
//  - direct-tls:     TLS from the first byte (XEP-0368 direct TLS, 993, 995, 443, ...);
//  - xmpp-starttls:  relay the XMPP stream until the server's <proceed/>, then intercept.
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { connect as tlsConnect, TLSSocket, type SecureContextOptions } from 'node:tls';

export type ProxyMode = 'relay' | 'direct-tls' | 'xmpp-starttls';

export interface ProxySpec {
  listen: { host: string; port: number };
  upstream: { host: string; port: number };
  mode: ProxyMode;
  /** The attacker's certificate chain and key (ignored for `relay`). */
  tls?: Pick<SecureContextOptions, 'cert' | 'key'>;
  /** Server name sent upstream when the client sent none. */
  servername?: string;
}

export interface Proxy {
  spec: ProxySpec;
  /** Connections accepted so far, and how many were intercepted (TLS terminated here). */
  stats: { accepted: number; intercepted: number };
  close(): Promise<void>;
}

function splice(a: Socket, b: Socket): void {
  a.pipe(b);
  b.pipe(a);
  const end = () => {
    a.destroy();
    b.destroy();
  };
  a.once('close', end);
  b.once('close', end);
  a.on('error', end);
  b.on('error', end);
}

export async function startProxy(spec: ProxySpec): Promise<Proxy> {
  const sockets = new Set<Socket>();
  const stats = { accepted: 0, intercepted: 0 };
  const track = <S extends Socket>(s: S): S => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
    return s;
  };
  if (spec.mode !== 'relay' && !spec.tls) throw new Error(`proxy ${spec.mode} needs a certificate`);

  const intercept = (client: Socket, upstream: Socket | undefined) => {
    stats.intercepted++;
    // Like the jabber.ru interceptor, a stock TLS stack that also accepts anonymous and NULL
    // suites, which the real servers refuse: a difference in TLS parameters keywatch must see.
    const clientTls = track(new TLSSocket(client, { isServer: true, ciphers: 'ALL:aNULL:eNULL@SECLEVEL=0', dhparam: 'auto', ...spec.tls }));
    clientTls.on('error', () => client.destroy());
    clientTls.once('secure', () => {
      const servername = clientTls.servername || spec.servername;
      const upTls = track(
        tlsConnect({
          ...(upstream ? { socket: upstream } : { host: spec.upstream.host, port: spec.upstream.port }),
          ...(servername ? { servername } : {}),
          rejectUnauthorized: false,
        }),
      );
      upTls.once('secureConnect', () => splice(clientTls, upTls));
      upTls.on('error', () => clientTls.destroy());
    });
  };

  const server: Server = createServer((client) => {
    stats.accepted++;
    track(client);
    client.on('error', () => client.destroy());
    if (spec.mode === 'direct-tls') return intercept(client, undefined);
    const upstream = track(tcpConnect(spec.upstream));
    if (spec.mode === 'relay') return splice(client, upstream);

    // xmpp-starttls: relay both ways until the server says <proceed/>.
    let seen = '';
    const fromClient = (b: Buffer) => upstream.write(b);
    const fromServer = (b: Buffer) => {
      seen = (seen + b.toString('latin1')).slice(-4096);
      if (!/<proceed[\s/>]/.test(seen)) {
        client.write(b);
        return;
      }
      // Take both sockets over before the client's ClientHello can arrive.
      client.off('data', fromClient);
      upstream.off('data', fromServer);
      client.pause();
      client.write(b);
      intercept(client, upstream);
    };
    client.on('data', fromClient);
    upstream.on('data', fromServer);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    upstream.on('error', end);
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(spec.listen.port, spec.listen.host, () => resolve());
  });
  return {
    spec,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
