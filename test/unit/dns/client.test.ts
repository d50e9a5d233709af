// The transport and client against real UDP/TCP servers on loopback, started inside each test:
// they answer with hand-built DNS responses, or misbehave on purpose (forge, stay silent, send
// garbage, drip bytes). Assertions are about behaviour and ordering, never tight timing.
import assert from 'node:assert/strict';
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket as TcpSocket } from 'node:net';
import { after, describe, it } from 'node:test';
import { DnsClient, DnsQueryError, cacheTtl, type DnsClientOptions } from '../../../src/dns/client.ts';
import { decodeMessage, encodeQuery, type DnsMessage } from '../../../src/dns/message.ts';
import { nameToString, nameToWire, parseName } from '../../../src/dns/name.ts';
import { rdataFromString } from '../../../src/dns/rdata.ts';
import type { DnsServer } from '../../../src/dns/resolv-conf.ts';
import { DnsTimeoutError, DnsTransportError, queryTcp, queryUdp, responseMatchesQuery } from '../../../src/dns/transport.ts';
import { RRType, Rcode } from '../../../src/dns/types.ts';

// ---------------------------------------------------------------------------------------------
// Building responses by hand

interface TestRecord {
  name: string;
  type: number;
  ttl: number;
  /** Presentation-format rdata. */
  data: string;
}

interface ResponseSpec {
  rcode?: number;
  tc?: boolean;
  ad?: boolean;
  answer?: TestRecord[];
  authority?: TestRecord[];
  /** Override the echoed ID or question, to forge non-matching answers. */
  id?: number;
  questionName?: string;
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function recordWire(r: TestRecord): Buffer {
  const rdata = rdataFromString(r.type, r.data);
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(r.type, 0);
  fixed.writeUInt16BE(1, 2); // IN
  fixed.writeUInt32BE(r.ttl, 4);
  fixed.writeUInt16BE(rdata.length, 8);
  return Buffer.concat([nameToWire(parseName(r.name)), fixed, rdata]);
}

/** A response to `query` (its ID, RD and CD echoed, question copied), plus an OPT record. */
function respond(query: DnsMessage, spec: ResponseSpec = {}): Buffer {
  const q = query.question[0]!;
  const answer = spec.answer ?? [];
  const authority = spec.authority ?? [];
  const flags1 = 0x80 | (spec.tc === true ? 0x02 : 0) | (query.flags.rd ? 0x01 : 0);
  const flags2 = 0x80 | (spec.ad === true ? 0x20 : 0) | (query.flags.cd ? 0x10 : 0) | ((spec.rcode ?? 0) & 0x0f);
  const header = Buffer.concat([
    u16(spec.id ?? query.id),
    Buffer.from([flags1, flags2]),
    u16(1),
    u16(answer.length),
    u16(authority.length),
    u16(1),
  ]);
  const qname = spec.questionName === undefined ? nameToWire(q.name) : nameToWire(parseName(spec.questionName));
  const opt = Buffer.from([0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0]); // root, OPT, 1232, DO, no options
  return Buffer.concat([header, qname, u16(q.type), u16(q.class), ...answer.map(recordWire), ...authority.map(recordWire), opt]);
}

const A = (name: string, address: string, ttl = 300): TestRecord => ({ name, type: RRType.A, ttl, data: address });
const SOA = (zone: string, ttl: number, minimum: number): TestRecord => ({
  name: zone,
  type: RRType.SOA,
  ttl,
  data: `ns.${zone} hostmaster.${zone} 1 7200 3600 1209600 ${minimum}`,
});

// ---------------------------------------------------------------------------------------------
// Loopback DNS servers

type Reply = Buffer | undefined;
type Handler = (query: DnsMessage, transport: 'udp' | 'tcp') => Reply | Promise<Reply>;

interface Seen {
  transport: 'udp' | 'tcp';
  name: string;
  type: number;
  cd: boolean;
  dnssecOk: boolean;
}

/**
 * A UDP socket and a TCP listener on the same loopback port. `udp` handles datagrams (return
 * undefined to stay silent, or use `rawUdp` for full control); `tcp` handles framed queries unless
 * `rawTcp` takes the connection over. Every query seen is logged, also into a shared `order` list.
 */
class LoopbackDns {
  readonly seen: Seen[] = [];
  readonly tcpClosed: number[] = [];
  server!: DnsServer;
  private udpSocket!: UdpSocket;
  private tcpServer!: Server;
  private readonly connections = new Set<TcpSocket>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    readonly label: string,
    readonly handlers: {
      udp?: Handler;
      tcp?: Handler;
      rawUdp?: (msg: Buffer, rinfo: RemoteInfo, socket: UdpSocket) => void;
      rawTcp?: (socket: TcpSocket, dns: LoopbackDns) => void;
    },
    readonly order: string[] = [],
  ) {}

