// The lab's DNS servers: nsd as the authoritative server for every zone (root included), and
// unbound as a validating recursive resolver whose only trust anchor is our root's KSK.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, spawnDaemon, waitUntil, type Daemon } from './procs.ts';
import type { BuiltZone } from './zones.ts';

export interface DnsServers {
  nsd: Daemon;
  unbound: Daemon;
  nsdConf: string;
  unboundConf: string;
  /** Make nsd re-read every zone file (after a test changed one). */
  reloadZones(): Promise<void>;
  /** Forget everything unbound has cached (after a zone changed). */
  flushResolver(): Promise<void>;
}

export interface DnsServerOptions {
  dir: string;
  registry: string;
  authAddress: string;
  resolverAddress: string;
  port: number;
  zones: BuiltZone[];
  /** The root KSK's DNSKEY line. */
  rootAnchor: string;
}

async function dnsAnswers(address: string, port: number, name: string): Promise<boolean> {
  const { stdout } = await run('kdig', [`@${address}`, '-p', String(port), '+time=1', '+retry=0', name, 'SOA'], { timeoutMs: 3000 });
  return /status: NOERROR/.test(stdout);
}

export async function startDnsServers(o: DnsServerOptions): Promise<DnsServers> {
  const ndir = join(o.dir, 'nsd');
  const udir = join(o.dir, 'unbound');
  mkdirSync(ndir, { recursive: true });
  mkdirSync(udir, { recursive: true });

  const nsdConf = join(ndir, 'nsd.conf');
  const nsdSock = join(ndir, 'control.sock');
  writeFileSync(
    nsdConf,
    [
      'server:',
      `  ip-address: ${o.authAddress}`,
      `  port: ${o.port}`,
      '  do-ip6: no',
      '  username: ""',
      '  chroot: ""',
      `  zonesdir: "${ndir}"`,
      '  database: ""',
      `  zonelistfile: "${join(ndir, 'zone.list')}"`,
      `  xfrdfile: "${join(ndir, 'xfrd.state')}"`,
      `  xfrdir: "${ndir}"`,
      `  pidfile: "${join(ndir, 'nsd.pid')}"`,
      `  logfile: "${join(ndir, 'nsd.log')}"`,
      '  server-count: 1',
      '  verbosity: 1',
      '  hide-version: yes',
      'remote-control:',
      '  control-enable: yes',
      `  control-interface: "${nsdSock}"`,
      ...o.zones.flatMap((z) => ['zone:', `  name: "${z.spec.name || '.'}"`, `  zonefile: "${z.file}"`]),
      '',
    ].join('\n'),
  );

  const hints = join(udir, 'root.hints');
  writeFileSync(hints, `. 3600000 IN NS ns.test.\nns.test. 3600000 IN A ${o.authAddress}\n`);
  const anchor = join(udir, 'root.key');
  writeFileSync(anchor, `${o.rootAnchor}\n`);
  const unboundConf = join(udir, 'unbound.conf');
  const unboundSock = join(udir, 'control.sock');
  writeFileSync(
    unboundConf,
    [
      'server:',
      `  interface: ${o.resolverAddress}`,
      `  port: ${o.port}`,
      '  do-daemonize: no',
      '  username: ""',
      '  chroot: ""',
      `  directory: "${udir}"`,
      `  pidfile: "${join(udir, 'unbound.pid')}"`,
      '  use-syslog: no',
      `  logfile: ""`,
      '  verbosity: 1',
      '  val-log-level: 2',
      '  log-servfail: yes',
      '  do-ip6: no',
      '  do-not-query-localhost: no',
      '  access-control: 127.0.0.0/8 allow',
      `  root-hints: "${hints}"`,
      `  trust-anchor-file: "${anchor}"`,
      '  local-zone: "test." nodefault',
      '  ede: yes',
      '  val-clean-additional: yes',
      '  trust-anchor-signaling: no',
      '  root-key-sentinel: no',
      'remote-control:',
      '  control-enable: yes',
      `  control-interface: "${unboundSock}"`,
      '  control-use-cert: no',
      '',
    ].join('\n'),
  );

  await run('nsd-checkconf', [nsdConf]);
  await run('unbound-checkconf', [unboundConf]);

  const nsd = spawnDaemon('nsd', 'nsd', ['-d', '-c', nsdConf], { logFile: join(ndir, 'nsd.out'), registry: o.registry });
  const unbound = spawnDaemon('unbound', 'unbound', ['-d', '-c', unboundConf], {
    logFile: join(udir, 'unbound.log'),
    registry: o.registry,
  });
  await waitUntil(nsd, `nsd answering on ${o.authAddress}`, () => dnsAnswers(o.authAddress, o.port, '.'));
  await waitUntil(unbound, `unbound answering on ${o.resolverAddress}`, () => dnsAnswers(o.resolverAddress, o.port, 'test.'));

  return {
    nsd,
    unbound,
    nsdConf,
    unboundConf,
    async reloadZones() {
      await run('nsd-control', ['-c', nsdConf, 'reload']);
    },
    async flushResolver() {
      await run('unbound-control', ['-c', unboundConf, 'reload']);
    },
  };
}
