// The lab: a private DNSSEC tree (nsd + unbound, our own root), a test CA, Prosody and
// ejabberd serving the scenario domains, interception proxies where a scenario wants them, and
// SMTP servers (in this process) for the mail scenarios' MX hosts.
// Everything listens on 127.N.0.0/16 (N = `net`, 53 by default), so two labs with different
// `net` values can run side by side.
//
// Address plan (N = net):
//   127.N.0.1     nsd, authoritative for ., test. and every scenario zone (ns.test.)
//   127.N.0.53    unbound, validating recursive resolver anchored at our root
//   127.N.1.i     the public address of scenario i's XMPP host (xmpp.<scenario>.test)
//   127.N.2.1     Prosody's backend address (what the interceptors relay to)
//   127.N.3.1     ejabberd's backend address
//   127.N.4.i     mail scenario i's MX host (mx.<scenario>.test), SMTP with STARTTLS on port 25
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestCa, generateKey, type IssuedCert } from './ca.ts';
import { startDnsServers, type DnsServers } from './dns-servers.ts';
import { startProxy, type Proxy, type ProxyMode } from './mitm.ts';
import { reapStale, stopDaemon } from './procs.ts';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
import {
  DNS_ZONES,
  MAIL_SCENARIOS,
  SCENARIOS,
  type DnssecState,
  type DnsZoneSpec,
  type MailKey,
  type MailScenarioName,
  type MailScenarioSpec,
  type ScenarioName,
  type ScenarioSpec,
  type Verdict,
} from './scenarios.ts';
import { SMTP_PORT, startSmtpServer, type SmtpServer } from './smtp-servers.ts';
import { startEjabberd, startProsody, XMPP_PORTS, type XmppServer } from './xmpp-servers.ts';
import { buildTree, type BuiltZone, type ZoneSpec } from './zones.ts';

export type XmppService = 'xmpp-client' | 'xmpps-client' | 'xmpp-server';

export interface LabEndpoint {
  service: XmppService;
  /** SRV owner name, e.g. `_xmpp-client._tcp.good.test`. */
  srvName: string;
  host: string;
  address: string;
  port: number;
  tls: 'starttls' | 'direct';
  /** Where the TLSA records for this endpoint are published (RFC 7673: at the SRV target). */
  tlsaName: string;
  /** Whose key a client connecting here is shown. */
  presents: 'server' | 'interceptor';
  presentedSpkiSha256: string;
  /** Whether a published TLSA 3 1 1 record names the presented key. */
  matchesTlsa: boolean;
}

export interface LabDomain {
  scenario: ScenarioName;
  description: string;
  domain: string;
  server: 'prosody' | 'ejabberd';
  host: string;
  address: string;
  endpoints: LabEndpoint[];
  /** TLSA records as published (zone-file text), empty when none. */
  tlsa: string[];
  keys: {
    server: CertInfo;
    interceptor?: CertInfo;
    /** The key the TLSA records were made for, when it is not the deployed one. */
    retired?: CertInfo;
    /** A second certificate with a new key, for scenarios that roll over to it (`nextKey`). */
    next?: CertInfo;
  };
  zone: { name: string; signed: boolean; dsInParent: boolean; kskTag?: number; zskTag?: number; ds: string[] };
  account: { jid: string; password: string };
  expect: { srv: DnssecState; tlsa: DnssecState | 'absent'; verdict: Verdict; why: string };
}

/** One MX host of a mail scenario: a real SMTP server with STARTTLS and two certificates. */
export interface LabMailHost {
  host: string;
  address: string;
  port: number;
  /** Owner of the host's TLSA records, `_25._tcp.<host>` (RFC 7672 §2.2: at the MX host name). */
  tlsaName: string;
  /** The host serves both at once; a client gets one or the other from its signature algorithms. */
  keys: Record<MailKey, CertInfo>;
  /** The TLSA RRset as published, rdata only, e.g. `3 1 1 ab12…`. */
  tlsa: string[];
  /** Where the server writes each message it accepts, one `<timestamp>-<n>.eml` file each. */
  maildir: string;
}

export interface LabMailDomain {
  scenario: MailScenarioName;
  description: string;
  domain: string;
  mx: LabMailHost[];
  zone: { name: string; kskTag?: number; zskTag?: number; ds: string[] };
  expect: MailScenarioSpec['expect'];
}

