// What a client is offered for SASL at one XMPP client endpoint, per TLS version, without any
// password: the audit side of the SASL checks (src/audit/judge-sasl.ts judges it).
//
//  - The main probe's post-TLS features are what a modern client (best TLS, normally 1.3) gets.
//  - One more handshake capped at TLS 1.2 shows what changes with the version (Prosody 0.12
//    offers -PLUS only there).
//  - Where a version offers -PLUS without XEP-0440, clients cannot know which channel-binding
//    type to use; the server can be asked without a password, because Prosody and ejabberd check
//    the gs2 header of client-first-message before they look up the user. One <auth> per type,
//    for a user that does not exist, on one stream: an unsupported type is refused for the
//    binding ("Proposed channel binding type isn't supported", "Invalid channel binding"); a
//    supported one gets the same answer as a plain SCRAM attempt for that user (the baseline),
//    or a challenge. When the answers do not differ, the result is "inconclusive", never a guess.
//    The same comparison tells whether the server refuses the gs2 flag "y" while it advertises
//    -PLUS (RFC 5802 §6: it must, or it cannot detect -PLUS stripping); accepting it at this
//    stage is only an indication — the final step could still refuse — which a canary confirms.
//
// Cost and manners: at most 5 failed authentications per probed TLS version, spaced by
// `delayMs`, on one connection, and only where the answer is not already known (no -PLUS, or
// XEP-0440 present: no probing). The caller probes one endpoint per host. Failed logins count
// towards brute-force protection (ejabberd's mod_fail2ban bans an address after 20 within an
// hour by default), which is why none of this runs with --quick.
import { createBudget } from '../probe/bounded.ts';
import { DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT_MS, type ProbeOptions, type ProbeResult } from '../probe/probe.ts';
import { BINDING_TYPES, bindingDefined, type BindingType } from './channel-binding.ts';
import { mechanismName, parseMechanism, SCRAM_HASHES, ScramClient, type Gs2Binding, type ScramHash } from './scram.ts';
import { openSaslSession, scramLogin, SessionError, type LoginResult, type SaslSession } from './xmpp-sasl.ts';

/** What one TLS version offered after TLS. */
export interface SaslOffer {
  tlsVersion: string;
  /** SASL1 mechanisms, in the server's order. */
  mechanisms: string[];
  /** XEP-0440 channel-binding types; absent when the server does not advertise XEP-0440. */
  channelBindings?: string[];
  sasl2: boolean;
  sasl2Mechanisms: string[];
}

export type ProbeSubject = BindingType | 'y-flag';

export interface BindingProbe {
  subject: ProbeSubject;
  mechanism: string;
  /** What the server answered: a challenge, or its failure condition and text. */
  answer: string;
  /** accepted: passed the gs2 check; refused: refused for it; inconclusive: cannot tell. */
  verdict: 'accepted' | 'refused' | 'inconclusive';
}

export interface SaslProbeRun {
  tlsVersion: string;
  /** The answer to plain SCRAM (gs2 flag "n") for the made-up user. */
  baseline: string;
  probes: BindingProbe[];
  error?: string;
}

export interface SaslObservation {
  /** Best first: the main probe's version, then the TLS 1.2 handshake's when it differed. */
  offers: SaslOffer[];
  /** SASL mechanisms offered before TLS (STARTTLS endpoints). */
  beforeTls?: string[];
  probeRuns: SaslProbeRun[];
  /** Extra handshakes that failed. */
  errors: string[];
  /** Connections opened for this observation (beyond the main probe). */
  connections: number;
}

export interface ObserveOptions {
  /** Open the extra connections (TLS 1.2, probing); false: only the main probe's offer. Default true. */
  extraSessions?: boolean;
  /** Ask about binding types and the y flag with failed authentications (see the top comment). */
  probeBindings: boolean;
  /** The user name in those attempts; one that does not exist. */
  probeUser?: string;
  delayMs?: number;
}

export const DEFAULT_PROBE_USER = 'keywatch-probe';
export const DEFAULT_PROBE_DELAY_MS = 150;

const offerOf = (tlsVersion: string, f: { mechanisms: string[]; channelBindings: string[]; sasl2: boolean; sasl2Mechanisms: string[]; names: string[] }): SaslOffer => ({
  tlsVersion,
  mechanisms: f.mechanisms,
  // readFeatures gives [] both for "no XEP-0440" and an empty list; the feature name tells.
  ...(f.names.some((n) => n.includes('urn:xmpp:sasl-cb:0')) ? { channelBindings: f.channelBindings } : {}),
  sasl2: f.sasl2,
  sasl2Mechanisms: f.sasl2Mechanisms,
});

export const offersPlus = (o: SaslOffer): boolean => [...o.mechanisms, ...o.sasl2Mechanisms].some((m) => parseMechanism(m)?.plus);

