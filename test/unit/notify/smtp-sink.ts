// A real SMTP server for the email notifier's tests (nodemailer's smtp-server on 127.0.0.1, an
// ephemeral port): STARTTLS with a test certificate unless hidden, recipients refused by their
// local part (`reject550@…` → 550, `defer451@…` → 451), every accepted message kept raw with
// whether it came over TLS.
import type { AddressInfo, Socket } from 'node:net';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';

export interface ReceivedMail {
  raw: Buffer;
  secure: boolean;
  mailFrom: string;
  rcptTo: string[];
}

export interface SmtpSink {
  port: number;
  received: ReceivedMail[];
  connections: number;
  close(): Promise<void>;
}

export async function startSmtpSink(o: { cert?: string; key?: string; hideStartTls?: boolean } = {}): Promise<SmtpSink> {
  const received: ReceivedMail[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = new SMTPServer({
    secure: false,
    ...(o.cert && o.key ? { cert: o.cert, key: o.key } : {}),
    authOptional: true,
    // Without a certificate there is no STARTTLS at all (smtp-server would otherwise answer it
    // with its built-in, expired certificate).
    disabledCommands: o.hideStartTls || !o.cert ? ['AUTH', 'STARTTLS'] : ['AUTH'],
    disableReverseLookup: true,
    logger: false,
    onRcptTo(address, _session, cb) {
      const local = address.address.split('@')[0] ?? '';
      if (local.startsWith('reject550')) return cb(Object.assign(new Error('5.1.1 No such user here'), { responseCode: 550 }));
      if (local.startsWith('defer451')) return cb(Object.assign(new Error('4.7.1 Greylisted, try again later'), { responseCode: 451 }));
      cb();
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, cb: (err?: Error | null) => void) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.once('end', () => {
        const env = session.envelope;
        received.push({
          raw: Buffer.concat(chunks),
          secure: session.secure,
          mailFrom: env.mailFrom ? env.mailFrom.address : '',
          rcptTo: env.rcptTo.map((r) => r.address),
        });
        cb();
      });
    },
  });
  server.on('error', () => undefined);
  server.server.on('connection', (s: Socket) => {
    connections++;
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    received,
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