export interface CertInfo {
  certFile: string;
  keyFile: string;
  chainFile: string;
  spkiSha256: string;
  spkiSha512: string;
}

export interface LabState {
  dir: string;
  net: number;
  /** Validating recursive resolver (unbound). */
  resolver: { address: string; port: number };
  /** Authoritative server for every lab zone (nsd). */
  authoritative: { address: string; port: number };
  /** The lab root's trust anchor, as a DNSKEY line and as a DS line. */
  trustAnchor: { dnskey: string; ds: string };
  ca: { rootFile: string; intermediateFile: string; rootSpkiSha256: string; intermediateSpkiSha256: string };
  domains: LabDomain[];
  /** Mail scenarios: signed domains whose MX hosts run SMTP servers (see MAIL_SCENARIOS). */
  mail: LabMailDomain[];
  /** DNS-only zones for validator tests (one per signing algorithm, and answer shapes). */
  dnsZones: Array<DnsZoneSpec & { zone: string; kskTag: number }>;
  files: { nsdConf: string; unboundConf: string };
  /** Milliseconds spent in each start-up phase. */
  timings: Record<string, number>;
  /** The notifiers' XMPP side (src/notify): a bot and a user on one Prosody domain, and its PubSub service. */
  notify: LabNotify;
}

/** The scenario whose Prosody host also serves the notification bot, a test user and a PubSub component. */
export const NOTIFY_SCENARIO: ScenarioName = 'good';

export interface LabNotify {
  /** The XMPP domain of the bot and the user (NOTIFY_SCENARIO's). */
  domain: string;
  /** Where clients connect: the domain's public address, STARTTLS on 5222 (certificate from the lab CA). */
  address: string;
  port: number;
  /** The XEP-0060 service (Prosody's mod_pubsub as a component; the bot owns it). */
  pubsub: string;
  bot: { jid: string; password: string };
  users: { alice: { jid: string; password: string }; bob: { jid: string; password: string } };
}

export interface Lab {
  state: LabState;
  domain(name: ScenarioName): LabDomain;
  mailDomain(name: MailScenarioName): LabMailDomain;
  /** After a test rewrote a zone file: make nsd reload and unbound forget its cache. */
  reloadDns(): Promise<void>;
  stop(): Promise<void>;
}

export interface LabOptions {
  /** Second octet of the lab's 127.N.0.0/16 block. */
  net?: number;
  dnsPort?: number;
  dir?: string;
  /** Progress lines (the test runner prints them). */
  log?: (line: string) => void;
}

export const DEFAULT_NET = 53;

export function labDir(net: number): string {
  return join(tmpdir(), `keywatch-lab-${net}`);
}

const addr = (net: number, c: number, d: number) => `127.${net}.${c}.${d}`;

function certInfo(c: IssuedCert): CertInfo {
  return { certFile: c.certFile, keyFile: c.keyFile, chainFile: c.chainFile, spkiSha256: c.spkiSha256, spkiSha512: c.spkiSha512 };
}

interface Planned {
  spec: ScenarioSpec;
  domain: string;
  host: string;
  address: string;
  /** The zone holding the host's A and TLSA records. */
  hostZone: string;
  real: IssuedCert;
  interceptor?: IssuedCert;
  retired?: IssuedCert;
  next?: IssuedCert;
  password: string;
}

interface PlannedMail {
  spec: MailScenarioSpec;
  domain: string;
  host: string;
  address: string;
  keys: Record<MailKey, IssuedCert>;
  maildir: string;
}

/** The TLSA RRset of a mail scenario's MX host, as rdata text. */
function mailTlsa(m: PlannedMail, intermediateSpki: string): string[] {
  return [...m.spec.tlsa.ee.map((k) => `3 1 1 ${m.keys[k].spkiSha256}`), ...(m.spec.tlsa.ta ? [`2 1 1 ${intermediateSpki}`] : [])];
}

const SERVICES: Array<{ service: XmppService; port: number; tls: 'starttls' | 'direct'; c2s: boolean }> = [
  { service: 'xmpp-client', port: XMPP_PORTS.c2s, tls: 'starttls', c2s: true },
  { service: 'xmpps-client', port: XMPP_PORTS.c2sDirectTls, tls: 'direct', c2s: true },
  { service: 'xmpp-server', port: XMPP_PORTS.s2s, tls: 'starttls', c2s: false },
];

