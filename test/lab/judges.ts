// Independent judges for lab tests: third-party tools (kdig, openssl) and minimal XMPP and SMTP
// STARTTLS clients on Node's own net/tls. None of this uses keywatch code, so a test that
// compares keywatch with a judge compares two independent implementations.
import { X509Certificate, createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { run } from './procs.ts';

export interface KdigAnswer {
  rcode: string;
  ad: boolean;
  /** Answer-section records of the queried type, as `rdata` presentation text. */
  answers: string[];
  /** Extended DNS Error (RFC 8914), when the resolver sent one. */
  ede?: { code: number; text: string };
  raw: string;
}

export async function kdig(server: { address: string; port: number }, name: string, type: string): Promise<KdigAnswer> {
  const { stdout } = await run('kdig', [`@${server.address}`, '-p', String(server.port), '+dnssec', '+time=3', '+retry=1', name, type], {
    timeoutMs: 15_000,
  });
  const rcode = /status: (\w+)/.exec(stdout)?.[1] ?? 'NONE';
  const flags = /;; Flags: ([^;]*);/.exec(stdout)?.[1]?.split(' ') ?? [];
  const ede = /;; EDE: (\d+) \(([^)]*)\)/.exec(stdout);
  const section = stdout.split(';; ANSWER SECTION:')[1]?.split('\n\n')[0] ?? '';
  const answers = section
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[3] === type)
    .map((f) => f.slice(4).join(' '));
  return { rcode, ad: flags.includes('ad'), answers, ...(ede ? { ede: { code: Number(ede[1]), text: ede[2]! } } : {}), raw: stdout };
}

export const spkiSha256 = (cert: X509Certificate): string =>
  createHash('sha256').update(cert.publicKey.export({ type: 'spki', format: 'der' })).digest('hex');

export interface OpensslResult {
  /** The leaf certificate the server presented. */
  leaf: X509Certificate;
  /** openssl's verification verdict (PKIX against the CA file, plus DANE when TLSA data given). */
  verifyCode: number;
  verifyText: string;
  /** The DANE line openssl printed, e.g. "DANE TLSA 3 1 1 ...a1b2 matched EE certificate at depth 0". */
  dane?: string;
  /** The negotiated protocol version, e.g. `TLSv1.3`. */
  tlsVersion?: string;
  raw: string;
}

/**
 * Connect with `openssl s_client` the way a client would: STARTTLS (XMPP c2s/s2s or SMTP) or
 * direct TLS, SNI (and for XMPP the stream `to`) set to `domain`, PKIX against `caFile`, DANE
 * with the given records.
 */
export async function opensslConnect(o: {
  address: string;
  port: number;
  /** SNI, and the XMPP stream's `to`; for SMTP the MX host name. */
  domain: string;
  tls: 'starttls' | 'direct';
  /** What is spoken before STARTTLS (default xmpp). */
  protocol?: 'xmpp' | 'smtp';
  /** XMPP server-to-server instead of client-to-server. */
  server?: boolean;
  caFile: string;
  /** TLSA rdata, e.g. `3 1 1 ab12…`: openssl then verifies with DANE (RFC 7671) too. */
  tlsa?: string[];
  tlsaDomain?: string;
  /**
   * Signature algorithms to offer, OpenSSL's names joined with `:`. A server holding several
   * certificates presents the one these allow: `ecdsa_secp256r1_sha256` gets an ECDSA P-256
   * one, `rsa_pss_rsae_sha256:rsa_pkcs1_sha256` an RSA one.
   */
  sigalgs?: string;
  tlsVersion?: '1.2' | '1.3';
}): Promise<OpensslResult> {
  const args = ['s_client', '-connect', `${o.address}:${o.port}`, '-servername', o.domain, '-CAfile', o.caFile, '-showcerts'];
  if (o.tls === 'starttls' && o.protocol === 'smtp') args.push('-starttls', 'smtp');
  else if (o.tls === 'starttls') args.push('-starttls', o.server ? 'xmpp-server' : 'xmpp', '-xmpphost', o.domain);
  if (o.sigalgs) args.push('-sigalgs', o.sigalgs);
  if (o.tlsVersion) args.push(o.tlsVersion === '1.2' ? '-tls1_2' : '-tls1_3');
  if (o.tlsa?.length) {
    args.push('-dane_tlsa_domain', o.tlsaDomain ?? o.domain);
    for (const r of o.tlsa) args.push('-dane_tlsa_rrdata', r);
  }
  const { stdout } = await run('openssl', args, { input: '', timeoutMs: 15_000 });
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/.exec(stdout)?.[0];
  if (!pem) throw new Error(`openssl got no certificate from ${o.address}:${o.port}:\n${stdout}`);
  const verify = /Verify return code: (\d+) \(([^)]*)\)/.exec(stdout);
  const dane = /DANE TLSA [^\n]*matched[^\n]*/.exec(stdout)?.[0];
  const version = /^New, (TLSv[\d.]+|SSLv3),/m.exec(stdout)?.[1];
  return {
    leaf: new X509Certificate(pem),
    verifyCode: Number(verify?.[1] ?? -1),
    verifyText: verify?.[2] ?? 'no verdict',
    ...(dane ? { dane } : {}),
    ...(version ? { tlsVersion: version } : {}),
    raw: stdout,
  };
}

