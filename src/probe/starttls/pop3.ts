// POP3 STLS (RFC 2595 §4, capabilities per RFC 2449): greeting `+OK`, `CAPA` answered by `+OK`
// and lines up to a lone ".", look for STLS, send `STLS`, expect `+OK`.
import type { Duplex } from 'node:stream';
import type { Budget } from '../bounded.ts';
import { ProbeError } from '../errors.ts';
import { assertNothingAfter, StarttlsFailed, StarttlsNotOffered, type LineStarttlsInfo } from './common.ts';
import { LineDialogue } from './lines.ts';

export async function pop3Starttls(socket: Duplex, budget: Budget): Promise<LineStarttlsInfo> {
  const d = new LineDialogue(socket, budget);
  const info: LineStarttlsInfo = { protocol: 'pop3', offered: false, banner: '', capabilities: [], transcript: '' };
  const learned = () => ({ ...info, transcript: d.transcript });
  try {
    info.banner = await d.line('the POP3 greeting');
    if (!info.banner.startsWith('+OK')) throw new ProbeError('protocol', `POP3 greeting is not +OK: ${info.banner.slice(0, 200)}`);
    await d.send('CAPA');
    const status = await d.line('the CAPA reply');
    if (status.startsWith('+OK')) {
      for (;;) {
        const l = await d.line('the CAPA list');
        if (l === '.') break;
        // RFC 1939 §3 byte-stuffing: a line starting with "." has it doubled.
        info.capabilities.push((l.startsWith('..') ? l.slice(1) : l).trim().toUpperCase());
      }
    }
    // A server without CAPA (-ERR) cannot advertise STLS (RFC 2595 §4).
    info.offered = info.capabilities.some((c) => c === 'STLS' || c.startsWith('STLS '));
    if (!info.offered) throw new StarttlsNotOffered('the server does not list STLS in its CAPA reply', learned());
    await d.send('STLS');
    const go = await d.line('the STLS reply');
    if (!go.startsWith('+OK')) throw new ProbeError('starttls-refused', `STLS refused: ${go.slice(0, 200)}`);
  } catch (e) {
    d.reader.detach();
    if (e instanceof ProbeError && !(e instanceof StarttlsFailed)) throw new StarttlsFailed(e, learned());
    throw e;
  }
  assertNothingAfter(d.reader.detach(), 'the STLS +OK', learned());
  return learned();
}