  async start(host = '127.0.0.1'): Promise<this> {
    // The TCP port must equal the UDP one (the client falls back to the same server); the OS
    // picks a free UDP port and, on the rare clash, we try again.
    for (let tries = 0; ; tries += 1) {
      this.udpSocket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
      await new Promise<void>((res, rej) => {
        this.udpSocket.once('error', rej);
        this.udpSocket.bind(0, host, () => res());
      });
      const port = this.udpSocket.address().port;
      this.tcpServer = createServer((socket) => this.onTcp(socket));
      try {
        await new Promise<void>((res, rej) => {
          this.tcpServer.once('error', rej);
          this.tcpServer.listen(port, host, () => res());
        });
        this.server = { address: host, port };
        break;
      } catch (err) {
        this.udpSocket.close();
        if (tries >= 5) throw err;
      }
    }
    this.udpSocket.on('message', (msg, rinfo) => this.onUdp(msg, rinfo));
    return this;
  }

  count(transport?: 'udp' | 'tcp'): number {
    return this.seen.filter((s) => transport === undefined || s.transport === transport).length;
  }

  later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private note(query: DnsMessage, transport: 'udp' | 'tcp'): void {
    const q = query.question[0]!;
    this.seen.push({ transport, name: nameToString(q.name), type: q.type, cd: query.flags.cd, dnssecOk: query.edns?.dnssecOk ?? false });
    this.order.push(`${this.label}/${transport}`);
  }

  private onUdp(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.handlers.rawUdp) {
      this.order.push(`${this.label}/udp`);
      this.seen.push({ transport: 'udp', name: '?', type: 0, cd: false, dnssecOk: false });
      this.handlers.rawUdp(msg, rinfo, this.udpSocket);
      return;
    }
    const query = decodeMessage(msg);
    this.note(query, 'udp');
    void Promise.resolve(this.handlers.udp?.(query, 'udp')).then((reply) => {
      if (reply) this.udpSocket.send(reply, rinfo.port, rinfo.address);
    });
  }

  private onTcp(socket: TcpSocket): void {
    this.connections.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.connections.delete(socket);
      this.tcpClosed.push(Date.now());
    });
    if (this.handlers.rawTcp) {
      this.order.push(`${this.label}/tcp`);
      this.seen.push({ transport: 'tcp', name: '?', type: 0, cd: false, dnssecOk: false });
      this.handlers.rawTcp(socket, this);
      return;
    }
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 2 || buffered.length < 2 + buffered.readUInt16BE(0)) return;
      const query = decodeMessage(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
      buffered = Buffer.alloc(0);
      this.note(query, 'tcp');
      void Promise.resolve(this.handlers.tcp?.(query, 'tcp')).then((reply) => {
        if (reply) socket.end(Buffer.concat([u16(reply.length), reply]));
        else socket.end();
      });
    });
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    for (const c of this.connections) c.destroy();
    await new Promise<void>((res) => this.tcpServer.close(() => res()));
    await new Promise<void>((res) => this.udpSocket.close(() => res()));
  }
}

const running: LoopbackDns[] = [];
async function dns(label: string, handlers: LoopbackDns['handlers'], order?: string[], host?: string): Promise<LoopbackDns> {
  const d = await new LoopbackDns(label, handlers, order).start(host);
  running.push(d);
  return d;
}
after(async () => {
  await Promise.all(running.map((d) => d.stop()));
});

function client(servers: LoopbackDns[], options: Partial<DnsClientOptions> = {}): DnsClient {
  return new DnsClient({ servers: servers.map((d) => d.server), timeoutMs: 5000, attempts: 1, ...options });
}

const answerA = (address = '192.0.2.1', ttl = 300): Handler => (q) => respond(q, { answer: [A(nameToString(q.question[0]!.name), address, ttl)] });

