// `keywatch check`: the whole audit of one domain's service. Discover every endpoint (each
// address of each target), fetch the TLSA records that apply, probe every endpoint as a client
// would (plus a few extra handshakes: anonymous suites, one per key type), then judge — keys
// against TLSA and against each other, certificates, STARTTLS, TLS parameters across the
// endpoints of a host, DNSSEC on the way — and assemble the Report every face renders.
import { createHash } from 'node:crypto';
import { classifyAddress } from './address-policy.ts';
import { mapBounded } from './bounded-map.ts';
import { discover, tlsaOwnerOf, type DiscoverOptions, type Endpoint, type ServiceKind } from './discover.ts';
import { bySeverity, endpointLabel, mergeFindings, type Finding } from './finding.ts';
import { judgeCertificate } from './judge-certificate.ts';
import { judgeDnssec } from './judge-dnssec.ts';
import { judgeKeys, type KeyObservation, type TlsaState } from './judge-keys.ts';
import { judgeTlsParams, type TlsParamsObservation } from './judge-tls-params.ts';
import { judgeDirectTls, judgeProbe } from './judge-transport.ts';
import { judgeSasl, type SaslEndpointInput } from './judge-sasl.ts';
import { guessSoftware } from './judge-s2s.ts';
import { runCanary, type CanaryAccount, type CanaryResult } from '../sasl/canary.ts';
import { observeSasl, type SaslObservation } from '../sasl/observe.ts';
import { SaltedPasswordCache } from '../sasl/scram.ts';
import { judgeS2s, s2sObservations, softwareHintsByHost } from './judge-s2s.ts';
import { DEFAULT_STREAM_ID_CONNECTIONS, streamIdFindings, streamIdRuns, type StreamIdRun } from './stream-ids.ts';
import { countBySeverity, REPORT_SCHEMA, statusOf, type ChainView, type DnssecView, type EndpointReport, type KeyTypeView, type ProbeView, type Report, type TlsaView } from './report.ts';
import { lookupTlsa, type TlsaLookup } from './tlsa-lookup.ts';
import { tlsaLintFindings, type TlsaRRsetUse } from './judge-tlsa-lint.ts';
import { certificateSpki, matchTlsa, type DaneService, type DaneVerdict } from '../dane/tlsa-match.ts';
import type { ValidationResult, Validator } from '../dns/dnssec/validator.ts';
import { ProbeError } from '../probe/errors.ts';
import { DEFAULT_TIMEOUT_MS, probeEndpoint, type ProbeOptions, type ProbeResult } from '../probe/probe.ts';
import { probeAnonymous, probeKeyTypes, type AnonymousResult, type KeyTypeResult } from '../probe/variants.ts';
import { loadAnchors } from '../probe/x509/trust.ts';
import { VERSION } from '../version.ts';
import { linkSetupAdvice } from '../setup/check-links.ts';
import { caaFindings } from '../caa/report.ts';

export const DEFAULT_CONCURRENCY = 8;

export type CheckProgress =
  | { kind: 'discovered'; endpoints: number; refused: number }
  | { kind: 'probing'; label: string; done: number; total: number }
  | { kind: 'probed'; label: string; ok: boolean; done: number; total: number };

export interface CheckOptions {
  domain: string;
  service: ServiceKind;
  /** For service `tls`. */
  tlsTarget?: { host: string; port: number };
  validator: Validator;
  /** PEM trust anchors for PKIX; the system store when absent. */
  caFile?: string;
  socks?: { host: string; port: number };
  /** Probe loopback, private and reserved addresses too (a lab, an intranet). */
  allowPrivate?: boolean;
  /** Endpoints probed at once. Default 8. */
  concurrency?: number;
  /** Per-probe time limit. Default 10 s. */
  timeoutMs?: number;
  /** Our own domain: the s2s stream `from` and the SMTP EHLO name. */
  checkerDomain?: string;
  /** The extra handshakes (anonymous suites, one per key type). Default true. */
  extraHandshakes?: boolean;
  /** Judge the domain's CAA records (RFC 8659/8657, src/caa) alongside. Default true. */
  caa?: boolean;
  /**
   * XMPP: log this canary account in on every client endpoint, with every channel-binding type
   * (src/sasl/canary.ts). Without it, binding types are asked about without a password.
   */
  canary?: CanaryAccount;
  /**
   * XMPP: fresh connections per host and role (c2s, s2s) whose stream ids are collected for the
   * predictability statistics (src/audit/stream-ids.ts), at most 64. Default 8; with 0 only the ids
   * the probes saw are analysed.
   */
  streamIds?: number;
  now?: () => Date;
  /**
   * Probe the endpoints in a random order drawn with this RNG (values in [0, 1)), so repeated
   * checks (the watch service) have no fixed rhythm; the report keeps the discovery order.
   */
  shuffle?: () => number;
  onProgress?: (p: CheckProgress) => void;
}

