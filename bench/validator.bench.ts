// Validated lookups per second against the lab, beside the same lookups answered by unbound
// alone (it validates too, and we read its AD bit): what does validating here cost?
//   unbound alone        one query per lookup, unbound's cache warm (the reference)
//   keywatch, cold       a fresh client per lookup: every DS/DNSKEY of the chain is fetched again
//                        (from unbound's warm cache) and every signature is checked
//   keywatch, warm       one client with its cache: records come from memory, signatures are
//                        still checked on every lookup
// Starts its own lab on 127.75.0.0/16 (KEYWATCH_LAB_NET to change) and stops it at the end.
import { DnsClient } from '../src/dns/client.ts';
import { Validator } from '../src/dns/dnssec/validator.ts';
import { clientFetcher } from '../src/dns/resolver.ts';
import { parseTrustAnchors } from '../src/dns/dnssec/trust-anchor.ts';
import { typeFromString } from '../src/dns/types.ts';
import { startLab } from '../test/lab/lab.ts';
import { measureAsync, report } from './harness.ts';

const lab = await startLab({ net: Number(process.env.KEYWATCH_LAB_NET ?? 75) });
try {
  const { resolver, trustAnchor } = lab.state;
  const anchor = parseTrustAnchors(trustAnchor.dnskey);
  const lookups: Array<[string, number]> = [
    ...lab.state.domains.flatMap((d) => d.endpoints.map((e): [string, number] => [e.tlsaName, 52])),
    ...lab.state.dnsZones.flatMap((z) => z.queries.map((q): [string, number] => [`${q.name}.${z.zone}`, typeFromString(q.type)!])),
  ];
  const direct = new DnsClient({ servers: [resolver] });
  const warmClient = new DnsClient({ servers: [resolver] });
  const warm = new Validator(clientFetcher(warmClient), anchor);

  const reference = await measureAsync('unbound alone (AD bit), lookups', lookups.length, async () => {
    for (const [n, t] of lookups) await direct.query(n, t, { cd: false, noCache: true });
  });
  const cold = await measureAsync('keywatch validated, cold cache', lookups.length, async () => {
    for (const [n, t] of lookups) await new Validator(clientFetcher(new DnsClient({ servers: [resolver] })), anchor).lookup(n, t);
  });
  const warmed = await measureAsync('keywatch validated, warm cache', lookups.length, async () => {
    for (const [n, t] of lookups) await warm.lookup(n, t);
  });
  report(`validated lookups/s over ${lookups.length} lab names (sequential, loopback)`, reference, [cold, warmed]);
} finally {
  await lab.stop();
}
