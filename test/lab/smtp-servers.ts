// The lab's mail exchangers: SMTP servers (nodemailer's smtp-server) running inside the lab's
// own process, like the interception proxies, so there is no PID to track: stop() closes the
// listener and every open connection.
//
// Each server answers on port 25 of one lab address, offers STARTTLS, takes mail from anyone
// for anyone (an MX has no AUTH), and writes every message it accepts to its maildir as an .eml
// file, so that tests of mail alerts can read what was delivered.
//
// It serves two certificates for the same host at once, an RSA and an ECDSA one: OpenSSL picks
// per handshake from the client's signature algorithms. That is how real MX hosts end up with a
// key that only some clients ever see, and why RFC 7671 §5 asks TLSA records to cover every key
// a server may present.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';

export const SMTP_PORT = 25;

export interface SmtpServerOptions {
  /** The MX host name: greeting, EHLO reply and the certificates' name. */
  host: string;
  address: string;
  port?: number;
  /** PEM chains (leaf first, then the intermediate) and keys, one pair per key type. */
  rsa: { chain: string; key: string };
  ec: { chain: string; key: string };
  /** Where accepted messages go, one .eml file each. Created when missing. */
  maildir: string;
  /** Largest message accepted, in bytes (the lab's mail is small; this bounds a runaway test). */
  maxMessageBytes?: number;
}

export interface SmtpServer {
  host: string;
  address: string;
  port: number;
  maildir: string;
  /** Messages written to the maildir so far. */
  readonly delivered: number;
  stop(): Promise<void>;
}

/** A header block naming the envelope and the TLS session, like a delivering MTA's trace fields. */
function traceHeaders(host: string, session: SMTPServerSession): string {
  const env = session.envelope;
  const from = env.mailFrom ? env.mailFrom.address : '';
  const tls = session.secure && session.tlsOptions ? ` using ${session.tlsOptions.version} with cipher ${session.tlsOptions.name}` : ' without TLS';
  const lines = [
    `Return-Path: <${from}>`,
    ...env.rcptTo.map((r) => `Delivered-To: ${r.address}`),
    `Received: from ${session.hostNameAppearsAs || 'unknown'} ([${session.remoteAddress}])`,
    `\tby ${host} (keywatch lab)${tls}`,
    `\tfor <${env.rcptTo.map((r) => r.address).join('>, <')}>; ${new Date().toUTCString()}`,
  ];
  return `${lines.join('\r\n')}\r\n`;
}

export async function startSmtpServer(o: SmtpServerOptions): Promise<SmtpServer> {
  const port = o.port ?? SMTP_PORT;
  mkdirSync(o.maildir, { recursive: true });
  const maxBytes = o.maxMessageBytes ?? 10 * 1024 * 1024;
  let seq = 0;
  let delivered = 0;

  const onData = (stream: SMTPServerDataStream, session: SMTPServerSession, done: (err?: Error | null) => void) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (c: Buffer) => {
      // Past the limit smtp-server still drains the message (then we refuse it): keep none of it.
      size += c.length;
      if (size <= maxBytes) chunks.push(c);
    });
    stream.once('error', (e: Error) => done(e));
    stream.once('end', () => {
      if (stream.sizeExceeded) {
        done(Object.assign(new Error(`message exceeds ${maxBytes} bytes`), { responseCode: 552 }));
        return;
      }
      try {
        const n = ++seq;
        const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${String(n).padStart(4, '0')}.eml`;
        const body = Buffer.concat([Buffer.from(traceHeaders(o.host, session)), ...chunks]);
        // Written under a dot name first: a test polling the maildir never reads half a message.
        const tmp = join(o.maildir, `.${name}.tmp`);
        writeFileSync(tmp, body);
        renameSync(tmp, join(o.maildir, name));
        delivered++;
        done();
      } catch (e) {
        done(e as Error);
      }
    });
  };

  const smtp = new SMTPServer({
    name: o.host,
    banner: 'keywatch lab MX',
    secure: false,
    // Node hands arrays to OpenSSL as one certificate slot per key type; OpenSSL then chooses
    // the certificate per handshake from what the client's signature_algorithms allow.
    key: [o.rsa.key, o.ec.key],
    cert: [o.rsa.chain, o.ec.chain],
    minVersion: 'TLSv1.2',
    // An MX takes mail from strangers: no AUTH at all, and no sender or recipient checks.
    authOptional: true,
    disabledCommands: ['AUTH'],
    size: maxBytes,
    // The default looks the client's address up in the system's DNS, outside the lab.
    disableReverseLookup: true,
    logger: false,
    onData,
  });
  // Client misbehaviour (a reset, a failed handshake) is what tests do on purpose; it must not
  // become an unhandled 'error' event in the lab's process.
  smtp.on('error', () => undefined);

  // Every accepted TCP socket, so stop() can end them all at once instead of granting
  // smtp-server's 30 s grace period. Destroying the TCP socket also ends a TLS session over it,
  // even one still in its handshake (tried on Node 20: no crash, the client sees the close).
  const sockets = new Set<Socket>();
  smtp.server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      if (e.code === 'EACCES') {
        reject(new Error(`SMTP server ${o.host}: binding ${o.address}:${port} needs root (or CAP_NET_BIND_SERVICE); run the lab as root`));
      } else reject(new Error(`SMTP server ${o.host}: cannot listen on ${o.address}:${port}: ${e.message}`));
    };
    smtp.server.once('error', onError);
    smtp.server.listen(port, o.address, () => {
      smtp.server.off('error', onError);
      resolve();
    });
  });

  let stopping: Promise<void> | undefined;
  return {
    host: o.host,
    address: o.address,
    port,
    maildir: o.maildir,
    get delivered() {
      return delivered;
    },
    stop: () =>
      (stopping ??= new Promise<void>((resolve) => {
        smtp.close(() => resolve());
        for (const s of sockets) s.destroy();
      })),
  };
}