function sleep(ms: number): Promise<void> {
  return new Promise((res) => setTimeout(res, ms));
}

// ---------------------------------------------------------------------------------------------

describe('DnsClient over real loopback sockets', () => {
  it('(1) decodes a basic UDP answer, asking with EDNS DO=1 and CD=1', async () => {
    const s = await dns('s', { udp: answerA('192.0.2.1', 300) });
    const r = await client([s]).query('www.example.test', 'A');
    assert.equal(r.rcode, Rcode.NOERROR);
    assert.equal(r.transport, 'udp');
    assert.equal(r.fromCache, false);
    assert.deepEqual(r.server, s.server);
    assert.ok(r.bytes > 12);
    assert.equal(r.answer.length, 1);
    assert.deepEqual(r.answer[0]!.data, { type: 'A', address: '192.0.2.1' });
    assert.equal(r.answer[0]!.ttl, 300);
    assert.deepEqual(s.seen, [{ transport: 'udp', name: 'www.example.test.', type: RRType.A, cd: true, dnssecOk: true }]);
  });

  it('(1b) works over IPv6 loopback, and sends CD=0 / DO=0 when asked', async (t) => {
    let s: LoopbackDns;
    try {
      s = await dns('s6', { udp: answerA('192.0.2.6') }, undefined, '::1');
    } catch {
      t.skip('no IPv6 loopback here');
      return;
    }
    const r = await client([s]).query('v6.example.test', RRType.A, { cd: false, dnssecOk: false });
    assert.deepEqual(r.answer[0]!.data, { type: 'A', address: '192.0.2.6' });
    assert.deepEqual(s.seen[0], { transport: 'udp', name: 'v6.example.test.', type: RRType.A, cd: false, dnssecOk: false });
  });

  it('(2) TC=1 over UDP: the same query is retried over TCP and the full answer returned', async () => {
    const tlsa = (n: number) => ({ name: '_5222._tcp.xmpp.example.test', type: RRType.TLSA, ttl: 300, data: `3 1 1 ${n.toString(16).padStart(64, '0')}` });
    const s = await dns('s', {
      udp: (q) => respond(q, { tc: true }),
      tcp: (q) => respond(q, { answer: [tlsa(1), tlsa(2), tlsa(3)] }),
    });
    const c = client([s]);
    const r = await c.query('_5222._tcp.xmpp.example.test', 'TLSA');
    assert.equal(r.transport, 'tcp');
    assert.equal(r.answer.length, 3);
    assert.equal(r.flags.tc, false);
    assert.deepEqual(s.seen.map((x) => `${x.transport} ${x.name} ${x.type}`), [
      'udp _5222._tcp.xmpp.example.test. 52',
      'tcp _5222._tcp.xmpp.example.test. 52',
    ]);
    assert.equal(c.stats.tcpFallbacks, 1);
    assert.equal(c.stats.sent, 2);
  });

  it('(3) forged datagrams (wrong ID, wrong question, wrong source port) arriving first are ignored', async () => {
    const forger = createSocket('udp4');
    await new Promise<void>((res) => forger.bind(0, '127.0.0.1', () => res()));
    after(() => forger.close());
    const s = await dns('s', {
      rawUdp: (msg, rinfo, socket) => {
        const q = decodeMessage(msg);
        const name = nameToString(q.question[0]!.name);
        const forged = [A(name, '6.6.6.6')];
        socket.send(respond(q, { id: (q.id + 1) & 0xffff, answer: forged }), rinfo.port, rinfo.address);
        socket.send(respond(q, { questionName: 'other.example.test', answer: forged }), rinfo.port, rinfo.address);
        // Right ID and question, but from another port than the server's.
        forger.send(respond(q, { answer: forged }), rinfo.port, rinfo.address);
        s.later(150, () => socket.send(respond(q, { answer: [A(name, '192.0.2.1')] }), rinfo.port, rinfo.address));
      },
    });
    const r = await client([s]).query('spoof.example.test', 'A');
    assert.deepEqual(r.answer[0]!.data, { type: 'A', address: '192.0.2.1' });
  });

  it('(4) first server silent → the second answers, after the first was tried', async () => {
    const order: string[] = [];
    const silent = await dns('silent', { udp: () => undefined }, order);
    const good = await dns('good', { udp: answerA('192.0.2.2') }, order);
    const lines: string[] = [];
    const c = client([silent, good], { timeoutMs: 1000, log: (l) => lines.push(l) });
    const r = await c.query('slow.example.test', 'A');
    assert.deepEqual(r.server, good.server);
    assert.deepEqual(order, ['silent/udp', 'good/udp']);
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /no response within 1000 ms/);
    // The server that answered is asked first next time: a dead primary costs one timeout, once.
    await c.query('next.example.test', 'A');
    assert.deepEqual(order, ['silent/udp', 'good/udp', 'good/udp']);
  });

  it('(5) garbage from every server → DnsQueryError naming each failure, no crash', async () => {
    // Matching ID and question, then an answer record cut short: a DnsFormatError when decoded.
    const cut = await dns('cut', {
      udp: (q) => {
        const whole = respond(q, { answer: [A('x.example.test', '192.0.2.1')] });
        return whole.subarray(0, whole.length - 15);
      },
    });
    // Pure noise: it matches no query, so it is ignored and the wait times out.
    const noise = await dns('noise', { rawUdp: (_m, rinfo, socket) => socket.send(Buffer.from('\xff\x00garbage!garbage!'), rinfo.port, rinfo.address) });
    const c = client([cut, noise], { timeoutMs: 500 });
    await assert.rejects(c.query('x.example.test', 'A'), (e: unknown) => {
      assert.ok(e instanceof DnsQueryError);
      assert.equal(e.failures.length, 2);
      assert.equal(e.failures[0]!.kind, 'format');
      assert.match(e.failures[0]!.reason, /malformed response: .*runs past the end|malformed response: .*cut short/);
      assert.deepEqual(e.failures[0]!.server, cut.server);
      assert.equal(e.failures[1]!.kind, 'timeout');
      assert.match(e.failures[1]!.reason, /1 non-matching datagram ignored/);
      assert.match(e.message, /malformed response/);
      return true;
    });
    assert.equal(c.stats.failures, 2);
  });

  it('(6) a TCP server announcing 65535 octets and dripping them → bounded timeout, socket closed', async () => {
    const s = await dns('drip', {
      udp: (q) => respond(q, { tc: true }),
      rawTcp: (socket, d) => {
        socket.once('data', () => {
          socket.write(Buffer.from([0xff, 0xff]));
          const drip = () => {
            if (socket.destroyed) return;
            socket.write(Buffer.from([0x00]));
            d.later(50, drip);
          };
          drip();
        });
      },
    });
    const c = client([s], { timeoutMs: 600 });
    const t0 = performance.now();
    await assert.rejects(c.query('drip.example.test', 'A'), (e: unknown) => {
      assert.ok(e instanceof DnsQueryError);
      assert.equal(e.failures[0]!.kind, 'timeout');
      assert.equal(e.failures[0]!.transport, 'tcp');
      assert.match(e.failures[0]!.reason, /of 65535 octets received/);
      return true;
    });
    // Generous: the point is that it ends, not how fast.
    assert.ok(performance.now() - t0 < 30_000);
    for (let i = 0; i < 100 && s.tcpClosed.length === 0; i += 1) await sleep(20);
    assert.equal(s.tcpClosed.length, 1, 'the client closed the dripping connection');
  });

  it('(7) concurrent identical queries (any case) share one network query', async () => {
    const s = await dns('s', { udp: async (q) => (await sleep(100), respond(q, { answer: [A('dup.example.test', '192.0.2.7')] })) });
    const c = client([s]);
    const names = ['dup.example.test', 'DUP.example.test', 'dup.EXAMPLE.test.', 'dup.example.test', 'Dup.Example.Test'];
    const answers = await Promise.all(names.map((n) => c.query(n, 'A')));
    assert.equal(s.count(), 1);
    for (const r of answers) assert.deepEqual(r.answer[0]!.data, { type: 'A', address: '192.0.2.7' });
    assert.equal(c.stats.dedupeHits, 4);
    assert.equal(c.stats.sent, 1);
    // Different flags are a different question.
    await Promise.all([c.query('dup2.example.test', 'A'), c.query('dup2.example.test', 'A', { cd: false }), c.query('dup2.example.test', 'AAAA')]);
    assert.equal(s.count(), 4);
  });

  it('(8) cache: served within TTL with decremented TTLs; refetched after expiry (injected clock)', async () => {
    let now = 1_000_000;
    const s = await dns('s', { udp: answerA('192.0.2.8', 300) });
    const c = client([s], { now: () => now });
    const first = await c.query('cache.example.test', 'A');
    assert.equal(first.fromCache, false);
    now += 100_500;
    const second = await c.query('cache.example.test', 'A');
    assert.equal(second.fromCache, true);
    assert.equal(second.answer[0]!.ttl, 200);
    assert.equal(second.rttMs, 0);
    assert.equal(first.answer[0]!.ttl, 300, 'the first caller’s answer is not aged in place');
    assert.equal(s.count(), 1);
    assert.equal(c.stats.cacheHits, 1);
    now += 199_000; // 299.5 s after storing: still valid, TTL floors at 0 at most
    const third = await c.query('CACHE.example.test', 'A');
    assert.equal(third.fromCache, true);
    assert.ok(third.answer[0]!.ttl >= 0 && third.answer[0]!.ttl <= 1);
    now += 1_000; // past 300 s
    const fourth = await c.query('cache.example.test', 'A');
    assert.equal(fourth.fromCache, false);
    assert.equal(s.count(), 2);
    // noCache skips the lookup.
    await c.query('cache.example.test', 'A', { noCache: true });
    assert.equal(s.count(), 3);
    c.clearCache();
    await c.query('cache.example.test', 'A');
    assert.equal(s.count(), 4);
  });

  it('(8b) negative answers are cached for min(SOA TTL, SOA MINIMUM); SERVFAIL for 5 s', async () => {
    let now = 0;
    const s = await dns('s', {
      udp: (q) => {
        const name = nameToString(q.question[0]!.name);
        if (name.startsWith('nx.')) return respond(q, { rcode: Rcode.NXDOMAIN, authority: [SOA('example.test', 3600, 60)] });
        if (name.startsWith('nodata.')) return respond(q, { authority: [SOA('example.test', 30, 600)] });
        if (name.startsWith('nosoa.')) return respond(q, { rcode: Rcode.NXDOMAIN });
        return respond(q, { rcode: Rcode.SERVFAIL });
      },
    });
    const c = client([s], { now: () => now });
    const nx = await c.query('nx.example.test', 'A');
    assert.equal(nx.rcode, Rcode.NXDOMAIN);
    await c.query('nodata.example.test', 'A');
    await c.query('nosoa.example.test', 'A');
    const fail = await c.query('fail.example.test', 'A');
    assert.equal(fail.rcode, Rcode.SERVFAIL, 'SERVFAIL is an answer, returned');
    assert.equal(s.count(), 4);

    now = 4_000;
    const again = await c.query('nx.example.test', 'A');
    assert.equal(again.fromCache, true);
    assert.equal(again.authority[0]!.ttl, 3596);
    await c.query('nodata.example.test', 'A');
    await c.query('fail.example.test', 'A');
    await c.query('nosoa.example.test', 'A'); // no SOA: not cached (RFC 2308 §5)
    assert.equal(s.count(), 5);

    now = 6_000; // SERVFAIL expired
    await c.query('fail.example.test', 'A');
    assert.equal(s.count(), 6);
    now = 31_000; // NODATA: SOA TTL 30 < MINIMUM 600
    await c.query('nodata.example.test', 'A');
    assert.equal(s.count(), 7);
    now = 59_000;
    await c.query('nx.example.test', 'A');
    assert.equal(s.count(), 7, 'NXDOMAIN still cached before MINIMUM 60 s');
    now = 61_000;
    await c.query('nx.example.test', 'A');
    assert.equal(s.count(), 8, 'NXDOMAIN refetched after SOA MINIMUM');
  });

  it('(8c) the cache is bounded, evicting the least recently used', async () => {
    const s = await dns('s', { udp: answerA() });
    const c = client([s], { cacheSize: 2 });
    await c.query('a.example.test', 'A');
    await c.query('b.example.test', 'A');
    await c.query('a.example.test', 'A'); // hit: a is now the most recent
    await c.query('c.example.test', 'A'); // evicts b
    assert.equal(s.count(), 3);
    assert.equal((await c.query('a.example.test', 'A')).fromCache, true);
    assert.equal((await c.query('b.example.test', 'A')).fromCache, false);
    assert.equal(s.count(), 4);
  });

  it('(9) REFUSED from the first server → the second is asked', async () => {
    const order: string[] = [];
    const refusing = await dns('refused', { udp: (q) => respond(q, { rcode: Rcode.REFUSED }) }, order);
    const good = await dns('good', { udp: answerA('192.0.2.9') }, order);
    const r = await client([refusing, good]).query('r.example.test', 'A');
    assert.deepEqual(r.server, good.server);
    assert.deepEqual(order, ['refused/udp', 'good/udp']);
  });

  it('retries each server `attempts` times, round robin, then reports every failure', async () => {
    const order: string[] = [];
    const a = await dns('a', { udp: (q) => respond(q, { rcode: Rcode.NOTIMP }) }, order);
    const b = await dns('b', { udp: (q) => respond(q, { rcode: Rcode.FORMERR }) }, order);
    const c = client([a, b], { attempts: 2 });
    await assert.rejects(c.query('r.example.test', 'A'), (e: unknown) => {
      assert.ok(e instanceof DnsQueryError);
      assert.deepEqual(e.failures.map((f) => f.reason), ['server answered NOTIMP', 'server answered FORMERR', 'server answered NOTIMP', 'server answered FORMERR']);
      return true;
    });
    assert.deepEqual(order, ['a/udp', 'b/udp', 'a/udp', 'b/udp']);
  });

  it('a failed query is not remembered: the next call asks again', async () => {
    let refuse = true;
    const s = await dns('s', { udp: (q) => (refuse ? respond(q, { rcode: Rcode.REFUSED }) : respond(q, { answer: [A('f.example.test', '192.0.2.1')] })) });
    const c = client([s]);
    await assert.rejects(c.query('f.example.test', 'A'), DnsQueryError);
    refuse = false;
    assert.equal((await c.query('f.example.test', 'A')).rcode, Rcode.NOERROR);
  });

  it('refuses names and types it cannot ask, before any network use', async () => {
    const s = await dns('s', { udp: answerA() });
    const c = client([s]);
    await assert.rejects(c.query('bad..name', 'A'), /empty label/);
    await assert.rejects(c.query('ok.example.test', 'NOPE'), /unknown record type "NOPE"/);
    assert.equal(s.count(), 0);
  });
});

