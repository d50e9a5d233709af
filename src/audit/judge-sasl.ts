// SASL and channel binding on the XMPP client endpoints (codes `sasl.*`, docs/FINDINGS.md).
// Pure: it judges what src/sasl/observe.ts saw without a password (mechanisms per TLS version,
// binding types probed, PLAIN before TLS) and, when a canary account was given, what its logins
// proved (src/sasl/canary.ts).
//
// Severity. What a modern client gets decides: the best TLS version's offer (TLS 1.3 today).
//  - No -PLUS at any version: warning. -PLUS only under TLS 1.2 (Prosody 0.12) or under TLS 1.3
//    only with a type TLS 1.3 does not define (ejabberd 23.01): warning, lowered to info where a
//    matching DANE-EE record pins the endpoint's key — keywatch's key comparison then catches an
//    interceptor with a key of its own, and what remains (a stolen key) is what the canary login
//    covers. Whether channel binding is offered at all does not depend on DANE.
//  - Differences between endpoints of one host in what they offer under the same TLS version are
//    critical: the pattern of a man in the middle who strips -PLUS on some paths (the 2023
//    jabber.ru box sat on some paths only). Between different hosts of a domain: a warning
//    (a cluster in the middle of an upgrade looks the same).
//  - Canary: a -PLUS login refused at the proof while the password is shown to be right (another
//    login succeeded, or the server said the binding did not match) is critical
//    (sasl.channel-binding-failed): something terminates TLS between keywatch and the server,
//    with a key the certificate checks accept — possibly the server's own.
//
// Server software is guessed (judge-s2s.ts's guessSoftware: stream ids, X-OAUTH2, …) and always
// worded "looks like"; the version only from what the features show (-PLUS on TLS 1.3 and
// XEP-0440 appear with Prosody 13, ejabberd 24.02).
import type { Finding, Severity } from './finding.ts';
import type { SoftwareGuess } from './judge-s2s.ts';
import type { CanaryAttempt, CanaryResult } from '../sasl/canary.ts';
import { offersPlus, type SaslObservation, type SaslOffer } from '../sasl/observe.ts';
import { parseMechanism, RECOMMENDED_MIN_ITERATIONS } from '../sasl/scram.ts';

export interface SaslEndpointInput {
  label: string;
  host: string;
  port: number;
  protocol: string;
  observation: SaslObservation;
  canary?: CanaryResult;
  /** A DANE-EE (3 x x) record matches the key this endpoint presented. */
  daneEe: boolean;
}

export interface SaslJudgeContext {
  software: ReadonlyMap<string, SoftwareGuess | undefined>;
  /** The canary's settings, when one was given. */
  canary?: { jid: string; requirePlus: boolean };
}

type Sw = 'prosody12' | 'prosody13' | 'ejabberd' | 'generic';

const RFC_CB = 'RFC 5802 §6, RFC 5929, RFC 9266';

const allMechs = (o: SaslOffer) => [...o.mechanisms, ...o.sasl2Mechanisms];
const scramOf = (o: SaslOffer) => allMechs(o).filter((m) => parseMechanism(m));
const versionName = (v: string) => v.replace('TLSv', 'TLS ');

function softwareOf(g: SoftwareGuess | undefined, obs: SaslObservation): { sw: Sw; says: string } {
  if (!g) return { sw: 'generic', says: '' };
  const best = obs.offers[0];
  if (g.name === 'ejabberd') return { sw: 'ejabberd', says: `This looks like ejabberd (${g.basis.join('; ')}). ` };
  const modern = best && best.tlsVersion === 'TLSv1.3' && (offersPlus(best) || best.channelBindings !== undefined);
  return { sw: modern ? 'prosody13' : 'prosody12', says: `This looks like Prosody${modern ? ' 13 or later' : ' 0.12 or earlier'} (${g.basis.join('; ')}). ` };
}

