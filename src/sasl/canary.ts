// The canary login: a real account on the server (one that nobody uses) logs in on an XMPP
// client endpoint with SCRAM-*-PLUS and every channel-binding type the server supports for the
// negotiated TLS version, over the best TLS version and again capped at TLS 1.2. A man in the
// middle who terminates TLS — even with the server's own key and certificate — cannot make
// tls-unique or tls-exporter match on both of its legs, so the server refuses the proof: the
// strongest interception signal keywatch has (judged in src/audit/judge-sasl.ts).
//
// Rules:
//  - Never PLAIN, never anything but SCRAM. No fallback: what is not offered is recorded, and
//    the judge decides what it means.
//  - Where -PLUS is offered, one login per binding type (XEP-0440's list when advertised, else
//    every type defined for the TLS version: tls-exporter on 1.3, tls-unique on 1.2,
//    tls-server-end-point on both), then one login with the gs2 flag "y" and the plain
//    mechanism: a server that advertises -PLUS must refuse it (RFC 5802 §6), or it cannot detect
//    a client whose -PLUS offer was stripped.
//  - Where -PLUS is not offered, one login with "y" (we support binding, the server said it does
//    not): a server that does support binding refuses — then someone removed -PLUS on the way.
//  - One connection per TLS version, reused after a failure (RFC 6120 §6.4.5 allows retries),
//    a new one after a success (the stream then needs a restart we do not do). Attempts are
//    spaced by `delayMs`; a check makes at most 2 × (3 + 1) logins per endpoint.
//  - The password only enters the SCRAM computation; the salted password is cached per
//    (hash, salt, count) so many logins cost one PBKDF2.
import { createBudget } from '../probe/bounded.ts';
import { DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT_MS, type ProbeOptions } from '../probe/probe.ts';
import { BINDING_TYPES, bindingData, bindingDefined, isBindingType, preferredTypes, type BindingType } from './channel-binding.ts';
import { DEFAULT_PROBE_DELAY_MS, strongestScram, type SaslOffer } from './observe.ts';
import { mechanismName, parseMechanism, ScramClient, type Gs2Binding, type SaltedPasswordCache } from './scram.ts';
import { openSaslSession, scramLogin, SessionError, type LoginResult, type SaslSession } from './xmpp-sasl.ts';

export interface CanaryAccount {
  /** `local@domain`: the SCRAM username is the localpart, the domain selects the virtual host. */
  jid: string;
  password: string;
  /**
   * The account is meant to bind: an endpoint (or TLS version) where no -PLUS login is possible
   * is a downgrade, not a reason to log in without binding.
   */
  requirePlus?: boolean;
}

export class CanaryConfigError extends Error {
  override name = 'CanaryConfigError';
}

/** The localpart of a bare JID for `domain`; refuses anything else (without echoing secrets). */
export function canaryUsername(jid: string, domain: string): string {
  const m = /^([^@/\s]+)@([^@/\s]+)$/.exec(jid.trim());
  if (!m) throw new CanaryConfigError(`the canary must be a bare JID like canary@${domain}, got "${jid}"`);
  if (m[2]!.toLowerCase().replace(/\.$/, '') !== domain.toLowerCase()) throw new CanaryConfigError(`the canary ${jid} is not an account of ${domain}`);
  return m[1]!;
}

export interface CanaryAttempt {
  tlsVersion: string;
  mechanism: string;
  gs2: 'p' | 'y' | 'n';
  bindingType?: BindingType;
  /** SHA-256 of the binding data we sent (evidence; the data itself is a session secret). */
  bindingSha256?: string;
  bindingDetail?: string;
  /** bind: a -PLUS login; y-test: "y" while -PLUS is advertised; unbound: "y" where it is not. */
  purpose: 'bind' | 'y-test' | 'unbound';
  result: LoginResult;
}

export interface CanaryResult {
  /** What each TLS version offered on the canary's connections. */
  offers: SaslOffer[];
  attempts: CanaryAttempt[];
  /** Binding types the server advertised (XEP-0440) that keywatch could not compute, and why. */
  unavailable: Array<{ tlsVersion: string; bindingType: BindingType; reason: string }>;
  errors: string[];
  /** Connections the canary opened. */
  connections: number;
}

