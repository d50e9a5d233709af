// `npm run lab -- up [--net N] [--json]`: bring the lab up in the foreground for exploring by
// hand (kdig, openssl s_client, an XMPP client); Ctrl-C stops every process it started.
import { parseArgs } from 'node:util';
import { DEFAULT_NET, startLab } from './lab.ts';

const USAGE = `usage: npm run lab -- up [--net N] [--json]

Starts the keywatch lab on 127.N.0.0/16 (N defaults to ${DEFAULT_NET}): nsd and unbound with a
private DNSSEC root, Prosody, ejabberd, the interception proxies of every scenario and the
SMTP servers of the mail scenarios (port 25, STARTTLS; messages land in <dir>/mail/<host>/).
It stays up until you press Ctrl-C (or send SIGTERM), then stops everything it started.`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { net: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
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
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
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
