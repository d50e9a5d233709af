// Findings about getting to TLS at all: the probe's failures (each kind its own code, so an
// alert can say "unreachable" rather than "error"), STARTTLS not offered or not required, and a
// domain that offers no XEP-0368 direct TLS. Pure.
import type { Endpoint } from './discover.ts';
import type { Finding } from './finding.ts';
import type { ProbeResult } from '../probe/probe.ts';

const STARTTLS_NAME: Partial<Record<Endpoint['protocol'], string>> = { 'xmpp-c2s': 'STARTTLS', 'xmpp-s2s': 'STARTTLS', smtp: 'STARTTLS', imap: 'STARTTLS', pop3: 'STLS' };

export function judgeProbe(label: string, e: Endpoint, r: ProbeResult): Finding[] {
  const out: Finding[] = [];
  const base = { endpoints: [label] };
  if (!r.ok) {
    const { kind, message } = r.error;
    const evidence = { stage: r.stage, kind, message, timings: r.timings };
    if (kind === 'starttls-not-offered') {
      const isXmpp = e.protocol.startsWith('xmpp');
      out.push({
        ...base,
        code: 'starttls.not-offered',
        severity: 'error',
        title: `${label} does not offer ${STARTTLS_NAME[e.protocol] ?? 'STARTTLS'}`,
        detail: `${message}. Clients either refuse to connect or talk in clear text, where anyone on the path reads and changes everything.`,
        evidence,
        remediation: isXmpp ? 'Prosody: set c2s_require_encryption = true and s2s_require_encryption = true with a certificate; ejabberd: starttls_required: true on the listener.' : 'Enable STARTTLS with a certificate for this host.',
        rfc: isXmpp ? 'RFC 6120 §5.3.1' : e.protocol === 'smtp' ? 'RFC 3207' : 'RFC 2595',
      });
    } else if (kind === 'starttls-refused') {
      out.push({ ...base, code: 'starttls.refused', severity: 'error', title: `${label} offers STARTTLS but refuses it`, detail: message, evidence, remediation: 'Check the server log at the time of the probe: usually the certificate or key file cannot be read, or TLS is misconfigured for this host name.', rfc: 'RFC 6120 §5.4.2.2, RFC 3207 §4' });
    } else if (kind === 'byte-limit' || (kind === 'timeout' && r.stage !== 'connect')) {
      out.push({
        ...base,
        code: 'endpoint.limit-exceeded',
        severity: 'error',
        title: `${label} did not finish the ${r.stage} stage within keywatch's limits`,
        detail: `${message}. A healthy server answers within a few kilobytes and well under a second; this one is overloaded, broken or hostile.`,
        evidence,
        remediation: 'Check the server load and logs; if the server is fine, check what else answers on this address and port.',
      });
    } else if (r.stage === 'connect') {
      out.push({
        ...base,
        code: 'endpoint.unreachable',
        severity: 'error',
        title: `${label} cannot be reached`,
        detail: `${message}. Clients that pick this endpoint (DNS names it) fail or wait for a time-out before trying the next.`,
        evidence,
        remediation: 'Start the service or open the port on this address (and IPv6: every AAAA must work too), or remove the address or the SRV/MX record that points here.',
      });
    } else if (r.stage === 'tls') {
      out.push({ ...base, code: 'tls.handshake-failed', severity: 'error', title: `${label}: the TLS handshake failed`, detail: message, evidence, remediation: 'Check the server\'s TLS settings: protocol versions (TLS 1.2 and 1.3), a cipher list that modern clients share, and a certificate and key that belong together.' });
    } else if (r.stage === 'features' && e.protocol.endsWith('s2s') && /stream error <(not-authorized|policy-violation)\/>/.test(message)) {
      // A peer without a certificate refused after TLS: certificate-only federation, judged in judge-s2s.ts.
    } else if (r.stage === 'features') {
      out.push({
        ...base,
        code: 'xmpp.features-failed',
        severity: 'warning',
        title: `${label}: TLS works but the XMPP stream after TLS failed`,
        detail: `${message}. The keys were captured; the stream features (SASL mechanisms, channel binding) could not be read.`,
        evidence,
        remediation: 'Check the server log for the stream error; clients see the same failure after TLS.',
      });
    } else {
      out.push({ ...base, code: 'endpoint.protocol-error', severity: 'error', title: `${label} broke the ${e.protocol} protocol during ${r.stage}`, detail: message, evidence, remediation: `Check that the service on this port is the ${e.protocol} server the DNS records promise (and not, say, another protocol or a proxy).` });
    }
  }
  const st = r.starttls;
  if (st?.protocol === 'xmpp' && st.offered && !st.required) {
    const s2s = e.protocol === 'xmpp-s2s';
    out.push({
      ...base,
      code: 'starttls.not-required',
      severity: 'warning',
      title: `${label} offers STARTTLS but does not require it`,
      detail: s2s
        ? `The stream features advertise <starttls/> without <required/>: the server tells peer servers that TLS is optional${st.features.dialback ? ' and offers them dialback before TLS' : ''}, so a peer may federate in clear text, and an attacker who strips <starttls/> from the features is not detected by the server. (Prosody 0.12 advertises this per host but enforces its global s2s_require_encryption when the peer authenticates; what peers see is this advertisement.)`
        : `The stream features advertise <starttls/> without <required/>, so the server also accepts clients in clear text; an attacker who strips <starttls/> from the features is not detected by the server.`,
      evidence: { features: st.features.names },
      remediation: s2s ? 'Prosody: s2s_require_encryption = true; ejabberd: s2s_use_starttls: required.' : 'Prosody: c2s_require_encryption = true; ejabberd: starttls_required: true on the c2s listener.',
      rfc: 'RFC 6120 §5.3.1, RFC 7590 §3.1',
    });
  }
  return out;
}

/** XEP-0368: without direct TLS, every client connection starts in clear text and can be stripped. */
export function judgeDirectTls(domain: string, endpoints: readonly Endpoint[]): Finding[] {
  const c2s = endpoints.some((e) => e.protocol === 'xmpp-c2s');
  const direct = endpoints.some((e) => e.protocol === 'xmpps-c2s');
  if (!c2s || direct) return [];
  return [
    {
      code: 'xmpp.direct-tls-missing',
      severity: 'info',
      title: `${domain} publishes no _xmpps-client._tcp SRV record (XEP-0368 direct TLS)`,
      detail: 'Clients can only start with a clear-text stream and STARTTLS. Direct TLS lets clients begin with TLS (and ALPN), which leaves nothing to strip and often gets through restrictive networks on port 443.',
      endpoints: [],
      evidence: {},
      remediation: `_xmpps-client._tcp.${domain}. 3600 IN SRV 0 5 5223 <your XMPP host>.\n(and a direct-TLS listener on that port: Prosody c2s_direct_tls_ports = { 5223 } (0.12: legacy_ssl_ports), ejabberd a listener with tls: true)`,
      rfc: 'XEP-0368 §3',
    },
  ];
}
