// Real XMPP servers for the lab's scenario domains: one Prosody and one ejabberd process, each
// hosting several virtual hosts with their own certificates, bound to the lab addresses.
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, spawnDaemon, stopDaemon, tcpOpen, waitUntil, type Daemon } from './procs.ts';

export const XMPP_PORTS = { c2s: 5222, c2sDirectTls: 5223, s2s: 5269 } as const;

/**
 * A peer domain Prosody must authenticate by certificate (s2s_secure_domains): a probe whose s2s
 * stream `from` is this domain and that presents no certificate meets Prosody's s2s_secure_auth
 * behaviour on every host, while every other `from` keeps the lab's default (dialback allowed).
 */
export const SECURE_PEER_DOMAIN = 'secure-peer.test';

export interface XmppHost {
  domain: string;
  /** Leaf + intermediate, PEM. */
  chainFile: string;
  keyFile: string;
  /** Leaf + intermediate + key in one file. */
  bundleFile: string;
  /** Server-to-server settings for this host alone (default: STARTTLS required, no bidi). */
  s2s?: { starttls: 'required' | 'optional'; bidi?: boolean };
  /** A XEP-0060 PubSub service `pubsub.<domain>` (Prosody's mod_pubsub) whose owners, who may create nodes, are these JIDs. */
  pubsub?: { owners: string[] };
  /** SASL settings for this host alone (default: the server's, with SCRAM-*-PLUS). */
  sasl?: { plus: boolean };
}

/** The -PLUS mechanisms a host disables when its SASL plan says `plus: false`. */
const PLUS_MECHANISMS = ['SCRAM-SHA-1-PLUS', 'SCRAM-SHA-256-PLUS', 'SCRAM-SHA-512-PLUS'];

export interface XmppServerOptions {
  dir: string;
  registry: string;
  /** Addresses to listen on (every port on each). */
  addresses: string[];
  hosts: XmppHost[];
  /** Accounts to create: `user@domain` → password. */
  users: Array<{ user: string; domain: string; password: string }>;
}

export interface XmppServer {
  kind: 'prosody' | 'ejabberd';
  daemon: Daemon;
  stop(): Promise<void>;
}

const luaString = (s: string) => JSON.stringify(s);

async function allPortsOpen(addresses: string[]): Promise<boolean> {
  const checks = addresses.flatMap((a) => Object.values(XMPP_PORTS).map((p) => tcpOpen(a, p)));
  return (await Promise.all(checks)).every(Boolean);
}

export async function startProsody(o: XmppServerOptions): Promise<XmppServer> {
  const dir = join(o.dir, 'prosody');
  const certs = join(dir, 'certs');
  mkdirSync(join(dir, 'data'), { recursive: true });
  mkdirSync(certs, { recursive: true });
  // The certificate directory lets Prosody pick a host's certificate by SNI on direct TLS;
  // the per-host `ssl` picks it by the stream's `to` on STARTTLS.
  for (const h of o.hosts) {
    copyFileSync(h.chainFile, join(certs, `${h.domain}.crt`));
    copyFileSync(h.keyFile, join(certs, `${h.domain}.key`));
  }
  const cfg = join(dir, 'prosody.cfg.lua');
  writeFileSync(
    cfg,
    [
      '-- written by the keywatch lab',
      'run_as_root = true',
      `pidfile = ${luaString(join(dir, 'prosody.pid'))}`,
      `data_path = ${luaString(join(dir, 'data'))}`,
      `log = { info = ${luaString(join(dir, 'prosody.log'))} }`,
      `interfaces = { ${o.addresses.map(luaString).join(', ')} }`,
      `c2s_ports = { ${XMPP_PORTS.c2s} }`,
      `c2s_direct_tls_ports = { ${XMPP_PORTS.c2sDirectTls} }`,
      `s2s_ports = { ${XMPP_PORTS.s2s} }`,
      'http_ports = {}',
      'https_ports = {}',
      'authentication = "internal_hashed"',
      'password_hash = "SHA-256"',
      'c2s_require_encryption = true',
      's2s_require_encryption = true',
      's2s_secure_auth = false',
      `s2s_secure_domains = { ${luaString(SECURE_PEER_DOMAIN)} }`,
      'modules_enabled = { "roster", "saslauth", "tls", "dialback", "disco", "ping", "version", "time" }',
      `certificates = ${luaString(certs)}`,
      ...o.hosts.flatMap((h) => [
        `VirtualHost ${luaString(h.domain)}`,
        // The copies, not the CA's files: a test swaps a host's certificate by rewriting them (lab mutate.ts).
        `  ssl = { certificate = ${luaString(join(certs, `${h.domain}.crt`))}, key = ${luaString(join(certs, `${h.domain}.key`))} }`,
        // Per host in 0.12: mod_tls advertises <required/> from the host's value (mod_s2s enforces the global one).
        ...(h.s2s?.starttls === 'optional' ? ['  s2s_require_encryption = false'] : []),
        ...(h.s2s?.bidi ? ['  modules_enabled = { "s2s_bidi" }'] : []),
        // A component of this server: clients reach it through their own stream, no DNS needed.
        ...(h.pubsub ? [`Component ${luaString(`pubsub.${h.domain}`)} "pubsub"`, `  admins = { ${h.pubsub.owners.map(luaString).join(', ')} }`] : []),
        // mod_saslauth reads it per host; it replaces the default { "DIGEST-MD5" }, so that stays listed.
        ...(h.sasl?.plus === false ? [`  disable_sasl_mechanisms = { ${['DIGEST-MD5', ...PLUS_MECHANISMS].map(luaString).join(', ')} }`] : []),
      ]),
      '',
    ].join('\n'),
  );
  for (const u of o.users) {
    await run('prosodyctl', ['--config', cfg, 'register', u.user, u.domain, u.password], { timeoutMs: 20_000 });
  }
  const daemon = spawnDaemon('prosody', 'prosody', ['--config', cfg, '-F'], {
    logFile: join(dir, 'prosody.out'),
    registry: o.registry,
  });
  await waitUntil(daemon, 'Prosody listening on every lab address', () => allPortsOpen(o.addresses));
  return {
    kind: 'prosody',
    daemon,
    stop: () => stopDaemon(daemon),
  };
}

