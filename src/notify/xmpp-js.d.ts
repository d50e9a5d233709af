// Types for the few xmpp.js modules that DefinitelyTyped does not cover and that
// xmpp-connection.ts composes itself (the transports, the TLS socket wrapper, two SASL
// mechanisms). Only what keywatch uses is declared.

declare module '@xmpp/connection-tcp' {
  import Connection from '@xmpp/connection';
  import type { Element } from '@xmpp/xml';
  /** A stream over a TCP socket (`xmpp://host:port`); subclasses pick the socket type and the namespace. */
  export default class ConnectionTCP extends Connection {
    headerElement(): Element;
    socketParameters(service: string): { port: number | null; host: string } | undefined;
  }
}

declare module '@xmpp/tls/lib/Socket.js' {
  import type { EventEmitter } from 'node:events';
  import type { ConnectionOptions, TLSSocket } from 'node:tls';
  /** xmpp.js's wrapper around a TLS socket: `connect(options)` calls tls.connect(options). */
  export default class Socket extends EventEmitter {
    secure: true;
    socket: TLSSocket | null;
    connect(options: ConnectionOptions): void;
    end(): void;
    write(data: string, cb?: (err?: Error | null) => void): void;
  }
}

declare module '@xmpp/sasl-scram-sha-1' {
  import type SASLFactory from 'saslmechanisms';
  export default function scramsha1(factory: SASLFactory): void;
}

declare module '@xmpp/sasl-plain' {
  import type SASLFactory from 'saslmechanisms';
  export default function plain(factory: SASLFactory): void;
}