describe('transport', () => {
  const query = encodeQuery({ id: 0x1234, name: parseName('t.example.test'), type: RRType.A, dnssecOk: true });
  const parsed = decodeMessage(query);

  it('responseMatchesQuery: ID, QR, question (case-insensitive name, exact type and class)', () => {
    assert.equal(responseMatchesQuery(query, respond(parsed)), true);
    assert.equal(responseMatchesQuery(query, respond(parsed, { questionName: 'T.EXAMPLE.test' })), true);
    assert.equal(responseMatchesQuery(query, respond(parsed, { questionName: 'u.example.test' })), false);
    assert.equal(responseMatchesQuery(query, respond(parsed, { id: 0x1235 })), false);
    assert.equal(responseMatchesQuery(query, query), false, 'a query (QR=0) is not an answer');
    const otherType = encodeQuery({ id: 0x1234, name: parseName('t.example.test'), type: RRType.AAAA });
    assert.equal(responseMatchesQuery(query, respond(decodeMessage(otherType))), false);
    assert.equal(responseMatchesQuery(query, Buffer.from([0x12, 0x34, 0x80])), false);
    const noQuestion = Buffer.from(respond(parsed).subarray(0, 12));
    noQuestion.writeUInt16BE(0, 4);
    assert.equal(responseMatchesQuery(query, noQuestion), false);
  });

  it('TCP: a length prefix and body split into single bytes are reassembled', async () => {
    const s = await dns('frag', {
      rawTcp: (socket, d) => {
        let got = Buffer.alloc(0);
        socket.on('data', (chunk) => {
          got = Buffer.concat([got, chunk]);
          if (got.length < 2 || got.length < 2 + got.readUInt16BE(0)) return;
          const reply = respond(decodeMessage(got.subarray(2)), { answer: [A('t.example.test', '192.0.2.3')] });
          const framed = Buffer.concat([u16(reply.length), reply]);
          // One byte at a time, the prefix included; a few bytes per tick keeps the test quick.
          let i = 0;
          const step = () => {
            if (socket.destroyed) return;
            for (let k = 0; k < 8 && i < framed.length; k += 1, i += 1) socket.write(framed.subarray(i, i + 1));
            if (i < framed.length) d.later(1, step);
          };
          step();
        });
      },
    });
    const raw = await queryTcp(s.server, query, { timeoutMs: 5000 });
    assert.deepEqual(decodeMessage(raw).answer[0]!.data, { type: 'A', address: '192.0.2.3' });
  });

  it('TCP: a length prefix above maxBytes fails at once, without buffering the body', async () => {
    const s = await dns('big', { rawTcp: (socket) => socket.once('data', () => socket.write(Buffer.from([0xff, 0xff, 0, 0]))) });
    await assert.rejects(queryTcp(s.server, query, { timeoutMs: 5000, maxBytes: 4096 }), (e: unknown) => {
      assert.ok(e instanceof DnsTransportError && !(e instanceof DnsTimeoutError));
      assert.match(e.reason, /announces 65535 octets, above the 4096-octet limit/);
      return true;
    });
  });

  it('TCP: a connection closed mid-message, or a mismatched answer, is a transport error', async () => {
    const early = await dns('early', { rawTcp: (socket) => socket.once('data', () => socket.end(Buffer.from([0, 40, 1, 2, 3]))) });
    await assert.rejects(queryTcp(early.server, query, { timeoutMs: 5000 }), /connection closed by the server after 3 of 40 octets/);
    const wrong = await dns('wrong', { tcp: (q) => respond(q, { id: (q.id + 7) & 0xffff }) });
    await assert.rejects(queryTcp(wrong.server, query, { timeoutMs: 5000 }), /does not match the query/);
  });

  it('UDP and TCP to a closed port fail with a typed error naming the server', async () => {
    const s = await dns('gone', {});
    const server = s.server;
    await s.stop();
    running.splice(running.indexOf(s), 1);
    for (const send of [queryUdp, queryTcp]) {
      await assert.rejects(send(server, query, { timeoutMs: 1000 }), (e: unknown) => {
        assert.ok(e instanceof DnsTransportError);
        assert.deepEqual(e.server, server);
        assert.match(e.message, new RegExp(`127\\.0\\.0\\.1:${server.port}`));
        return true;
      });
    }
  });

  it('refuses a server that is not an IP literal', async () => {
    await assert.rejects(queryUdp({ address: 'localhost', port: 53 }, query, { timeoutMs: 100 }), /"localhost" is not an IP address/);
  });
});

