// Zone files for the lab's private DNS tree, signed with ldns (ldns-keygen, ldns-key2ds,
// ldns-signzone). Children are signed first so that their DS records can go into the parent.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './procs.ts';

export interface ZoneKey {
  /** ldns base name, e.g. `Kgood.test.+013+12345`, in the zone's directory. */
  base: string;
  keyTag: number;
  /** The DNSKEY record as one line of zone-file text. */
  dnskey: string;
}

export type Breakage =
  | { kind: 'none' }
  /** Flip bits in the signature of every RRSIG covering this type (validators: bogus). */
  | { kind: 'corrupt-rrsig'; type: string }
  /** Sign with signatures that expired long ago (validators: bogus, "signature expired"). */
  | { kind: 'expired' }
  /** Sign with signatures whose validity starts in ten days (validators: bogus). */
  | { kind: 'not-yet-valid' };

/** How the parent publishes a signed child's DS (tests of the DS link). */
export type DsVariant = 'normal' | 'wrong-digest' | 'unknown-algorithm';

export interface ZoneSpec {
  /** Absolute name without the trailing dot, '' for the root. */
  name: string;
  /** Resource records as zone-file lines with absolute owner names. */
  records: string[];
  signed: boolean;
  /** Whether the parent publishes this zone's DS (only meaningful when signed). */
  dsInParent: boolean;
  nsec3: boolean;
  breakage: Breakage;
  /** ldns-keygen's algorithm name; ECDSAP256SHA256 (13) when absent. */
  algorithm?: string;
  /** NSEC3 opt-out: unsigned delegations get no NSEC3 of their own (RFC 5155 §6). */
  optOut?: boolean;
  ds?: DsVariant;
}

export interface BuiltZone {
  spec: ZoneSpec;
  /** The file nsd serves. */
  file: string;
  ksk?: ZoneKey;
  zsk?: ZoneKey;
  /** DS records (SHA-256) of the KSK, as zone-file lines. */
  ds: string[];
}

const fqdn = (name: string) => (name === '' ? '.' : `${name}.`);

async function keygen(dir: string, zone: string, ksk: boolean, algorithm: string): Promise<ZoneKey> {
  const rsa = algorithm.startsWith('RSA') ? ['-b', ksk ? '2048' : '1024'] : [];
  const args = ['-a', algorithm, ...rsa, ...(ksk ? ['-k'] : []), fqdn(zone)];
  const { stdout } = await run('ldns-keygen', args, { cwd: dir });
  const base = stdout.trim();
  const dnskey = readFileSync(join(dir, `${base}.key`), 'utf8').trim();
  const tag = /\+\d+\+(\d+)$/.exec(base);
  if (!tag?.[1]) throw new Error(`ldns-keygen: unexpected key name ${base}`);
  return { base, keyTag: Number(tag[1]), dnskey };
}

/** Render a zone: SOA first, then the given records, with the DNSKEYs when signed. */
function zoneText(spec: ZoneSpec, serial: number, keys: ZoneKey[]): string {
  const origin = fqdn(spec.name);
  const soa = `${origin} 3600 IN SOA ns.test. hostmaster.test. ${serial} 3600 600 86400 300`;
  return [`$TTL 300`, soa, ...spec.records, ...keys.map((k) => k.dnskey), ''].join('\n');
}

/** Change one base64 character in the middle of each matching RRSIG's signature. */
export function corruptSignatures(signedText: string, type: string): string {
  let hits = 0;
  const out = signedText
    .split('\n')
    .map((line) => {
      const f = line.split(/\s+/);
      // owner ttl class RRSIG covered alg labels origttl exp inc tag signer sig...
      if (f[3] !== 'RRSIG' || f[4] !== type) return line;
      hits++;
      const sigStart = f.slice(0, 12).join(' ').length + 1;
      const sig = f.slice(12).join('');
      const i = Math.floor(sig.length / 2);
      const flipped = sig[i] === 'A' ? 'B' : 'A';
      return `${line.slice(0, sigStart)}${sig.slice(0, i)}${flipped}${sig.slice(i + 1)}`;
    })
    .join('\n');
  if (hits === 0) throw new Error(`no RRSIG covering ${type} to corrupt`);
  return out;
}

