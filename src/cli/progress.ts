// The progress line long commands print on stderr, rewritten in place; only on a terminal, so
// pipes and logs stay clean.
import type { CheckProgress } from '../audit/check.ts';

/** One status line on stderr, rewritten in place; only when stderr is a terminal. */
export function progressPrinter(enabled: boolean): { on: (p: CheckProgress) => void; clear: () => void } {
  if (!enabled) return { on: () => undefined, clear: () => undefined };
  const write = (s: string) => process.stderr.write(`\r\u001b[K${s}`);
  return {
    on: (p) => {
      if (p.kind === 'discovered') write(`found ${p.endpoints} endpoint${p.endpoints === 1 ? '' : 's'}${p.refused ? ` (${p.refused} not public, skipped)` : ''}`);
      else if (p.kind === 'probing') write(`probing ${p.done + 1}/${p.total}: ${p.label}`);
      else write(`probed ${p.done}/${p.total}: ${p.label} ${p.ok ? 'ok' : 'failed'}`);
    },
    clear: () => process.stderr.write('\r\u001b[K'),
  };
}
