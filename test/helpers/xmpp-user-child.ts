// A stock @xmpp/client user in a child process (see xmpp-user.ts): it trusts the lab's CA through
// NODE_EXTRA_CA_CERTS, which Node reads only at start-up, so it cannot run in the test's own
// process. It reports what it receives and does what the parent asks, over the IPC channel.
import { client } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import { parseXml as parse } from './xmpp-user.ts';

interface Start {
  service: string;
  domain: string;
  username: string;
  password: string;
  resource: string;
}

type Request = { op: 'send'; xml: string } | { op: 'iq'; id: number; xml: string; timeoutMs: number } | { op: 'stop' };

const send = (m: unknown) => process.send?.(m);


const o = JSON.parse(process.argv[2] ?? '{}') as Start;
const x = client({ service: o.service, domain: o.domain, username: o.username, password: o.password, resource: o.resource });
x.on('error', (e: Error) => send({ type: 'error', message: e.message }));
x.on('stanza', (el: Element) => send({ type: 'stanza', xml: el.toString() }));
x.on('online', (jid) => {
  void x.send(parse('<presence/>')).then(() => send({ type: 'online', jid: jid.toString() }));
});

process.on('message', (m: Request) => {
  if (m.op === 'send') {
    x.send(parse(m.xml)).catch((e: Error) => send({ type: 'error', message: e.message }));
  } else if (m.op === 'iq') {
    const caller = x.iqCaller as unknown as { request(el: Element, timeoutMs: number): Promise<Element> };
    caller
      .request(parse(m.xml), m.timeoutMs)
      .then((r: Element) => send({ type: 'iq-result', id: m.id, xml: r.toString() }))
      .catch((e: Error & { condition?: string }) => send({ type: 'iq-error', id: m.id, message: e.message, condition: e.condition }));
  } else if (m.op === 'stop') {
    const done = () => process.exit(0);
    x.stop().then(done, done);
    setTimeout(done, 2000).unref();
  }
});
process.on('disconnect', () => process.exit(0));

x.start().catch((e: Error) => send({ type: 'start-failed', message: e.message }));
