// Judging the TLS parameters the endpoints of one host negotiate, side by side. An interception
// box that terminates TLS on some paths brings its own TLS stack, and stacks differ in more than
// the key: protocol version, cipher choice, whether they accept anonymous suites, the
// intermediates they send. In the 2023 jabber.ru case the box on port 5222 presented a different
// certificate than port 5223 and accepted anonymous suites that the real server refused.
//
// Only endpoints of one host name and one service are compared: different daemons on one host
// (Postfix on 25, Dovecot on 993) legitimately differ, while the XMPP ports (5222, 5223, 5269,
// 5270) are normally one server. Two hosts are never compared. Pure: the probes produce the
// inputs; a field left undefined (a failed probe, a handshake we could not judge) is never
// counted as a difference.

import type { AnonymousResult } from '../probe/variants.ts';
import { endpointLabel, type Finding } from './finding.ts';

export interface TlsParamsObservation {
  host: string;
  port: number;
  address: string;
  /** e.g. `xmpp-c2s`, `xmpps-c2s`, `xmpp-s2s`, `smtp`, `imaps`. */
  protocol: string;
  /** From the main probe; undefined when it failed. */
  version?: string;
  cipher?: string;
  /** SHA-256 of each certificate as sent, leaf first. */
  chainSha256?: string[];
  /** Leaf issuer DN. */
  issuer?: string;
  anonymous?: AnonymousResult;
}

const label = (o: TlsParamsObservation): string => endpointLabel(o);
const short = (hex: string) => `${hex.slice(0, 16)}…`;
const oneLine = (dn: string) => dn.replaceAll('\n', ', ');

/** Endpoints normally served by one daemon; only these are compared with each other. */
export function serviceFamily(protocol: string): string {
  if (protocol.startsWith('xmpp')) return 'xmpp';
  if (protocol === 'imap' || protocol === 'imaps') return 'imap';
  if (protocol === 'pop3' || protocol === 'pop3s') return 'pop3';
  return protocol;
}

const OBSOLETE_VERSIONS = new Set(['SSLv2', 'SSLv3', 'TLSv1', 'TLSv1.1']);

const anonymousView = (a: AnonymousResult | undefined): string =>
  !a ? 'not tested' : a.outcome === 'accepted' ? `accepted (${a.cipher ?? '?'}, ${a.version ?? '?'})` : a.outcome === 'refused' ? 'refused' : 'could not tell';

interface Parameter {
  key: string;
  /** How a person reads it in a title. */
  name: string;
  value(o: TlsParamsObservation): string | undefined;
  show(v: string): string;
}

const PARAMETERS: readonly Parameter[] = [
  { key: 'version', name: 'protocol version', value: (o) => o.version, show: (v) => v },
  { key: 'cipher', name: 'cipher suite', value: (o) => o.cipher, show: (v) => v },
  {
    key: 'anonymous',
    name: 'anonymous/NULL suites',
    // Only a clear answer counts: "could not tell" is no evidence of a difference.
    value: (o) => (o.anonymous?.outcome === 'accepted' || o.anonymous?.outcome === 'refused' ? o.anonymous.outcome : undefined),
    show: (v) => v,
  },
  {
    key: 'chain',
    name: 'intermediate certificates',
    // The leaf is judged against TLSA and across endpoints elsewhere (judge-keys.ts).
    value: (o) => (o.chainSha256 ? o.chainSha256.slice(1).join(' ') : undefined),
    show: (v) => (v ? v.split(' ').map(short).join(' + ') : 'none (leaf only)'),
  },
  { key: 'issuer', name: 'leaf issuer', value: (o) => o.issuer, show: (v) => oneLine(v) },
];

function anonymousRemediation(protocol: string): string {
  const lines = ['If this endpoint is not meant to accept them, find out what terminates TLS on it before anything else.'];
  const family = serviceFamily(protocol);
  if (family === 'xmpp') {
    lines.push(
      'Prosody: its default cipher list excludes them; remove a `ciphers` override from the `ssl = { … }` settings, or end it with `:!aNULL:!eNULL`.',
      'ejabberd: end `c2s_ciphers` and `s2s_ciphers` (and any listener `ciphers`) with `:!aNULL:!eNULL`.',
    );
  } else if (family === 'smtp') {
    lines.push('Postfix: `smtpd_tls_exclude_ciphers = aNULL, eNULL` in main.cf.');
  }
  lines.push('Any OpenSSL-based server: append `:!aNULL:!eNULL` to its cipher list.');
  return lines.join('\n');
}

