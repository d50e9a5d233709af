// A real XMPP user for integration tests: stock @xmpp/client (not keywatch's own connection code)
// in a child process that trusts the lab's CA, logged in on a lab server. The test sees every
// stanza the user receives, can wait for one, send stanzas and make IQ requests.
//
//   const alice = await startXmppUser({ jid, password, address, port, caFile: state.ca.rootFile });
//   await alice.send(xml('message', { to: bot, type: 'chat' }, xml('body', {}, 'help')));
//   const reply = await alice.waitFor((el) => el.is('message') && el.attrs.from?.startsWith(bot));
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Parser, type Element } from '@xmpp/xml';

export interface XmppUser {
  /** The full JID once online. */
  jid: string;
  /** Every stanza received so far, oldest first. */
  stanzas: Element[];
  /** Resolves with the first stanza (already received or to come) that matches. */
  waitFor(match: (el: Element) => boolean, timeoutMs?: number): Promise<Element>;
  send(el: Element): void;
  iq(el: Element, timeoutMs?: number): Promise<Element>;
  stop(): Promise<void>;
}

export function parseXml(text: string): Element {
  const p = new Parser();
  let root: Element | undefined;
  let error: unknown;
  p.on('start', (el: Element) => (root = el));
  p.on('element', (el: Element) => root?.append(el));
  p.on('error', (e: unknown) => (error = e));
  p.write(text);
  p.end(undefined as unknown as Element);
  if (error || !root) throw error instanceof Error ? error : new Error('not XML');
  return root;
}

type FromChild =
  | { type: 'online'; jid: string }
  | { type: 'stanza'; xml: string }
  | { type: 'error' | 'start-failed'; message: string }
  | { type: 'iq-result'; id: number; xml: string }
  | { type: 'iq-error'; id: number; message: string; condition?: string };

export async function startXmppUser(o: { jid: string; password: string; address: string; port: number; caFile: string; resource?: string; timeoutMs?: number }): Promise<XmppUser> {
  const [username, domain] = o.jid.split('@') as [string, string];
  const child: ChildProcess = fork(join(import.meta.dirname, 'xmpp-user-child.ts'), [JSON.stringify({ service: `xmpp://${o.address}:${o.port}`, domain, username, password: o.password, resource: o.resource ?? 'test' })], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, NODE_EXTRA_CA_CERTS: o.caFile },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const stanzas: Element[] = [];
  const waiters: Array<{ match: (el: Element) => boolean; resolve: (el: Element) => void }> = [];
  const iqs = new Map<number, { resolve: (el: Element) => void; reject: (e: Error) => void }>();
  const errors: string[] = [];
  let nextIq = 1;
  let exited = false;
  child.on('exit', () => (exited = true));

  const online = new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${o.jid} not online: ${errors.join('; ') || 'timeout'}`)), o.timeoutMs ?? 20_000);
    child.on('message', (m: FromChild) => {
      switch (m.type) {
        case 'online':
          clearTimeout(t);
          resolve(m.jid);
          break;
        case 'stanza': {
          const el = parseXml(m.xml);
          stanzas.push(el);
          for (const w of [...waiters]) {
            if (w.match(el)) {
              waiters.splice(waiters.indexOf(w), 1);
              w.resolve(el);
            }
          }
          break;
        }
        case 'start-failed':
          clearTimeout(t);
          reject(new Error(`${o.jid} could not connect: ${m.message}`));
          break;
        case 'error':
          errors.push(m.message);
          break;
        case 'iq-result':
          iqs.get(m.id)?.resolve(parseXml(m.xml));
          iqs.delete(m.id);
          break;
        case 'iq-error':
          iqs.get(m.id)?.reject(Object.assign(new Error(m.message), { condition: m.condition }));
          iqs.delete(m.id);
          break;
      }
    });
  });
  const jid = await online.catch((e: unknown) => {
    child.kill();
    throw e;
  });
  return {
    jid,
    stanzas,
    waitFor(match, timeoutMs = 10_000) {
      const seen = stanzas.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const w = {
          match,
          resolve: (el: Element) => {
            clearTimeout(t);
            resolve(el);
          },
        };
        const t = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`${o.jid}: no matching stanza within ${timeoutMs} ms; received:\n${stanzas.map((s) => s.toString().slice(0, 300)).join('\n')}`));
        }, timeoutMs);
        waiters.push(w);
      });
    },
    send(el) {
      child.send({ op: 'send', xml: el.toString() });
    },
    iq(el, timeoutMs = 10_000) {
      const id = nextIq++;
      return new Promise((resolve, reject) => {
        iqs.set(id, { resolve, reject });
        child.send({ op: 'iq', id, xml: el.toString(), timeoutMs });
      });
    },
    async stop() {
      if (exited) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.send({ op: 'stop' });
      const t = setTimeout(() => child.kill(), 3000);
      await gone;
      clearTimeout(t);
    },
  };
}
