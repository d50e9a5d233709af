// `keywatch records`: the DNSSEC state of the zones involved and the TLSA records to publish for
// every endpoint of a domain, from the live endpoints (a check) or from certificate/key files.
import { runCheck, type CheckOptions, type CheckProgress } from '../audit/check.ts';
import { discover, tlsaOwnerOf, type ServiceKind } from '../audit/discover.ts';
import { endpointLabel } from '../audit/finding.ts';
import type { Report } from '../audit/report.ts';
import { lookupTlsa } from '../audit/tlsa-lookup.ts';
import type { Validator } from '../dns/dnssec/validator.ts';
import { VERSION } from '../version.ts';
import { dnssecReadiness, findZoneApex, type DnssecReadiness } from './dnssec-readiness.ts';
import type { KeyMaterial } from './key-material.ts';
import { keyFamilyName, mergeSightings, planOwner, sightingFromChain, type KeySighting, type OwnerPlan, type TlsaOwner } from './tlsa-records.ts';

export const RECORDS_SCHEMA = 'keywatch.records/1';

export interface RecordsOptions {
  domain: string;
  service: ServiceKind;
  tlsTarget?: { host: string; port: number };
  validator: Validator;
  /** Keys declared current (`--cert`/`--key`): no endpoint is probed then. */
  current?: KeyMaterial[];
  /** Keys to publish ahead of a change (`--next-key`). */
  next?: KeyMaterial[];
  /** Include the issuing CA's 2 1 1 (default true). */
  issuer?: boolean;
  ttl?: number;
  /** Passed to the check when the live endpoints are probed. */
  check?: Pick<CheckOptions, 'caFile' | 'socks' | 'allowPrivate' | 'concurrency' | 'timeoutMs' | 'checkerDomain' | 'now'>;
  onProgress?: (p: CheckProgress) => void;
}

export interface RecordsReport {
  schema: typeof RECORDS_SCHEMA;
  keywatch: string;
  domain: string;
  service: ServiceKind;
  /** `live`: keys from the endpoints; `files`: from --cert/--key. */
  keySource: 'live' | 'files';
  /** DNSSEC readiness of the domain's zone and of each zone holding TLSA owners. */
  dnssec: DnssecReadiness[];
  owners: OwnerPlan[];
  /** Endpoints whose keys could not be read (probe failed, address refused): their records are missing here. */
  unseen: Array<{ endpoint: string; reason: string }>;
  /** The check behind a live run: its status and summary (the full report is `keywatch check`). */
  check?: { status: Report['status']; summary: string };
}

function fileSighting(k: KeyMaterial, role: KeySighting['role']): KeySighting {
  const issuer = k.issuer;
  return {
    role,
    spkiSha256: k.spkiSha256,
    spki: k.spki,
    ...(k.certificate ? { certificate: k.certificate.der } : {}),
    keyType: k.keyType,
    ...(issuer ? { issuer: { spkiSha256: issuer.spkiSha256, spki: issuer.spki, ...(issuer.certificate ? { name: issuer.certificate.subject } : {}) } } : {}),
    seenOn: [k.source],
  };
}

const ISSUER_CN = /(?:^|,\s*|\n)CN=([^,\n]+)/;

/** Keys per TLSA owner from a check's endpoints: the main handshake's chain and every key type served. */
function liveSightings(report: Report): { byOwner: Map<string, KeySighting[]>; unseen: RecordsReport['unseen'] } {
  const byOwner = new Map<string, KeySighting[]>();
  const unseen: RecordsReport['unseen'] = [];
  for (const e of report.endpoints) {
    const owner = tlsaOwnerOf(e);
    const list = byOwner.get(owner) ?? [];
    byOwner.set(owner, list);
    const tls = e.probe?.tls;
    if (!tls) {
      unseen.push({ endpoint: e.label, reason: e.refused ?? e.probe?.error?.message ?? 'not probed' });
      continue;
    }
    const chain = tls.chain.map((b) => new Uint8Array(Buffer.from(b, 'base64')));
    const issuerName = ISSUER_CN.exec(tls.leaf.issuer)?.[1];
    const main = sightingFromChain(chain, 'current', [e.label], tls.leaf.keyType, issuerName);
    if (main) list.push(main);
    for (const k of e.keyTypes ?? []) {
      if (k.outcome !== 'served' || !k.spkiSha256 || k.spkiSha256 === main?.spkiSha256) continue;
      list.push({
        role: 'current',
        spkiSha256: k.spkiSha256,
        ...(k.keyType ? { keyType: keyFamilyName(k.keyType) } : {}),
        ...(k.issuerSpkiSha256 ? { issuer: { spkiSha256: k.issuerSpkiSha256 } } : {}),
        seenOn: [e.label],
      });
    }
  }
  return { byOwner, unseen };
}

