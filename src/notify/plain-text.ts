// Text that crosses into a notification channel. Messages carry server-supplied text
// (certificate subjects, finding titles built from them), and each channel breaks differently
// on hostile characters: a NUL or a lone surrogate ends an XMPP stream with a stream error, a
// bare CR in a header line would start a new header, an ANSI escape repaints a terminal that
// shows the mail. These helpers keep only what every channel can carry.

/**
 * Characters no channel may carry: C0 controls except TAB and LF, DEL, C1 controls, lone
 * surrogates, and the two XML non-characters U+FFFE and U+FFFF (XML 1.0 §2.2 excludes them).
 * CR is dropped too: line ends are LF here, and each channel writes its own.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Multi-line text with every unsafe character replaced by U+FFFD; CRLF and CR become LF. */
export function cleanText(s: string): string {
  return s.replace(/\r\n?/g, '\n').replace(UNSAFE, '\ufffd');
}

/** One line (subjects, header values, chat first lines): line breaks and tabs become spaces, runs collapse, cut to `max` characters. */
export function cleanLine(s: string, max = 200): string {
  const line = cleanText(s).replace(/[\n\t]+/g, ' ').replace(/ {2,}/g, ' ').trim();
  if (line.length <= max) return line;
  // Never cut a surrogate pair in half.
  let cut = max - 1;
  if (/[\ud800-\udbff]/.test(line[cut - 1] ?? '')) cut--;
  return `${line.slice(0, cut)}…`;
}

/** Only absolute http(s) URLs are shown as links; anything else (javascript:, data:) is left out. */
export function safeLink(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') return undefined;
    return u.href;
  } catch {
    return undefined;
  }
}
