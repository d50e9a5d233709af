// Full checks per second over the lab's XMPP domains at the default concurrency, beside the raw
// TLS handshakes per second Node makes against the same servers (the reference): how far is a
// whole audit — DNSSEC-validated discovery and TLSA, STARTTLS dialogues, the main probe and
// the extra handshakes per endpoint, judging — from the cost of its handshakes alone?
//   raw TLS handshakes       direct TLS to each domain's port 5223 (XEP-0368), 8 at a time,
//                            no certificate checks: the floor of what a probe costs
//   check, one domain at a time    runCheck per domain, default concurrency within it
//   check --quick                  the same without the extra handshakes (anonymous, key types)
//   check, 4 domains at once       what a watch service polling many domains sees
// Starts its own lab on 127.76.0.0/16 (KEYWATCH_LAB_NET to change) and stops it at the end.
import { connect } from 'node:tls';
import { runCheck, DEFAULT_CONCURRENCY } from '../src/audit/check.ts';
import { mapBounded } from '../src/audit/bounded-map.ts';
import { DnsClient } from '../src/dns/client.ts';
import { Validator } from '../src/dns/dnssec/validator.ts';
import { clientFetcher } from '../src/dns/resolver.ts';
import { parseTrustAnchors } from '../src/dns/dnssec/trust-anchor.ts';
import { startLab } from '../test/lab/lab.ts';
import { measureAsync, report } from './harness.ts';

const lab = await startLab({ net: Number(process.env.KEYWATCH_LAB_NET ?? 76) });
try {
  const { resolver, trustAnchor, ca } = lab.state;
  const anchor = parseTrustAnchors(trustAnchor.dnskey);
  // Every XMPP scenario whose client port answers TLS (the bogus/expired ones are checked too).
  const domains = lab.state.domains.map((d) => d.domain);
  const direct = lab.state.domains.flatMap((d) => d.endpoints.filter((e) => e.tls === 'direct').map((e) => ({ address: e.address, port: e.port, servername: d.domain })));
  const handshakesPerRound = direct.length * 4;

  const handshake = (t: (typeof direct)[number]) =>
    new Promise<void>((resolve, reject) => {
      const s = connect({ host: t.address, port: t.port, servername: t.servername, rejectUnauthorized: false, ALPNProtocols: ['xmpp-client'] }, () => {
        s.destroy();
        resolve();
      });
      s.once('error', reject);
    });
  const reference = await measureAsync('raw TLS handshakes (Node, 8 at a time)', handshakesPerRound, async () => {
    await mapBounded(Array.from({ length: 4 }, () => direct).flat(), 8, handshake);
  });

  // One validator per round: its cache is what a service keeps between polls of many domains.
  const handshakes = { full: 0, quick: 0 };
  const checkAll = async (parallelDomains: number, quick: boolean) => {
    const validator = new Validator(clientFetcher(new DnsClient({ servers: [resolver] })), anchor);
    const reports = await mapBounded(domains, parallelDomains, (domain) =>
      runCheck({ domain, service: 'xmpp', validator, caFile: ca.rootFile, allowPrivate: true, concurrency: DEFAULT_CONCURRENCY, extraHandshakes: !quick }),
    );
    // Connections made per round: one probe per endpoint, plus the extra handshakes.
    handshakes[quick ? 'quick' : 'full'] = reports.flatMap((r) => r.endpoints).reduce((n, e) => n + (e.probe ? 1 : 0) + (e.anonymous ? 1 : 0) + (e.keyTypes?.length ?? 0), 0);
  };
  const oneAtATime = await measureAsync('full checks, one domain at a time', domains.length, () => checkAll(1, false), { rounds: 5 });
  const quick = await measureAsync('full checks --quick, one domain at a time', domains.length, () => checkAll(1, true), { rounds: 5 });
  const four = await measureAsync('full checks, 4 domains at once', domains.length, () => checkAll(4, false), { rounds: 5 });
  report(`checks/s over ${domains.length} lab domains (3 endpoints each; concurrency ${DEFAULT_CONCURRENCY}) vs TLS handshakes/s`, reference, [oneAtATime, quick, four]);
  const perCheck = (k: 'full' | 'quick') => handshakes[k] / domains.length;
  console.log(`  connections per check: ${perCheck('full').toFixed(1)} full, ${perCheck('quick').toFixed(1)} --quick (1 probe + 1 anonymous + 3 key types per endpoint that answers TLS)`);
  console.log(`  connections/s inside checks: ${Math.round(oneAtATime.opsPerSec * perCheck('full'))} full (×${((oneAtATime.opsPerSec * perCheck('full')) / reference.opsPerSec).toFixed(2)}), ${Math.round(four.opsPerSec * perCheck('full'))} full 4 at once (×${((four.opsPerSec * perCheck('full')) / reference.opsPerSec).toFixed(2)}), ${Math.round(quick.opsPerSec * perCheck('quick'))} --quick (×${((quick.opsPerSec * perCheck('quick')) / reference.opsPerSec).toFixed(2)}) of the raw handshake rate`);
} finally {
  await lab.stop();
}