/** Read from a socket until `pattern` appears in what was received (bounded in time and size). */
function readUntil(sock: Socket, pattern: RegExp, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => finish(new Error(`timed out waiting for ${pattern} (got ${JSON.stringify(buf.slice(-300))})`)), timeoutMs);
    const onData = (b: Buffer) => {
      buf += b.toString('utf8');
      if (pattern.test(buf)) finish();
      else if (buf.length > 1 << 20) finish(new Error('more than 1 MiB without a match'));
    };
    const onEnd = () => finish(new Error(`connection closed waiting for ${pattern} (got ${JSON.stringify(buf.slice(-300))})`));
    function finish(err?: Error) {
      clearTimeout(timer);
      sock.off('data', onData);
      sock.off('close', onEnd);
      if (err) reject(err);
      else resolve(buf);
    }
    sock.on('data', onData);
    sock.once('close', onEnd);
  });
}

export interface XmppSession {
  leaf: X509Certificate;
  protocol: string | null;
  /** Stream features received after TLS. */
  features: string;
  mechanisms: string[];
  /** Result of a SASL PLAIN login, when credentials were given. */
  auth?: 'success' | 'failure';
}

const header = (domain: string, ns: string) =>
  `<?xml version='1.0'?><stream:stream xmlns='${ns}' xmlns:stream='http://etherx.jabber.org/streams' to='${domain}' version='1.0'>`;

/**
 * The smallest honest XMPP client: open a stream, STARTTLS (or direct TLS), read the features
 * after TLS, optionally log in with SASL PLAIN. Enough to prove a server (or an interceptor)
 * serves real XMPP over TLS.
 */
