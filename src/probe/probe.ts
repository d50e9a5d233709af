// One probe: connect to one address and port the way a client (or a peer server) would, get
// TLS going (directly or by the protocol's STARTTLS), and capture exactly what the server
// presents. The one entry point the audit and the monitor use.
//
// Never throws for anything the network or the server does: failures come back as
// `{ ok: false, stage, error }` with whatever was learned before (the banner, the features, the
// TLS capture when only the post-TLS features failed). Bounded by one budget (bounded.ts):
// `timeoutMs` for the whole probe, `maxBytes` for everything read outside TLS records.
import type { Socket } from 'node:net';
import type { SecureVersion, TLSSocket } from 'node:tls';
import type { Protocol } from '../audit/discover.ts';
import { createBudget, elapsedMs, type Budget } from './bounded.ts';
import { connectTcp } from './connect.ts';
import { ProbeError, type ProbeErrorKind } from './errors.ts';
import { StarttlsFailed, type LineStarttlsInfo } from './starttls/common.ts';
import { imapStarttls, type ImapStarttlsInfo } from './starttls/imap.ts';
import { pop3Starttls } from './starttls/pop3.ts';
import { smtpStarttls } from './starttls/smtp.ts';
import { xmppFeaturesAfterTls, xmppStarttls, type XmppRole, type XmppStarttlsInfo } from './starttls/xmpp.ts';
import { captureTls, tlsHandshake, type TlsCapture } from './tls.ts';
import { loadAnchors } from './x509/trust.ts';

export type { Protocol } from '../audit/discover.ts';

export interface ProbeOptions {
  address: string;
  port: number;
  family?: 4 | 6;
  protocol: Protocol;
  /** SNI, the XMPP stream `to`, and the name checked against the certificate. */
  serviceDomain: string;
  /** Our own domain: the s2s stream `from`, and the SMTP EHLO name. */
  checkerDomain?: string;
  /** PEM file of trust anchors for PKIX; the system roots when absent. */
  caFile?: string;
  /** SOCKS5 proxy (Tor): every probe gets fresh credentials, hence its own circuit. */
  socks?: { host: string; port: number };
  /** Whole-probe time limit. Default 10 000 ms. */
  timeoutMs?: number;
  /** Byte limit for everything read outside TLS records. Default 1 MiB. */
  maxBytes?: number;
  /** Clock for certificate validity; tests inject it. */
  now?: () => Date;
  minVersion?: SecureVersion;
  maxVersion?: SecureVersion;
  /** OpenSSL cipher list for the handshake (variants.ts narrows it); Node's default when absent. */
  ciphers?: string;
  /** OpenSSL signature-algorithm list (variants.ts asks for one key type this way). */
  sigalgs?: string;
}

export type StarttlsLearned = XmppStarttlsInfo | ImapStarttlsInfo | LineStarttlsInfo;

export interface FeaturesAfterTls {
  /** The stream header's attributes (id, from, version). */
  header: Record<string, string>;
  raw: string;
  mechanisms: string[];
  channelBindings: string[];
  sasl2: boolean;
  sasl2Mechanisms: string[];
  dialback: boolean;
  names: string[];
}

export interface ProbeEndpoint {
  address: string;
  port: number;
  protocol: Protocol;
  serviceDomain: string;
}

export interface ProbeTimings {
  connectMs: number;
  starttlsMs?: number;
  tlsMs?: number;
  totalMs: number;
}

export type ProbeStage = 'connect' | 'starttls' | 'tls' | 'features';

export interface ProbeSuccess {
  endpoint: ProbeEndpoint;
  ok: true;
  starttls?: StarttlsLearned;
  tls: TlsCapture;
  featuresAfterTls?: FeaturesAfterTls;
  /** The SOCKS username used (random per probe), when through a proxy. */
  socksUsername?: string;
  timings: ProbeTimings;
}

export interface ProbeFailure {
  endpoint: ProbeEndpoint;
  ok: false;
  stage: ProbeStage;
  error: { kind: ProbeErrorKind; message: string };
  starttls?: StarttlsLearned;
  tls?: TlsCapture;
  socksUsername?: string;
  timings: ProbeTimings;
}

export type ProbeResult = ProbeSuccess | ProbeFailure;

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_BYTES = 1 << 20;

interface Plan {
  starttls?: (socket: Socket, budget: Budget) => Promise<StarttlsLearned>;
  alpn?: string[];
  xmpp?: XmppRole;
}

function plan(o: ProbeOptions): Plan {
  const xmppOpts = (role: XmppRole) => ({ role, domain: o.serviceDomain, ...(o.checkerDomain ? { from: o.checkerDomain } : {}) });
  switch (o.protocol) {
    case 'xmpp-c2s':
    case 'xmpp-s2s': {
      const role = o.protocol === 'xmpp-c2s' ? 'c2s' : 's2s';
      return { starttls: (s, b) => xmppStarttls(s, b, xmppOpts(role)), xmpp: role };
    }
    case 'xmpps-c2s':
      // XEP-0368 §3: direct TLS with ALPN xmpp-client / xmpp-server.
      return { alpn: ['xmpp-client'], xmpp: 'c2s' };
    case 'xmpps-s2s':
      return { alpn: ['xmpp-server'], xmpp: 's2s' };
    case 'smtp':
      return { starttls: (s, b) => smtpStarttls(s, b, { ehloName: o.checkerDomain ?? 'localhost' }) };
    case 'imap':
      return { starttls: (s, b) => imapStarttls(s, b) };
    case 'pop3':
      return { starttls: (s, b) => pop3Starttls(s, b) };
    // IANA ALPN protocol IDs: imap, pop3 (RFC 8996-era registrations), http/1.1.
    case 'imaps':
      return { alpn: ['imap'] };
    case 'pop3s':
      return { alpn: ['pop3'] };
    case 'https':
      return { alpn: ['http/1.1'] };
    case 'tls':
      return {};
  }
}

