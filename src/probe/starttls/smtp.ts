// SMTP STARTTLS (RFC 3207) as a sending MTA does it: wait for the 220 greeting (RFC 5321
// §4.3.1; a 554 greeting means "no service here"), EHLO, look for the STARTTLS keyword in the
// multi-line 250 reply (§4.2.1: "250-" continues, "250 " ends), send STARTTLS, expect 220.
import type { Duplex } from 'node:stream';
import type { Budget } from '../bounded.ts';
import { ProbeError } from '../errors.ts';
import { assertNothingAfter, StarttlsFailed, StarttlsNotOffered, type LineStarttlsInfo } from './common.ts';
import { LineDialogue } from './lines.ts';

export interface SmtpReply {
  code: number;
  lines: string[];
}

/** Read one (possibly multi-line) SMTP reply. */
export async function readSmtpReply(d: LineDialogue, waitingFor: string): Promise<SmtpReply> {
  const lines: string[] = [];
  let code: number | undefined;
  for (;;) {
    const l = await d.line(waitingFor);
    const m = /^(\d{3})([ -]|$)(.*)$/.exec(l);
    if (!m) throw new ProbeError('protocol', `not an SMTP reply line: ${JSON.stringify(l.slice(0, 120))}`);
    const c = Number(m[1]);
    if (code !== undefined && c !== code) throw new ProbeError('protocol', `reply code changed from ${code} to ${c} inside one reply`);
    code = c;
    lines.push(m[3] ?? '');
    if (m[2] !== '-') return { code, lines };
  }
}

export async function smtpStarttls(socket: Duplex, budget: Budget, o: { ehloName: string }): Promise<LineStarttlsInfo> {
  const d = new LineDialogue(socket, budget);
  const info: LineStarttlsInfo = { protocol: 'smtp', offered: false, banner: '', capabilities: [], transcript: '' };
  const learned = () => ({ ...info, transcript: d.transcript });
  try {
    const greeting = await readSmtpReply(d, 'the SMTP greeting');
    info.banner = greeting.lines.join('\n');
    if (greeting.code !== 220) throw new ProbeError('protocol', `SMTP greeting ${greeting.code}: ${info.banner.slice(0, 200)}`);
    await d.send(`EHLO ${o.ehloName}`);
    const ehlo = await readSmtpReply(d, 'the EHLO reply');
    if (ehlo.code !== 250) throw new ProbeError('protocol', `EHLO refused with ${ehlo.code}: ${ehlo.lines.join(' ').slice(0, 200)}`);
    // The first line is the server's name and greeting; keywords follow, one per line.
    info.capabilities = ehlo.lines.slice(1).map((l) => l.trim().toUpperCase());
    info.offered = info.capabilities.some((k) => k === 'STARTTLS' || k.startsWith('STARTTLS '));
    if (!info.offered) throw new StarttlsNotOffered('the server does not offer STARTTLS in its EHLO reply', learned());
    await d.send('STARTTLS');
    const go = await readSmtpReply(d, 'the STARTTLS reply');
    if (go.code !== 220) throw new ProbeError('starttls-refused', `STARTTLS refused with ${go.code}: ${go.lines.join(' ').slice(0, 200)}`);
  } catch (e) {
    d.reader.detach();
    if (e instanceof ProbeError && !(e instanceof StarttlsFailed)) throw new StarttlsFailed(e, learned());
    throw e;
  }
  assertNothingAfter(d.reader.detach(), 'the STARTTLS 220 reply', learned());
  return learned();
}