export interface CanaryOptions {
  cache: SaltedPasswordCache;
  delayMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const offerOf = (s: SaslSession): SaslOffer => ({
  tlsVersion: s.tlsVersion,
  mechanisms: s.features.mechanisms,
  ...(s.features.names.some((n) => n.includes('urn:xmpp:sasl-cb:0')) ? { channelBindings: s.features.channelBindings } : {}),
  sasl2: s.features.sasl2,
  sasl2Mechanisms: s.features.sasl2Mechanisms,
});

interface Step {
  mechanism: string;
  gs2: 'p' | 'y';
  type?: BindingType;
  purpose: CanaryAttempt['purpose'];
}

/** The logins to make on a connection that offered `offer`. */
function plan(offer: SaslOffer): { steps: Step[]; unavailable: CanaryResult['unavailable']; error?: string } {
  const plusHash = strongestScram(offer.mechanisms, true);
  const plainHash = strongestScram(offer.mechanisms, false);
  const steps: Step[] = [];
  const unavailable: CanaryResult['unavailable'] = [];
  if (plusHash) {
    const advertised = offer.channelBindings?.filter(isBindingType);
    const candidates = advertised ?? BINDING_TYPES;
    // Preferred types first (those binding the connection), then the rest.
    const ordered = [...preferredTypes(offer.tlsVersion).filter((t) => candidates.includes(t)), ...candidates.filter((t) => !preferredTypes(offer.tlsVersion).includes(t))];
    for (const type of ordered) {
      const d = bindingDefined(type, offer.tlsVersion);
      if (!d.defined) {
        if (advertised) unavailable.push({ tlsVersion: offer.tlsVersion, bindingType: type, reason: d.why! });
        continue;
      }
      steps.push({ mechanism: mechanismName(plusHash, true), gs2: 'p', type, purpose: 'bind' });
    }
    if (plainHash) steps.push({ mechanism: mechanismName(plainHash, false), gs2: 'y', purpose: 'y-test' });
  } else if (plainHash) {
    steps.push({ mechanism: mechanismName(plainHash, false), gs2: 'y', purpose: 'unbound' });
  } else {
    return { steps, unavailable, error: `${offer.tlsVersion}: no SCRAM mechanism offered (${offer.mechanisms.join(' ') || 'none'}); the canary never uses anything else` };
  }
  return { steps, unavailable };
}

/** Log the canary in on one XMPP client endpoint, every way described above. Never throws. */
export async function runCanary(base: ProbeOptions, account: CanaryAccount, o: CanaryOptions): Promise<CanaryResult> {
  const out: CanaryResult = { offers: [], attempts: [], unavailable: [], errors: [], connections: 0 };
  let username: string;
  try {
    username = canaryUsername(account.jid, base.serviceDomain);
  } catch (e) {
    out.errors.push((e as Error).message);
    return out;
  }
  const open = (maxVersion: 'TLSv1.2' | undefined) => {
    out.connections++;
    return openSaslSession({ ...base, ...(maxVersion ? { maxVersion } : {}) }, createBudget(base.timeoutMs ?? DEFAULT_TIMEOUT_MS, base.maxBytes ?? DEFAULT_MAX_BYTES));
  };
  const describe = (e: unknown) => `${e instanceof SessionError ? `${e.stage}: ` : ''}${e instanceof Error ? e.message : String(e)}`;

  for (const cap of [undefined, 'TLSv1.2'] as const) {
    let s: SaslSession | undefined;
    try {
      s = await open(cap);
    } catch (e) {
      out.errors.push(`${cap ? 'capped at TLS 1.2' : 'best TLS'}: ${describe(e)}`);
      continue;
    }
    const version = s.tlsVersion;
    if (cap && out.offers.some((x) => x.tlsVersion === version)) {
      await s.close();
      continue; // the best version was TLS 1.2 already
    }
    const offer = offerOf(s);
    out.offers.push(offer);
    const p = plan(offer);
    out.unavailable.push(...p.unavailable);
    if (p.error) out.errors.push(p.error);
    for (const step of p.steps) {
      try {
        if (!s?.open) {
          await s?.close();
          s = await open(cap);
          if (s.tlsVersion !== version) throw new Error(`the server negotiated ${s.tlsVersion} on a new connection, ${version} before`);
        }
        const attempt: Omit<CanaryAttempt, 'result'> = { tlsVersion: version, mechanism: step.mechanism, gs2: step.gs2, purpose: step.purpose };
        let binding: Gs2Binding = { flag: 'y' };
        if (step.gs2 === 'p') {
          const d = bindingData(s.tls, step.type!);
          if (!d.ok) {
            out.unavailable.push({ tlsVersion: version, bindingType: step.type!, reason: d.reason });
            continue;
          }
          binding = { flag: 'p', type: d.type, data: d.data };
          Object.assign(attempt, { bindingType: d.type, bindingSha256: d.sha256, bindingDetail: d.detail });
        }
        const scram = new ScramClient({ hash: parseMechanism(step.mechanism)!.hash, username, credentials: { password: account.password }, binding, cache: o.cache });
        const result = await scramLogin(s, { mechanism: step.mechanism, scram, advertised: { mechanisms: offer.mechanisms, channelBindings: offer.channelBindings } });
        out.attempts.push({ ...attempt, result });
        if (result.outcome === 'success') {
          await s.close();
          s = undefined;
        }
      } catch (e) {
        out.errors.push(`${version} ${step.mechanism}${step.type ? ` ${step.type}` : ''}: ${describe(e)}`);
        await s?.close();
        s = undefined;
      }
      await sleep(o.delayMs ?? DEFAULT_PROBE_DELAY_MS);
    }
    await s?.close();
  }
  return out;
}