const REMEDY: Record<string, Record<Sw, string>> = {
  'no-channel-binding': {
    prosody12:
      'Offer the SCRAM-*-PLUS mechanisms: remove them from disable_sasl_mechanisms (globally and in the VirtualHost). Prosody 0.12 can then bind TLS 1.2 sessions (tls-unique); Prosody 13 also binds TLS 1.3 sessions with tls-exporter, offers tls-server-end-point with tls_server_end_point_hash = "auto", and advertises the types (XEP-0440).',
    prosody13:
      'Offer the SCRAM-*-PLUS mechanisms: remove them from disable_sasl_mechanisms (globally and in the VirtualHost); Prosody 13 binds with tls-exporter on TLS 1.3, and with tls-server-end-point when tls_server_end_point_hash = "auto" is set.',
    ejabberd:
      'Offer the SCRAM-*-PLUS mechanisms: remove them from disable_sasl_mechanisms (globally and under host_config). ejabberd 23.01 binds only with tls-unique; 24.02 and later add tls-exporter and tls-server-end-point, advertised with XEP-0440.',
    generic: 'Enable the SCRAM-*-PLUS mechanisms with tls-exporter for TLS 1.3 (RFC 9266) and tls-unique for TLS 1.2, and advertise the types (XEP-0440).',
  },
  'channel-binding-tls12-only': {
    prosody12:
      'Upgrade to Prosody 13: it binds TLS 1.3 sessions with tls-exporter (RFC 9266) and advertises the types (XEP-0440); tls_server_end_point_hash = "auto" adds tls-server-end-point for clients that know only that. (Capping TLS at 1.2 would bring tls-unique back for everyone, at the cost of TLS 1.3.)',
    prosody13: 'Check that LuaSec supports exporting keying material (tls-exporter needs it) and that disable_sasl_mechanisms does not remove SCRAM-*-PLUS.',
    ejabberd: 'Upgrade to ejabberd 24.02 or later, which binds TLS 1.3 sessions with tls-exporter and advertises the types (XEP-0440).',
    generic: 'Offer SCRAM-*-PLUS on TLS 1.3 with tls-exporter (RFC 9266), and advertise the types with XEP-0440.',
  },
  'binding-type-unusable': {
    prosody12: 'Upgrade to Prosody 13, which binds TLS 1.3 sessions with tls-exporter and never offers tls-unique there.',
    prosody13: 'Offer tls-exporter on TLS 1.3 (it needs LuaSec with keying-material export), or tls-server-end-point (tls_server_end_point_hash = "auto").',
    ejabberd:
      'Upgrade to ejabberd 24.02 or later: tls-exporter and tls-server-end-point, advertised with XEP-0440. ejabberd 23.01 binds TLS 1.3 sessions with tls-unique, which TLS 1.3 does not define: clients that follow RFC 9266 cannot bind, and those that send tls-unique anyway use bytes no standard defines.',
    generic: 'Offer tls-exporter (RFC 9266) on TLS 1.3 and advertise it with XEP-0440; tls-unique must not be used with TLS 1.3.',
  },
  'no-xep0440': {
    prosody12: 'Prosody 13 advertises its channel-binding types (XEP-0440) by itself.',
    prosody13: 'Prosody 13 advertises XEP-0440 when a binding type is available: check that tls-exporter works (LuaSec) or set tls_server_end_point_hash = "auto".',
    ejabberd: 'ejabberd 24.02 and later advertise XEP-0440.',
    generic: 'Advertise the supported types with <sasl-channel-binding xmlns="urn:xmpp:sasl-cb:0"> (XEP-0440).',
  },
  'server-accepts-y': {
    prosody12: 'A server that offers -PLUS must refuse the "y" flag (RFC 5802 §6). Upgrade the server.',
    prosody13: 'A server that offers -PLUS must refuse the "y" flag (RFC 5802 §6). Upgrade the server.',
    ejabberd:
      'Upgrade ejabberd: releases before 26.03 accept "y" while offering -PLUS. Until then, XEP-0474 downgrade protection (ejabberd 24.02 and later, on unless disable_sasl_scram_downgrade_protection is set) lets clients that support it detect stripping.',
    generic: 'A server that offers -PLUS must refuse the "y" flag (RFC 5802 §6); and offer XEP-0474 so clients can detect a stripped list themselves.',
  },
  'sha1-only': {
    prosody12: 'password_hash = "SHA-256" (global or per VirtualHost). It applies to passwords set afterwards: existing users keep SHA-1 until their password is changed.',
    prosody13: 'password_hash = "SHA-256" (global or per VirtualHost). It applies to passwords set afterwards: existing users keep SHA-1 until their password is changed.',
    ejabberd: 'auth_scram_hash: sha256 (or sha512). It applies to passwords set afterwards; ejabberd 24.x can upgrade stored keys at login with mod_scram_upgrade.',
    generic: 'Store SCRAM-SHA-256 (or SHA-512) keys; existing accounts move over when their password is next set.',
  },
  'plain-only': {
    prosody12: 'authentication = "internal_hashed" stores SCRAM keys and offers SCRAM (an external backend that only checks passwords cannot).',
    prosody13: 'authentication = "internal_hashed" stores SCRAM keys and offers SCRAM (an external backend that only checks passwords cannot).',
    ejabberd: 'auth_password_format: scram (or plain storage, from which ejabberd also offers SCRAM); an external auth script allows PLAIN only.',
    generic: 'Use an authentication backend that supports SCRAM (stored SCRAM keys or plaintext passwords).',
  },
  'plain-before-tls': {
    prosody12: 'c2s_require_encryption = true, and leave allow_unencrypted_plain_auth unset (false).',
    prosody13: 'c2s_require_encryption = true, and leave allow_unencrypted_plain_auth unset (false).',
    ejabberd: 'starttls_required: true on every ejabberd_c2s listener.',
    generic: 'Require TLS before authentication and offer no mechanism before it.',
  },
  'y-flag-refused': {
    prosody12:
      'If -PLUS is disabled on purpose (disable_sasl_mechanisms), Prosody 0.12 still refuses "y" on TLS 1.2, locking out clients that support binding: offer -PLUS again. Otherwise look for something on the path that rewrites the stream features.',
    prosody13: 'Look for something on the path that rewrites the stream features; if -PLUS is disabled on purpose, offer it again.',
    ejabberd: 'Look for something on the path that rewrites the stream features; if -PLUS is disabled on purpose, offer it again.',
    generic: 'Look for something on the path that rewrites the stream features; if -PLUS is disabled on purpose, offer it again.',
  },
  'iterations-low': {
    prosody12: 'Prosody hashes new passwords with 10 000 iterations by default; accounts with fewer keep them until their password is set again.',
    prosody13: 'Prosody hashes new passwords with 10 000 iterations by default; accounts with fewer keep them until their password is set again.',
    ejabberd: 'ejabberd uses 4096 iterations for new passwords; accounts with fewer keep them until their password is set again.',
    generic: 'Use at least 4096 iterations (RFC 7677 §4) for new passwords, and have users with fewer set theirs again.',
  },
};

