// A test double for one notification channel only: it records every delivery it is handed (in
// memory, and as JSON lines in a file when `file` is given, so a test can read what a `keywatch
// serve` child process sent), and fails while `failFile` exists (a receiver that is down).
// Usable in-process (`new RecordingNotifier(...)`) or from a config's notifierModules (default export).
import { appendFileSync, existsSync } from 'node:fs';
import type { Channel, Delivery, DeliveryResult, Notifier } from '../../src/service/contracts.ts';

export class RecordingNotifier implements Notifier {
  readonly received: Delivery[] = [];
  /** Results to return for the next sends, in order (then ok). */
  readonly script: DeliveryResult[] = [];

  constructor(
    readonly channel: Channel,
    private readonly file?: string,
    private readonly failFile?: string,
  ) {}

  send(d: Delivery): Promise<DeliveryResult> {
    if (this.failFile && existsSync(this.failFile)) return Promise.resolve({ ok: false, error: 'the test receiver is down' });
    const scripted = this.script.shift();
    if (scripted && !scripted.ok) return Promise.resolve(scripted);
    this.received.push(d);
    if (this.file) appendFileSync(this.file, `${JSON.stringify(d)}\n`);
    return Promise.resolve({ ok: true });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

export default function recordingNotifier(options: Record<string, unknown>): Notifier {
  const str = (k: string) => (typeof options[k] === 'string' ? (options[k]) : undefined);
  return new RecordingNotifier((str('channel') ?? 'email') as Channel, str('file'), str('failFile'));
}
