// Changing a running lab the way an admin changes a real deployment, for the tests of setup and
// rollover: edit a zone's records and sign it again with its own keys (so the DS at the parent
// still holds), reload nsd and flush unbound; put another certificate on a Prosody host and make
// Prosody reload it (SIGHUP), as a certificate renewal would.
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CertInfo, LabState } from './lab.ts';
import { run, tcpOpen } from './procs.ts';
import { reloadDns } from './fixture.ts';
import { XMPP_PORTS } from './xmpp-servers.ts';

/** The records of a lab zone's source file, without SOA and DNSKEY (owner names absolute). */
export function zoneRecords(state: LabState, zone: string): string[] {
  const text = readFileSync(join(state.dir, 'zones', zone, 'zone'), 'utf8');
  return text.split('\n').filter((l) => l.trim() && !l.startsWith('$') && !/\sIN\s+(SOA|DNSKEY)\s/.test(l));
}

/**
 * Rewrite a signed lab zone: `edit` gets its records (zone-file lines, absolute owners) and
 * returns the new set; the zone is signed again with the keys it has (serial + 1, same NSEC or
 * NSEC3 flavour), then nsd reloads and unbound forgets its cache.
 */
export async function resignZone(state: LabState, zone: string, edit: (records: string[]) => string[]): Promise<void> {
  const zdir = join(state.dir, 'zones', zone);
  const src = join(zdir, 'zone');
  const lines = readFileSync(src, 'utf8').split('\n');
  const soaAt = lines.findIndex((l) => /\sIN\s+SOA\s/.test(l));
  if (soaAt < 0) throw new Error(`${src}: no SOA`);
  const soa = lines[soaAt]!.split(/\s+/);
  soa[6] = String(Number(soa[6]) + 1); // owner ttl class SOA mname rname serial …
  const dnskeys = lines.filter((l) => /\sIN\s+DNSKEY\s/.test(l));
  const records = edit(zoneRecords(state, zone));
  writeFileSync(src, ['$TTL 300', soa.join(' '), ...records, ...dnskeys, ''].join('\n'));
  const signed = join(zdir, 'zone.signed');
  const nsec3 = readFileSync(signed, 'utf8').includes('NSEC3PARAM');
  const keys = readdirSync(zdir).filter((f) => f.endsWith('.private')).map((f) => f.replace(/\.private$/, ''));
  if (keys.length === 0) throw new Error(`${zdir}: the zone has no keys (unsigned zones are rewritten without signing)`);
  await run('ldns-signzone', ['-o', `${zone}.`, '-f', signed, ...(nsec3 ? ['-n', '-t', '0'] : []), src, ...keys], { cwd: zdir });
  await reloadDns(state);
}

/**
 * Rewrite an unsigned lab zone (as resignZone does for signed ones, without signing): serial + 1,
 * the edited records, then nsd reloads and unbound forgets its cache.
 */
export async function rewriteUnsignedZone(state: LabState, zone: string, edit: (records: string[]) => string[]): Promise<void> {
  const zdir = join(state.dir, 'zones', zone);
  if (readdirSync(zdir).some((f) => f.endsWith('.private'))) throw new Error(`${zdir}: a signed zone; use resignZone`);
  const src = join(zdir, 'zone');
  const lines = readFileSync(src, 'utf8').split('\n');
  const soaAt = lines.findIndex((l) => /\sIN\s+SOA\s/.test(l));
  if (soaAt < 0) throw new Error(`${src}: no SOA`);
  const soa = lines[soaAt]!.split(/\s+/);
  soa[6] = String(Number(soa[6]) + 1);
  writeFileSync(src, ['$TTL 300', soa.join(' '), ...edit(zoneRecords(state, zone)), ''].join('\n'));
  await reloadDns(state);
}

/**
 * Put `cert` on Prosody's virtual host `domain` (both the per-host STARTTLS certificate and the
 * SNI directory copy) and make Prosody reload its certificates; resolves once the host's
 * ports answer again.
 */
export async function swapProsodyCertificate(state: LabState, domain: string, cert: CertInfo, address: string): Promise<void> {
  const certs = join(state.dir, 'prosody', 'certs');
  copyFileSync(cert.chainFile, join(certs, `${domain}.crt`));
  copyFileSync(cert.keyFile, join(certs, `${domain}.key`));
  const pid = Number(readFileSync(join(state.dir, 'prosody', 'prosody.pid'), 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 1) throw new Error('prosody.pid holds no PID');
  process.kill(pid, 'SIGHUP');
  // Prosody reloads in its event loop; give it a moment, then make sure it still listens.
  await new Promise((r) => setTimeout(r, 300));
  for (const port of Object.values(XMPP_PORTS)) {
    if (!(await tcpOpen(address, port, 2000))) throw new Error(`Prosody stopped listening on ${address}:${port} after the reload`);
  }
}