const remedy = (key: keyof typeof REMEDY, s: { sw: Sw; says: string }) => `${s.says}${REMEDY[key]![s.sw]}`;

const INTERCEPTION_REMEDY =
  'Treat this as an interception until it is explained: something on this path terminates TLS with a key the certificate checks accept — possibly the server\'s own (keywatch\'s key comparison sees nothing then). Look at what sits in front of the server on this path (hosting provider, load balancer, TLS offload), rotate the server\'s private key and certificate if it may have leaked, and have users who logged in over this path change their passwords. A TLS-terminating proxy you run yourself breaks channel binding the same way: terminate TLS on the XMPP server, or stop offering -PLUS on that path.';

/** Usable types at TLS 1.3 for an offer, from XEP-0440, probes or the canary: undefined when unknown. */
function tls13Types(offer: SaslOffer, obs: SaslObservation, canary: CanaryResult | undefined): { types: string[]; source: string } | undefined {
  if (offer.channelBindings !== undefined) return { types: offer.channelBindings, source: 'XEP-0440' };
  const run = obs.probeRuns.find((r) => r.tlsVersion === offer.tlsVersion && !r.error);
  if (run) {
    const types = run.probes.filter((p) => p.subject !== 'y-flag');
    if (types.some((p) => p.verdict === 'inconclusive')) return undefined;
    return { types: types.filter((p) => p.verdict === 'accepted').map((p) => p.subject), source: 'probe' };
  }
  const tried = canary?.attempts.filter((a) => a.tlsVersion === offer.tlsVersion && a.purpose === 'bind');
  if (tried?.length) {
    // The canary never sends tls-unique on TLS 1.3; what it tried and was refused at client-first is unsupported.
    const ok = tried.filter((a) => !(a.result.outcome === 'failure' && a.result.stage === 'client-first')).map((a) => a.bindingType!);
    return { types: ok, source: 'canary' };
  }
  return undefined;
}

