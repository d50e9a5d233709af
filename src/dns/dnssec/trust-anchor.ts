// Trust anchors: where validation starts. By default the root zone's two KSKs as IANA publishes
// them (KSK-2017, key tag 20326, and KSK-2024, key tag 38696, both RSASHA256); a lab or a private
// root is given as DS or DNSKEY lines in zone-file syntax (a file's text or a string).
import { parseName, nameToString, type DnsName } from '../name.ts';
import { decodeRdata, rdataFromString, type DnskeyData, type DsData } from '../rdata.ts';
import { RRType } from '../types.ts';

export interface TrustAnchor {
  owner: DnsName;
  ds: DsData[];
  dnskeys: Array<{ data: DnskeyData; rdata: Uint8Array }>;
}

/** IANA's root anchors (https://data.iana.org/root-anchors/), as Debian's dns-root-data ships them. */
export const IANA_ROOT_ANCHORS = `. IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D
. IN DS 38696 8 2 683D2D0ACB8C9B712A1948B27F741219298D0A450D612C483AF444A4C0FB2B16`;

export class TrustAnchorError extends Error {
  override name = 'TrustAnchorError';
}

/**
 * Parse anchors from zone-file lines: `OWNER [TTL] [CLASS] DS|DNSKEY RDATA`. Comments (`;`) and
 * blank lines are skipped. Every anchor must be for the same owner (one chain, one start).
 */
export function parseTrustAnchors(text: string): TrustAnchor {
  let owner: DnsName | undefined;
  const ds: DsData[] = [];
  const dnskeys: TrustAnchor['dnskeys'] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.replace(/;.*$/, '').trim();
    if (!line) return;
    const f = line.split(/\s+/);
    const typeAt = f.findIndex((x, j) => j > 0 && /^(DS|DNSKEY)$/i.test(x));
    if (typeAt < 0) throw new TrustAnchorError(`line ${i + 1}: expected a DS or DNSKEY record, got "${line}"`);
    let name: DnsName;
    try {
      name = parseName(f[0]!);
    } catch (e) {
      throw new TrustAnchorError(`line ${i + 1}: bad owner name: ${(e as Error).message}`);
    }
    if (owner && nameToString(owner).toLowerCase() !== nameToString(name).toLowerCase()) {
      throw new TrustAnchorError(`line ${i + 1}: all anchors must have one owner; got ${nameToString(owner)} and ${nameToString(name)}`);
    }
    owner = name;
    const type = f[typeAt]!.toUpperCase() === 'DS' ? RRType.DS : RRType.DNSKEY;
    let rdata: Uint8Array;
    try {
      rdata = rdataFromString(type, f.slice(typeAt + 1).join(' '));
    } catch (e) {
      throw new TrustAnchorError(`line ${i + 1}: bad ${f[typeAt]} data: ${(e as Error).message}`);
    }
    const data = decodeRdata(type, rdata);
    if (data?.type === 'DS') ds.push(data);
    else if (data?.type === 'DNSKEY') dnskeys.push({ data, rdata });
  });
  if (!owner) throw new TrustAnchorError('no DS or DNSKEY record found in the trust anchor text');
  return { owner, ds, dnskeys };
}

export function defaultTrustAnchor(): TrustAnchor {
  return parseTrustAnchors(IANA_ROOT_ANCHORS);
}
