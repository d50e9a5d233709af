// Vantages compared: the same endpoint seen directly and through Tor should present the same key.
// An interceptor near the service's users but not near Tor's exits (or the other way round)
// shows up only here. Pure.
import type { Finding } from '../audit/finding.ts';
import type { EndpointSeen, Observation } from './observe.ts';

const short = (h: string | undefined) => (h ? `${h.slice(0, 16)}…` : 'none');

/** `watch.vantage-differs` findings for every endpoint the vantages saw differently. */
export function compareVantages(observations: readonly Observation[]): Finding[] {
  if (observations.length < 2) return [];
  const out: Finding[] = [];
  const [first, ...rest] = observations;
  const byEndpoint = (o: Observation) => new Map(o.endpoints.map((e) => [e.endpoint, e] as const));
  const a = byEndpoint(first!);
  for (const other of rest) {
    const b = byEndpoint(other);
    for (const [endpoint, x] of a) {
      const y = b.get(endpoint);
      if (!y || x.refused || y.refused) continue;
      const f = differs(endpoint, first!.vantage, x, other.vantage, y);
      if (f) out.push(f);
    }
  }
  return out;
}

function differs(endpoint: string, va: string, x: EndpointSeen, vb: string, y: EndpointSeen): Finding | undefined {
  const evidence = { endpoint, [va]: { spkiSha256: x.spkiSha256, chainSha256: x.chainSha256, error: x.error }, [vb]: { spkiSha256: y.spkiSha256, chainSha256: y.chainSha256, error: y.error } };
  if (x.spkiSha256 && y.spkiSha256 && x.spkiSha256 !== y.spkiSha256) {
    return {
      code: 'watch.vantage-differs',
      severity: 'critical',
      title: `${endpoint} presents a different key ${va} (${short(x.spkiSha256)}) than ${vb} (${short(y.spkiSha256)})`,
      detail: `The same endpoint, probed at the same time from two vantages, presented two different public keys. A server has one key per certificate; a second key seen only from one side of the network is the signature of an interception on that path (the jabber.ru interceptor sat in front of the server for everyone, but a local one may sit only in front of some networks).`,
      endpoints: [endpoint],
      evidence,
      remediation: `Compare the key your server holds (openssl x509 -pubkey -noout -in CERT | openssl pkey -pubin -outform der | sha256sum) with both; the one that is not yours belongs to an interceptor on that path. If both are yours (several certificates behind a load balancer), publish a TLSA 3 1 1 record for each.`,
      rfc: 'RFC 7671 §8',
    };
  }
  if (x.spkiSha256 && y.spkiSha256 && (x.chainSha256 ?? []).join() !== (y.chainSha256 ?? []).join()) {
    return {
      code: 'watch.vantage-differs',
      severity: 'warning',
      title: `${endpoint} sends the same key but a different certificate chain ${va} than ${vb}`,
      detail: 'The key is the same from both vantages, so this is not an interception with another key; but the certificates around it differ (a renewal between the two probes, or several certificates for one key behind a load balancer).',
      endpoints: [endpoint],
      evidence,
      remediation: 'If a renewal happened at that moment, nothing to do; otherwise make every server behind this address send the same chain.',
    };
  }
  if (Boolean(x.spkiSha256) !== Boolean(y.spkiSha256)) {
    const seen = x.spkiSha256 ? va : vb;
    const failed = x.spkiSha256 ? vb : va;
    return {
      code: 'watch.vantage-differs',
      severity: 'info',
      title: `${endpoint} completed TLS ${seen} but not ${failed}`,
      detail: `From ${failed} the probe failed (${(x.spkiSha256 ? y.error : x.error) ?? 'no TLS'}); some servers block Tor exits, and a network may block the service. Keys can only be compared where both vantages reach the endpoint.`,
      endpoints: [endpoint],
      evidence,
    };
  }
  return undefined;
}