export async function xmppSession(o: {
  address: string;
  port: number;
  domain: string;
  tls: 'starttls' | 'direct';
  server?: boolean;
  login?: { user: string; password: string };
}): Promise<XmppSession> {
  const ns = o.server ? 'jabber:server' : 'jabber:client';
  let tls: TLSSocket;
  const tlsOpts = { servername: o.domain, rejectUnauthorized: false, ALPNProtocols: [o.server ? 'xmpp-server' : 'xmpp-client'] };
  if (o.tls === 'starttls') {
    const tcp = tcpConnect({ host: o.address, port: o.port });
    try {
      await new Promise<void>((res, rej) => tcp.once('connect', res).once('error', rej));
      tcp.write(header(o.domain, ns));
      await readUntil(tcp, /<\/stream:features>/);
      tcp.write("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
      await readUntil(tcp, /<proceed/);
    } catch (e) {
      tcp.destroy();
      throw e;
    }
    tls = tlsConnect({ socket: tcp, ...tlsOpts });
  } else {
    tls = tlsConnect({ host: o.address, port: o.port, ...tlsOpts });
  }
  try {
    await new Promise<void>((res, rej) => tls.once('secureConnect', res).once('error', rej));
    const leaf = tls.getPeerX509Certificate();
    if (!leaf) throw new Error('no peer certificate');
    tls.write(header(o.domain, ns));
    const features = await readUntil(tls, /<\/stream:features>/);
    const mechanisms = [...features.matchAll(/<mechanism>([^<]+)<\/mechanism>/g)].map((m) => m[1]!);
    let auth: XmppSession['auth'];
    if (o.login) {
      const creds = Buffer.from(`\0${o.login.user}\0${o.login.password}`).toString('base64');
      tls.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${creds}</auth>`);
      const reply = await readUntil(tls, /<success|<failure/);
      auth = /<success/.test(reply) ? 'success' : 'failure';
    }
    tls.write('</stream:stream>');
    return { leaf, protocol: tls.getProtocol(), features, mechanisms, ...(auth ? { auth } : {}) };
  } finally {
    tls.destroy();
  }
}

/**
 * `delv` (BIND's validating lookup tool) anchored at the lab root: a second validator,
 * independent of unbound and of keywatch. Returns its verdict from the comment it prints.
 */
export async function delv(
  server: { address: string; port: number },
  anchorDs: string,
  dir: string,
  name: string,
  type: string,
): Promise<'secure' | 'insecure' | 'bogus'> {
  const f = anchorDs.split(/\s+/);
  const at = f.indexOf('DS');
  const conf = `${dir}/delv-anchor.conf`;
  writeFileSync(conf, `trust-anchors { "." static-ds ${f[at + 1]} ${f[at + 2]} ${f[at + 3]} "${f[at + 4]}"; };\n`);
  let out: string;
  try {
    // delv reports failures on stderr and still exits 0.
    const r = await run('delv', [`@${server.address}`, '-p', String(server.port), '-a', conf, '+root=.', name, type], { timeoutMs: 20_000 });
    out = `${r.stdout}\n${r.stderr}`;
  } catch (e) {
    out = (e as Error).message;
  }
  if (/fully validated/.test(out)) return 'secure';
  if (/unsigned answer/.test(out)) return 'insecure';
  if (/resolution failed|validation failed|failed to validate/.test(out)) return 'bogus';
  throw new Error(`delv said something unexpected for ${name} ${type}:\n${out}`);
}

/** Read one SMTP reply, multi-line or not: lines up to the one with a space after the code. */
async function smtpReply(sock: Socket): Promise<{ code: number; text: string }> {
  const raw = await readUntil(sock, /(^|\r\n)\d{3} [^\r\n]*\r\n$/);
  const lines = raw.trimEnd().split('\r\n');
  return { code: Number(lines.at(-1)!.slice(0, 3)), text: lines.map((l) => l.slice(4)).join('\n') };
}

async function smtpCommand(sock: Socket, line: string, want: number): Promise<string> {
  sock.write(`${line}\r\n`);
  const r = await smtpReply(sock);
  if (r.code !== want) throw new Error(`SMTP ${line.split(' ')[0]}: want ${want}, got ${r.code} ${r.text}`);
  return r.text;
}

export interface SmtpDelivery {
  greeting: string;
  /** EHLO keywords before and after STARTTLS (e.g. `STARTTLS`, `SIZE 10485760`, `8BITMIME`). */
  ehloPlain: string[];
  ehloTls: string[];
  leaf: X509Certificate;
  protocol: string | null;
  /** The server's reply to the end of DATA, e.g. `OK: message queued`. */
  queued: string;
}

/**
 * The smallest honest SMTP client: greeting, EHLO, STARTTLS (PKIX-verified against `caFile`
 * for `host`), EHLO again, one message, QUIT. It assumes a server that answers each command
 * before the next is sent (no pipelining), which is all the lab's MX hosts need.
 */
export async function smtpSend(o: {
  address: string;
  port: number;
  /** The MX host name: SNI and the name the certificate must carry. */
  host: string;
  caFile: string;
  from: string;
  to: string[];
  /** The message, headers and body, CRLF line ends; lines starting with a dot are escaped here. */
  message: string;
  sigalgs?: string;
}): Promise<SmtpDelivery> {
  const tcp = tcpConnect({ host: o.address, port: o.port });
  let tls: TLSSocket | undefined;
  try {
    await new Promise<void>((res, rej) => tcp.once('connect', res).once('error', rej));
    const greeting = await smtpReply(tcp);
    if (greeting.code !== 220) throw new Error(`SMTP greeting: ${greeting.code} ${greeting.text}`);
    const keywords = (text: string) => text.split('\n').slice(1);
    const ehloPlain = keywords(await smtpCommand(tcp, 'EHLO judge.keywatch.test', 250));
    await smtpCommand(tcp, 'STARTTLS', 220);
    tls = tlsConnect({ socket: tcp, servername: o.host, ca: readFileSync(o.caFile), ...(o.sigalgs ? { sigalgs: o.sigalgs } : {}) });
    await new Promise<void>((res, rej) => tls!.once('secureConnect', res).once('error', rej));
    const leaf = tls.getPeerX509Certificate();
    if (!leaf) throw new Error('no peer certificate');
    const ehloTls = keywords(await smtpCommand(tls, 'EHLO judge.keywatch.test', 250));
    await smtpCommand(tls, `MAIL FROM:<${o.from}>`, 250);
    for (const r of o.to) await smtpCommand(tls, `RCPT TO:<${r}>`, 250);
    await smtpCommand(tls, 'DATA', 354);
    const body = o.message.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
    const queued = await smtpCommand(tls, `${body}${body.endsWith('\r\n') ? '' : '\r\n'}.`, 250);
    await smtpCommand(tls, 'QUIT', 221);
    return { greeting: greeting.text, ehloPlain, ehloTls, leaf, protocol: tls.getProtocol(), queued };
  } finally {
    tls?.destroy();
    tcp.destroy();
  }
}