/** ejabberd's per-host options (one host_config map for every host that has any). */
function ejabberdHostConfig(hosts: readonly XmppHost[]): string[] {
  const per = hosts
    .map((h) => ({
      h,
      lines: [
        ...(h.s2s?.starttls === 'optional' ? ['s2s_use_starttls: optional'] : []),
        ...(h.sasl?.plus === false ? [`disable_sasl_mechanisms: [${PLUS_MECHANISMS.map((m) => `"${m}"`).join(', ')}]`] : []),
      ],
    }))
    .filter((x) => x.lines.length);
  return per.length ? ['host_config:', ...per.flatMap(({ h, lines }) => [`  "${h.domain}":`, ...lines.map((l) => `    ${l}`)])] : [];
}

export async function startEjabberd(o: XmppServerOptions & { distPort: number; nodeName: string }): Promise<XmppServer> {
  const dir = join(o.dir, 'ejabberd');
  for (const sub of ['logs', 'spool', 'certs']) mkdirSync(join(dir, sub), { recursive: true });
  const certFiles = o.hosts.map((h) => {
    const f = join(dir, 'certs', `${h.domain}.pem`);
    copyFileSync(h.bundleFile, f);
    return f;
  });
  copyFileSync('/etc/ejabberd/inetrc', join(dir, 'inetrc'));
  const yml = join(dir, 'ejabberd.yml');
  const listen = o.addresses.flatMap((ip) => [
    `  - port: ${XMPP_PORTS.c2s}`,
    `    ip: "${ip}"`,
    '    module: ejabberd_c2s',
    '    starttls_required: true',
    '    max_stanza_size: 262144',
    `  - port: ${XMPP_PORTS.c2sDirectTls}`,
    `    ip: "${ip}"`,
    '    module: ejabberd_c2s',
    '    tls: true',
    '    max_stanza_size: 262144',
    `  - port: ${XMPP_PORTS.s2s}`,
    `    ip: "${ip}"`,
    '    module: ejabberd_s2s_in',
    '    max_stanza_size: 524288',
  ]);
  writeFileSync(
    yml,
    [
      '# written by the keywatch lab',
      'hosts:',
      ...o.hosts.map((h) => `  - "${h.domain}"`),
      'loglevel: info',
      'certfiles:',
      ...certFiles.map((f) => `  - "${f}"`),
      'acme:',
      '  auto: false',
      'listen:',
      ...listen,
      'auth_method: internal',
      'auth_password_format: scram',
      'auth_scram_hash: sha256',
      's2s_use_starttls: required',
      // Per host through host_config (not one of ejabberd 23.01's global-only options).
      ...ejabberdHostConfig(o.hosts),
      'api_permissions:',
      '  "console commands":',
      '    from: [ejabberd_ctl]',
      '    who: all',
      '    what: "*"',
      'acl:',
      '  local:',
      '    user_regexp: ""',
      'access_rules:',
      '  local:',
      '    allow: local',
      'modules:',
      '  mod_disco: {}',
      '  mod_ping: {}',
      '  mod_roster: {}',
      '  mod_s2s_dialback: {}',
      '  mod_version: {}',
      '',
    ].join('\n'),
  );
  const ctlCfg = join(dir, 'ejabberdctl.cfg');
  writeFileSync(
    ctlCfg,
    [
      `ERLANG_NODE=${o.nodeName}@localhost`,
      `ERL_DIST_PORT=${o.distPort}`,
      'INET_DIST_INTERFACE=127.0.0.1',
      `EJABBERD_PID_PATH=${join(dir, 'ejabberd.pid')}`,
      `EJABBERD_CONFIG_PATH=${yml}`,
      '',
    ].join('\n'),
  );
  // ejabberdctl, started as root, drops to the ejabberd user: it must own its directory.
  await run('chown', ['-R', 'ejabberd:ejabberd', dir]);
  chmodSync(o.dir, 0o755);
  const ctl = (...args: string[]) => [
    '--config-dir', dir, '--ctl-config', ctlCfg, '--logs', join(dir, 'logs'), '--spool', join(dir, 'spool'), ...args,
  ];
  const daemon = spawnDaemon('ejabberd', 'ejabberdctl', ctl('foreground'), {
    cwd: dir,
    logFile: join(o.dir, 'ejabberd.out'),
    registry: o.registry,
  });
  await waitUntil(daemon, 'ejabberd listening on every lab address', () => allPortsOpen(o.addresses), 40_000);
  for (const u of o.users) {
    await run('ejabberdctl', ctl('register', u.user, u.domain, u.password), { cwd: dir, timeoutMs: 30_000 });
  }
  return {
    kind: 'ejabberd',
    daemon,
    stop: async () => {
      await run('ejabberdctl', ctl('stop'), { cwd: dir, timeoutMs: 15_000 }).catch(() => undefined);
      await stopDaemon(daemon, 8000);
    },
  };
}
