// A hostile upstream, for real, on loopback: a DNS server (UDP and TCP) that answers each name
// with a different kind of damage. Whatever it sends, a lookup must end within a bounded time
// with a clear "indeterminate" (or bogus) result and a reason — never a crash or a hang.
import assert from 'node:assert/strict';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { DnsClient } from '../../../src/dns/client.ts';
import { Validator } from '../../../src/dns/dnssec/validator.ts';
import { clientFetcher } from '../../../src/dns/resolver.ts';
import { defaultTrustAnchor } from '../../../src/dns/dnssec/trust-anchor.ts';
import { RRType } from '../../../src/dns/types.ts';

/** The question section of a query: from byte 12 to the end of QNAME + QTYPE + QCLASS. */
function questionOf(q: Buffer): { qname: string; end: number } {
  let i = 12;
  const labels: string[] = [];
  while (q[i]! !== 0) {
    labels.push(q.subarray(i + 1, i + 1 + q[i]!).toString('latin1'));
    i += 1 + q[i]!;
  }
  return { qname: labels.join('.').toLowerCase(), end: i + 5 };
}

function header(q: Buffer, flags: number, an: number): Buffer {
  const h = Buffer.alloc(12);
  q.copy(h, 0, 0, 2); // the ID
  h.writeUInt16BE(flags, 2);
  h.writeUInt16BE(1, 4);
  h.writeUInt16BE(an, 6);
  return h;
}

const QR_RA = 0x8180;

/** What the hostile server sends for a query, by first label; undefined = stay silent. */
function reply(q: Buffer, transport: 'udp' | 'tcp'): Buffer | undefined {
  const { qname, end } = questionOf(q);
  const question = q.subarray(12, end);
  const label = qname.split('.')[0];
  switch (label) {
    case 'silent':
      return undefined;
    case 'truncated':
      // Claims one answer, then stops in the middle of it.
      return Buffer.concat([header(q, QR_RA, 1), question, Buffer.from([0xc0, 0x0c, 0x00, 0x01, 0x00])]);
    case 'loop': {
      // An answer whose owner name is a compression pointer to itself.
      const at = 12 + question.length;
      return Buffer.concat([header(q, QR_RA, 1), question, Buffer.from([0xc0 | (at >> 8), at & 0xff]), Buffer.from([0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1])]);
    }
    case 'giant': {
      // 230 TXT records of 255 octets: too big for UDP (TC=1), about 60 KB over TCP.
      if (transport === 'udp') return Buffer.concat([header(q, QR_RA | 0x0200, 0), question]);
      const txt = Buffer.concat([Buffer.from([0xc0, 0x0c, 0x00, 0x10, 0x00, 0x01, 0, 0, 0, 60, 0x01, 0x00, 0xff]), Buffer.alloc(255, 0x61)]);
      return Buffer.concat([header(q, QR_RA, 230), question, ...Array.from({ length: 230 }, () => txt)]);
    }
    case 'garbage':
      return Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n');
    default:
      // Everything else (the validator's DS/DNSKEY questions): SERVFAIL.
      return Buffer.concat([header(q, QR_RA | 2, 0), question]);
  }
}

let udp: UdpSocket;
let tcp: Server;
let port = 0;

before(async () => {
  udp = createSocket('udp4');
  udp.on('message', (msg, rinfo) => {
    const r = reply(msg, 'udp');
    if (r) udp.send(r, rinfo.port, rinfo.address);
  });
  await new Promise<void>((res) => udp.bind(0, '127.0.0.1', res));
  port = udp.address().port;
  tcp = createServer((sock) => {
    let buf = Buffer.alloc(0);
    sock.on('data', (b: Buffer) => {
      buf = Buffer.concat([buf, b]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const q = buf.subarray(2, 2 + buf.readUInt16BE(0));
        buf = buf.subarray(2 + q.length);
        const r = reply(q, 'tcp');
        if (r) sock.write(Buffer.concat([Buffer.from([r.length >> 8, r.length & 0xff]), r]));
      }
    });
    sock.on('error', () => sock.destroy());
  });
  await new Promise<void>((res, rej) => tcp.once('error', rej).listen(port, '127.0.0.1', res));
});

after(() => {
  udp.close();
  tcp.close();
});

function validator(): Validator {
  const client = new DnsClient({ servers: [{ address: '127.0.0.1', port }], timeoutMs: 300, attempts: 2 });
  return new Validator(clientFetcher(client), defaultTrustAnchor());
}

async function timedLookup(name: string, type: number) {
  const t0 = performance.now();
  const r = await validator().lookup(name, type);
  return { r, ms: performance.now() - t0 };
}

describe('a hostile resolver costs a bounded amount and yields a clear result', () => {
  const cases: Array<[string, number, RegExp]> = [
    ['silent.hostile.example.', RRType.A, /no response within 300 ms/],
    ['truncated.hostile.example.', RRType.A, /malformed response: answer record 1 class cut short: needs 2 bytes, 1 left \(at byte offset 47\)/],
    ['loop.hostile.example.', RRType.A, /malformed response: .*compression pointer to 38 does not point backwards/],
    // Not a DNS message at all: it cannot match the query, so it is ignored like a spoof.
    ['garbage.hostile.example.', RRType.TLSA, /no response within 300 ms \(1 non-matching datagram ignored\)/],
  ];
  for (const [name, type, reason] of cases) {
    it(`${name.split('.')[0]}: indeterminate with the reason, well within the time budget`, async () => {
      const { r, ms } = await timedLookup(name, type);
      assert.equal(r.security, 'indeterminate');
      const p = r.problems.find((x) => x.code === 'upstream.failed');
      assert.ok(p, JSON.stringify(r.problems));
      assert.match(p.message, reason);
      // 1 server × 2 attempts × 300 ms, plus TCP retries: far below this bound unless something hangs.
      assert.ok(ms < 10_000, `took ${Math.round(ms)} ms`);
    });
  }

  it('giant: a 60 KB RRset over TCP is decoded and judged (no anchor reachable: indeterminate), not a crash', async () => {
    const { r, ms } = await timedLookup('giant.hostile.example.', RRType.TXT);
    assert.equal(r.answer[0]?.records.length, 230);
    assert.equal(r.security, 'indeterminate', JSON.stringify(r.problems));
    assert.ok(r.problems.some((p) => p.code === 'upstream.failed' && /SERVFAIL even with checking disabled/.test(p.message)), JSON.stringify(r.problems));
    assert.ok(ms < 10_000, `took ${Math.round(ms)} ms`);
  });
});
