/**
 * Token text as a label: whitespace made visible (a token that is a space or a newline must not
 * be an empty cell) and long tokens shortened. Pure, so the editor hover, the dashboard and the
 * exports show the same thing.
 */

const VISIBLE: Record<string, string> = { ' ': '·', '\n': '↵', '\r': '␍', '\t': '⇥' };

export function tokenLabel(text: string, maxChars = 12): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    out += VISIBLE[ch] ?? (code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, '0')}` : ch);
  }
  if (out.length === 0) return '∅';
  const chars = [...out];
  return chars.length > maxChars ? `${chars.slice(0, maxChars - 1).join('')}…` : out;
}
