// Deliveries shaped like the ones the service's alert policy produces, for the notifier tests.
import type { AlertMessage, Channel, Delivery, DomainState } from '../../../src/service/contracts.ts';

export function sampleState(domain = 'example.org', over: Partial<DomainState> = {}): DomainState {
  return {
    domain,
    service: 'xmpp',
    status: 'critical',
    summary: `${domain}: the key presented on 2 of 3 endpoints is not in TLSA`,
    checkedAt: '2024-05-01T12:00:00.000Z',
    findings: [
      {
        code: 'dane.key-differs-on-path',
        severity: 'critical',
        title: 'Key differs on path <CN=evil & co>',
        endpoints: [`xmpp.${domain}:5222 (192.0.2.1)`, `xmpp.${domain}:5223 (192.0.2.1)`],
      },
    ],
    keys: [{ endpoint: `xmpp.${domain}:5222 (192.0.2.1)`, spkiSha256: 'ab'.repeat(32) }],
    url: `https://keywatch.example.net/d/${domain}`,
    ...over,
  };
}

export function sampleMessage(over: Partial<AlertMessage> = {}): AlertMessage {
  const domain = over.domain ?? 'example.org';
  return {
    kind: 'alert',
    domain,
    subject: `CRITICAL: ${domain}: key differs on path`,
    text: [
      `The key ${domain} presents on 2 of its endpoints is not published in TLSA.`,
      'Certificate subject: <script>alert(1)</script> & "friends"',
      '',
      'If you did not change keys, your users may be intercepted.',
    ].join('\n'),
    state: sampleState(domain),
    previousStatus: 'ok',
    links: {
      page: `https://keywatch.example.net/d/${domain}`,
      unsubscribe: `https://keywatch.example.net/u/tok-${domain}?s=1&t=2`,
    },
    ...over,
  };
}

export function delivery(channel: Channel, target: string, over: Partial<Delivery> = {}, message: Partial<AlertMessage> = {}): Delivery {
  return { id: 'dlv-0001', channel, target, message: sampleMessage(message), attempt: 1, ...over };
}