/** A problem with the check's own configuration (bad CA file): exit 3, not a finding. */
export class CheckConfigError extends Error {
  override name = 'CheckConfigError';
}

function daneService(e: Endpoint): DaneService {
  if (e.protocol === 'smtp') return 'smtp';
  return e.protocol.startsWith('xmpp') ? 'xmpp' : 'other';
}

/** SNI and the name to check: the service domain for XMPP (RFC 7590 §3.2), the host otherwise. */
function serviceDomainOf(e: Endpoint, domain: string): string {
  return e.protocol.startsWith('xmpp') ? domain : e.host;
}

const tlsaOwner = tlsaOwnerOf;

function tlsaState(lookup: TlsaLookup | undefined, e: Endpoint, verdict: DaneVerdict | undefined): TlsaState {
  if (!e.dane.applies) return { kind: 'not-applicable', reason: e.dane.reason };
  if (!lookup) return { kind: 'lookup-failed', reason: 'not looked up' };
  switch (lookup.state) {
    case 'absent':
      return { kind: 'absent' };
    case 'bogus':
      return { kind: 'bogus', reason: lookup.reason };
    case 'failed':
      return { kind: 'lookup-failed', reason: lookup.reason };
    case 'insecure':
      return { kind: 'not-applicable', reason: `the TLSA records at ${lookup.name} are insecure` };
    case 'records':
      if (!verdict) return { kind: 'lookup-failed', reason: 'no certificate to match' };
      if (verdict.verdict === 'match') return { kind: 'match', by: verdict.matchedBy ?? '' };
      return verdict.verdict === 'mismatch' ? { kind: 'mismatch' } : { kind: 'no-usable-records' };
  }
}

function probeView(r: ProbeResult): ProbeView {
  const tls = r.tls && {
    version: r.tls.version,
    cipher: r.tls.cipher,
    alpn: r.tls.alpn,
    chain: r.tls.chain.map((d) => d.toString('base64')),
    leaf: r.tls.leaf,
    pkix: { valid: r.tls.pkix.valid, anchors: r.tls.pkix.anchors, ...(r.tls.pkix.reason ? { reason: r.tls.pkix.reason } : {}), ...(r.tls.pkix.anchor ? { anchor: r.tls.pkix.anchor } : {}) },
  };
  const features = r.ok && r.featuresAfterTls ? (({ raw: _raw, ...rest }) => rest)(r.featuresAfterTls) : undefined;
  return {
    ok: r.ok,
    ...(r.ok ? {} : { stage: r.stage, error: r.error }),
    ...(r.starttls ? { starttls: r.starttls } : {}),
    ...(tls ? { tls } : {}),
    ...(features ? { features } : {}),
    timings: r.timings,
    ...(r.socksUsername ? { socksUsername: r.socksUsername } : {}),
  };
}

function tlsaView(t: TlsaLookup): TlsaView {
  if (t.state !== 'records') return t;
  const { records: _records, ...rest } = t;
  return rest;
}

function dnssecView(r: ValidationResult): DnssecView {
  return {
    name: r.name,
    type: r.type,
    security: r.security,
    rcode: r.rcode,
    ...(r.insecureAt ? { insecureAt: r.insecureAt } : {}),
    problems: r.problems.map((p) => ({ code: p.code, message: p.message, rfc: p.rfc })),
  };
}