function intercepted(p: Planned, c2s: boolean, service: XmppService): boolean {
  if (p.spec.mitm !== 'none' && p.spec.interceptor?.only) return p.spec.interceptor.only.includes(service);
  return p.spec.mitm === 'all' || (p.spec.mitm === 'c2s' && c2s);
}

function tlsaRecords(p: Planned, intermediateSpki: string): string[] {
  const plan = p.spec.tlsa;
  if (plan === 'none') return [];
  const eeKey = plan === 'old-ee' ? p.retired! : p.real;
  return SERVICES.flatMap(({ port }) => {
    const owner = `_${port}._tcp.${p.host}.`;
    const ttl = p.spec.tlsaTtl ?? 300;
    const recs = [`${owner} ${ttl} IN TLSA 3 1 1 ${eeKey.spkiSha256}`];
    if (plan === 'ee+ta') recs.push(`${owner} ${ttl} IN TLSA 2 1 1 ${intermediateSpki}`);
    return recs;
  });
}

/**
 * CAA at every scenario and mail domain, pinned to the lab CA's ACME account (RFC 8657) as a
 * well-run domain's is, so that CAA findings in a check come only from the zones built to show
 * them (DNS_ZONES `caa` and `caa-unsigned`).
 */
export const LAB_CAA = { issuer: 'ca.test', accountUri: 'https://acme.ca.test/acct/1' } as const;

function caaRecords(domain: string): string[] {
  return [
    `${domain}. 300 IN CAA 0 issue "${LAB_CAA.issuer}; accounturi=${LAB_CAA.accountUri}"`,
    `${domain}. 300 IN CAA 0 issuewild ";"`,
    `${domain}. 300 IN CAA 0 iodef "mailto:security@${domain}"`,
  ];
}

function zoneSpecs(planned: Planned[], mail: PlannedMail[], net: number, intermediateSpki: string): ZoneSpec[] {
  const ns = addr(net, 0, 1);
  const none = { kind: 'none' } as const;
  const records = new Map<string, string[]>();
  const add = (zone: string, ...rr: string[]) => records.set(zone, [...(records.get(zone) ?? []), ...rr]);
  add('', '. 86400 IN NS ns.test.', 'test. 86400 IN NS ns.test.', `ns.test. 86400 IN A ${ns}`);
  add('test', 'test. 86400 IN NS ns.test.', `ns.test. 86400 IN A ${ns}`);
  for (const p of planned) {
    add('test', `${p.domain}. 86400 IN NS ns.test.`);
    add(p.domain, `${p.domain}. 86400 IN NS ns.test.`, ...caaRecords(p.domain));
    for (const s of SERVICES) add(p.domain, `_${s.service}._tcp.${p.domain}. 300 IN SRV 0 5 ${s.port} ${p.host}.`);
    add(p.hostZone, `${p.host}. 300 IN A ${p.address}`, ...tlsaRecords(p, intermediateSpki));
  }
  for (const m of mail) {
    add('test', `${m.domain}. 86400 IN NS ns.test.`);
    add(
      m.domain,
      `${m.domain}. 86400 IN NS ns.test.`,
      `${m.domain}. 300 IN MX 10 ${m.host}.`,
      ...caaRecords(m.domain),
      `${m.host}. 300 IN A ${m.address}`,
      ...mailTlsa(m, intermediateSpki).map((r) => `_${SMTP_PORT}._tcp.${m.host}. 300 IN TLSA ${r}`),
    );
  }
  for (const z of DNS_ZONES) {
    const zone = `${z.label}.test`;
    // A zone directly under test. is delegated from test.; a deeper one by its parent's records.
    if (!z.label.includes('.')) add('test', `${zone}. 86400 IN NS ns.test.`);
    const absolute = (r: string) => {
      const [label, ...rest] = r.replaceAll('{net}', String(net)).replaceAll('{zone}', zone).split(' ');
      return `${label === '@' ? zone : `${label}.${zone}`}. ${rest.join(' ')}`;
    };
    add(zone, `${zone}. 86400 IN NS ns.test.`, ...z.records.map(absolute));
  }
  const specs: ZoneSpec[] = [
    { name: '', records: records.get('')!, signed: true, dsInParent: false, nsec3: false, breakage: none },
    { name: 'test', records: records.get('test')!, signed: true, dsInParent: true, nsec3: true, breakage: none },
  ];
  for (const z of DNS_ZONES) {
    const name = `${z.label}.test`;
    specs.push({
      name,
      records: records.get(name)!,
      signed: !z.unsigned,
      dsInParent: !z.unsigned && z.ds !== 'none',
      nsec3: z.nsec3,
      breakage: z.breakage === 'not-yet-valid' ? { kind: 'not-yet-valid' } : none,
      algorithm: z.algorithm,
      ...(z.optOut ? { optOut: true } : {}),
      ...(z.ds && z.ds !== 'none' ? { ds: z.ds } : {}),
    });
  }
  for (const p of planned) {
    const z = p.spec.zone;
    specs.push({
      name: p.domain,
      records: records.get(p.domain)!,
      signed: z.signed,
      dsInParent: z.dsInParent,
      nsec3: z.nsec3,
      breakage:
        z.breakage === 'corrupt-tlsa-rrsig' ? { kind: 'corrupt-rrsig', type: 'TLSA' } : z.breakage === 'expired' ? { kind: 'expired' } : none,
    });
  }
  // Signed and delegated with a DS like any healthy domain: the mail scenarios are about keys.
  for (const m of mail) {
    specs.push({ name: m.domain, records: records.get(m.domain)!, signed: true, dsInParent: true, nsec3: m.spec.zone.nsec3, breakage: none });
  }
  return specs;
}

