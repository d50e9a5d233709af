// DNS message decoding: keywatch's byte-exact codec against dns-packet (the common npm codec)
// on DNSSEC-sized responses. keywatch does more per message (keeps raw rdata, decompresses
// names inside rdata, bounds-checks every read), so the question is what that costs.
import dnsPacket from 'dns-packet';
import { decodeMessage } from '../src/dns/message.ts';
import { measure, report } from './harness.ts';

function response(answers: dnsPacket.Answer[]): Buffer {
  return dnsPacket.encode({
    type: 'response',
    id: 4242,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
    questions: [{ type: answers[0]!.type, name: answers[0]!.name }],
    answers,
    additionals: [
      { type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: dnsPacket.DNSSEC_OK, flag_do: true, options: [] },
    ],
  });
}

const sig = (typeCovered: string, name: string): dnsPacket.Answer => ({
  type: 'RRSIG',
  name,
  ttl: 300,
  data: {
    typeCovered,
    algorithm: 13,
    labels: name.split('.').length,
    originalTTL: 300,
    expiration: 1798000000,
    inception: 1795000000,
    keyTag: 12345,
    signersName: 'example.org',
    signature: Buffer.alloc(64, 7),
  },
});

const tlsaName = '_5222._tcp.xmpp.example.org';
const tlsa = response([
  { type: 'TLSA', name: tlsaName, ttl: 300, data: { usage: 3, selector: 1, matchingType: 1, certificate: Buffer.alloc(32, 1) } },
  { type: 'TLSA', name: tlsaName, ttl: 300, data: { usage: 2, selector: 1, matchingType: 1, certificate: Buffer.alloc(32, 2) } },
  sig('TLSA', tlsaName),
]);
const dnskey = response([
  { type: 'DNSKEY', name: 'example.org', ttl: 3600, data: { flags: 257, algorithm: 13, key: Buffer.alloc(64, 3) } },
  { type: 'DNSKEY', name: 'example.org', ttl: 3600, data: { flags: 256, algorithm: 13, key: Buffer.alloc(64, 4) } },
  { type: 'DNSKEY', name: 'example.org', ttl: 3600, data: { flags: 256, algorithm: 8, key: Buffer.alloc(260, 5) } },
  sig('DNSKEY', 'example.org'),
]);

for (const [label, buf] of [
  [`TLSA response (${tlsa.length} bytes)`, tlsa],
  [`DNSKEY response (${dnskey.length} bytes)`, dnskey],
] as const) {
  const ref = measure('dns-packet decode', () => dnsPacket.decode(buf));
  const ours = measure('keywatch decodeMessage', () => decodeMessage(buf));
  report(`decode: ${label}`, ref, [ours]);
}
