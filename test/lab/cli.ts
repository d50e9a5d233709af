// `npm run lab -- up [--net N] [--json] [--serve [--port P]]`: bring the lab up in the
// foreground for exploring by hand (kdig, openssl s_client, an XMPP client), and with --serve the
// watch service on top of it (web page, API, alerts by mail to the lab's MX); Ctrl-C stops every
// process it started.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_NET, startLab, type LabState } from './lab.ts';

const USAGE = `usage: npm run lab -- up [--net N] [--json] [--serve [--port P]]

Starts the keywatch lab on 127.N.0.0/16 (N defaults to ${DEFAULT_NET}): nsd and unbound with a
private DNSSEC root, Prosody, ejabberd, the interception proxies of every scenario and the
SMTP servers of the mail scenarios (port 25, STARTTLS; messages land in <dir>/mail/<host>/).
It stays up until you press Ctrl-C (or send SIGTERM), then stops everything it started.

--serve also starts \`keywatch serve\` against the lab (its resolver, trust anchor and CA; private
addresses allowed) on http://127.0.0.1:P (default 8080): enter good.test or mitm-c2s.test in the
form. Alert and confirmation mail goes to the lab's MX and lands in <dir>/mail/mx.mail.test/.`;

/** The watch service configured for the lab, as a child process (built CLI when there is one). */
function startService(s: LabState, port: number): ChildProcess {
  const dir = join(s.dir, 'service');
  mkdirSync(dir, { recursive: true });
  const mx = s.mail[0]?.mx[0];
  const config = {
    dataDir: join(dir, 'data'),
    listen: { host: '127.0.0.1', port },
    publicUrl: `http://127.0.0.1:${port}`,
    dns: { resolvers: [`${s.resolver.address}:${s.resolver.port}`], trustAnchor: join(s.dir, 'trust-anchor.ds') },
    caFile: s.ca.rootFile,
    allowPrivate: true,
    ...(mx ? { notify: { email: { host: mx.address, port: mx.port, servername: mx.host, caFile: s.ca.rootFile, security: 'starttls', from: 'keywatch <alerts@keywatch.test>' } } } : {}),
  };
  const file = join(dir, 'keywatch.json');
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
  const built = existsSync('dist/src/cli/main.js');
  const args = built ? ['bin/keywatch.js', 'serve', '--config', file] : ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--config', file];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  console.log(`\nkeywatch serve: http://127.0.0.1:${port}/ (config ${file}; mail lands in ${mx ? join(s.dir, 'mail', mx.host) : 'nowhere'})`);
  return child;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { net: { type: 'string' }, json: { type: 'boolean' }, serve: { type: 'boolean' }, port: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help || positionals[0] !== 'up' || positionals.length !== 1) {
    console.error(USAGE);
    return values.help ? 0 : 3;
  }
  const net = values.net === undefined ? DEFAULT_NET : Number(values.net);
  if (!Number.isInteger(net) || net < 1 || net > 254) {
    console.error(`--net must be an integer from 1 to 254, got ${values.net}`);
    return 3;
  }
  const port = values.port === undefined ? 8080 : Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    console.error(`--port must be an integer from 1 to 65535, got ${values.port}`);
    return 3;
  }
  const lab = await startLab({ net, log: (l) => console.error(l) });
  const s = lab.state;
  if (values.json) console.log(JSON.stringify(s, null, 2));
  else {
    console.log(`resolver   ${s.resolver.address}:${s.resolver.port} (unbound, validating from the lab root)`);
    console.log(`authority  ${s.authoritative.address}:${s.authoritative.port} (nsd)`);
    console.log(`anchor     ${s.trustAnchor.ds}`);
    console.log(`CA         ${s.ca.rootFile}`);
    for (const d of s.domains) console.log(`${d.domain.padEnd(20)} ${d.address.padEnd(12)} ${d.expect.verdict.padEnd(20)} ${d.description}`);
    for (const m of s.mail) for (const mx of m.mx) console.log(`${m.domain.padEnd(20)} ${mx.address.padEnd(12)} ${m.expect.verdict.padEnd(20)} ${m.description}`);
    console.log(`\ntry: kdig @${s.resolver.address} +dnssec _5222._tcp.xmpp.good.test TLSA`);
    const mx = s.mail[0]?.mx[0];
    if (mx) console.log(`     openssl s_client -starttls smtp -connect ${mx.address}:${mx.port} -servername ${mx.host} -sigalgs rsa_pss_rsae_sha256`);
    console.log(`     node bin/keywatch.js dns _5222._tcp.xmpp.bogus.test TLSA --resolver ${s.resolver.address} --trust-anchor ${s.dir}/trust-anchor.ds`);
    console.log(`state: ${s.dir}/state.json — Ctrl-C to stop`);
  }
  const service = values.serve ? startService(s, port) : undefined;
  const serviceExited = service ? new Promise<void>((r) => service.once('exit', () => r())) : Promise.resolve();
  let stopping = false;
  await new Promise<void>((resolve) => {
    const stop = () => ((stopping = true), resolve());
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    service?.once('exit', (code) => {
      if (!stopping) console.error(`keywatch serve exited (${code ?? 'signal'}); stopping the lab`);
      resolve();
    });
  });
  // The service first (it finishes or requeues its checks), by its PID, then the lab.
  if (service && service.exitCode === null && service.signalCode === null) service.kill('SIGTERM');
  await serviceExited;
  await lab.stop();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(2);
  },
);
