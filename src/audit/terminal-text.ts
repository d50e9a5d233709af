// Text for a terminal, shared by every renderer (check, caa, records, rollover): colour codes,
// the escaping of untrusted text (a certificate or a zone must not rewrite the terminal), and
// word wrapping.
import type { Severity } from './finding.ts';

export const ANSI = { red: 31, yellow: 33, green: 32, cyan: 36, magenta: 35, dim: 2, bold: 1 } as const;

export const SEVERITY_COLOR: Record<Severity, number> = { critical: ANSI.magenta, error: ANSI.red, warning: ANSI.yellow, info: ANSI.cyan, ok: ANSI.green };

/** `paint(code, text)`: wrapped in an SGR colour code when `color`, else unchanged. */
export function painter(color: boolean): (code: number, s: string) => string {
  return (code, s) => (color ? `\u001b[${code}m${s}\u001b[0m` : s);
}

/** Escape C0/C1 controls (and DEL) in untrusted text. */
export function safe(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Words joined into lines of at most `width` characters (a longer word keeps its own line). */
export function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out;
}