function perEndpoint(i: SaslEndpointInput, ctx: SaslJudgeContext, world: CanaryWorld): Finding[] {
  const out: Finding[] = [];
  const obs = i.observation;
  const s = softwareOf(ctx.software.get(i.host), obs);
  const ep = { endpoints: [i.label] };
  const offers = obs.offers;
  const best = offers[0];

  if (obs.beforeTls?.includes('PLAIN')) {
    out.push({
      code: 'sasl.plain-before-tls',
      severity: 'error',
      title: `${i.label} offers PLAIN before TLS`,
      detail: 'The stream features before STARTTLS list the PLAIN mechanism: a client that does not insist on TLS (or whose STARTTLS was stripped) sends the password in the clear.',
      ...ep,
      evidence: { beforeTls: obs.beforeTls },
      remediation: remedy('plain-before-tls', s),
      rfc: 'RFC 6120 §6.4.1, §13.8.3',
    });
  }
  if (!best) return out;
  const scram = [...new Set(offers.flatMap(scramOf))];
  const table = offers.map((o) => ({ tlsVersion: o.tlsVersion, mechanisms: o.mechanisms, ...(o.channelBindings ? { channelBindings: o.channelBindings } : {}), ...(o.sasl2 ? { sasl2Mechanisms: o.sasl2Mechanisms } : {}) }));
  if (scram.length === 0) {
    if (offers.some((o) => allMechs(o).includes('PLAIN'))) {
      out.push({
        code: 'sasl.plain-only',
        severity: 'error',
        title: `${i.label} offers no SCRAM, only PLAIN`,
        detail: 'Clients can authenticate only by sending the password itself: whoever terminates TLS — an interceptor with a valid certificate included — receives it, and channel binding is impossible.',
        ...ep,
        evidence: { offers: table },
        remediation: remedy('plain-only', s),
        rfc: 'RFC 6120 §13.8.3, RFC 5802',
      });
    }
    return out;
  }
  if (scram.every((m) => parseMechanism(m)!.hash === 'SHA-1')) {
    out.push({
      code: 'sasl.sha1-only',
      severity: 'warning',
      title: `${i.label} offers SCRAM with SHA-1 only`,
      detail: `The only SCRAM hash is SHA-1 (${scram.join(', ')}). SCRAM-SHA-256 (RFC 7677) is what clients should use; SHA-1 keys stolen from the server are cheaper to attack.`,
      ...ep,
      evidence: { scram },
      remediation: remedy('sha1-only', s),
      rfc: 'RFC 7677',
    });
  }

  const plusBy = offers.map((o) => ({ v: o.tlsVersion, plus: offersPlus(o) }));
  const dane = i.daneEe ? ' A matching DANE-EE record pins this endpoint\'s key, so keywatch\'s key comparison catches an interceptor with a key of its own; channel binding would also catch one that holds the server\'s key.' : '';
  const lowered = (sev: Severity): Severity => (i.daneEe ? 'info' : sev);
  if (!plusBy.some((p) => p.plus)) {
    // Only TLS 1.3 looked at (--quick skips the TLS 1.2 handshake): what modern clients get is
    // known, what TLS 1.2 clients get is not, so this is the TLS-1.3-only case, not "none at all".
    const onlyTls13 = offers.every((o) => o.tlsVersion === 'TLSv1.3');
    out.push({
      code: 'sasl.no-channel-binding',
      severity: onlyTls13 ? lowered('warning') : 'warning',
      title: `${i.label} offers SCRAM without channel binding (no -PLUS)${onlyTls13 ? ' under TLS 1.3' : ''}`,
      detail: `Under ${offers.map((o) => versionName(o.tlsVersion)).join(' and ')} the server offers ${scram.join(', ')} but no SCRAM-*-PLUS mechanism, so no client can bind its login to the TLS session: an interceptor that terminates TLS with a certificate clients accept relays the login unnoticed.${onlyTls13 ? ` keywatch did not look under TLS 1.2 in this run (it does without --quick).${dane}` : ''}`,
      ...ep,
      evidence: { offers: table },
      remediation: remedy('no-channel-binding', s),
      rfc: RFC_CB,
    });
  } else if (!plusBy[0]!.plus) {
    const with_ = plusBy.filter((p) => p.plus).map((p) => versionName(p.v));
    out.push({
      code: 'sasl.channel-binding-tls12-only',
      severity: lowered('warning'),
      title: `${i.label} offers channel binding only to clients that negotiate ${with_.join(', ')}`,
      detail: `A client negotiating ${versionName(best.tlsVersion)}, as modern clients do, is offered no SCRAM-*-PLUS mechanism (${best.mechanisms.join(', ')}); only when keywatch capped TLS at 1.2 did the server offer one. Modern clients therefore authenticate without channel binding.${dane}`,
      ...ep,
      evidence: { offers: table },
      remediation: remedy('channel-binding-tls12-only', s),
      rfc: RFC_CB,
    });
  } else if (best.tlsVersion === 'TLSv1.3') {
    const t = tls13Types(best, obs, i.canary);
    const usable = t?.types.filter((x) => x === 'tls-exporter' || x === 'tls-server-end-point');
    if (t && usable && usable.length === 0) {
      out.push({
        code: 'sasl.binding-type-unusable',
        severity: lowered('warning'),
        title: `${i.label} offers -PLUS on TLS 1.3 without a binding type TLS 1.3 defines`,
        detail: `Under TLS 1.3 the server offers ${best.mechanisms.filter((m) => parseMechanism(m)?.plus).join(', ')}, but accepts only ${t.types.length ? t.types.join(', ') : 'no binding type'} (${t.source === 'XEP-0440' ? 'as it advertises with XEP-0440' : t.source === 'probe' ? 'as keywatch found by asking it for each type without a password' : 'as the canary logins found'}); tls-unique is undefined for TLS 1.3 (RFC 9266 §1), tls-exporter is the default there. Clients that follow RFC 9266 cannot bind.${dane}`,
        ...ep,
        evidence: { offers: table, tls13Types: t.types, source: t.source, ...(obs.probeRuns.length ? { probes: obs.probeRuns } : {}) },
        remediation: remedy('binding-type-unusable', s),
        rfc: 'RFC 9266 §1, §4, RFC 5929 §3',
      });
    }
  }
  const plusOffers = offers.filter(offersPlus);
  if (plusOffers.length && plusOffers.some((o) => o.channelBindings === undefined)) {
    out.push({
      code: 'sasl.no-xep0440',
      severity: 'info',
      title: `${i.label} offers -PLUS without saying which channel-binding types it supports`,
      detail: 'No <sasl-channel-binding/> feature (XEP-0440): clients have to guess the type (tls-unique by RFC 5802 for TLS 1.2, tls-exporter by RFC 9266 for TLS 1.3) and fail, or give up binding, when the guess is wrong.',
      ...ep,
      evidence: { offers: table },
      remediation: remedy('no-xep0440', s),
      rfc: 'XEP-0440',
    });
  }
  // The y flag: confirmed by the canary (warning) or indicated without a password (info).
  const yConfirmed = i.canary?.attempts.filter((a) => a.purpose === 'y-test' && a.result.outcome === 'success') ?? [];
  const yProbed = obs.probeRuns.flatMap((r) => r.probes.filter((p) => p.subject === 'y-flag' && p.verdict === 'accepted').map((p) => ({ tlsVersion: r.tlsVersion, answer: p.answer, baseline: r.baseline })));
  if (yConfirmed.length || yProbed.length) {
    out.push({
      code: 'sasl.server-accepts-y',
      severity: yConfirmed.length ? 'warning' : 'info',
      title: `${i.label} cannot detect a stripped -PLUS: it accepts the "y" flag while offering -PLUS`,
      detail: yConfirmed.length
        ? 'The canary logged in with gs2 flag "y" ("I support channel binding but you do not offer it") on a connection where the server did offer SCRAM-*-PLUS. RFC 5802 §6 requires the server to fail that authentication: it is how a server notices a man in the middle who removed -PLUS from the features. This server lets it through.'
        : 'Asked without a password, the server treated the gs2 flag "y" ("I support channel binding but you do not offer it") like a plain attempt although it offers SCRAM-*-PLUS; RFC 5802 §6 requires it to fail such an authentication, and the check of client-first is where servers do. A canary login (--canary) confirms it.',
      ...ep,
      evidence: yConfirmed.length ? { tlsVersions: yConfirmed.map((a) => a.tlsVersion), mechanism: yConfirmed[0]!.mechanism } : { probes: yProbed },
      remediation: remedy('server-accepts-y', s),
      rfc: 'RFC 5802 §6',
    });
  }
  if (i.canary) out.push(...canaryFindings(i, ctx, s, world));
  return out;
}

