// The embeddable status badge: a small SVG with the domain's confirmed status. Text is escaped;
// the width follows the text length (a fixed advance per character is close enough for Verdana 11px).
import { escapeHtml } from './html.ts';

export const BADGE_COLORS: Record<string, string> = { ok: '#1a7f37', warning: '#9a6700', critical: '#cf222e', unknown: '#57606a', new: '#57606a', 'not watched': '#57606a' };

export function badgeSvg(label: string, status: string): string {
  const w = (s: string) => Math.round(s.length * 6.6 + 12);
  const lw = w(label);
  const rw = w(status);
  const color = BADGE_COLORS[status] ?? '#57606a';
  const l = escapeHtml(label);
  const s = escapeHtml(status);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${lw + rw}" height="20" role="img" aria-label="${l}: ${s}"><title>${l}: ${s}</title><rect width="${lw}" height="20" fill="#24292f"/><rect x="${lw}" width="${rw}" height="20" fill="${color}"/><g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11" text-anchor="middle"><text x="${lw / 2}" y="14">${l}</text><text x="${lw + rw / 2}" y="14">${s}</text></g></svg>\n`;
}