describe('cacheTtl', () => {
  const q = decodeMessage(encodeQuery({ id: 1, name: parseName('x.example.test'), type: RRType.A }));
  const ttlOf = (spec: ResponseSpec, max = 86_400) => cacheTtl(decodeMessage(respond(q, spec)), max);

  it('positive: the smallest answer TTL, capped; zero TTL not cached', () => {
    assert.equal(ttlOf({ answer: [A('x.example.test', '192.0.2.1', 500), A('x.example.test', '192.0.2.2', 400)] }), 400);
    assert.equal(ttlOf({ answer: [A('x.example.test', '192.0.2.1', 500_000)] }), 86_400);
    assert.equal(ttlOf({ answer: [A('x.example.test', '192.0.2.1', 0)] }), undefined);
  });

  it('negative: min(SOA TTL, MINIMUM); none without SOA; other rcodes never', () => {
    assert.equal(ttlOf({ rcode: Rcode.NXDOMAIN, authority: [SOA('example.test', 3600, 300)] }), 300);
    assert.equal(ttlOf({ authority: [SOA('example.test', 100, 300)] }), 100);
    assert.equal(ttlOf({ rcode: Rcode.NXDOMAIN }), undefined);
    // CNAME to a name without the type: NODATA, bounded by the CNAME's TTL too.
    const cname = { name: 'x.example.test', type: RRType.CNAME, ttl: 50, data: 'y.example.test.' };
    assert.equal(ttlOf({ answer: [cname], authority: [SOA('example.test', 3600, 300)] }), 50);
    assert.equal(ttlOf({ answer: [cname] }), undefined);
    assert.equal(ttlOf({ rcode: Rcode.SERVFAIL }), 5);
    assert.equal(ttlOf({ rcode: Rcode.REFUSED }), undefined);
  });
});