const answerOf = (a: CanaryAttempt): string => {
  const r = a.result;
  if (r.outcome === 'failure') return `${r.stage}: <${r.failure.condition}/>${r.failure.text ? ` "${r.failure.text}"` : ''}${r.serverError ? ` e=${r.serverError}` : ''}`;
  if (r.outcome === 'error') return `${r.stage}: ${r.message}`;
  return r.outcome;
};

const attemptView = (a: CanaryAttempt) => ({
  tlsVersion: a.tlsVersion,
  mechanism: a.mechanism,
  gs2: a.gs2,
  ...(a.bindingType ? { bindingType: a.bindingType, bindingSha256: a.bindingSha256, bindingData: a.bindingDetail } : {}),
  answer: answerOf(a),
});

const saysBinding = (a: CanaryAttempt) => a.result.outcome === 'failure' && /channel.?binding|cbind|channel-bindings-dont-match/i.test(`${a.result.failure.text ?? ''} ${a.result.serverError ?? ''}`);

/** What all endpoints together show, for judging one endpoint's canary. */
interface CanaryWorld {
  /** A login (any endpoint, any mechanism) that succeeded: the password is right. */
  success?: { label: string; attempt: CanaryAttempt };
  /** Endpoints and TLS versions at which -PLUS was offered (audit or canary). */
  plusAt: Array<{ label: string; tlsVersion: string }>;
}
function canaryFindings(i: SaslEndpointInput, ctx: SaslJudgeContext, s: { sw: Sw; says: string }, world: CanaryWorld): Finding[] {
  const c = i.canary!;
  const out: Finding[] = [];
  const ep = { endpoints: [i.label] };
  const requirePlus = ctx.canary?.requirePlus === true;
  const binds = c.attempts.filter((a) => a.purpose === 'bind');
  const bound = binds.filter((a) => a.result.outcome === 'success');
  // Refused at the proof: the binding data was checked. (Refused at client-first = type unsupported.)
  const failedAtProof = binds.filter((a) => a.result.outcome === 'failure' && a.result.stage === 'client-final');
  let bindingFailed = false;
  if (failedAtProof.length) {
    const proof = world.success;
    const said = failedAtProof.find(saysBinding);
    if (proof || said) {
      bindingFailed = true;
      const a = said ?? failedAtProof[0]!;
      out.push({
        code: 'sasl.channel-binding-failed',
        severity: 'critical',
        title: `${i.label}: the canary's channel binding failed — something terminates TLS on this path`,
        detail: `The canary logged in with ${a.mechanism} and ${a.bindingType} under ${versionName(a.tlsVersion)}; the server refused the proof (${answerOf(a)}). ${said ? 'The server says the channel-binding data did not match' : 'The password is right'}${proof ? ` (the same password logged in at ${proof.label} with ${proof.attempt.mechanism}${proof.attempt.gs2 === 'p' ? ` and ${proof.attempt.bindingType}` : ''} under ${versionName(proof.attempt.tlsVersion)})` : ''}, so the TLS session the server sees is not the one keywatch has: a man in the middle terminates TLS and relays the stream. The binding-data digest below is keywatch's view; the server computed another.`,
        ...ep,
        evidence: { failed: failedAtProof.map(attemptView), ...(proof ? { passwordProvenBy: { endpoint: proof.label, ...attemptView(proof.attempt) } } : {}), bound: bound.map(attemptView) },
        remediation: INTERCEPTION_REMEDY,
        rfc: 'RFC 5802 §6, RFC 5929, RFC 9266',
      });
    }
  }
  for (const a of c.attempts) {
    const r = a.result;
    if (r.outcome === 'bad-server-signature') {
      out.push({
        code: 'sasl.server-signature-invalid',
        severity: 'critical',
        title: `${i.label}: the server's SCRAM signature does not verify`,
        detail: `After the canary's proof (${a.mechanism} under ${versionName(a.tlsVersion)}) the peer reported success without proving that it holds the account's server key (${r.detail}). The real server always can: whoever answered is impersonating it.`,
        ...ep,
        evidence: { attempt: attemptView(a) },
        remediation: INTERCEPTION_REMEDY,
        rfc: 'RFC 5802 §3, §9',
      });
    }
    if (r.outcome === 'ssdp-mismatch' && r.ssdp.state === 'mismatch') {
      out.push({
        code: 'sasl.downgrade-detected',
        severity: 'critical',
        title: `${i.label}: the SASL offer was tampered with (XEP-0474)`,
        detail: `The server's downgrade-protection hash (XEP-0474 ${r.ssdp.format}) does not match the mechanisms and channel-binding types keywatch was shown under ${versionName(a.tlsVersion)}: something between them rewrote the stream features. The canary sent no proof.`,
        ...ep,
        evidence: { method: 'xep-0474', attempt: attemptView(a), received: r.ssdp.received, expected: r.ssdp.expected },
        remediation: INTERCEPTION_REMEDY,
        rfc: 'XEP-0474',
      });
    }
  }
  // "y" where no -PLUS was offered, and the server refused it at client-first: it supports binding.
  for (const a of c.attempts.filter((x) => x.purpose === 'unbound' && x.result.outcome === 'failure' && x.result.stage === 'client-first')) {
    const elsewhere = world.plusAt.filter((p) => p.tlsVersion === a.tlsVersion && p.label !== i.label);
    // Without a path that offers -PLUS, a required binding is judged below (no binding at all).
    if (!elsewhere.length && requirePlus) continue;
    if (elsewhere.length) {
      out.push({
        code: 'sasl.downgrade-detected',
        severity: 'critical',
        title: `${i.label}: -PLUS was removed from the SASL offer on this path`,
        detail: `Under ${versionName(a.tlsVersion)} this endpoint offered no SCRAM-*-PLUS mechanism, yet the server refused the canary's gs2 flag "y" (${answerOf(a)}): the server supports channel binding and concluded, as RFC 5802 §6 intends, that the offer was stripped on the way. ${elsewhere.map((e) => e.label).join(', ')} offer${elsewhere.length === 1 ? 's' : ''} -PLUS under the same version.`,
        ...ep,
        evidence: { method: 'y-refused', attempt: attemptView(a), plusOfferedAt: elsewhere },
        remediation: INTERCEPTION_REMEDY,
        rfc: 'RFC 5802 §6',
      });
    } else {
      out.push({
        code: 'sasl.y-flag-refused',
        severity: 'warning',
        title: `${i.label} refuses the "y" flag although it offers no -PLUS`,
        detail: `Under ${versionName(a.tlsVersion)} no endpoint offered SCRAM-*-PLUS, yet the server refused the canary's gs2 flag "y" (${answerOf(a)}), which it must do only when it does offer channel binding (RFC 5802 §6). Either a man in the middle removes -PLUS on every path, or the server has binding support but does not advertise it; clients that support binding and send "y" cannot log in.`,
        ...ep,
        evidence: { attempt: attemptView(a) },
        remediation: remedy('y-flag-refused', s),
        rfc: 'RFC 5802 §6',
      });
    }
  }
  if (requirePlus && bound.length === 0 && !bindingFailed && !out.some((f) => f.code === 'sasl.downgrade-detected')) {
    out.push({
      code: 'sasl.downgrade-detected',
      severity: 'critical',
      title: `${i.label}: the canary requires channel binding and got none`,
      detail: `The canary account is configured for -PLUS, but on this endpoint no login with channel binding was possible (${c.offers.map((o) => `${versionName(o.tlsVersion)}: ${o.mechanisms.join(' ')}`).join('; ') || 'no connection'}). keywatch does not fall back: either the server stopped offering -PLUS, or something on the path removes it${c.attempts.some((a) => a.purpose === 'unbound' && a.result.outcome === 'failure' && a.result.stage === 'client-first') ? ' — and the server refused the gs2 flag "y", which it does when it supports binding (RFC 5802 §6)' : ''}.`,
      ...ep,
      evidence: { method: 'canary-requires-plus', offers: c.offers, attempts: c.attempts.map(attemptView) },
      remediation: `${INTERCEPTION_REMEDY} If the server's configuration changed on purpose, offer SCRAM-*-PLUS again.`,
      rfc: 'RFC 5802 §6',
    });
  }
  const successes = c.attempts.filter((a) => a.result.outcome === 'success');
  const low = successes.filter((a) => a.result.outcome === 'success' && a.result.iterations < RECOMMENDED_MIN_ITERATIONS);
  if (low.length) {
    const n = low[0]!.result.outcome === 'success' ? low[0]!.result.iterations : 0;
    out.push({
      code: 'sasl.scram-iterations-low',
      severity: 'warning',
      title: `${i.label} stores the canary's SCRAM keys with only ${n} iterations`,
      detail: `The server asked for ${n} PBKDF2 iterations (fewer than the ${RECOMMENDED_MIN_ITERATIONS} RFC 7677 §4 expects): keys stolen from the server, or a login transcript, are cheap to brute-force.`,
      ...ep,
      evidence: { iterations: n },
      remediation: remedy('iterations-low', s),
      rfc: 'RFC 7677 §4',
    });
  }
  if (successes.length && successes.every((a) => a.result.outcome === 'success' && a.result.ssdp.state === 'absent')) {
    out.push({
      code: 'sasl.no-xep0474',
      severity: 'info',
      title: `${i.label} sends no SCRAM downgrade protection (XEP-0474)`,
      detail: 'The server-first-message carries no XEP-0474 hash (d= or h=) of the offered mechanisms and binding types: clients cannot tell whether the offer was tampered with (a stripped -PLUS, a removed XEP-0440 list).',
      ...ep,
      evidence: {},
      remediation: s.sw === 'ejabberd' ? `${s.says}ejabberd 24.02 and later send it (unless disable_sasl_scram_downgrade_protection is set).` : s.sw.startsWith('prosody') ? `${s.says}Prosody has it in the community module mod_sasl_ssdp.` : 'Offer XEP-0474 (SASL SCRAM Downgrade Protection).',
      rfc: 'XEP-0474',
    });
  }
  if (bound.length) {
    out.push({
      code: 'sasl.channel-binding-verified',
      severity: 'ok',
      title: `${i.label}: the canary logged in with channel binding`,
      detail: `The server accepted proofs bound to keywatch's own TLS session (${bound.map((a) => `${a.bindingType} under ${versionName(a.tlsVersion)}`).join(', ')}): no one terminates TLS between keywatch and the server on this path${bound.every((a) => a.bindingType === 'tls-server-end-point') ? ' — except possibly someone holding the server\'s certificate and key, which tls-server-end-point cannot tell apart' : ''}.`,
      ...ep,
      evidence: { bound: bound.map(attemptView) },
    });
  } else if (!successes.length && !bindingFailed && !out.some((f) => f.severity === 'critical')) {
    out.push({
      code: 'sasl.canary-login-failed',
      severity: 'error',
      title: `${i.label}: the canary could not log in`,
      detail: `No canary login succeeded on this endpoint (${c.attempts.map((a) => `${a.mechanism}${a.bindingType ? ` ${a.bindingType}` : ` ${a.gs2}`} under ${versionName(a.tlsVersion)}: ${answerOf(a)}`).join('; ') || c.errors.join('; ') || 'nothing to try'}). Without one login that works, a refused channel binding cannot be told from a wrong password.`,
      ...ep,
      evidence: { attempts: c.attempts.map(attemptView), errors: c.errors },
      remediation: `Check that ${ctx.canary?.jid ?? 'the canary account'} exists on the server and that the password keywatch is given (KEYWATCH_CANARY_PASSWORD or --canary-password-file) is current.`,
    });
  }
  return out;
}

