// STARTTLS dialects against scripted servers on loopback: each server speaks just enough of its
// protocol, then upgrades the same socket to TLS with the test PKI's leaf + intermediate.
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { probeEndpoint, type ProbeOptions } from '../../../src/probe/probe.ts';
import { makePki, onLines, serverTls, startServer, type TestPki, type TestServer } from './servers.ts';

describe('STARTTLS', () => {
  let pki: TestPki;
  const servers: TestServer[] = [];
  const serve = async (h: (s: Socket) => void) => {
    const s = await startServer(h);
    servers.push(s);
    return s;
  };
  const probe = (port: number, protocol: ProbeOptions['protocol'], extra: Partial<ProbeOptions> = {}) =>
    probeEndpoint({ address: '127.0.0.1', port, protocol, serviceDomain: 'example.test', caFile: pki.ca.rootFile, timeoutMs: 5000, ...extra });

  before(async () => {
    pki = await makePki();
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    pki.cleanup();
  });

  const smtpServer = (offer: boolean) =>
    serve((s) => {
      s.write('220-mx.example.test ESMTP\r\n220 second banner line\r\n');
      let upgraded = false;
      onLines(s, (l) => {
        if (upgraded) return;
        if (/^EHLO /.test(l)) s.write(`250-mx.example.test hello\r\n250-PIPELINING\r\n${offer ? '250-STARTTLS\r\n' : ''}250 8BITMIME\r\n`);
        else if (l === 'STARTTLS') {
          upgraded = true;
          s.write('220 go ahead\r\n', () => serverTls(s, pki.full));
        } else s.write('500 what\r\n');
      });
    });

  it('SMTP: banner, multi-line EHLO, STARTTLS, TLS', async () => {
    const server = await smtpServer(true);
    const r = await probe(server.port, 'smtp', { checkerDomain: 'checker.example' });
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.starttls?.protocol, 'smtp');
    assert.equal(r.starttls.offered, true);
    assert.equal(r.starttls.banner, 'mx.example.test ESMTP\nsecond banner line');
    assert.deepEqual(r.starttls.capabilities, ['PIPELINING', 'STARTTLS', '8BITMIME']);
    assert.match(r.starttls.transcript, /C: EHLO checker\.example/);
    assert.equal(r.tls.chain.length, 2);
    assert.equal(r.tls.pkix.valid, true);
    assert.equal(r.tls.leaf.spkiSha256, pki.leaf.spkiSha256);
  });

  it('SMTP without STARTTLS: starttls-not-offered, with what was learned', async () => {
    const server = await smtpServer(false);
    const r = await probe(server.port, 'smtp');
    assert.equal(r.ok, false);
    assert.ok(!r.ok);
    assert.equal(r.stage, 'starttls');
    assert.equal(r.error.kind, 'starttls-not-offered');
    assert.equal(r.starttls?.protocol, 'smtp');
    assert.equal(r.starttls.offered, false);
    assert.deepEqual(r.starttls.capabilities, ['PIPELINING', '8BITMIME']);
  });

  const imapServer = (offer: boolean) =>
    serve((s) => {
      s.write('* OK [CAPABILITY IMAP4rev1] ready\r\n');
      let upgraded = false;
      onLines(s, (l) => {
        if (upgraded) return;
        const [tag, cmd] = l.split(' ');
        if (cmd === 'CAPABILITY') s.write(`* CAPABILITY IMAP4rev1 ${offer ? 'STARTTLS ' : ''}LOGINDISABLED\r\n${tag} OK done\r\n`);
        else if (cmd === 'STARTTLS') {
          upgraded = true;
          s.write(`${tag} OK begin TLS\r\n`, () => serverTls(s, pki.full));
        } else s.write(`${tag} BAD\r\n`);
      });
    });

  it('IMAP: greeting, CAPABILITY, STARTTLS, TLS', async () => {
    const server = await imapServer(true);
    const r = await probe(server.port, 'imap');
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.starttls?.protocol, 'imap');
    assert.equal(r.starttls.offered, true);
    assert.ok('loginDisabled' in r.starttls && r.starttls.loginDisabled);
    assert.deepEqual(r.starttls.capabilities, ['IMAP4REV1', 'STARTTLS', 'LOGINDISABLED']);
    assert.equal(r.tls.pkix.valid, true);
  });

  it('IMAP without STARTTLS: starttls-not-offered', async () => {
    const server = await imapServer(false);
    const r = await probe(server.port, 'imap');
    assert.ok(!r.ok);
    assert.equal(r.error.kind, 'starttls-not-offered');
    assert.equal(r.starttls?.protocol, 'imap');
    assert.equal(r.starttls.banner, '* OK [CAPABILITY IMAP4rev1] ready');
  });

  const pop3Server = (offer: boolean) =>
    serve((s) => {
      s.write('+OK POP3 ready\r\n');
      let upgraded = false;
      onLines(s, (l) => {
        if (upgraded) return;
        if (l === 'CAPA') s.write(`+OK\r\nUSER\r\n${offer ? 'STLS\r\n' : ''}SASL PLAIN\r\n.\r\n`);
        else if (l === 'STLS') {
          upgraded = true;
          s.write('+OK begin TLS\r\n', () => serverTls(s, pki.full));
        } else s.write('-ERR\r\n');
      });
    });

  it('POP3: greeting, CAPA, STLS, TLS', async () => {
    const server = await pop3Server(true);
    const r = await probe(server.port, 'pop3');
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.starttls?.protocol, 'pop3');
    assert.deepEqual(r.starttls.capabilities, ['USER', 'STLS', 'SASL PLAIN']);
    assert.equal(r.tls.chain.length, 2);
  });

  it('POP3 without STLS: starttls-not-offered', async () => {
    const server = await pop3Server(false);
    const r = await probe(server.port, 'pop3');
    assert.ok(!r.ok);
    assert.equal(r.error.kind, 'starttls-not-offered');
  });

  it('a server that sends data after its go-ahead is refused (STARTTLS injection, RFC 7457 §2.1)', async () => {
    const server = await serve((s) => {
      s.write('+OK ready\r\n');
      onLines(s, (l) => {
        if (l === 'CAPA') s.write('+OK\r\nSTLS\r\n.\r\n');
        else if (l === 'STLS') s.write('+OK begin\r\n+OK injected\r\n');
      });
    });
    const r = await probe(server.port, 'pop3');
    assert.ok(!r.ok);
    assert.equal(r.error.kind, 'protocol');
    assert.match(r.error.message, /bytes after the STLS \+OK/);
  });

  const xmppServer = (o: { required?: boolean; answer?: 'proceed' | 'failure' } = {}) =>
    serve((s) => {
      let buf = '';
      let phase = 0;
      s.on('data', (b: Buffer) => {
        buf += b.toString();
        if (phase === 0 && buf.includes('<stream:stream')) {
          phase = 1;
          s.write(
            "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='abc' from='example.test' version='1.0'>" +
              `<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>${o.required ? '<required/>' : ''}</starttls>` +
              "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>",
          );
        }
        if (phase === 1 && buf.includes('<starttls')) {
          phase = 2;
          if (o.answer === 'failure') {
            s.end("<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>");
            return;
          }
          s.write("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", () => {
            const tls = serverTls(s, pki.full);
            let tbuf = '';
            tls.on('data', (d: Buffer) => {
              tbuf += d.toString();
              if (tbuf.includes('<stream:stream') && !tbuf.includes('sent')) {
                tbuf += 'sent';
                tls.write(
                  "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='def' version='1.0'><stream:features>" +
                    "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-256</mechanism><mechanism>SCRAM-SHA-256-PLUS</mechanism></mechanisms>" +
                    "<sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'><channel-binding type='tls-exporter'/><channel-binding type='tls-server-end-point'/></sasl-channel-binding>" +
                    "<authentication xmlns='urn:xmpp:sasl:2'><mechanism>SCRAM-SHA-256</mechanism></authentication></stream:features>",
                );
              }
            });
          });
        }
      });
    });

  it('XMPP: features, STARTTLS required, <proceed/>, TLS, post-TLS features', async () => {
    const server = await xmppServer({ required: true });
    const r = await probe(server.port, 'xmpp-c2s');
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.starttls?.protocol, 'xmpp');
    assert.ok(r.starttls.protocol === 'xmpp');
    assert.equal(r.starttls.offered, true);
    assert.equal(r.starttls.required, true);
    assert.deepEqual(r.starttls.features.mechanisms, ['PLAIN']);
    assert.equal(r.starttls.header.id, 'abc');
    assert.deepEqual(r.featuresAfterTls?.mechanisms, ['SCRAM-SHA-256', 'SCRAM-SHA-256-PLUS']);
    assert.deepEqual(r.featuresAfterTls?.channelBindings, ['tls-exporter', 'tls-server-end-point']);
    assert.equal(r.featuresAfterTls?.sasl2, true);
    assert.equal(r.featuresAfterTls?.header.id, 'def');
    assert.match(r.featuresAfterTls?.raw ?? '', /^<stream:features>.*<\/stream:features>$/);
  });

  it('XMPP: <failure/> to <starttls/> is starttls-refused', async () => {
    const server = await xmppServer({ answer: 'failure' });
    const r = await probe(server.port, 'xmpp-c2s');
    assert.ok(!r.ok);
    assert.equal(r.stage, 'starttls');
    assert.equal(r.error.kind, 'starttls-refused');
    assert.equal(r.starttls?.offered, true);
  });
});
