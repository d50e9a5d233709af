// Proves the lab's mail scenarios with judges independent of keywatch: unbound (via kdig) says
// the MX and TLSA records are secure; openssl s_client, offering only ECDSA or only RSA
// signature algorithms, gets each of the two certificates an MX host serves and judges it with
// DANE against the published TLSA records; a plain SMTP dialogue on Node's net/tls delivers a
// message that then lies in the host's maildir; and a stopped SMTP server lets nobody in.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { useLab } from '../lab/fixture.ts';
import { kdig, opensslConnect, smtpSend, spkiSha256 } from '../lab/judges.ts';
import { MAIL_SCENARIOS, type MailKey } from '../lab/scenarios.ts';
import { startSmtpServer } from '../lab/smtp-servers.ts';

const lab = useLab();

/** OpenSSL signature-algorithm lists that leave the server only one of its two certificates. */
const SIGALGS: Record<MailKey, string> = {
  ec: 'ecdsa_secp256r1_sha256',
  rsa: 'rsa_pss_rsae_sha256:rsa_pkcs1_sha256',
};
const KEYS: MailKey[] = ['rsa', 'ec'];

describe('mail scenarios: DNSSEC, as unbound sees it', () => {
  for (const s of MAIL_SCENARIOS) {
    it(`${s.name}: MX and TLSA are ${s.expect.mx} and ${s.expect.tlsa}, and TLSA is exactly what the lab published`, async () => {
      assert.equal(s.expect.mx, 'secure');
      assert.equal(s.expect.tlsa, 'secure');
      const d = lab().mailDomain(s.name);
      const { resolver } = lab().state;
      const mx = await kdig(resolver, d.domain, 'MX');
      assert.ok(mx.rcode === 'NOERROR' && mx.ad, `${d.domain} MX: want NOERROR with AD\n${mx.raw}`);
      assert.deepEqual(mx.answers, d.mx.map((h) => `10 ${h.host}.`));
      for (const h of d.mx) {
        const a = await kdig(resolver, h.host, 'A');
        assert.ok(a.ad, `${h.host} A: want AD\n${a.raw}`);
        assert.deepEqual(a.answers, [h.address]);
        const tlsa = await kdig(resolver, h.tlsaName, 'TLSA');
        assert.ok(tlsa.rcode === 'NOERROR' && tlsa.ad, `${h.tlsaName} TLSA: want NOERROR with AD\n${tlsa.raw}`);
        assert.deepEqual(tlsa.answers.map((r) => r.toLowerCase()).sort(), [...h.tlsa].sort());
      }
      assert.ok(d.zone.ds.length > 0 && d.zone.kskTag, 'the zone is signed and has a DS in test.');
    });
  }

  it('mail publishes 3 1 1 for both keys and 2 1 1 for the issuing CA; mail-partial only the ECDSA key', () => {
    const { ca } = lab().state;
    const full = lab().mailDomain('mail').mx[0]!;
    assert.deepEqual(
      [...full.tlsa].sort(),
      [`3 1 1 ${full.keys.rsa.spkiSha256}`, `3 1 1 ${full.keys.ec.spkiSha256}`, `2 1 1 ${ca.intermediateSpkiSha256}`].sort(),
    );
    const partial = lab().mailDomain('mail-partial').mx[0]!;
    assert.deepEqual(partial.tlsa, [`3 1 1 ${partial.keys.ec.spkiSha256}`]);
    assert.notEqual(partial.keys.rsa.spkiSha256, partial.keys.ec.spkiSha256);
  });
});