/** The strongest SCRAM hash offered with -PLUS (or without, when `plus` is false). */
export function strongestScram(mechanisms: readonly string[], plus: boolean): ScramHash | undefined {
  return SCRAM_HASHES.find((h) => mechanisms.includes(mechanismName(h, plus)));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function answerText(r: LoginResult): string {
  switch (r.outcome) {
    case 'failure':
      return `failure ${r.failure.condition}${r.failure.text ? `: ${r.failure.text}` : ''}${r.serverError ? ` (e=${r.serverError})` : ''}`;
    case 'challenged':
      return 'challenge';
    case 'error':
      return `error: ${r.message}`;
    default:
      return r.outcome;
  }
}

const mentionsBinding = (answer: string) => /channel.?binding|\bcb\b|cbind/i.test(answer);

/**
 * The probing on one session: the baseline, each binding type defined or not for the version,
 * and the y flag. Pure sequencing; the verdicts follow the rules in the top comment.
 */
async function probeBindings(s: SaslSession, offer: SaslOffer, o: ObserveOptions): Promise<SaslProbeRun> {
  const plusHash = strongestScram(offer.mechanisms, true);
  const plainHash = strongestScram(offer.mechanisms, false) ?? plusHash;
  const user = o.probeUser ?? DEFAULT_PROBE_USER;
  const run: SaslProbeRun = { tlsVersion: offer.tlsVersion, baseline: '', probes: [] };
  if (!plusHash || !plainHash) return { ...run, error: 'no SCRAM -PLUS mechanism in SASL1' };
  const attempt = async (mechanism: string, binding: Gs2Binding): Promise<string> => {
    if (!s.open) return 'error: the stream is closed';
    const hash = parseMechanism(mechanism)!.hash;
    const scram = new ScramClient({ hash, username: user, credentials: { password: 'x' }, binding });
    const r = await scramLogin(s, { mechanism, scram, advertised: { mechanisms: offer.mechanisms, channelBindings: offer.channelBindings }, stopAfterServerFirst: true });
    await sleep(o.delayMs ?? DEFAULT_PROBE_DELAY_MS);
    return answerText(r);
  };
  run.baseline = await attempt(mechanismName(plainHash, false), { flag: 'n' });
  if (run.baseline.startsWith('error')) return { ...run, error: `the plain SCRAM attempt failed: ${run.baseline}` };
  // tls-exporter is probed only where keywatch would use it (TLS 1.3); tls-unique everywhere,
  // since a server accepting it on TLS 1.3 is itself a finding.
  const subjects: ProbeSubject[] = [...BINDING_TYPES.filter((t) => t !== 'tls-exporter' || bindingDefined(t, offer.tlsVersion).defined), 'y-flag'];
  for (const subject of subjects) {
    const mechanism = subject === 'y-flag' ? mechanismName(plainHash, false) : mechanismName(plusHash, true);
    // The data is never sent: we stop at server-first, before client-final carries it.
    const binding: Gs2Binding = subject === 'y-flag' ? { flag: 'y' } : { flag: 'p', type: subject, data: Buffer.alloc(32) };
    const answer = await attempt(mechanism, binding);
    let verdict: BindingProbe['verdict'];
    if (answer.startsWith('error')) verdict = 'inconclusive';
    else if (answer === 'challenge' || answer === run.baseline) verdict = 'accepted';
    else if (mentionsBinding(answer) || answer.split(':')[0] !== run.baseline.split(':')[0]) verdict = 'refused';
    else verdict = 'inconclusive';
    run.probes.push({ subject, mechanism, answer, verdict });
  }
  // A server that refused nothing at this stage may simply check the user first (then every
  // answer equals the baseline): it did not show that it looks at the gs2 header, so nothing
  // it "accepted" is evidence.
  if (!run.probes.some((p) => p.verdict === 'refused')) for (const p of run.probes) p.verdict = 'inconclusive';
  return run;
}

/**
 * Observe one XMPP client endpoint. `main` is the endpoint's main probe (its features are the
 * best-version offer). Never throws.
 */
export async function observeSasl(base: ProbeOptions, main: ProbeResult, o: ObserveOptions): Promise<SaslObservation> {
  const out: SaslObservation = { offers: [], probeRuns: [], errors: [], connections: 0 };
  const pre = main.starttls && 'features' in main.starttls ? main.starttls.features.mechanisms : undefined;
  if (pre?.length) out.beforeTls = pre;
  if (main.ok && main.featuresAfterTls && main.tls) out.offers.push(offerOf(main.tls.version, main.featuresAfterTls));
  const budget = () => createBudget(base.timeoutMs ?? DEFAULT_TIMEOUT_MS, base.maxBytes ?? DEFAULT_MAX_BYTES);
  const withSession = async (maxVersion: 'TLSv1.2' | undefined, f: (s: SaslSession) => Promise<void>) => {
    let s: SaslSession | undefined;
    out.connections++;
    try {
      s = await openSaslSession({ ...base, ...(maxVersion ? { maxVersion } : {}) }, budget());
      await f(s);
    } catch (e) {
      out.errors.push(`${maxVersion ? 'TLS 1.2 handshake' : 'SASL probe'}: ${e instanceof SessionError ? `${e.stage}: ` : ''}${e instanceof Error ? e.message : String(e)}`);
    } finally {
      await s?.close();
    }
  };
  const needsProbe = (offer: SaslOffer) => o.probeBindings && offersPlus(offer) && offer.channelBindings === undefined && strongestScram(offer.mechanisms, true) !== undefined;
  const best = out.offers[0];
  if (o.extraSessions === false) return out;
  // The TLS 1.2 view (unless the main probe already got TLS 1.2 or less), probed on the same connection.
  if (best && best.tlsVersion === 'TLSv1.3') {
    await withSession('TLSv1.2', async (s) => {
      const offer = offerOf(s.tlsVersion, s.features);
      out.offers.push(offer);
      if (needsProbe(offer)) out.probeRuns.push(await probeBindings(s, offer, o));
    });
  }
  if (best && needsProbe(best)) {
    await withSession(undefined, async (s) => {
      const offer = offerOf(s.tlsVersion, s.features);
      if (offer.tlsVersion !== best.tlsVersion) throw new Error(`the server negotiated ${offer.tlsVersion} this time, ${best.tlsVersion} before`);
      out.probeRuns.push(await probeBindings(s, offer, o));
    });
  }
  return out;
}
