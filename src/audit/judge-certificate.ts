// What the certificate an endpoint presents means for the clients that will see it, apart from
// DANE: dates, names, and the PKIX path. Pure.
//
// How bad a failure is depends on who connects (and this is what the severities encode):
//  - XMPP clients, IMAP/POP3 mail clients and browsers rely on PKIX: a failure there locks users
//    out or trains them to click through warnings → error;
//  - XMPP servers peering with us (s2s) may authenticate by DANE instead: when a DANE record
//    matches, a PKIX failure only affects peers without DANE → warning;
//  - SMTP between MTAs is opportunistic unless DANE (RFC 7672) or MTA-STS applies: a PKIX
//    failure is no failure for a DANE MX, and DANE-EE ignores names and dates (RFC 7672 §3.1.1)
//    → info when DANE matches, warning otherwise (MTA-STS senders would refuse it).
import { X509Certificate } from 'node:crypto';
import type { Protocol } from './discover.ts';
import type { Finding, Severity } from './finding.ts';

export interface CertificateObservation {
  label: string;
  protocol: Protocol;
  /** The service domain (XMPP) or host; with `referenceNames`, what the certificate must name. */
  serviceDomain: string;
  referenceNames: string[];
  leafDer: Uint8Array;
  pkix: { valid: boolean; reason?: string };
  /** The DANE verdict for this endpoint, when DANE applies and records were usable. */
  dane?: { verdict: 'match' | 'mismatch' | 'no-usable-records'; matchedUsage?: number };
  now: Date;
}

type Audience = 'pkix-clients' | 'servers' | 'mta';

function audienceOf(p: Protocol): Audience {
  if (p === 'smtp') return 'mta';
  if (p === 'xmpp-s2s' || p === 'xmpps-s2s') return 'servers';
  return 'pkix-clients';
}

function severityFor(audience: Audience, daneMatched: boolean): Severity {
  if (audience === 'pkix-clients') return 'error';
  if (audience === 'servers') return daneMatched ? 'warning' : 'error';
  return daneMatched ? 'info' : 'warning';
}

/** RFC 6125 / RFC 7590 §3.2 / RFC 6120 §13.7.1.2: DNS-ID, SRV-ID or (legacy) XmppAddr. */
export function certificateNamesService(leaf: X509Certificate, o: { protocol: Protocol; serviceDomain: string; referenceNames: string[] }, names: { srvNames: string[]; xmppAddrs: string[] }): boolean {
  const wanted = [...new Set([o.serviceDomain, ...o.referenceNames].map((n) => n.toLowerCase()))];
  const dnsOk = wanted.some((n) => leaf.checkHost(n, { subject: 'never', wildcards: true, partialWildcards: false, multiLabelWildcards: false }) !== undefined);
  if (dnsOk) return true;
  if (!o.protocol.startsWith('xmpp')) return false;
  const srvLabel = o.protocol.endsWith('s2s') ? '_xmpp-server' : '_xmpp-client';
  const srvId = `${srvLabel}.${o.serviceDomain}`.toLowerCase();
  return names.srvNames.some((n) => n.toLowerCase() === srvId) || names.xmppAddrs.some((a) => a.toLowerCase() === o.serviceDomain.toLowerCase());
}