export async function runRecords(o: RecordsOptions): Promise<RecordsReport> {
  const fromFiles = (o.current?.length ?? 0) > 0;
  let owners: TlsaOwner[];
  let unseen: RecordsReport['unseen'] = [];
  let check: RecordsReport['check'];
  let domain: string;
  const next = (o.next ?? []).map((k) => fileSighting(k, 'next'));

  if (fromFiles) {
    const discovery = await discover(o.validator, o.domain, o.service, o.tlsTarget ? { tlsTarget: o.tlsTarget } : {});
    domain = discovery.domain;
    const names = discovery.endpoints.map(tlsaOwnerOf);
    const { byName } = await lookupTlsa(o.validator, names);
    const current = o.current!.map((k) => fileSighting(k, 'current'));
    const grouped = new Map<string, TlsaOwner>();
    for (const e of discovery.endpoints) {
      const owner = tlsaOwnerOf(e);
      const g = grouped.get(owner) ?? { owner, endpoints: [], dane: e.dane.applies ? { applies: true } : { applies: false, reason: e.dane.reason }, keys: [...current, ...next] };
      const published = byName.get(owner);
      if (published) g.published = published;
      g.endpoints.push(endpointLabel(e));
      grouped.set(owner, g);
    }
    owners = [...grouped.values()];
  } else {
    const report = await runCheck({ domain: o.domain, service: o.service, ...(o.tlsTarget ? { tlsTarget: o.tlsTarget } : {}), validator: o.validator, ...o.check, ...(o.onProgress ? { onProgress: o.onProgress } : {}) });
    domain = report.domain;
    check = { status: report.status, summary: report.summary };
    const live = liveSightings(report);
    unseen = live.unseen;
    const grouped = new Map<string, TlsaOwner>();
    for (const e of report.endpoints) {
      const owner = tlsaOwnerOf(e);
      const g = grouped.get(owner) ?? { owner, endpoints: [], dane: e.dane.applies ? { applies: true } : { applies: false, reason: e.dane.reason }, keys: [...mergeSightings(live.byOwner.get(owner) ?? []), ...next] };
      if (e.tlsa && !g.published) g.published = e.tlsa;
      g.endpoints.push(e.label);
      grouped.set(owner, g);
    }
    owners = [...grouped.values()];
  }

  // Readiness of the domain's zone and of every zone that holds a TLSA owner (the SRV/MX target
  // may live elsewhere), each zone once.
  const hosts = [domain, ...owners.map((x) => x.owner.replace(/^_\d+\._tcp\./, ''))];
  const apexes = new Map<string, string>();
  for (const h of new Set(hosts)) {
    const z = await findZoneApex(o.validator, h);
    if (z && !apexes.has(z.apex.toLowerCase())) apexes.set(z.apex.toLowerCase(), h);
  }
  const dnssec = await Promise.all([...apexes.values()].map((h) => dnssecReadiness(o.validator, h)));
  const planOpts = { ...(o.issuer === false ? { issuer: false } : {}), ...(o.ttl ? { ttl: o.ttl } : {}) };
  return {
    schema: RECORDS_SCHEMA,
    keywatch: VERSION,
    domain,
    service: o.service,
    keySource: fromFiles ? 'files' : 'live',
    dnssec,
    owners: owners.map((x) => planOwner(x, planOpts)),
    unseen,
    ...(check ? { check } : {}),
  };
}