describe('mail scenarios: openssl s_client -starttls smtp gets each key and judges it with DANE', () => {
  for (const s of MAIL_SCENARIOS) {
    for (const key of KEYS) {
      const published = !s.expect.unpublished.includes(key);
      it(`${s.name}: the ${key.toUpperCase()} certificate ${published ? 'verifies' : 'fails'} with DANE (TLS 1.2 and 1.3)`, async () => {
        const d = lab().mailDomain(s.name);
        for (const h of d.mx) {
          for (const tlsVersion of ['1.2', '1.3'] as const) {
            const what = `${h.host} ${key} TLS ${tlsVersion}`;
            const common = { address: h.address, port: h.port, domain: h.host, tls: 'starttls', protocol: 'smtp', caFile: lab().state.ca.rootFile } as const;
            const r = await opensslConnect({ ...common, sigalgs: SIGALGS[key], tlsVersion, tlsa: h.tlsa, tlsaDomain: h.host });
            assert.equal(r.tlsVersion, `TLSv${tlsVersion}`, what);
            assert.equal(spkiSha256(r.leaf), h.keys[key].spkiSha256, `${what}: the server must present the ${key} key`);
            assert.equal(r.leaf.publicKey.asymmetricKeyType, key, what);
            if (published) {
              assert.equal(r.verifyCode, 0, `${what}: ${r.verifyText}\n${r.raw}`);
              assert.match(r.dane ?? '', /DANE TLSA \d \d \d .* matched/, `${what}: DANE did not match\n${r.raw}`);
            } else {
              // X509_V_ERR_DANE_NO_MATCH: the TLSA set exists and names none of this chain.
              assert.equal(r.verifyCode, 65, `${what}: want "No matching DANE TLSA records", got ${r.verifyCode} ${r.verifyText}`);
              assert.equal(r.dane, undefined);
              // Without DANE the same chain is fine: only the TLSA records shut these clients out.
              const pkix = await opensslConnect({ ...common, sigalgs: SIGALGS[key], tlsVersion });
              assert.equal(pkix.verifyCode, 0, `${what} (PKIX only): ${pkix.verifyText}`);
            }
          }
        }
      });
    }

    it(`${s.name}: each TLSA record on its own matches exactly the keys it should`, async () => {
      const d = lab().mailDomain(s.name);
      for (const h of d.mx) {
        for (const record of h.tlsa) {
          for (const key of KEYS) {
            // DANE-TA of the issuing CA covers both chains (the server sends the intermediate);
            // a DANE-EE record only the key it hashes.
            const want = record.startsWith('2 1 1 ') || record === `3 1 1 ${h.keys[key].spkiSha256}`;
            const r = await opensslConnect({
              address: h.address,
              port: h.port,
              domain: h.host,
              tls: 'starttls',
              protocol: 'smtp',
              caFile: lab().state.ca.rootFile,
              sigalgs: SIGALGS[key],
              tlsa: [record],
              tlsaDomain: h.host,
            });
            assert.equal(r.verifyCode === 0, want, `${h.host} ${key} with only "${record.slice(0, 20)}…": ${r.verifyCode} ${r.verifyText}`);
          }
        }
      }
    });
  }
});

