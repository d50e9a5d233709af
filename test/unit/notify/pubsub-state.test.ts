import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeConfigForm, parseStateElement, pubsubNodeUri, stateElement } from '../../../src/notify/pubsub-state.ts';
import { parseXml } from '../../helpers/xmpp-user.ts';
import { sampleState } from './fixtures.ts';

describe('PubSub state payload', () => {
  it('round-trips a DomainState through its XML text', () => {
    const s = sampleState('example.org');
    const el = stateElement(s, { kind: 'alert', previousStatus: 'ok' });
    const text = el.toString();
    assert.match(text, /^<state xmlns="urn:keywatch:state:0"/);
    assert.match(text, /<summary>example\.org: the key presented on 2 of 3 endpoints is not in TLSA<\/summary>/);
    // Markup in server-supplied text is escaped, not interpreted.
    assert.match(text, /<title>Key differs on path &lt;CN=evil &amp; co&gt;<\/title>/);
    const back = parseStateElement(parseXml(text));
    assert.deepEqual(back, { ...s, event: 'alert', previous: 'ok' });
  });

  it('drops characters XML cannot carry, which would end the stream', () => {
    const el = stateElement(sampleState('example.org', { summary: 'nul\u0000 esc\u001b ffff\uffff lone\ud800 ok' }));
    const text = el.toString();
    // eslint-disable-next-line no-control-regex -- the point of the test
    assert.ok(!/[\u0000\u001b\uffff]|[\ud800-\udbff](?![\udc00-\udfff])/.test(text), JSON.stringify(text));
    assert.doesNotThrow(() => parseXml(text));
  });

  it('is not fooled by other payloads', () => {
    assert.equal(parseStateElement(parseXml('<entry xmlns="http://www.w3.org/2005/Atom"/>')), undefined);
    assert.equal(parseStateElement(parseXml('<state xmlns="urn:keywatch:state:0"/>')), undefined);
    assert.equal(parseStateElement(undefined), undefined);
  });

  it('node URIs (RFC 5122, XEP-0060 §12.21)', () => {
    assert.equal(pubsubNodeUri('pubsub.example.net', 'example.org'), 'xmpp:pubsub.example.net?;node=example.org');
    assert.equal(pubsubNodeUri('pubsub.example.net', 'example.org', 'subscribe'), 'xmpp:pubsub.example.net?pubsub;action=subscribe;node=example.org');
    assert.equal(pubsubNodeUri('pubsub.example.net', 'a;b=c'), 'xmpp:pubsub.example.net?;node=a%3Bb%3Dc');
  });

  it('the node configuration asks for an open node that sends the last state on subscription', () => {
    const form = nodeConfigForm({ title: 'keywatch: example.org', maxItems: 10 });
    const value = (v: string) => form.getChildren('field').find((f) => f.attrs.var === v)?.getChildText('value');
    assert.equal(value('FORM_TYPE'), 'http://jabber.org/protocol/pubsub#node_config');
    assert.equal(value('pubsub#access_model'), 'open');
    assert.equal(value('pubsub#send_last_published_item'), 'on_sub');
    assert.equal(value('pubsub#max_items'), '10');
  });
});
