// DNSSEC along the way to each endpoint, as findings: discovery's own notes (bogus or failed
// SRV/MX, targets without addresses), unsigned zones (DANE cannot protect anything in them),
// SRV/MX targets in an unsigned zone (RFC 7673 §3.2, RFC 7672 §2.2.2: their TLSA is ignored),
// TLSA published where no client will use it, and TLSA lookups that failed. Pure.
import { tlsaOwnerOf, type Discovery, type Endpoint } from './discover.ts';
import type { Finding } from './finding.ts';
import type { TlsaLookup } from './tlsa-lookup.ts';

const bare = (n: string) => n.replace(/\.$/, '');

const NOTE_FIX: Record<string, string> = {
  'dns.srv-unusable': 'Run keywatch dns on the SRV name to see the failing link (an expired or missing signature, a DS that matches no key). Re-sign the zone or fix the DS at the registrar; a failed (not bogus) lookup may also be a broken nameserver.',
  'dns.mx-unusable': 'Run keywatch dns DOMAIN MX to see the failing link; re-sign the zone or fix the DS at the registrar. Until then validating MTAs defer mail to this domain.',
  'dns.no-address': 'Publish A and/or AAAA records for the target, in a signed zone, or point the SRV/MX records at a host that has them.',
  'discovery.no-endpoints': 'Publish SRV records (XMPP: _xmpp-client._tcp, _xmpps-client._tcp, _xmpp-server._tcp) or MX records for the service, or an address for the domain itself.',
};

export function judgeDnssec(discovery: Discovery, endpoints: ReadonlyArray<Endpoint & { label: string }>, tlsaByName: ReadonlyMap<string, TlsaLookup>): Finding[] {
  const out: Finding[] = discovery.notes.map((n) => ({ code: n.code, severity: n.severity, title: n.message, detail: n.message, endpoints: [], evidence: {}, ...(NOTE_FIX[n.code] ? { remediation: NOTE_FIX[n.code] } : {}), rfc: n.rfc }));

  // One finding per unsigned zone, naming what in it was looked up.
  const insecure = new Map<string, string[]>();
  for (const l of discovery.lookups) {
    if (l.security !== 'insecure') continue;
    const zone = bare(l.insecureAt ?? l.name);
    insecure.set(zone, [...(insecure.get(zone) ?? []), `${bare(l.name)} ${l.type}`]);
  }
  for (const [zone, names] of insecure) {
    out.push({
      code: 'dnssec.unsigned',
      severity: 'warning',
      title: `${zone} is not protected by DNSSEC, so DANE cannot protect the endpoints it names`,
      detail: `The chain of trust from the root ends above ${zone} (no DS for it at its parent, or the zone is unsigned): ${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} insecure. Anyone who can answer DNS for its clients can send them to a machine of their choosing, with a valid certificate from any CA that validates by DNS or HTTP.`,
      endpoints: [],
      evidence: { zone, names },
      remediation: `Sign ${zone} (most DNS hosts have a switch for it; with your own servers: knot or bind inline signing, or dnssec-policy) and hand the DS record it prints to your registrar. Then publish TLSA records for the endpoints.`,
      rfc: 'RFC 4033 §5, RFC 6698 §1.3',
    });
  }

  // A secure SRV/MX pointing into an insecure zone: the admin may believe DANE is on.
  const byHost = new Map<string, Array<Endpoint & { label: string }>>();
  for (const e of endpoints) if (!e.dane.applies && e.dnssec.service === 'secure' && e.dnssec.address !== 'secure' && e.source !== 'fixed') byHost.set(e.host, [...(byHost.get(e.host) ?? []), e]);
  for (const [host, es] of byHost) {
    const reason = es[0]!.dane.applies ? '' : (es[0]!.dane as { reason: string }).reason;
    out.push({
      code: 'dane.not-applicable',
      severity: 'warning',
      title: `DANE does not apply to ${host}: the ${es[0]!.source === 'srv' ? 'SRV' : 'MX'} records are signed but the host's addresses are ${es[0]!.dnssec.address}`,
      detail: `${reason}. Clients will not look at TLSA records for ${host}, however they are published.`,
      endpoints: es.map((e) => e.label),
      evidence: { host, addressSecurity: es[0]!.dnssec.address },
      remediation: `Move ${host} into a signed zone (or sign its zone and have the DS published), or point the ${es[0]!.source === 'srv' ? 'SRV' : 'MX'} records at a host in a signed zone.`,
      rfc: es[0]!.source === 'srv' ? 'RFC 7673 §3.2' : 'RFC 7672 §2.2.2',
    });
  }

  // TLSA per owner name; records that no client may use are reported once per host.
  const ownerOf = tlsaOwnerOf;
  const ignored = new Map<string, { owners: string[]; users: string[]; reason: string; records: string[] }>();
  const seen = new Set<string>();
  for (const e of endpoints) {
    const owner = ownerOf(e);
    const t = tlsaByName.get(owner);
    if (!t || seen.has(owner)) continue;
    seen.add(owner);
    const users = endpoints.filter((x) => ownerOf(x) === owner).map((x) => x.label);
    const text = t.state === 'records' || t.state === 'insecure' ? t.text : [];
    if (!e.dane.applies && text.length > 0) {
      const g = ignored.get(e.host) ?? { owners: [], users: [], reason: e.dane.reason, records: [] };
      g.owners.push(owner);
      g.users.push(...users);
      g.records.push(...text.map((r) => `${owner}. TLSA ${r}`));
      ignored.set(e.host, g);
    } else if (e.dane.applies && t.state === 'insecure') {
      out.push({
        code: 'dane.tlsa-insecure',
        severity: 'warning',
        title: `the TLSA records at ${owner} are not signed`,
        detail: `The endpoint's SRV/MX and addresses are secure, but ${owner} lies below an unsigned delegation${t.insecureAt ? ` (${t.insecureAt})` : ''}; clients treat it as having no TLSA records.`,
        endpoints: users,
        evidence: { tlsaName: owner },
        remediation: `Sign the zone that ${owner} is in and publish its DS in the parent, or move the records into the signed zone.`,
        rfc: 'RFC 6698 §4.1',
      });
    } else if (e.dane.applies && t.state === 'failed') {
      out.push({
        code: 'dane.tlsa-lookup-failed',
        severity: 'error',
        title: `the TLSA lookup at ${owner} failed`,
        detail: `${t.reason}. DANE clients cannot tell whether records exist and will not connect (RFC 7672 §2.2 for SMTP; most XMPP clients behave alike).`,
        endpoints: users,
        evidence: { tlsaName: owner },
        remediation: `Run keywatch dns ${owner} TLSA to see why. Every authoritative server must answer TLSA queries (some old servers and middleboxes drop unknown types), with a signed answer or a signed denial.`,
        rfc: 'RFC 6698 §4, RFC 7672 §2.2',
      });
    }
  }
  for (const [host, g] of ignored) {
    out.push({
      code: 'dane.tlsa-ignored',
      severity: 'warning',
      title: `TLSA records for ${host} are published but no client may use them`,
      detail: `${g.reason}. The records at ${g.owners.join(', ')} are there, but a DANE client ignores them, so they protect nothing.`,
      endpoints: g.users,
      evidence: { tlsaNames: g.owners, records: g.records },
      remediation: `Sign the zone that holds ${host} and have its DS published at the parent; until then the records do nothing (remove them if you do not plan to sign).`,
      rfc: 'RFC 6698 §4.1, RFC 7673 §3',
    });
  }
  return out;
}