describe('mail scenarios: the MX hosts take mail over STARTTLS and keep it', () => {
  for (const s of MAIL_SCENARIOS) {
    it(`${s.name}: a message sent after STARTTLS lands as an .eml file in the maildir`, async () => {
      const d = lab().mailDomain(s.name);
      const h = d.mx[0]!;
      const token = randomBytes(8).toString('hex');
      const message = [
        'From: keywatch lab <alerts@keywatch.test>',
        `To: postmaster@${d.domain}`,
        `Subject: lab delivery ${token}`,
        `Message-ID: <${token}@keywatch.test>`,
        '',
        'first line',
        '.a line starting with a dot',
        '',
      ].join('\r\n');
      const before = new Set(readdirSync(h.maildir));
      const r = await smtpSend({
        address: h.address,
        port: h.port,
        host: h.host,
        caFile: lab().state.ca.rootFile,
        from: 'alerts@keywatch.test',
        to: [`postmaster@${d.domain}`, `hostmaster@${d.domain}`],
        message,
      });
      assert.match(r.greeting, new RegExp(`^${h.host.replaceAll('.', '\\.')} `), 'the banner names the host');
      assert.ok(r.ehloPlain.includes('STARTTLS'), `EHLO before TLS offers STARTTLS: ${r.ehloPlain.join(', ')}`);
      assert.ok(!r.ehloTls.includes('STARTTLS'), 'STARTTLS is not offered twice');
      assert.ok(![...r.ehloPlain, ...r.ehloTls].some((k) => k.startsWith('AUTH')), 'an MX offers no AUTH');
      // With Node's default signature algorithms the server picks one of its two keys.
      assert.ok(KEYS.some((k) => spkiSha256(r.leaf) === h.keys[k].spkiSha256));

      // The server writes the file before it answers 250, so it is there now.
      const added = readdirSync(h.maildir).filter((f) => !before.has(f));
      assert.equal(added.length, 1, `one new file in ${h.maildir}: ${added.join(', ')}`);
      assert.match(added[0]!, /^\d{4}-\d\d-\d\dT[\d-]+Z-\d{4}\.eml$/);
      const eml = readFileSync(join(h.maildir, added[0]!), 'utf8').replaceAll('\r\n', '\n');
      assert.match(eml, new RegExp(`^Subject: lab delivery ${token}$`, 'm'));
      assert.match(eml, /^Return-Path: <alerts@keywatch\.test>$/m);
      assert.match(eml, new RegExp(`^Delivered-To: postmaster@${d.domain.replaceAll('.', '\\.')}$`, 'm'));
      assert.match(eml, new RegExp(`^Delivered-To: hostmaster@${d.domain.replaceAll('.', '\\.')}$`, 'm'));
      assert.match(eml, new RegExp(`using ${r.protocol}`), 'the trace header records the TLS session');
      assert.match(eml, /^\.a line starting with a dot$/m, 'dot-stuffing undone');
    });
  }
});

describe('an SMTP server stopped by the lab is gone', () => {
  it('stop() closes open sessions (even one mid-STARTTLS) and the port refuses connections afterwards', async () => {
    const { net } = lab().state;
    const keys = lab().mailDomain('mail').mx[0]!.keys;
    const pem = (f: string) => readFileSync(f, 'utf8');
    // An address of the lab's block that no scenario uses.
    const address = `127.${net}.4.250`;
    const maildir = join(tmpdir(), `keywatch-smtp-stop-${process.pid}`);
    const server = await startSmtpServer({
      host: 'mx.stop.test',
      address,
      rsa: { chain: pem(keys.rsa.chainFile), key: pem(keys.rsa.keyFile) },
      ec: { chain: pem(keys.ec.chainFile), key: pem(keys.ec.keyFile) },
      maildir,
    });
    let stopped = false;
    try {
      const open = (): Promise<Socket> =>
        new Promise((resolve, reject) => {
          const s = connect({ host: address, port: 25 });
          s.once('error', reject);
          s.once('data', () => resolve(s)); // the greeting: the session is established
        });
      const idle = await open();
      const upgrading = await open();
      upgrading.write('EHLO judge.keywatch.test\r\nSTARTTLS\r\n'); // then no ClientHello
      await new Promise((r) => setTimeout(r, 200));
      const closed = (s: Socket) => new Promise<void>((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve())));
      const t0 = performance.now();
      await server.stop();
      stopped = true;
      await Promise.all([closed(idle), closed(upgrading)]);
      assert.ok(performance.now() - t0 < 2000, 'stop() does not wait for the sessions to time out');
      const refused = await new Promise<string>((resolve) => {
        const s = connect({ host: address, port: 25 });
        s.once('connect', () => (s.destroy(), resolve('connected')));
        s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      });
      assert.equal(refused, 'ECONNREFUSED');
    } finally {
      if (!stopped) await server.stop();
      rmSync(maildir, { recursive: true, force: true });
    }
  });
});