/** Every zone the lookups met, once (the first look at it), ordered from the root down. */
export function chainOf(lookups: readonly ValidationResult[]): ChainView[] {
  const by = new Map<string, ChainView>();
  for (const l of lookups) {
    for (const c of l.chain) {
      const key = c.zone.toLowerCase();
      if (by.has(key)) continue;
      by.set(key, {
        zone: c.zone,
        security: c.security,
        via: c.via,
        ds: c.ds.map((d) => ({ keyTag: d.keyTag, algorithm: d.algorithm, digestType: d.digestType, status: d.status })),
        keys: c.dnskeys.map((k) => ({ keyTag: k.keyTag, algorithm: k.algorithm, role: k.role, matchedByDs: k.matchedByDs })),
        problems: c.problems.map((p) => p.code),
      });
    }
  }
  const depth = (z: string) => (z === '.' ? 0 : z.replace(/\.$/, '').split('.').length);
  return [...by.values()].sort((a, b) => depth(a.zone) - depth(b.zone) || a.zone.localeCompare(b.zone));
}

interface Probed {
  main: ProbeResult;
  anonymous?: AnonymousResult;
  keyTypes?: KeyTypeResult[];
  sasl?: SaslObservation;
  canary?: CanaryResult;
}

export async function runCheck(o: CheckOptions): Promise<Report> {
  const now = o.now ?? (() => new Date());
  const started = now();
  const t0 = performance.now();
  try {
    loadAnchors(o.caFile); // a bad CA file is the caller's mistake, before any traffic
  } catch (e) {
    throw new CheckConfigError(e instanceof ProbeError ? e.message : String(e));
  }
  const discOpts: DiscoverOptions = o.tlsTarget ? { tlsTarget: o.tlsTarget } : {};
  const discovery = await discover(o.validator, o.domain, o.service, discOpts);
  const domain = discovery.domain;

  const endpoints: EndpointReport[] = discovery.endpoints.map((e) => {
    const addressPolicy = classifyAddress(e.address);
    const inner = addressPolicy.embedded ? `, carrying ${addressPolicy.embedded.address}: ${addressPolicy.embedded.class}, ${addressPolicy.embedded.range}, ${addressPolicy.embedded.rfc}` : '';
    const refused = !addressPolicy.public && !o.allowPrivate ? `${e.address} is a ${addressPolicy.class} address (${addressPolicy.range}, ${addressPolicy.rfc}${inner}); keywatch probes only public addresses unless --allow-private is given` : undefined;
    return { ...e, label: endpointLabel(e), addressPolicy, ...(refused ? { refused } : {}) };
  });
  const toProbe = endpoints.filter((e) => !e.refused);
  o.onProgress?.({ kind: 'discovered', endpoints: endpoints.length, refused: endpoints.length - toProbe.length });

  const tlsaPromise = lookupTlsa(o.validator, endpoints.map(tlsaOwner));
  // CAA at the domain: the name in the certificates users' clients check (for XMPP the domain is
  // a DNS-ID or SRV-ID in them). Looked up while the probes run.
  const caaPromise = o.caa !== false && o.service !== 'tls' ? caaFindings(domain, o.validator) : Promise.resolve([]);
  caaPromise.catch(() => undefined); // awaited below
  // SASL: binding types are asked about (with failed logins) at one client endpoint per host only.
  const isClient = (e: EndpointReport) => o.service === 'xmpp' && (e.protocol === 'xmpp-c2s' || e.protocol === 'xmpps-c2s');
  const saslProbeAt = new Map<string, string>();
  for (const e of toProbe) if (isClient(e) && !saslProbeAt.has(e.host)) saslProbeAt.set(e.host, e.label);
  const canaryCache = new SaltedPasswordCache();
  let done = 0;
  // Fisher–Yates over the probe order when asked; results go back to their endpoint's index.
  const order = toProbe.map((_, i) => i);
  for (let i = order.length - 1; o.shuffle && i > 0; i--) {
    const j = Math.min(i, Math.floor(o.shuffle() * (i + 1)));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const probedInOrder = await mapBounded(order.map((i) => toProbe[i]!), o.concurrency ?? DEFAULT_CONCURRENCY, async (e): Promise<Probed> => {
    o.onProgress?.({ kind: 'probing', label: e.label, done, total: toProbe.length });
    const base: ProbeOptions = {
      address: e.address,
      port: e.port,
      family: e.family,
      protocol: e.protocol,
      serviceDomain: serviceDomainOf(e, domain),
      timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      ...(o.caFile ? { caFile: o.caFile } : {}),
      ...(o.socks ? { socks: o.socks } : {}),
      ...(o.checkerDomain ? { checkerDomain: o.checkerDomain } : {}),
      now,
    };
    const main = await probeEndpoint(base);
    let extra: Omit<Probed, 'main'> = {};
    // Extra handshakes only where TLS works at all; each is a full connection of its own.
    if (o.extraHandshakes !== false && main.tls) {
      // One after another: the concurrency bound is then also the number of open connections.
      const anonymous = await probeAnonymous(base);
      extra = { anonymous, keyTypes: await probeKeyTypes(base) };
    }
    if (isClient(e) && main.tls) {
      const more = o.extraHandshakes !== false;
      extra.sasl = await observeSasl(base, main, { extraSessions: more, probeBindings: more && !o.canary && saslProbeAt.get(e.host) === e.label });
      if (o.canary) extra.canary = await runCanary(base, o.canary, { cache: canaryCache });
    }
    done++;
    o.onProgress?.({ kind: 'probed', label: e.label, ok: main.ok, done, total: toProbe.length });
    return { main, ...extra };
  });
  const probed: Probed[] = [];
  order.forEach((i, k) => (probed[i] = probedInOrder[k]!));
  // Stream ids: cheap (a header exchange each, before TLS), one connection at a time per host and role.
  const idRuns: StreamIdRun[] =
    o.service === 'xmpp'
      ? await streamIdRuns(
          toProbe.map((e, i) => ({ ...e, serviceDomain: serviceDomainOf(e, domain), probe: probed[i]!.main })),
          { count: o.streamIds ?? DEFAULT_STREAM_ID_CONNECTIONS, ...(o.checkerDomain ? { from: o.checkerDomain } : {}), ...(o.socks ? { socks: o.socks } : {}), timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS, concurrency: o.concurrency ?? DEFAULT_CONCURRENCY, now: now() },
        )
      : [];
  const { byName: tlsaByName, lookups: tlsaLookups } = await tlsaPromise;
  for (const e of endpoints) {
    const t = tlsaByName.get(tlsaOwner(e));
    if (t) e.tlsa = tlsaView(t);
  }

  const findings: Finding[] = [];
  const keyObs: KeyObservation[] = [];
  const paramObs: TlsParamsObservation[] = [];
  const saslInputs: SaslEndpointInput[] = [];
  const lintUses = new Map<string, TlsaRRsetUse>();
  const checkNow = now();

  toProbe.forEach((e, i) => {
    const p = probed[i]!;
    const tlsa = tlsaByName.get(tlsaOwner(e));
    e.probe = probeView(p.main);
    if (p.anonymous) e.anonymous = p.anonymous;
    findings.push(...judgeProbe(e.label, e, p.main));
    const capture = p.main.tls;
    const usable = e.dane.applies && tlsa?.state === 'records';
    const ctx = { service: daneService(e), referenceNames: e.referenceNames, now: checkNow };
    let verdict: DaneVerdict | undefined;
    if (capture && usable) {
      verdict = matchTlsa(tlsa.records, capture.chain, { ...ctx, pkix: capture.pkix });
      e.daneVerdict = verdict;
    }
    if (e.dane.applies && tlsa?.state === 'records' && !lintUses.has(tlsa.name)) {
      lintUses.set(tlsa.name, { tlsa, service: daneService(e), endpoints: endpoints.filter((x) => tlsaOwner(x) === tlsa.name).map((x) => x.label), chain: capture?.chain });
    }
    keyObs.push({
      host: e.host,
      port: e.port,
      address: e.address,
      ...(e.dane.applies ? { tlsaName: e.dane.tlsaName } : {}),
      ...(capture ? { spkiSha256: capture.leaf.spkiSha256 } : {}),
      tlsa: tlsaState(tlsa, e, verdict),
    });
    if (capture) {
      const names = capture.leaf.names;
      // A matching DANE-EE record wins over names and dates whatever else matched (RFC 7671 §5.1).
      const eeMatch = verdict?.results.some((x) => x.status === 'match' && x.record.startsWith('3 '));
      const matchedUsage = eeMatch ? 3 : verdict?.matchedBy ? Number(verdict.matchedBy.split(' ')[0]) : undefined;
      findings.push(
        ...judgeCertificate(
          {
            label: e.label,
            protocol: e.protocol,
            serviceDomain: serviceDomainOf(e, domain),
            referenceNames: e.referenceNames,
            leafDer: capture.chain[0]!,
            pkix: capture.pkix,
            ...(verdict ? { dane: { verdict: verdict.verdict, ...(matchedUsage !== undefined ? { matchedUsage } : {}) } } : {}),
            now: checkNow,
          },
          names,
        ),
      );
    }
    paramObs.push({
      host: e.host,
      port: e.port,
      address: e.address,
      protocol: e.protocol,
      ...(capture
        ? {
            version: capture.version,
            cipher: capture.cipher,
            chainSha256: capture.chain.map((d) => createHash('sha256').update(d).digest('hex')),
            issuer: capture.leaf.issuer,
          }
        : {}),
      ...(p.anonymous ? { anonymous: p.anonymous } : {}),
    });
    if (p.sasl) {
      e.sasl = { ...p.sasl, ...(p.canary ? { canary: p.canary } : {}) };
      const daneEe = verdict?.results.some((x) => x.status === 'match' && x.record.startsWith('3 ')) === true;
      saslInputs.push({ label: e.label, host: e.host, port: e.port, protocol: e.protocol, observation: p.sasl, ...(p.canary ? { canary: p.canary } : {}), daneEe });
    }
    if (p.keyTypes) {
      e.keyTypes = p.keyTypes.map((k): KeyTypeView => {
        const view: KeyTypeView = { family: k.family, outcome: k.outcome, ...(k.spkiSha256 ? { spkiSha256: k.spkiSha256 } : {}), ...(k.keyType ? { keyType: k.keyType } : {}), ...(k.error ? { error: k.error } : {}) };
        const issuerSpki = k.chain?.[1] && certificateSpki(k.chain[1]);
        if (issuerSpki) view.issuerSpkiSha256 = createHash('sha256').update(issuerSpki).digest('hex');
        if (k.outcome === 'served' && k.chain && usable) {
          const v = k.spkiSha256 === capture?.leaf.spkiSha256 && verdict ? verdict : matchTlsa(tlsa.records, k.chain, { ...ctx, pkix: k.pkix ?? { valid: false } });
          view.dane = v.verdict;
          if (v.verdict !== 'match' && verdict?.verdict === 'match') findings.push(keyTypeUnpublished(e, k, tlsa.name));
        }
        return view;
      });
    }
  });

  findings.push(...tlsaLintFindings([...lintUses.values()]));
  findings.push(...judgeKeys(keyObs));
  findings.push(...judgeTlsParams(paramObs));
  findings.push(...judgeDnssec(discovery, endpoints, tlsaByName));
  if (o.service === 'xmpp') findings.push(...judgeDirectTls(domain, discovery.endpoints));
  if (o.service === 'xmpp') {
    const s2sInputs = toProbe.map((e, i) => ({ endpoint: e, probe: probed[i]!.main, tlsa: tlsaByName.get(tlsaOwner(e)) }));
    findings.push(...judgeS2s(s2sObservations(s2sInputs, softwareHintsByHost(s2sInputs, idRuns))));
    for (const run of idRuns) findings.push(...streamIdFindings(run));
  }
  if (saslInputs.length) {
    const hints = softwareHintsByHost(toProbe.map((e, i) => ({ endpoint: e, probe: probed[i]!.main })), idRuns);
    const software = new Map([...hints].map(([host, h]) => [host, guessSoftware(h)] as const));
    findings.push(...judgeSasl(saslInputs, { software, ...(o.canary ? { canary: { jid: o.canary.jid, requirePlus: o.canary.requirePlus === true } } : {}) }));
  }
  for (const e of endpoints.filter((x) => x.refused)) {
    findings.push({ code: 'endpoint.address-refused', severity: 'info', title: `${e.label} was not probed`, detail: e.refused!, endpoints: [e.label], evidence: { address: e.address, class: e.addressPolicy.class } });
  }

  findings.push(...(await caaPromise));
  const merged = mergeFindings(findings).sort(bySeverity);
  await linkSetupAdvice(merged, o.validator, domain, o.service);
  const lookupsFailed = discovery.lookups.filter((l) => l.security === 'indeterminate');
  let unknownBecause: string | undefined;
  if (endpoints.length > 0 && toProbe.length === 0) unknownBecause = 'every endpoint has a non-public address and --allow-private was not given';
  else if (lookupsFailed.length > 0 && endpoints.length === 0) unknownBecause = `DNS lookups failed: ${lookupsFailed.map((l) => `${l.name} ${l.type}`).join(', ')}`;
  else if (toProbe.length > 0 && probed.every((p) => !p.main.ok && p.main.stage === 'connect' && p.main.error.kind === 'socks')) unknownBecause = 'the SOCKS proxy failed for every probe';
  const { status, exitCode } = statusOf(merged, unknownBecause);
  const counts = countBySeverity(merged);
  const worst = merged[0];
  const probedOk = probed.filter((p) => p.main.tls).length;
  const scope = `${domain} (${o.service}): ${endpoints.length} endpoint${endpoints.length === 1 ? '' : 's'}, ${probedOk} probed`;
  const summary =
    status === 'ok'
      ? `OK: ${scope}; every check passed${counts.info ? ` (${counts.info} note${counts.info === 1 ? '' : 's'})` : ''}`
      : status === 'unknown'
        ? `UNKNOWN: ${scope}; ${unknownBecause}`
        : `${status.toUpperCase()}: ${scope}; ${worst ? `${worst.title}` : ''}${merged.length > 1 ? ` (+${merged.length - 1} more)` : ''}`;

  return {
    schema: REPORT_SCHEMA,
    keywatch: VERSION,
    domain,
    service: o.service,
    startedAt: started.toISOString(),
    durationMs: Math.round(performance.now() - t0),
    status,
    exitCode,
    summary,
    counts,
    endpoints,
    findings: merged,
    dnssec: [...discovery.lookups, ...tlsaLookups].map(dnssecView),
    chain: chainOf([...discovery.lookups, ...tlsaLookups]),
    ...(idRuns.length ? { streamIds: idRuns } : {}),
    ...(unknownBecause ? { unknownBecause } : {}),
  };
}

function keyTypeUnpublished(e: EndpointReport, k: KeyTypeResult, tlsaName: string): Finding {
  return {
    code: 'dane.key-type-unpublished',
    severity: 'error',
    title: `${e.label} also serves ${k.family === 'rsa' ? 'an' : 'a'} ${k.family === 'ed25519' ? 'Ed25519' : k.family.toUpperCase()} key that no TLSA record names`,
    detail: `A client that prefers ${k.family.toUpperCase()} signatures is shown key ${k.spkiSha256?.slice(0, 16)}… (${k.keyType ?? k.family}), which matches none of the records at ${tlsaName}; DANE clients that negotiate it refuse the connection, and an interceptor could hide behind the same gap. Every key a server may present must match (RFC 7671 §5, §8).`,
    endpoints: [e.label],
    evidence: { family: k.family, spkiSha256: k.spkiSha256 },
    remediation: `Publish its record, or stop serving that certificate:\n${tlsaName}. 3600 IN TLSA 3 1 1 ${k.spkiSha256 ?? ''}`,
    rfc: 'RFC 7671 §5, §8',
  };
}
