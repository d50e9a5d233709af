// Which addresses keywatch may probe. Run as a public service, it resolves names that anyone
// types in, and a name can resolve to 127.0.0.1, a router's 192.168.1.1 or a cloud metadata
// address: without this check, keywatch would be a way to scan the network it runs in. The
// caller refuses every address whose verdict is not `public`, unless the operator allows it.
//
// The ranges are the IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890 and the
// RFCs that added to them), plus the IPv6 space IANA has not allocated (outside 2000::/3). Two
// deliberate choices:
//   - A few registry entries are marked "globally reachable" although they sit in a
//     special-purpose block (PCP and TURN anycast, AMT, AS112-v6, ORCHIDv2, drone DETs). No mail
//     or XMPP server lives there, so they are refused with their block; the cost is nil.
//   - Addresses that carry an IPv4 address (IPv4-mapped, the NAT64 well-known prefix, 6to4) go
//     to that IPv4 address in the end, so they are public exactly when it is; the verdict keeps
//     the outer range and reports the IPv4 address's own verdict in `embedded`.
//
// Parsing: node:net's isIP decides what is an address at all (it is strict: no octal or short
// IPv4 forms, no brackets); our own parser then turns the text into bytes for prefix matching.
import { isIP } from 'node:net';

export type AddressClass =
  | 'public'
  /** 0.0.0.0, ::. Connecting to 0.0.0.0 reaches the local host on Linux. */
  | 'unspecified'
  /** The rest of 0.0.0.0/8, "this network". */
  | 'this-network'
  | 'loopback'
  /** RFC 1918. */
  | 'private'
  /** 100.64.0.0/10, carrier-grade NAT. */
  | 'shared'
  | 'link-local'
  /** fc00::/7. */
  | 'unique-local'
  | 'multicast'
  | 'documentation'
  | 'benchmarking'
  /** IANA/IETF reserved, deprecated (site-local, IPv4-compatible, 6to4 relay anycast) or unallocated. */
  | 'reserved'
  | 'broadcast'
  /** 192.0.0.0/24 and 2001::/23: IETF protocol assignments (DS-Lite, PCP/TURN anycast, AMT, AS112…). */
  | 'protocol-assignments'
  | 'ipv4-mapped'
  /** NAT64 prefixes (RFC 6052, RFC 8215). */
  | 'translation'
  | '6to4'
  | 'teredo'
  | 'orchid'
  /** 100::/64, discard-only (RFC 6666). */
  | 'discard';

export interface AddressVerdict {
  /** The address in canonical text (RFC 5952 for IPv6), without the zone. */
  address: string;
  family: 4 | 6;
  /** A zone id given with the address (`fe80::1%eth0` → `eth0`); it plays no part in the verdict. */
  zone?: string;
  class: AddressClass;
  /** May be probed without the operator's permission. */
  public: boolean;
  /** The registry entry that decided, as CIDR (e.g. `10.0.0.0/8`); for public addresses the
   * range they were found in (`0.0.0.0/0`, `2000::/3`). */
  range: string;
  /** The registry's name for the entry, e.g. `Private-Use`. */
  name: string;
  /** Where the range is defined, e.g. `RFC 1918`. */
  rfc: string;
  /** For addresses that carry an IPv4 address (IPv4-mapped, NAT64, 6to4): its own verdict. */
  embedded?: AddressVerdict;
}

interface Entry {
  bytes: Uint8Array;
  bits: number;
  range: string;
  class: AddressClass;
  name: string;
  rfc: string;
  /** Where the carried IPv4 address starts, in bytes. */
  embedsV4At?: number;
}

function parseV4(s: string): Uint8Array {
  return Uint8Array.from(s.split('.').map(Number));
}

