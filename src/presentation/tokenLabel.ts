/**
 * Token text as a label: whitespace made visible (a token that is a space or a newline must not
 * be an empty cell) and long tokens shortened. Pure, so the editor hover, the dashboard and the
 * exports show the same thing.
 */

const VISIBLE: Record<string, string> = { ' ': '·', '\n': '↵', '\r': '␍', '\t': '⇥' };

export function tokenLabel(text: string, maxChars = 12): string {
  const out = visibleText(text);
  if (out.length === 0) return '∅';
  const chars = [...out];
  return chars.length > maxChars ? `${chars.slice(0, maxChars - 1).join('')}…` : out;
}

/** Line breaks, tabs and control characters made visible; spaces as · too unless `spaces` is false (running text). */
export function visibleText(text: string, spaces = true): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    out += (ch === ' ' && !spaces ? ch : VISIBLE[ch]) ?? (code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, '0')}` : ch);
  }
  return out;
}