function errorOf(e: unknown): { kind: ProbeErrorKind; message: string } {
  if (e instanceof ProbeError) return { kind: e.kind, message: e.message };
  return { kind: 'internal', message: e instanceof Error ? e.message : String(e) };
}

/**
 * How far opening a TLS session got. openTls fills it in as it goes, so that when it throws the
 * caller still knows the stage it failed at and what the server said before (the STARTTLS
 * dialogue, the SOCKS username). The sockets are the caller's to destroy, success or not.
 */
export interface TlsOpening {
  stage: ProbeStage;
  timings: ProbeTimings;
  starttls?: StarttlsLearned;
  socksUsername?: string;
  socket?: Socket;
  tls?: TLSSocket;
}

export function newTlsOpening(): TlsOpening {
  return { stage: 'connect', timings: { connectMs: 0, totalMs: 0 } };
}

/**
 * Connect (directly or through SOCKS), run the protocol's STARTTLS dialogue, and complete one TLS
 * handshake with the options' SNI, ALPN, version, cipher and sigalg settings — nothing after it,
 * and no certificate capture (an anonymous handshake has no certificate). Shared by the main
 * probe and the extra handshakes of variants.ts, so that every connection to an endpoint takes
 * the same path and limits. Throws a ProbeError; `progress` tells where.
 */
export async function openTls(o: ProbeOptions, budget: Budget, progress: TlsOpening = newTlsOpening()): Promise<TLSSocket> {
  const p = plan(o);
  const { timings } = progress;
  try {
    progress.stage = 'connect';
    const conn = await connectTcp({ address: o.address, port: o.port, ...(o.family ? { family: o.family } : {}), ...(o.socks ? { socks: o.socks } : {}) }, budget);
    progress.socket = conn.socket;
    progress.socket.on('error', () => undefined); // reported through the readers and the handshake
    if (conn.socks) progress.socksUsername = conn.socks.username;
    timings.connectMs = Math.round(elapsedMs(budget));

    if (p.starttls) {
      progress.stage = 'starttls';
      const t0 = elapsedMs(budget);
      progress.starttls = await p.starttls(progress.socket, budget);
      timings.starttlsMs = Math.round(elapsedMs(budget) - t0);
    }

    progress.stage = 'tls';
    const t1 = elapsedMs(budget);
    progress.tls = await tlsHandshake(
      progress.socket,
      {
        servername: o.serviceDomain,
        ...(p.alpn ? { alpn: p.alpn } : {}),
        ...(o.minVersion ? { minVersion: o.minVersion } : {}),
        ...(o.maxVersion ? { maxVersion: o.maxVersion } : {}),
        ...(o.ciphers ? { ciphers: o.ciphers } : {}),
        ...(o.sigalgs ? { sigalgs: o.sigalgs } : {}),
      },
      budget,
    );
    timings.tlsMs = Math.round(elapsedMs(budget) - t1);
    return progress.tls;
  } catch (e) {
    // A dialogue that failed after the server had told us something: keep what it told us.
    if (e instanceof StarttlsFailed && !progress.starttls) progress.starttls = e.learned as StarttlsLearned;
    throw e;
  }
}

export async function probeEndpoint(o: ProbeOptions): Promise<ProbeResult> {
  const budget = createBudget(o.timeoutMs ?? DEFAULT_TIMEOUT_MS, o.maxBytes ?? DEFAULT_MAX_BYTES);
  const endpoint: ProbeEndpoint = { address: o.address, port: o.port, protocol: o.protocol, serviceDomain: o.serviceDomain };
  const progress = newTlsOpening();
  const { timings } = progress;
  const p = plan(o);
  let capture: TlsCapture | undefined;
  const fail = (e: unknown): ProbeFailure => {
    timings.totalMs = Math.round(elapsedMs(budget));
    return {
      endpoint,
      ok: false,
      stage: progress.stage,
      error: errorOf(e),
      ...(progress.starttls ? { starttls: progress.starttls } : {}),
      ...(capture ? { tls: capture } : {}),
      ...(progress.socksUsername ? { socksUsername: progress.socksUsername } : {}),
      timings,
    };
  };
  try {
    // Before any I/O, so a bad CA file is a config error and not a half-done probe.
    const anchors = loadAnchors(o.caFile);
    const tls = await openTls(o, budget, progress);
    capture = captureTls(tls, { anchors, anchorsName: o.caFile ?? 'system', now: o.now?.() ?? new Date(), servername: o.serviceDomain });

    let featuresAfterTls: FeaturesAfterTls | undefined;
    if (p.xmpp) {
      progress.stage = 'features';
      const { header, features } = await xmppFeaturesAfterTls(tls, budget, {
        role: p.xmpp,
        domain: o.serviceDomain,
        ...(o.checkerDomain ? { from: o.checkerDomain } : {}),
      });
      const { raw, mechanisms, channelBindings, sasl2, sasl2Mechanisms, dialback, names } = features;
      featuresAfterTls = { header, raw, mechanisms, channelBindings, sasl2, sasl2Mechanisms, dialback, names };
    } else {
      tls.end();
    }
    timings.totalMs = Math.round(elapsedMs(budget));
    return {
      endpoint,
      ok: true,
      ...(progress.starttls ? { starttls: progress.starttls } : {}),
      tls: capture,
      ...(featuresAfterTls ? { featuresAfterTls } : {}),
      ...(progress.socksUsername ? { socksUsername: progress.socksUsername } : {}),
      timings,
    };
  } catch (e) {
    return fail(e);
  } finally {
    progress.tls?.destroy();
    progress.socket?.destroy();
  }
}