export function judgeCertificate(o: CertificateObservation, names: { srvNames: string[]; xmppAddrs: string[] }): Finding[] {
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(o.leafDer);
  } catch (e) {
    return [
      {
        code: 'tls.cert-unparsable',
        severity: 'error',
        title: `${o.label} presents a certificate that cannot be parsed`,
        detail: `The leaf certificate is not valid DER X.509: ${(e as Error).message}. No client can use it.`,
        endpoints: [o.label],
        evidence: {},
      },
    ];
  }
  const daneMatched = o.dane?.verdict === 'match';
  const audience = audienceOf(o.protocol);
  const sev = severityFor(audience, daneMatched);
  // DANE-EE(3) ignores the certificate's names and dates (RFC 7671 §5.1): say so when it saved the day.
  const eeNote = daneMatched && o.dane?.matchedUsage === 3 ? ' DANE clients still connect: the DANE-EE record that matches ignores names and dates (RFC 7671 §5.1).' : '';
  const out: Finding[] = [];
  const notBefore = new Date(leaf.validFrom);
  const notAfter = new Date(leaf.validTo);
  const evidence = { subject: leaf.subject, issuer: leaf.issuer, notBefore: notBefore.toISOString(), notAfter: notAfter.toISOString(), serialNumber: leaf.serialNumber };

  if (o.now > notAfter) {
    const days = Math.floor((o.now.getTime() - notAfter.getTime()) / 86_400_000);
    out.push({
      code: 'tls.cert-expired',
      severity: sev,
      title: `${o.label} presents a certificate that expired ${days} day${days === 1 ? '' : 's'} ago`,
      detail: `The certificate expired at ${notAfter.toISOString()}.${eeNote}`,
      endpoints: [o.label],
      evidence,
      remediation: 'Renew the certificate and reload the server. If the key changes, publish its 3 1 1 TLSA record two TTLs before deploying it.',
      rfc: 'RFC 5280 §4.1.2.5',
    });
  } else if (o.now < notBefore) {
    out.push({
      code: 'tls.cert-not-yet-valid',
      severity: sev,
      title: `${o.label} presents a certificate that is valid only from ${notBefore.toISOString()}`,
      detail: `Either the server's certificate was issued with a future start date or a clock is wrong (keywatch's or the issuer's).${eeNote}`,
      endpoints: [o.label],
      evidence,
      remediation: 'Check the clock of the machine that requested the certificate and of this one (NTP); if the certificate really starts later, deploy it only then.',
      rfc: 'RFC 5280 §4.1.2.5',
    });
  } else if (notAfter.getTime() - o.now.getTime() < 14 * 86_400_000) {
    const days = Math.ceil((notAfter.getTime() - o.now.getTime()) / 86_400_000);
    out.push({
      code: 'tls.cert-expires-soon',
      severity: 'warning',
      title: `${o.label} presents a certificate that expires in ${days} day${days === 1 ? '' : 's'}`,
      detail: `The certificate is valid until ${notAfter.toISOString()}; automated renewal usually happens 30 days ahead, so this one may have stalled.`,
      endpoints: [o.label],
      evidence,
      remediation: 'Check the ACME client (certbot, acme.sh, lego) logs and renew. Keep the key, or publish the new key\'s TLSA record first.',
    });
  }

  if (!certificateNamesService(leaf, o, names)) {
    const wanted = [...new Set([o.serviceDomain, ...o.referenceNames])];
    out.push({
      code: 'tls.cert-name-mismatch',
      severity: sev,
      title: `${o.label} presents a certificate that does not name ${wanted.join(' or ')}`,
      detail: `The certificate names ${leaf.subjectAltName ?? leaf.subject} but a client connecting for ${o.serviceDomain} checks ${wanted.join(', ')}${o.protocol.startsWith('xmpp') ? ' (DNS-ID, SRV-ID or XmppAddr)' : ''}.${eeNote}`,
      endpoints: [o.label],
      evidence: { ...evidence, subjectAltName: leaf.subjectAltName ?? null, wanted },
      remediation: `Issue the certificate for ${o.serviceDomain}${o.referenceNames.filter((n) => n !== o.serviceDomain).length ? ` (and ${o.referenceNames.filter((n) => n !== o.serviceDomain).join(', ')})` : ''}.`,
      rfc: o.protocol.startsWith('xmpp') ? 'RFC 6125 §6, RFC 7590 §3.2' : 'RFC 6125 §6',
    });
  }

  // Dates are reported above; an untrusted path is a separate fact (unknown CA, missing intermediate).
  const dateReason = o.pkix.reason !== undefined && /^certificate 0 .*(expired at|not valid before)/.test(o.pkix.reason);
  if (!o.pkix.valid && !dateReason) {
    out.push({
      code: 'tls.cert-untrusted',
      severity: sev,
      title: `${o.label} presents a certificate chain that does not validate`,
      detail: `${o.pkix.reason ?? 'no path to a trusted root'}.${eeNote}`,
      endpoints: [o.label],
      evidence: { ...evidence, reason: o.pkix.reason },
      remediation: 'Serve the full chain (leaf and intermediates, e.g. fullchain.pem from an ACME client) from a CA that clients trust.',
      rfc: 'RFC 5280 §6',
    });
  }
  return out;
}
