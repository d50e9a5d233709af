// A line-oriented dialogue (SMTP, IMAP, POP3): send a command, read reply lines, keep a capped
// transcript of what the server said. Each line read is bounded by the probe's budget.
import type { Duplex } from 'node:stream';
import { BoundedReader, capText, lineScan, writeAll, type Budget } from '../bounded.ts';

const TRANSCRIPT_CAP = 16_384;

export class LineDialogue {
  readonly reader: BoundedReader;
  private log = '';

  constructor(
    private readonly socket: Duplex,
    budget: Budget,
  ) {
    this.reader = new BoundedReader(socket, budget);
  }

  async line(waitingFor: string): Promise<string> {
    const l = await this.reader.read(waitingFor, lineScan);
    if (this.log.length < TRANSCRIPT_CAP) this.log += `S: ${l}\n`;
    return l;
  }

  async send(command: string): Promise<void> {
    if (this.log.length < TRANSCRIPT_CAP) this.log += `C: ${command}\n`;
    await writeAll(this.socket, `${command}\r\n`);
  }

  get transcript(): string {
    return capText(this.log, TRANSCRIPT_CAP);
  }
}