export async function buildZone(dir: string, spec: ZoneSpec, serial: number): Promise<BuiltZone> {
  const zdir = join(dir, spec.name || 'root');
  mkdirSync(zdir, { recursive: true });
  const src = join(zdir, 'zone');
  if (!spec.signed) {
    writeFileSync(src, zoneText(spec, serial, []));
    return { spec, file: src, ds: [] };
  }
  const algorithm = spec.algorithm ?? 'ECDSAP256SHA256';
  const [ksk, zsk] = await Promise.all([keygen(zdir, spec.name, true, algorithm), keygen(zdir, spec.name, false, algorithm)]);
  writeFileSync(src, zoneText(spec, serial, [ksk, zsk]));
  const file = join(zdir, 'zone.signed');
  const args = ['-o', fqdn(spec.name), '-f', file];
  if (spec.nsec3) args.push('-n', '-t', '0', ...(spec.optOut ? ['-p'] : []));
  const now = Math.floor(Date.now() / 1000);
  if (spec.breakage.kind === 'expired') args.push('-i', String(now - 60 * 86400), '-e', String(now - 30 * 86400));
  if (spec.breakage.kind === 'not-yet-valid') args.push('-i', String(now + 10 * 86400), '-e', String(now + 40 * 86400));
  await run('ldns-signzone', [...args, src, zsk.base, ksk.base], { cwd: zdir });
  if (spec.breakage.kind === 'corrupt-rrsig') {
    writeFileSync(file, corruptSignatures(readFileSync(file, 'utf8'), spec.breakage.type));
  }
  const { stdout } = await run('ldns-key2ds', ['-n', '-2', `${ksk.base}.key`], { cwd: zdir });
  return { spec, file, ksk, zsk, ds: [mutateDs(stdout.trim(), spec.ds ?? 'normal')] };
}

/** DS line `owner ttl class DS tag alg digesttype digest`, altered for the DS-link tests. */
export function mutateDs(line: string, variant: DsVariant): string {
  const f = line.split(/\s+/);
  if (variant === 'wrong-digest') {
    const d = f[7]!;
    f[7] = `${d.slice(0, -1)}${d.endsWith('0') ? '1' : '0'}`;
  }
  if (variant === 'unknown-algorithm') f[5] = '253';
  return f.join(' ');
}

/**
 * Build a tree of zones bottom-up: every child is built before its parent, and a signed child
 * with `dsInParent` gets its DS records appended to the parent's records.
 */
export async function buildTree(dir: string, specs: ZoneSpec[], serial: number): Promise<Map<string, BuiltZone>> {
  const built = new Map<string, BuiltZone>();
  const depth = (n: string) => (n === '' ? 0 : n.split('.').length);
  const parentOf = (n: string) => {
    let best = '';
    for (const s of specs) if (s.name !== n && (n.endsWith(`.${s.name}`) || s.name === '') && depth(s.name) > depth(best)) best = s.name;
    return best;
  };
  const byDepth = [...new Set(specs.map((s) => depth(s.name)))].sort((a, b) => b - a);
  for (const d of byDepth) {
    const level = specs.filter((s) => depth(s.name) === d);
    const zones = await Promise.all(
      level.map((s) => {
        const extra = [...built.values()]
          .filter((c) => c.spec.dsInParent && parentOf(c.spec.name) === s.name)
          .flatMap((c) => c.ds);
        return buildZone(dir, { ...s, records: [...s.records, ...extra] }, serial);
      }),
    );
    for (const z of zones) built.set(z.spec.name, z);
  }
  return built;
}
