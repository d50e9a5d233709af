// IMAP STARTTLS (RFC 9051 §6.2.1, RFC 3501): greeting `* OK` (a `* PREAUTH` greeting leaves no
// chance for STARTTLS, `* BYE` means go away), `a1 CAPABILITY` to learn whether STARTTLS is
// offered, `a2 STARTTLS`, expect `a2 OK`. LOGINDISABLED among the capabilities means the server
// refuses plaintext login before TLS, IMAP's closest thing to "TLS required".
import type { Duplex } from 'node:stream';
import type { Budget } from '../bounded.ts';
import { ProbeError } from '../errors.ts';
import { assertNothingAfter, StarttlsFailed, StarttlsNotOffered, type LineStarttlsInfo } from './common.ts';
import { LineDialogue } from './lines.ts';

export interface ImapStarttlsInfo extends LineStarttlsInfo {
  protocol: 'imap';
  /** LOGINDISABLED advertised before TLS. */
  loginDisabled: boolean;
}

/** Read untagged lines until the tagged completion for `tag`; returns both. */
async function tagged(d: LineDialogue, tag: string, waitingFor: string): Promise<{ untagged: string[]; status: string; text: string }> {
  const untagged: string[] = [];
  for (;;) {
    const l = await d.line(waitingFor);
    if (l.startsWith(`${tag} `)) {
      const [, status = '', text = ''] = /^\S+ (\S+) ?(.*)$/.exec(l) ?? [];
      return { untagged, status: status.toUpperCase(), text };
    }
    untagged.push(l);
  }
}

const capsIn = (line: string) => {
  const m = /CAPABILITY ([^\]]*)/i.exec(line);
  return m ? m[1]!.trim().split(/\s+/).map((c) => c.toUpperCase()) : [];
};

export async function imapStarttls(socket: Duplex, budget: Budget): Promise<ImapStarttlsInfo> {
  const d = new LineDialogue(socket, budget);
  const info: ImapStarttlsInfo = { protocol: 'imap', offered: false, banner: '', capabilities: [], transcript: '', loginDisabled: false };
  const learned = () => ({ ...info, transcript: d.transcript });
  try {
    info.banner = await d.line('the IMAP greeting');
    if (!/^\* OK\b/i.test(info.banner)) {
      throw new ProbeError('protocol', `IMAP greeting is not "* OK": ${info.banner.slice(0, 200)}`);
    }
    await d.send('a1 CAPABILITY');
    const caps = await tagged(d, 'a1', 'the CAPABILITY reply');
    if (caps.status !== 'OK') throw new ProbeError('protocol', `CAPABILITY failed: ${caps.status} ${caps.text.slice(0, 200)}`);
    info.capabilities = caps.untagged.filter((l) => /^\* CAPABILITY /i.test(l)).flatMap(capsIn);
    info.offered = info.capabilities.includes('STARTTLS');
    info.loginDisabled = info.capabilities.includes('LOGINDISABLED');
    if (!info.offered) throw new StarttlsNotOffered('the server does not list STARTTLS among its IMAP capabilities', learned());
    await d.send('a2 STARTTLS');
    const go = await tagged(d, 'a2', 'the STARTTLS reply');
    if (go.status !== 'OK') throw new ProbeError('starttls-refused', `STARTTLS refused: ${go.status} ${go.text.slice(0, 200)}`);
  } catch (e) {
    d.reader.detach();
    if (e instanceof ProbeError && !(e instanceof StarttlsFailed)) throw new StarttlsFailed(e, learned());
    throw e;
  }
  assertNothingAfter(d.reader.detach(), 'a2 OK', learned());
  return learned();
}