/** Text (already accepted by isIP) to 16 bytes: `::` expansion and a trailing dotted quad. */
function parseV6(s: string): Uint8Array {
  let text = s;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    const v4 = parseV4(text.slice(lastColon + 1));
    text = `${text.slice(0, lastColon + 1)}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  }
  const halves = text.split('::');
  const groups = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const head = groups(halves[0]);
  const tail = halves.length > 1 ? groups(halves[1]) : [];
  const words = halves.length > 1 ? [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail] : head;
  if (words.length !== 8 || words.some((w) => !(w >= 0 && w <= 0xffff))) throw new TypeError(`cannot parse IPv6 address ${JSON.stringify(s)}`);
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

function formatV4(b: Uint8Array): string {
  return Array.from(b).join('.');
}

/** RFC 5952 §4: lower case, no leading zeros, the longest run (≥ 2) of zero groups as `::`. */
function formatV6(b: Uint8Array, dottedTail = false): string {
  const words = Array.from({ length: 8 }, (_, i) => (b[2 * i]! << 8) | b[2 * i + 1]!);
  const n = dottedTail ? 6 : 8;
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < n; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < n && words[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (from: number, to: number) => words.slice(from, to).map((w) => w.toString(16)).join(':');
  let text = best < 0 ? hex(0, n) : `${hex(0, best)}::${hex(best + bestLen, n)}`;
  if (dottedTail) text += `${text.endsWith(':') ? '' : ':'}${formatV4(b.subarray(12, 16))}`;
  return text;
}

function entry(cidr: string, cls: AddressClass, name: string, rfc: string, embedsV4At?: number): Entry {
  const [addr, len] = cidr.split('/') as [string, string];
  const bytes = addr.includes(':') ? parseV6(addr) : parseV4(addr);
  return { bytes, bits: Number(len), range: cidr, class: cls, name, rfc, ...(embedsV4At !== undefined ? { embedsV4At } : {}) };
}

// Most specific first: the first entry that contains the address decides.
const V4: readonly Entry[] = [
  entry('0.0.0.0/32', 'unspecified', 'This host on this network', 'RFC 1122 §3.2.1.3'),
  entry('0.0.0.0/8', 'this-network', 'This network', 'RFC 791 §3.2'),
  entry('10.0.0.0/8', 'private', 'Private-Use', 'RFC 1918'),
  entry('100.64.0.0/10', 'shared', 'Shared Address Space', 'RFC 6598'),
  entry('127.0.0.0/8', 'loopback', 'Loopback', 'RFC 1122 §3.2.1.3'),
  entry('169.254.0.0/16', 'link-local', 'Link Local', 'RFC 3927'),
  entry('172.16.0.0/12', 'private', 'Private-Use', 'RFC 1918'),
  entry('192.0.0.0/29', 'protocol-assignments', 'IPv4 Service Continuity Prefix (DS-Lite)', 'RFC 7335'),
  entry('192.0.0.8/32', 'protocol-assignments', 'IPv4 dummy address', 'RFC 7600'),
  entry('192.0.0.9/32', 'protocol-assignments', 'Port Control Protocol Anycast', 'RFC 7723'),
  entry('192.0.0.10/32', 'protocol-assignments', 'Traversal Using Relays around NAT Anycast', 'RFC 8155'),
  entry('192.0.0.170/31', 'protocol-assignments', 'NAT64/DNS64 Discovery', 'RFC 8880'),
  entry('192.0.0.0/24', 'protocol-assignments', 'IETF Protocol Assignments', 'RFC 6890 §2.1'),
  entry('192.0.2.0/24', 'documentation', 'Documentation (TEST-NET-1)', 'RFC 5737'),
  entry('192.88.99.0/24', 'reserved', 'Deprecated (6to4 Relay Anycast)', 'RFC 7526'),
  entry('192.168.0.0/16', 'private', 'Private-Use', 'RFC 1918'),
  entry('198.18.0.0/15', 'benchmarking', 'Benchmarking', 'RFC 2544'),
  entry('198.51.100.0/24', 'documentation', 'Documentation (TEST-NET-2)', 'RFC 5737'),
  entry('203.0.113.0/24', 'documentation', 'Documentation (TEST-NET-3)', 'RFC 5737'),
  entry('224.0.0.0/4', 'multicast', 'Multicast', 'RFC 5771'),
  entry('255.255.255.255/32', 'broadcast', 'Limited Broadcast', 'RFC 919'),
  entry('240.0.0.0/4', 'reserved', 'Reserved', 'RFC 1112 §4'),
];
const V4_PUBLIC = { range: '0.0.0.0/0', name: 'not special-purpose', rfc: 'RFC 6890' };

const V6: readonly Entry[] = [
  entry('::/128', 'unspecified', 'Unspecified Address', 'RFC 4291 §2.5.2'),
  entry('::1/128', 'loopback', 'Loopback Address', 'RFC 4291 §2.5.3'),
  entry('::ffff:0:0/96', 'ipv4-mapped', 'IPv4-mapped Address', 'RFC 4291 §2.5.5.2', 12),
  entry('::/96', 'reserved', 'IPv4-Compatible Address (deprecated)', 'RFC 4291 §2.5.5.1'),
  entry('64:ff9b::/96', 'translation', 'IPv4-IPv6 Translation (well-known prefix)', 'RFC 6052', 12),
  entry('64:ff9b:1::/48', 'translation', 'IPv4-IPv6 Translation (local use)', 'RFC 8215'),
  entry('100::/64', 'discard', 'Discard-Only Address Block', 'RFC 6666'),
  entry('2001::/32', 'teredo', 'TEREDO', 'RFC 4380'),
  entry('2001:1::1/128', 'protocol-assignments', 'Port Control Protocol Anycast', 'RFC 7723'),
  entry('2001:1::2/128', 'protocol-assignments', 'Traversal Using Relays around NAT Anycast', 'RFC 8155'),
  entry('2001:1::3/128', 'protocol-assignments', 'DNS-SD Service Registration Protocol Anycast', 'RFC 9665'),
  entry('2001:2::/48', 'benchmarking', 'Benchmarking', 'RFC 5180'),
  entry('2001:3::/32', 'protocol-assignments', 'AMT', 'RFC 7450'),
  entry('2001:4:112::/48', 'protocol-assignments', 'AS112-v6', 'RFC 7535'),
  entry('2001:10::/28', 'orchid', 'ORCHID (deprecated)', 'RFC 4843'),
  entry('2001:20::/28', 'orchid', 'ORCHIDv2', 'RFC 7343'),
  entry('2001:30::/28', 'protocol-assignments', 'Drone Remote ID Protocol Entity Tags (DETs)', 'RFC 9374'),
  entry('2001::/23', 'protocol-assignments', 'IETF Protocol Assignments', 'RFC 2928'),
  entry('2001:db8::/32', 'documentation', 'Documentation', 'RFC 3849'),
  entry('2002::/16', '6to4', '6to4', 'RFC 3056', 2),
  entry('3fff::/20', 'documentation', 'Documentation', 'RFC 9637'),
  entry('fc00::/7', 'unique-local', 'Unique-Local', 'RFC 4193'),
  entry('fe80::/10', 'link-local', 'Link-Local Unicast', 'RFC 4291 §2.5.6'),
  entry('fec0::/10', 'reserved', 'Site-Local (deprecated)', 'RFC 3879'),
  entry('ff00::/8', 'multicast', 'Multicast', 'RFC 4291 §2.7'),
  entry('5f00::/16', 'reserved', 'Segment Routing (SRv6) SIDs', 'RFC 9602'),
];
const V6_GLOBAL = entry('2000::/3', 'public', 'Global Unicast', 'RFC 4291');
// The IPv6 Address Space registry's blocks outside 2000::/3 that no entry above covers.
const V6_UNASSIGNED: readonly Entry[] = ['::/8', '100::/8', '200::/7', '400::/6', '800::/5', '1000::/4', '4000::/3', '6000::/3', '8000::/3', 'a000::/3', 'c000::/3', 'e000::/4', 'f000::/5', 'f800::/6', 'fe00::/9'].map((c) =>
  entry(c, 'reserved', 'Reserved by IETF', 'RFC 4291'),
);

function contains(e: Entry, b: Uint8Array): boolean {
  if (e.bytes.length !== b.length) return false;
  const full = e.bits >> 3;
  for (let i = 0; i < full; i++) if (b[i] !== e.bytes[i]) return false;
  const rest = e.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (b[full]! & mask) === (e.bytes[full]! & mask);
}

function verdictFrom(e: Entry, address: string, family: 4 | 6, isPublic: boolean, embedded?: AddressVerdict): AddressVerdict {
  return { address, family, class: e.class, public: isPublic, range: e.range, name: e.name, rfc: e.rfc, ...(embedded ? { embedded } : {}) };
}

function classifyV4(b: Uint8Array): AddressVerdict {
  const address = formatV4(b);
  const e = V4.find((x) => contains(x, b));
  if (e) return verdictFrom(e, address, 4, false);
  return { address, family: 4, class: 'public', public: true, ...V4_PUBLIC };
}

function classifyV6(b: Uint8Array): AddressVerdict {
  const e = V6.find((x) => contains(x, b));
  if (e?.embedsV4At !== undefined) {
    const embedded = classifyV4(b.subarray(e.embedsV4At, e.embedsV4At + 4));
    // The IPv4 address goes last in the text only where it is the last 32 bits.
    return verdictFrom(e, formatV6(b, e.embedsV4At === 12), 6, embedded.public, embedded);
  }
  const address = formatV6(b);
  if (e) return verdictFrom(e, address, 6, false);
  if (contains(V6_GLOBAL, b)) return verdictFrom(V6_GLOBAL, address, 6, true);
  const block = V6_UNASSIGNED.find((x) => contains(x, b));
  // Every address outside 2000::/3 is in one of the blocks above or in an entry of V6.
  if (!block) throw new Error(`no IPv6 address-space block for ${address}`);
  return verdictFrom(block, address, 6, false);
}

/**
 * The special-purpose range an IP address falls in, and whether keywatch may probe it without
 * the operator's permission. Accepts IPv4 dotted quads and IPv6 text (with `::`, an embedded
 * dotted quad, a `%zone`); throws a TypeError for anything else, names included.
 */
export function classifyAddress(ip: string): AddressVerdict {
  if (typeof ip !== 'string') throw new TypeError(`not an IP address: ${String(ip)}`);
  const family = isIP(ip);
  if (family === 4) return classifyV4(parseV4(ip));
  if (family !== 6) throw new TypeError(`not an IP address: ${JSON.stringify(ip)}`);
  const pct = ip.indexOf('%');
  const v = classifyV6(parseV6(pct < 0 ? ip : ip.slice(0, pct)));
  return pct < 0 ? v : { ...v, zone: ip.slice(pct + 1) };
}