function anonymousFindings(host: string, group: readonly TlsParamsObservation[]): Finding[] {
  const refused = group.filter((o) => o.anonymous?.outcome === 'refused');
  return group
    .filter((o) => o.anonymous?.outcome === 'accepted')
    .map((o): Finding => {
      const a = o.anonymous!;
      const contrast = refused.length > 0;
      // Postfix's smtpd accepts anonymous suites by default (opportunistic TLS, RFC 7435), and a
      // client that authenticates the server never offers them: alone, not a finding to alarm on.
      const severity = contrast ? 'critical' : o.protocol === 'smtp' ? 'info' : 'error';
      const what = `${label(o)} completed a handshake in which keywatch offered only anonymous (aNULL) and NULL-encryption (eNULL) suites: it chose ${a.cipher ?? 'an unnamed suite'} (${a.version ?? 'unknown version'}).`;
      const why =
        'With an anonymous suite the server proves no identity, so any active attacker on the path can complete the same handshake with a client that offers such suites and read everything; with a NULL suite nothing is encrypted at all.';
      const context = contrast
        ? ` Other endpoints of ${host} refused them (${refused.map(label).join(', ')}): a different TLS stack answers here. That is the pattern of the 2023 jabber.ru interception, where the box on port 5222 accepted anonymous suites the real server refused. Find out what terminates TLS on this port.`
        : o.protocol === 'smtp'
          ? " Postfix's SMTP server accepts them by default for opportunistic TLS, and clients that verify the server (DANE, MTA-STS) never offer them, so on its own this is not a weakness; it would matter if other endpoints of the host refused them."
          : ' XMPP, IMAP, POP3 and HTTPS servers normally refuse them.';
      return {
        code: 'tls.anonymous-accepted',
        severity,
        title: contrast
          ? `${label(o)} accepts anonymous/NULL TLS suites that other endpoints of ${host} refuse`
          : `${label(o)} accepts anonymous/NULL TLS suites`,
        detail: `${what} ${why}${context}`,
        endpoints: [label(o)],
        evidence: {
          protocol: o.protocol,
          version: a.version,
          cipher: a.cipher,
          ...(a.spkiSha256 ? { spkiSha256: a.spkiSha256 } : {}),
          refusedBy: refused.map(label),
        },
        remediation: anonymousRemediation(o.protocol),
        rfc: 'RFC 8446 §C.5, RFC 9325 §4.1',
      };
    });
}

function obsoleteVersionFindings(group: readonly TlsParamsObservation[]): Finding[] {
  return group
    .filter((o) => o.version !== undefined && OBSOLETE_VERSIONS.has(o.version))
    .map((o) => ({
      code: 'tls.version-obsolete',
      severity: 'warning' as const,
      title: `${label(o)} negotiated ${o.version}`,
      detail: `keywatch offered TLS 1.2 and 1.3, and ${label(o)} chose ${o.version}${o.cipher ? ` with ${o.cipher}` : ''}. TLS 1.0 and 1.1 are deprecated and SSL 3.0 is broken; a current server picks TLS 1.2 or later, so either the software is very old or something else terminates TLS here.`,
      endpoints: [label(o)],
      evidence: { protocol: o.protocol, version: o.version, cipher: o.cipher },
      remediation: 'Enable TLS 1.2 and 1.3 in the server (or whatever terminates TLS on this port) and disable the older versions.',
      rfc: o.version === 'SSLv3' || o.version === 'SSLv2' ? 'RFC 7568' : 'RFC 8996',
    }));
}

function paramsDifferFinding(host: string, group: readonly TlsParamsObservation[]): Finding | undefined {
  // Only endpoints whose main probe got through TLS; the rest have nothing to compare.
  const probed = group.filter((o) => o.version !== undefined);
  if (probed.length < 2) return undefined;
  const differing: { p: Parameter; byValue: Map<string, string[]> }[] = [];
  for (const p of PARAMETERS) {
    const byValue = new Map<string, string[]>();
    for (const o of probed) {
      const v = p.value(o);
      if (v !== undefined) byValue.set(v, [...(byValue.get(v) ?? []), label(o)]);
    }
    if (byValue.size > 1) differing.push({ p, byValue });
  }
  if (!differing.length) return undefined;
  const names = differing.map((d) => d.p.name);
  const lines = differing.map(
    ({ p, byValue }) =>
      `${p.name}: ${[...byValue]
        .map(([v, eps]) => `${p.show(v)} on ${eps.join(', ')}`)
        .join('; ')}.`,
  );
  return {
    code: 'tls.params-differ',
    severity: 'warning',
    title: `endpoints of ${host} differ in ${names.join(', ')}`,
    detail: `${lines.join(' ')} One server normally negotiates the same way on all its ports and addresses; a difference means a different TLS stack or configuration answers on some of them. That can be by design (another daemon, a load balancer, a proxy in front of some ports) or a machine in the middle on some paths: in the 2023 jabber.ru interception, port 5222 was answered by the interceptor's own TLS stack. Make sure you can explain each difference.`,
    endpoints: probed.map(label),
    evidence: {
      differs: differing.map((d) => d.p.key),
      table: probed.map((o) => ({
        endpoint: label(o),
        protocol: o.protocol,
        version: o.version,
        cipher: o.cipher ?? null,
        anonymous: anonymousView(o.anonymous),
        intermediates: o.chainSha256 ? o.chainSha256.slice(1) : null,
        issuer: o.issuer ?? null,
      })),
    },
    remediation:
      'Check what terminates TLS on the endpoints that differ. If it is not your server, your load balancer or your proxy, treat it as an interception. If the difference is by design, aligning the configurations makes a real difference stand out next time.',
  };
}

export function judgeTlsParams(observations: readonly TlsParamsObservation[]): Finding[] {
  const findings: Finding[] = [];
  const groups = new Map<string, { host: string; obs: TlsParamsObservation[] }>();
  for (const o of observations) {
    // DNS names compare without case and without the root dot.
    const key = `${o.host.toLowerCase().replace(/\.$/, '')}\u0000${serviceFamily(o.protocol)}`;
    const g = groups.get(key) ?? { host: o.host, obs: [] };
    g.obs.push(o);
    groups.set(key, g);
  }
  for (const { host, obs } of groups.values()) {
    findings.push(...anonymousFindings(host, obs));
    findings.push(...obsoleteVersionFindings(obs));
    const differ = paramsDifferFinding(host, obs);
    if (differ) findings.push(differ);
  }
  return findings;
}