async function timed<T>(timings: Record<string, number>, phase: string, log: (l: string) => void, f: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const out = await f();
  timings[phase] = Math.round(performance.now() - t0);
  log(`lab: ${phase} ${timings[phase]} ms`);
  return out;
}

export async function startLab(opts: LabOptions = {}): Promise<Lab> {
  const net = opts.net ?? DEFAULT_NET;
  const dnsPort = opts.dnsPort ?? 53;
  const dir = opts.dir ?? labDir(net);
  const log = opts.log ?? (() => undefined);
  const registry = join(dir, '..', `keywatch-lab-${net}.pids`);
  const timings: Record<string, number> = {};
  const t0 = performance.now();

  // One lab per 127.N block: a second one would reap the first's processes from under it.
  const lock = join(dir, '..', `keywatch-lab-${net}.lock`);
  const holder = existsSync(lock) ? Number(readFileSync(lock, 'utf8')) : 0;
  if (holder && holder !== process.pid && processAlive(holder)) {
    throw new Error(`a keywatch lab is already running on 127.${net}.0.0/16 (process ${holder}); stop it, or pick another block with KEYWATCH_LAB_NET or --net`);
  }
  writeFileSync(lock, String(process.pid));
  const reaped = await reapStale(registry, dir);
  if (reaped.length) log(`lab: stopped ${reaped.length} processes left over by an earlier run (${reaped.join(', ')})`);
  rmSync(registry, { force: true });
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });

  const stoppers: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    const errors: unknown[] = [];
    for (const stop of stoppers.splice(0).reverse()) await stop().catch((e: unknown) => errors.push(e));
    // Anything still naming the lab directory escaped its parent: stop it, and say so.
    const escaped = await reapStale(registry, dir);
    if (escaped.length) errors.push(new Error(`processes outlived their parents and were stopped: ${escaped.join(', ')}`));
    rmSync(registry, { force: true });
    rmSync(lock, { force: true });
    if (errors.length) throw new AggregateError(errors, 'lab: some processes did not stop cleanly');
  };

  try {
    // The MX hosts' RSA keys take longest of all the keys: make them while the CA is built.
    mkdirSync(join(dir, 'keys'));
    const rsaKeys = Promise.all(MAIL_SCENARIOS.map((spec) => generateKey(join(dir, 'keys', `${spec.name}-rsa.key`), 'rsa-2048')));
    rsaKeys.catch(() => undefined); // awaited below; a CA failure must not leave it unhandled
    const ca = await timed(timings, 'certificates', log, () => createTestCa(join(dir, 'ca')));
    const unsignedDomain = 'unsigned.test';
    const [planned, mailPlanned] = await timed(timings, 'leaf certificates', log, () =>
      Promise.all([
        Promise.all(
          SCENARIOS.map(async (spec, i): Promise<Planned> => {
            const domain = `${spec.name}.test`;
            const host = spec.targetInUnsignedZone ? `xmpp-${spec.name}.${unsignedDomain}` : `xmpp.${domain}`;
            const leaf = (suffix: string) =>
              ca.issue(`${spec.name}${suffix}`, {
                dnsNames: [domain, host],
                srvNames: [`_xmpp-client.${domain}`, `_xmpp-server.${domain}`],
                xmppAddrs: [domain],
              });
            const [real, interceptor, retired, next] = await Promise.all([
              leaf(''),
              spec.mitm !== 'none' && spec.interceptor?.key !== 'stolen' ? leaf('-interceptor') : undefined,
              spec.tlsa === 'old-ee' ? leaf('-retired') : undefined,
              spec.nextKey ? leaf('-next') : undefined,
            ]);
            return {
              spec,
              domain,
              host,
              address: addr(net, 1, i + 1),
              hostZone: spec.targetInUnsignedZone ? unsignedDomain : domain,
              real,
              interceptor,
              retired,
              next,
              password: randomBytes(12).toString('base64url'),
            };
          }),
        ),
        Promise.all(
          MAIL_SCENARIOS.map(async (spec, i): Promise<PlannedMail> => {
            const domain = `${spec.name}.test`;
            const host = `mx.${domain}`;
            // Same names in both, so only the key type tells the certificates apart.
            const names = { dnsNames: [host, domain] };
            const [rsa, ec] = await Promise.all([
              rsaKeys.then((files) => ca.issue(`${spec.name}-rsa`, { keyType: 'rsa-2048', keyFile: files[i], ...names })),
              ca.issue(`${spec.name}-ec`, { keyType: 'ec-p256', ...names }),
            ]);
            return { spec, domain, host, address: addr(net, 4, i + 1), keys: { rsa, ec }, maildir: join(dir, 'mail', host) };
          }),
        ),
      ]),
    );

    const zones = await timed(timings, 'zones signed', log, () =>
      buildTree(join(dir, 'zones'), zoneSpecs(planned, mailPlanned, net, ca.intermediateSpkiSha256), Math.floor(Date.now() / 1000)),
    );
    const root = zones.get('')!;
    const rootKsk = root.ksk!;

    const dns: DnsServers = await timed(timings, 'nsd + unbound', log, () =>
      startDnsServers({
        dir,
        registry,
        authAddress: addr(net, 0, 1),
        resolverAddress: addr(net, 0, 53),
        port: dnsPort,
        zones: [...zones.values()],
        rootAnchor: rootKsk.dnskey,
      }),
    );
    stoppers.push(() => stopDaemon(dns.nsd), () => stopDaemon(dns.unbound));

    const backend = { prosody: addr(net, 2, 1), ejabberd: addr(net, 3, 1) };
    const notifyDomain = `${NOTIFY_SCENARIO}.test`;
    const notifyAccounts = {
      bot: { user: 'keywatch-bot', password: randomBytes(12).toString('base64url') },
      alice: { user: 'alice', password: randomBytes(12).toString('base64url') },
      // A second user, so a test of the whole service (watch-channels) never shares a JID with notify-xmpp.
      bob: { user: 'bob', password: randomBytes(12).toString('base64url') },
    };
    const serverFor = (kind: 'prosody' | 'ejabberd') => {
      const mine = planned.filter((p) => p.spec.server === kind);
      return {
        dir,
        registry,
        addresses: [backend[kind], ...mine.filter((p) => p.spec.mitm === 'none').map((p) => p.address)],
        hosts: mine.map((p) => ({ domain: p.domain, chainFile: p.real.chainFile, keyFile: p.real.keyFile, bundleFile: p.real.bundleFile, ...(p.spec.s2s ? { s2s: p.spec.s2s } : {}), ...(p.spec.sasl ? { sasl: p.spec.sasl } : {}), ...(p.domain === notifyDomain ? { pubsub: { owners: [`${notifyAccounts.bot.user}@${notifyDomain}`] } } : {}) })),
        users: [
          ...mine.map((p) => ({ user: 'canary', domain: p.domain, password: p.password })),
          ...mine.filter((p) => p.domain === notifyDomain).flatMap((p) => Object.values(notifyAccounts).map((a) => ({ ...a, domain: p.domain }))),
        ],
      };
    };
    const pem = (f: string) => readFileSync(f, 'utf8');
    // The SMTP servers start in this process within milliseconds, alongside the XMPP daemons.
    // (Booting those daemons while the zones are signed was tried: on two cores it slows them
    // by more than it saves.)
    const [servers, smtpServers]: [XmppServer[], SmtpServer[]] = await Promise.all([
      timed(timings, 'prosody + ejabberd', log, () =>
        Promise.all([
          startProsody(serverFor('prosody')).then((s) => (stoppers.push(() => s.stop()), s)),
          startEjabberd({ ...serverFor('ejabberd'), distPort: 41000 + net, nodeName: `keywatchlab${net}` }).then(
            (s) => (stoppers.push(() => s.stop()), s),
          ),
        ]),
      ),
      timed(timings, 'smtp', log, () =>
        Promise.all(
          mailPlanned.map((m) =>
            startSmtpServer({
              host: m.host,
              address: m.address,
              rsa: { chain: pem(m.keys.rsa.chainFile), key: pem(m.keys.rsa.keyFile) },
              ec: { chain: pem(m.keys.ec.chainFile), key: pem(m.keys.ec.keyFile) },
              maildir: m.maildir,
            }).then((s) => (stoppers.push(() => s.stop()), s)),
          ),
        ),
      ),
    ]);

    const proxies: Proxy[] = await timed(timings, 'interceptors', log, () =>
      Promise.all(
        planned
          .filter((p) => p.spec.mitm !== 'none')
          .flatMap((p) =>
            SERVICES.map(({ service, port, tls, c2s }) => {
              const mode: ProxyMode = !intercepted(p, c2s, service) ? 'relay' : tls === 'direct' ? 'direct-tls' : 'xmpp-starttls';
              // A stolen key: the server's own key and certificate, held by a careful attacker (mitm.ts).
              const stolen = p.spec.interceptor?.key === 'stolen';
              const held = p.interceptor ?? p.real;
              return startProxy({
                listen: { host: p.address, port },
                upstream: { host: backend[p.spec.server], port },
                mode,
                servername: p.domain,
                tls: { cert: readFileSync(held.chainFile), key: readFileSync(held.keyFile) },
                ...(stolen ? { careful: true } : {}),
                ...(p.spec.interceptor?.stripPlus ? { stripPlus: true } : {}),
              });
            }),
          ),
      ),
    );
    stoppers.push(async () => void (await Promise.all(proxies.map((p) => p.close()))));
    timings.total = Math.round(performance.now() - t0);

    const domains = planned.map((p) => describe(p, zones, ca.intermediateSpkiSha256));
    const state: LabState = {
      dir,
      net,
      resolver: { address: addr(net, 0, 53), port: dnsPort },
      authoritative: { address: addr(net, 0, 1), port: dnsPort },
      trustAnchor: { dnskey: rootKsk.dnskey, ds: root.ds[0]! },
      ca: {
        rootFile: ca.rootFile,
        intermediateFile: ca.intermediateFile,
        rootSpkiSha256: ca.rootSpkiSha256,
        intermediateSpkiSha256: ca.intermediateSpkiSha256,
      },
      domains,
      mail: mailPlanned.map((m) => describeMail(m, zones, ca.intermediateSpkiSha256)),
      dnsZones: DNS_ZONES.map((z) => ({ ...z, zone: `${z.label}.test.`, kskTag: zones.get(`${z.label}.test`)?.ksk?.keyTag ?? 0 })),
      files: { nsdConf: dns.nsdConf, unboundConf: dns.unboundConf },
      timings,
      notify: {
        domain: notifyDomain,
        address: planned.find((p) => p.domain === notifyDomain)!.address,
        port: XMPP_PORTS.c2s,
        pubsub: `pubsub.${notifyDomain}`,
        bot: { jid: `${notifyAccounts.bot.user}@${notifyDomain}`, password: notifyAccounts.bot.password },
        users: {
          alice: { jid: `${notifyAccounts.alice.user}@${notifyDomain}`, password: notifyAccounts.alice.password },
          bob: { jid: `${notifyAccounts.bob.user}@${notifyDomain}`, password: notifyAccounts.bob.password },
        },
      },
    };
    writeFileSync(join(dir, 'state.json'), JSON.stringify(state, null, 2));
    writeFileSync(join(dir, 'trust-anchor.ds'), `${state.trustAnchor.ds}\n`);
    log(`lab: up in ${timings.total} ms (${servers.length} XMPP servers, ${smtpServers.length} SMTP servers, ${proxies.length} proxies, ${zones.size} zones)`);
    return {
      state,
      domain: (name) => domainOf(state, name),
      mailDomain: (name) => mailDomainOf(state, name),
      reloadDns: async () => {
        await dns.reloadZones();
        await dns.flushResolver();
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll().catch(() => undefined);
    throw err;
  }
}

export function domainOf(state: LabState, name: ScenarioName): LabDomain {
  const d = state.domains.find((x) => x.scenario === name);
  if (!d) throw new Error(`the lab has no scenario ${name}`);
  return d;
}

export function mailDomainOf(state: LabState, name: MailScenarioName): LabMailDomain {
  // state.json written by an older lab has no `mail`: say so rather than fail on undefined.
  const d = (state.mail ?? []).find((x) => x.scenario === name);
  if (!d) throw new Error(`the lab has no mail scenario ${name}`);
  return d;
}

function describeMail(m: PlannedMail, zones: Map<string, BuiltZone>, intermediateSpki: string): LabMailDomain {
  const z = zones.get(m.domain)!;
  return {
    scenario: m.spec.name,
    description: m.spec.description,
    domain: m.domain,
    mx: [
      {
        host: m.host,
        address: m.address,
        port: SMTP_PORT,
        tlsaName: `_${SMTP_PORT}._tcp.${m.host}`,
        keys: { rsa: certInfo(m.keys.rsa), ec: certInfo(m.keys.ec) },
        tlsa: mailTlsa(m, intermediateSpki),
        maildir: m.maildir,
      },
    ],
    zone: {
      name: m.domain,
      ...(z.ksk ? { kskTag: z.ksk.keyTag } : {}),
      ...(z.zsk ? { zskTag: z.zsk.keyTag } : {}),
      ds: z.ds,
    },
    expect: m.spec.expect,
  };
}

function describe(p: Planned, zones: Map<string, BuiltZone>, intermediateSpki: string): LabDomain {
  const z = zones.get(p.domain)!;
  const tlsa = tlsaRecords(p, intermediateSpki);
  const published = new Set(tlsa.filter((r) => / 3 1 1 /.test(r)).map((r) => r.split(' ').pop()));
  const endpoints = SERVICES.map(({ service, port, tls, c2s }): LabEndpoint => {
    const mitm = intercepted(p, c2s, service);
    const key = mitm && p.interceptor ? p.interceptor : p.real;
    return {
      service,
      srvName: `_${service}._tcp.${p.domain}`,
      host: p.host,
      address: p.address,
      port,
      tls,
      tlsaName: `_${port}._tcp.${p.host}`,
      presents: mitm ? 'interceptor' : 'server',
      presentedSpkiSha256: key.spkiSha256,
      matchesTlsa: published.has(key.spkiSha256),
    };
  });
  return {
    scenario: p.spec.name,
    description: p.spec.description,
    domain: p.domain,
    server: p.spec.server,
    host: p.host,
    address: p.address,
    endpoints,
    tlsa,
    keys: {
      server: certInfo(p.real),
      ...(p.interceptor ? { interceptor: certInfo(p.interceptor) } : {}),
      ...(p.retired ? { retired: certInfo(p.retired) } : {}),
      ...(p.next ? { next: certInfo(p.next) } : {}),
    },
    zone: {
      name: p.domain,
      signed: p.spec.zone.signed,
      dsInParent: p.spec.zone.dsInParent,
      ...(z.ksk ? { kskTag: z.ksk.keyTag } : {}),
      ...(z.zsk ? { zskTag: z.zsk.keyTag } : {}),
      ds: z.ds,
    },
    account: { jid: `canary@${p.domain}`, password: p.password },
    expect: p.spec.expect,
  };
}
