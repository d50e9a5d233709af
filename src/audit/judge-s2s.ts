// The server-to-server side: how a domain's federation port (5269, or XEP-0368 direct TLS)
// authenticates peers and how peers can authenticate it. Pure; it judges what the main probe
// recorded — stream features before and after TLS, the certificate chain, the TLSA lookup — and
// leaves to the other judges what they already cover: STARTTLS offered/required
// (judge-transport.ts: starttls.*), the TLS version (judge-tls-params.ts), certificate dates, names
// and SRV-ID (judge-certificate.ts), TLSA matching (judge-keys.ts).
//
// What can be concluded. keywatch connects like a peer server but presents no client certificate.
// It therefore sees what a peer *without* a certificate is offered: Prosody 0.12 offers SASL
// EXTERNAL only to a peer whose certificate validates against its trust store, so "dialback only"
// from Prosody does not mean it never authenticates peers by certificate; ejabberd 23.01 offers
// EXTERNAL after TLS to everyone, so EXTERNAL in its features does not say which certificates it
// accepts. A server that closes the stream with <not-authorized/> after TLS refuses peers without
// a valid certificate (Prosody's s2s_secure_auth).
//
// Server software is guessed only from evidence that points one way (stream-id format, the shape
// of the dialback feature, ejabberd's X-OAUTH2 mechanism) and is always worded "looks like".
import type { Finding } from './finding.ts';
import { tlsaLinesForChain } from './judge-tlsa-lint.ts';
import type { TlsaLookup } from './tlsa-lookup.ts';
import type { ProbeResult } from '../probe/probe.ts';

export interface SoftwareGuess {
  name: 'Prosody' | 'ejabberd';
  /** What points to it, one phrase each. */
  basis: string[];
}

export interface SoftwareHints {
  /** Stream ids the host issued (any role). */
  streamIds: readonly string[];
  /** Raw <stream:features> seen from the host (any role, before and after TLS). */
  features: readonly string[];
  /** SASL mechanisms the host offers clients. */
  c2sMechanisms: readonly string[];
}

const UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const EMPTY_DIALBACK = /<dialback\s+xmlns=(['"])urn:xmpp:features:dialback\1\s*\/>/;
const DIALBACK_ERRORS = /<dialback\s+xmlns=(['"])urn:xmpp:features:dialback\1\s*>\s*<errors\s*\/>/;

/**
 * Which server this looks like, when at least two independent signs agree and none points
 * elsewhere; undefined otherwise. A guess, not an identification: say "looks like".
 */
export function guessSoftware(h: SoftwareHints): SoftwareGuess | undefined {
  const prosody: string[] = [];
  const ejabberd: string[] = [];
  const ids = h.streamIds;
  if (ids.length >= 2 && ids.every((s) => UUID4.test(s))) prosody.push('its stream ids are lower-case UUIDv4, as Prosody\'s util.uuid makes them');
  if (ids.length >= 2 && ids.every((s) => /^[0-9]{1,20}$/.test(s) && BigInt(s) <= 1n << 64n)) ejabberd.push('its stream ids are decimal numbers up to 2^64, as ejabberd\'s p1_rand:get_string makes them');
  if (h.features.some((f) => EMPTY_DIALBACK.test(f))) prosody.push('it advertises dialback as an empty <dialback/> feature');
  if (h.features.some((f) => DIALBACK_ERRORS.test(f))) ejabberd.push('it advertises dialback with <errors/> (XEP-0220 dialback errors), as ejabberd does');
  if (h.c2sMechanisms.includes('X-OAUTH2')) ejabberd.push('it offers clients the X-OAUTH2 SASL mechanism');
  if (prosody.length >= 2 && ejabberd.length === 0) return { name: 'Prosody', basis: prosody };
  if (ejabberd.length >= 2 && prosody.length === 0) return { name: 'ejabberd', basis: ejabberd };
  return undefined;
}

const looksLike = (g: SoftwareGuess) => `This looks like ${g.name} (${g.basis.join('; ')}).`;

export interface S2sObservation {
  /** `host:port (address)`. */
  label: string;
  host: string;
  port: number;
  protocol: 'xmpp-s2s' | 'xmpps-s2s';
  probe: ProbeResult;
  /** Where a DANE-verifying peer looks for TLSA (`_5269._tcp.<host>`), and whether DANE applies on this path. */
  tlsaName: string;
  dane: { applies: true } | { applies: false; reason: string };
  /** The TLSA lookup at `tlsaName`, when one was made. */
  tlsa?: TlsaLookup;
  software?: SoftwareGuess;
}

const RFC_AUTH = 'RFC 6120 §13.5, XEP-0220, XEP-0178';

const REMEDY_CERT_AUTH: Record<SoftwareGuess['name'] | 'generic', string> = {
  Prosody:
    'To authenticate peers by certificate instead of DNS: s2s_secure_auth = true (peers whose certificates do not validate against your trust store are refused; name exceptions in s2s_insecure_domains), or s2s_secure_domains = { "peer.example" } for chosen peers only. Peers with self-signed or expired certificates then cannot federate with you.',
  ejabberd:
    'To accept only peers with a valid certificate (SASL EXTERNAL), remove mod_s2s_dialback from modules. Peers with self-signed or expired certificates then cannot federate with you.',
  generic:
    'To authenticate peers by certificate instead of DNS — Prosody: s2s_secure_auth = true (exceptions in s2s_insecure_domains); ejabberd: remove mod_s2s_dialback so that only SASL EXTERNAL is accepted. Peers with self-signed or expired certificates then cannot federate with you.',
};

function remedyCertAuth(g: SoftwareGuess | undefined): string {
  return g ? `${looksLike(g)} ${REMEDY_CERT_AUTH[g.name]}` : REMEDY_CERT_AUTH.generic;
}

const isBidi = (names: readonly string[]) => names.some((n) => n.includes('urn:xmpp:features:bidi'));

function daneFinding(o: S2sObservation): Finding | undefined {
  const chain = o.probe.tls?.chain;
  if (!chain?.[0]) return undefined;
  const t = o.tlsa;
  // Records (matched or not), bogus data and failed lookups are judged elsewhere.
  if (t && (t.state === 'records' || t.state === 'bogus' || t.state === 'failed')) return undefined;
  // Records published on an insecure path are reported as dane.tlsa-ignored / dane.tlsa-insecure.
  if (t?.state === 'insecure' && t.text.length) return undefined;
  if (o.dane.applies && !t) return undefined;
  const lines = tlsaLinesForChain(o.tlsaName, chain);
  const unsigned = !o.dane.applies || t?.state === 'insecure';
  const why = unsigned
    ? `DANE cannot apply on this path (${o.dane.applies ? `the TLSA lookup at ${o.tlsaName} is insecure` : o.dane.reason})`
    : `DNSSEC proves there are no TLSA records at ${o.tlsaName} (the same gap is counted for every port as dane.tlsa-missing)`;
  const software =
    o.software?.name === 'Prosody'
      ? `\n${looksLike(o.software)} For this server to check its peers' TLSA on its own outgoing connections: use_dane = true (a global option; Prosody 0.12 applies it to outgoing s2s only, and needs LuaSec with DANE support).`
      : o.software?.name === 'ejabberd'
        ? `\n${looksLike(o.software)} ejabberd 23.01 does not check DANE on its own outgoing connections; these records protect you towards peers that do.`
        : '';
  return {
    code: 'xmpp.s2s-dane-missing',
    severity: 'info',
    title: `publish TLSA for ${o.label}: peers that verify DANE cannot pin this server's key`,
    detail: `${why}. A peer server that verifies DANE (RFC 7673; Prosody with use_dane, for one) then falls back to the CA certificate or to dialback, and any certificate a public CA issues for ${o.host} is as good as yours — the kind of certificate the 2023 jabber.ru interception used. A 3 1 1 record pins this server's key for those peers.`,
    endpoints: [o.label],
    evidence: { tlsaName: o.tlsaName, tlsa: t?.state ?? 'not looked up', records: lines },
    remediation: `${unsigned ? 'Sign the zones on the way with DNSSEC (DANE needs a secure path from the SRV record to this name), then publish' : 'Publish'}:\n${lines.join('\n')}\n(3 1 1 pins this key; 2 1 1 names the issuing CA the server sent, which keeps matching after a renewal under the same CA.)${software}`,
    rfc: 'RFC 7673 §3, RFC 7671 §5.1',
  };
}

/** Findings about each server-to-server endpoint; see the file comment for what they can claim. */
export function judgeS2s(observations: readonly S2sObservation[]): Finding[] {
  const out: Finding[] = [];
  for (const o of observations) {
    const base = { endpoints: [o.label] };
    const p = o.probe;
    const before = p.starttls && 'features' in p.starttls ? p.starttls.features : undefined;
    const g = o.software;

    if (!p.ok && p.stage === 'features' && /stream error <(not-authorized|policy-violation)\/>/.test(p.error.message)) {
      out.push({
        ...base,
        code: 'xmpp.s2s-certificate-required',
        severity: 'info',
        title: `${o.label} refuses peers without a valid certificate`,
        detail: `After TLS the server closed the stream (${p.error.message}) because keywatch, connecting as a peer, presented no certificate. It authenticates peers by certificate and does not let them fall back to dialback (Prosody: s2s_secure_auth, or s2s_secure_domains naming the connecting domain). That resists impersonation of peer domains; peers with self-signed or expired certificates cannot federate with it.${g ? ` ${looksLike(g)}` : ''}`,
        evidence: { error: p.error.message },
        rfc: RFC_AUTH,
      });
    }

    const f = p.ok ? p.featuresAfterTls : undefined;
    if (f) {
      const external = f.mechanisms.some((m) => m.toUpperCase() === 'EXTERNAL');
      const evidence = { mechanisms: f.mechanisms, dialback: f.dialback, features: f.names };
      if (external) {
        out.push({
          ...base,
          code: 'xmpp.s2s-external-offered',
          severity: 'info',
          title: `${o.label} offers SASL EXTERNAL (certificate authentication) to peers${f.dialback ? ', and dialback' : ''}`,
          detail: `After TLS the server advertises SASL EXTERNAL (XEP-0178): peers may authenticate with their certificate. It did so to keywatch, which presented no certificate (ejabberd 23.01 advertises it to every peer), so this does not show which certificates it accepts.${f.dialback ? ' It also offers dialback (XEP-0220), so a peer without a valid certificate can still authenticate through DNS, which anyone who can forge that peer domain\'s DNS answers or sit on the path to it can abuse.' : ''}`,
          evidence,
          ...(f.dialback ? { remediation: `Nothing to fix for certificate authentication. ${remedyCertAuth(g)}` } : {}),
          rfc: RFC_AUTH,
        });
      } else if (f.dialback) {
        out.push({
          ...base,
          code: 'xmpp.s2s-dialback-only',
          severity: 'info',
          title: `${o.label} authenticates a peer without a certificate by dialback only`,
          detail: `After TLS the server offered keywatch — a peer that presented no certificate — server dialback (XEP-0220) and no SASL EXTERNAL. Dialback checks a peer by connecting back to the peer domain's server as DNS names it, so whoever can forge that domain's DNS answers (where it is not DNSSEC-signed) or sit on the path can impersonate the peer to this server's users. keywatch cannot see whether peers with a valid certificate are offered EXTERNAL: Prosody 0.12, for one, offers it only when the peer's certificate validates against its trust store.`,
          evidence,
          remediation: remedyCertAuth(g),
          rfc: RFC_AUTH,
        });
      } else {
        out.push({
          ...base,
          code: 'xmpp.s2s-no-peer-auth',
          severity: 'warning',
          title: `${o.label} offers a peer without a certificate no way to authenticate`,
          detail: `After TLS the server advertised neither dialback nor SASL EXTERNAL to keywatch, which presented no certificate. Peers like that cannot authenticate, so federation with them fails; if the server offers EXTERNAL to peers with a valid certificate, only those federate.`,
          evidence,
          remediation: g?.name === 'ejabberd' ? `${looksLike(g)} Add mod_s2s_dialback: {} to modules, or keep certificate-only federation knowingly.` : g?.name === 'Prosody' ? `${looksLike(g)} Enable "dialback" in modules_enabled, or keep certificate-only federation knowingly (s2s_secure_auth = true).` : 'Enable server dialback (Prosody: "dialback" in modules_enabled; ejabberd: mod_s2s_dialback), or make sure peers present certificates the server accepts.',
          rfc: RFC_AUTH,
        });
      }
    }

    const bidiBefore = before ? isBidi(before.names) : false;
    const bidiAfter = f ? isBidi(f.names) : false;
    if (bidiBefore || bidiAfter) {
      out.push({
        ...base,
        code: 'xmpp.s2s-bidi',
        severity: 'info',
        title: `${o.label} offers XEP-0288 bidirectional server-to-server streams`,
        detail: `The server advertises <bidi xmlns='urn:xmpp:features:bidi'/> ${bidiBefore && bidiAfter ? 'before and after TLS' : bidiAfter ? 'after TLS' : 'before TLS'}: one connection may carry stanzas both ways. XEP-0288 notes that the "unsolicited dialback" attack of XEP-0220 has a larger impact on bidirectional streams${f?.dialback ? ', and this server also offers dialback' : ''}.`,
        evidence: { before: before?.names ?? [], after: f?.names ?? [] },
        ...(f?.dialback ? { remediation: `Nothing to change for bidi itself. ${remedyCertAuth(g)}` } : {}),
        rfc: 'XEP-0288 §2, §4',
      });
    }

    const dane = daneFinding(o);
    if (dane) out.push(dane);
  }
  return out;
}

/** What check.ts has about one endpoint, enough to build the observations below. */
export interface S2sInput {
  endpoint: { label: string; host: string; port: number; protocol: string; dane: { applies: true; tlsaName: string } | { applies: false; reason: string } };
  probe: ProbeResult;
  tlsa?: TlsaLookup;
}

/** Hints for guessing each host's software: stream ids, every stream-features element, client SASL mechanisms. */
export function softwareHintsByHost(inputs: readonly S2sInput[], streamIds: ReadonlyArray<{ host: string; ids: readonly string[] }>): Map<string, SoftwareHints> {
  const out = new Map<string, { streamIds: string[]; features: string[]; c2sMechanisms: string[] }>();
  const of = (host: string) => {
    let h = out.get(host);
    if (!h) out.set(host, (h = { streamIds: [], features: [], c2sMechanisms: [] }));
    return h;
  };
  for (const { endpoint: e, probe: p } of inputs) {
    const h = of(e.host);
    if (p.starttls && 'features' in p.starttls) h.features.push(p.starttls.features.raw);
    if (p.ok && p.featuresAfterTls) {
      h.features.push(p.featuresAfterTls.raw);
      if (e.protocol.endsWith('c2s')) h.c2sMechanisms.push(...p.featuresAfterTls.mechanisms);
    }
  }
  for (const s of streamIds) of(s.host).streamIds.push(...s.ids);
  return out;
}

/** The s2s endpoints among a check's endpoints, with the TLSA owner a DANE peer would use and a software guess. */
export function s2sObservations(inputs: readonly S2sInput[], hints: ReadonlyMap<string, SoftwareHints>): S2sObservation[] {
  const out: S2sObservation[] = [];
  for (const { endpoint: e, probe, tlsa } of inputs) {
    if (e.protocol !== 'xmpp-s2s' && e.protocol !== 'xmpps-s2s') continue;
    const h = hints.get(e.host);
    const software = h && guessSoftware(h);
    out.push({
      label: e.label,
      host: e.host,
      port: e.port,
      protocol: e.protocol,
      probe,
      tlsaName: e.dane.applies ? e.dane.tlsaName : `_${e.port}._tcp.${e.host}`,
      dane: e.dane.applies ? { applies: true } : { applies: false, reason: e.dane.reason },
      ...(tlsa ? { tlsa } : {}),
      ...(software ? { software } : {}),
    });
  }
  return out;
}