/** Compare what endpoints offer under the same TLS version. */
function differences(inputs: readonly SaslEndpointInput[]): Finding[] {
  const out: Finding[] = [];
  const sig = offerSig;
  const plusSig = (o: SaslOffer) => JSON.stringify([allMechs(o).filter((m) => parseMechanism(m)?.plus).sort(), o.channelBindings ? [...o.channelBindings].sort() : null]);
  const versions = [...new Set(inputs.flatMap((i) => i.observation.offers.map((o) => o.tlsVersion)))];
  for (const v of versions) {
    const rows = inputs.flatMap((i) => {
      const o = i.observation.offers.find((x) => x.tlsVersion === v);
      return o ? [{ i, o }] : [];
    });
    if (rows.length < 2 || new Set(rows.map((r) => sig(r.o))).size < 2) continue;
    const sameHost = new Set(rows.map((r) => r.i.host)).size === 1;
    const plusDiffers = new Set(rows.map((r) => plusSig(r.o))).size > 1;
    const severity: Severity = sameHost ? (plusDiffers ? 'critical' : 'error') : 'warning';
    const table = rows.map((r) => ({ endpoint: r.i.label, mechanisms: r.o.mechanisms, ...(r.o.channelBindings ? { channelBindings: r.o.channelBindings } : {}), ...(r.o.sasl2 ? { sasl2Mechanisms: r.o.sasl2Mechanisms } : {}) }));
    const without = rows.filter((r) => !offersPlus(r.o)).map((r) => r.i.label);
    out.push({
      code: 'sasl.mechanisms-differ',
      severity,
      title: `the client endpoints of ${sameHost ? rows[0]!.i.host : 'this domain'} offer different SASL mechanisms under ${versionName(v)}`,
      detail: `${plusDiffers && without.length ? `${without.join(', ')} offer${without.length === 1 ? 's' : ''} no SCRAM-*-PLUS while other endpoints do` : 'The mechanism lists differ'} (table in the evidence). ${sameHost ? 'Endpoints of one host normally run the same server: a list that differs on some paths is the mark of something rewriting the stream features there — a man in the middle that strips -PLUS forces clients to log in without channel binding.' : 'Different hosts may run different server versions; check that the difference is intended, since a man in the middle that strips -PLUS on some paths looks the same.'}`,
      endpoints: rows.map((r) => r.i.label),
      evidence: { tlsVersion: v, table },
      remediation: sameHost ? INTERCEPTION_REMEDY : 'Configure every server of the domain alike (same mechanisms, -PLUS and XEP-0440 everywhere), then compare again.',
      rfc: 'RFC 5802 §6, XEP-0474',
    });
  }
  // XEP-0515's concern: paths that negotiate different TLS versions offer different binding types.
  const bests = inputs.flatMap((i) => (i.observation.offers[0] ? [{ label: i.label, v: i.observation.offers[0].tlsVersion, plus: offersPlus(i.observation.offers[0]) }] : []));
  if (new Set(bests.map((b) => b.v)).size > 1) {
    out.push({
      code: 'sasl.tls-version-differs',
      severity: 'warning',
      title: 'the client endpoints of this domain negotiate different TLS versions, and with them different channel-binding types',
      detail: `keywatch got ${bests.map((b) => `${versionName(b.v)} at ${b.label}${b.plus ? ' (-PLUS offered)' : ' (no -PLUS)'}`).join(', ')}. Channel-binding types depend on the version (tls-unique only below TLS 1.3, tls-exporter on 1.3), so a man in the middle that negotiates a different version on each side can shrink what clients can bind with (the concern of XEP-0515); a server should offer the same versions on every path.`,
      endpoints: bests.map((b) => b.label),
      evidence: { table: bests.map((b) => ({ endpoint: b.label, tlsVersion: b.v, plus: b.plus })) },
      remediation: 'Offer the same TLS versions on every client endpoint (TLS 1.3 with tls-exporter, and TLS 1.2 where old clients need it), and find out why one path differs.',
      rfc: 'RFC 9266, XEP-0515',
    });
  }
  return out;
}

