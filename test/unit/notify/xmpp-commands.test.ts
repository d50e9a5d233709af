import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Channel, DomainState, SubscriptionCommands } from '../../../src/service/contracts.ts';
import { answerCommand, helpText, normalizeDomain, parseCommand, stateText } from '../../../src/notify/xmpp-commands.ts';
import { SenderLimit } from '../../../src/notify/sender-limit.ts';
import { sampleState } from './fixtures.ts';

/** The service's side, in memory. */
class MemoryCommands implements SubscriptionCommands {
  readonly subs = new Map<string, Set<string>>();
  readonly calls: string[] = [];
  failing = false;
  subscribe(domain: string, channel: Channel, target: string) {
    this.calls.push(`subscribe ${domain} ${channel} ${target}`);
    if (this.failing) return Promise.reject(new Error('database is locked'));
    const key = `${channel} ${target}`;
    if (!this.subs.has(key)) this.subs.set(key, new Set());
    this.subs.get(key)!.add(domain);
    return Promise.resolve({ ok: true, message: `You will get alerts about ${domain}.` });
  }
  unsubscribe(domain: string, channel: Channel, target: string) {
    this.calls.push(`unsubscribe ${domain} ${channel} ${target}`);
    const had = this.subs.get(`${channel} ${target}`)?.delete(domain) ?? false;
    return Promise.resolve({ ok: had, message: had ? `No more alerts about ${domain}.` : `You were not subscribed to ${domain}.` });
  }
  status(domain: string): Promise<DomainState | undefined> {
    return Promise.resolve(domain === 'example.org' ? sampleState(domain) : undefined);
  }
  list(channel: Channel, target: string) {
    return Promise.resolve([...(this.subs.get(`${channel} ${target}`) ?? [])].sort());
  }
}

describe('chat commands: parsing', () => {
  it('reads the five commands, any case, with a domain normalised to ASCII lower case', () => {
    assert.deepEqual(parseCommand('subscribe Example.ORG.'), { kind: 'subscribe', domain: 'example.org' });
    assert.deepEqual(parseCommand('  UNSUBSCRIBE   example.org '), { kind: 'unsubscribe', domain: 'example.org' });
    assert.deepEqual(parseCommand('status bücher.example'), { kind: 'status', domain: 'xn--bcher-kva.example' });
    assert.deepEqual(parseCommand('list'), { kind: 'list' });
    assert.deepEqual(parseCommand('Help'), { kind: 'help' });
    assert.deepEqual(parseCommand('/help'), { kind: 'help' });
  });
  it('says what is wrong with a malformed argument', () => {
    for (const bad of ['subscribe', 'subscribe a.org b.org', 'subscribe localhost', 'status http://x.org/', 'subscribe a..b', 'subscribe -a.org', 'list x', `subscribe ${'a'.repeat(64)}.org`]) {
      const c = parseCommand(bad);
      assert.equal(c.kind, 'usage', bad);
    }
    assert.equal(normalizeDomain('user@example.org'), undefined);
    assert.equal(normalizeDomain('example.org:5222'), undefined);
  });
  it('anything else is unknown (and too long a message too)', () => {
    assert.equal(parseCommand('hello bot').kind, 'unknown');
    assert.equal(parseCommand('').kind, 'unknown');
    assert.equal(parseCommand(`subscribe ${'x'.repeat(400)}.org`).kind, 'unknown');
  });
});

describe('chat commands: answers through SubscriptionCommands', () => {
  const alice = 'alice@example.net';
  it('subscribe / list / unsubscribe act for the sender only, on channel xmpp', async () => {
    const c = new MemoryCommands();
    assert.equal(await answerCommand(parseCommand('subscribe example.org'), alice, c), 'You will get alerts about example.org.');
    assert.deepEqual(c.calls, ['subscribe example.org xmpp alice@example.net']);
    assert.match(await answerCommand(parseCommand('list'), alice, c), /Your subscriptions:\n- example\.org/);
    assert.match(await answerCommand(parseCommand('list'), 'bob@example.net', c), /no subscriptions/);
    assert.equal(await answerCommand(parseCommand('unsubscribe example.org'), alice, c), 'No more alerts about example.org.');
    assert.match(await answerCommand(parseCommand('list'), alice, c), /no subscriptions/);
  });
  it('status: the state in a few lines, or how to start watching', async () => {
    const c = new MemoryCommands();
    const s = await answerCommand(parseCommand('status example.org'), alice, c);
    assert.match(s, /^example\.org \(xmpp\): CRITICAL — /);
    assert.match(s, /- CRITICAL dane\.key-differs-on-path: Key differs on path <CN=evil & co> \[xmpp\.example\.org:5222/);
    assert.match(s, /https:\/\/keywatch\.example\.net\/d\/example\.org$/);
    assert.match(await answerCommand(parseCommand('status other.org'), alice, c), /not watched yet.*subscribe other\.org/);
  });
  it('help, unknown and usage answers; the PubSub URI in the help when there is a service', async () => {
    const c = new MemoryCommands();
    const help = await answerCommand(parseCommand('help'), alice, c, { pubsubService: 'pubsub.example.net' });
    assert.match(help, /subscribe DOMAIN/);
    assert.match(help, /xmpp:pubsub\.example\.net\?;node=DOMAIN/);
    assert.match(await answerCommand(parseCommand('hello'), alice, c), /I don't know "hello"[\s\S]*unsubscribe DOMAIN/);
    assert.match(await answerCommand(parseCommand('subscribe'), alice, c), /takes one domain/);
    assert.equal(c.calls.length, 0);
    assert.ok(!helpText().includes('PubSub'));
  });
  it('a failing service gets a polite answer and the error goes to the log', async () => {
    const c = new MemoryCommands();
    c.failing = true;
    const errors: unknown[] = [];
    const a = await answerCommand(parseCommand('subscribe example.org'), alice, c, { onError: (e) => errors.push(e) });
    assert.match(a, /did not work/);
    assert.equal(errors.length, 1);
  });
  it('control characters in server-supplied text do not reach the chat', () => {
    const t = stateText(sampleState('example.org', { summary: 'bad\u0000key\u001b[31m', findings: [] }));
    // eslint-disable-next-line no-control-regex -- the point of the test
    assert.ok(!/[\u0000-\u0008\u001b]/.test(t), JSON.stringify(t));
  });
});

describe('per-sender command limit', () => {
  it('allows a burst, warns once, then drops until tokens come back', () => {
    let now = 0;
    const l = new SenderLimit({ burst: 3, perMinute: 6, now: () => now });
    assert.deepEqual([1, 2, 3].map(() => l.take('a')), ['allow', 'allow', 'allow']);
    assert.equal(l.take('a'), 'warn');
    assert.equal(l.take('a'), 'drop');
    assert.equal(l.take('b'), 'allow', 'another sender has its own bucket');
    now += 10_000; // one token per 10 s
    assert.equal(l.take('a'), 'allow');
    assert.equal(l.take('a'), 'warn');
  });
  it('remembers a bounded number of senders', () => {
    const l = new SenderLimit({ burst: 1, perMinute: 1, maxSenders: 2, now: () => 0 });
    l.take('a');
    l.take('b');
    l.take('c'); // forgets a
    assert.equal(l.take('a'), 'allow');
  });
});