const offerSig = (o: SaslOffer) => JSON.stringify([[...allMechs(o)].sort(), o.channelBindings ? [...o.channelBindings].sort() : null]);

/**
 * Binding types are asked about at one endpoint per host (observe.ts); the answers hold for the
 * host's other endpoints that offered exactly the same under the same TLS version.
 */
function shareProbes(inputs: readonly SaslEndpointInput[]): SaslEndpointInput[] {
  return inputs.map((i) => {
    if (i.observation.probeRuns.length) return i;
    const runs = inputs
      .filter((x) => x !== i && x.host === i.host)
      .flatMap((x) =>
        x.observation.probeRuns.filter((r) => {
          const mine = i.observation.offers.find((o) => o.tlsVersion === r.tlsVersion);
          const theirs = x.observation.offers.find((o) => o.tlsVersion === r.tlsVersion);
          return mine && theirs && offerSig(mine) === offerSig(theirs);
        }),
      );
    return runs.length ? { ...i, observation: { ...i.observation, probeRuns: runs } } : i;
  });
}

/** Every SASL finding for a check's XMPP client endpoints. */
export function judgeSasl(given: readonly SaslEndpointInput[], ctx: SaslJudgeContext): Finding[] {
  const inputs = shareProbes(given);
  const plusAt = inputs.flatMap((i) => [...i.observation.offers, ...(i.canary?.offers ?? [])].filter(offersPlus).map((o) => ({ label: i.label, tlsVersion: o.tlsVersion })));
  let success: CanaryWorld['success'];
  for (const i of inputs) {
    const a = i.canary?.attempts.find((x) => x.result.outcome === 'success');
    if (a && !success) success = { label: i.label, attempt: a };
  }
  const world: CanaryWorld = { plusAt, ...(success ? { success } : {}) };
  return [...inputs.flatMap((i) => perEndpoint(i, ctx, world)), ...differences(inputs)];
}
