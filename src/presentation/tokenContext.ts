/**
 * A token among its neighbours, for the hover's "where" column: `before[token]after`, cut on
 * grapheme boundaries (an emoji with its skin tone or a ZWJ family is never cut in half, which
 * would print a lone surrogate), shown as readable text (no JSON escapes), with line breaks,
 * tabs and control characters made visible the way tokenLabel shows them, and wrapped as
 * Markdown inline code that survives backticks and table pipes. Pure, so it is unit-tested.
 */

import { tokenLabel, visibleText } from './tokenLabel';

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * `before[token]after` for the token at [start, end) of `text` (UTF-16 offsets): up to `radius`
 * grapheme clusters on each side, not reaching past a line break other than the token itself
 * (the hover names the line).
 * `text` is the token's line(s); a token with no text (BOS) shows as "[∅]".
 */
export function tokenInContext(text: string, start: number, end: number, radius = 10): string {
  const from = codePointBoundary(text, Math.max(0, Math.min(start, text.length)));
  const to = codePointBoundary(text, Math.max(from, Math.min(end, text.length)));
  const head = text.slice(0, from);
  const tail = text.slice(to);
  const before = graphemes(head.slice(lastBreak(head) + 1)).slice(-radius);
  const after = graphemes(tail.slice(0, firstBreak(tail))).slice(0, radius);
  const token = tokenLabel(text.slice(from, to), Number.MAX_SAFE_INTEGER);
  return `${visibleText(before.join(''), false)}[${token}]${visibleText(after.join(''), false)}`;
}

/**
 * Text as Markdown inline code: a fence longer than any run of backticks inside, padded with
 * spaces when the text starts or ends with a backtick or a space (CommonMark strips one of each).
 * In a table cell a `|` would end the cell even inside code, so it is escaped (GFM renders `\|`
 * in a cell as `|`).
 */
export function markdownCode(text: string, inTableCell = false): string {
  const body = inTableCell ? text.replace(/\|/g, '\\|') : text;
  const longest = Math.max(0, ...(body.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = /^[` ]|[` ]$/.test(body) ? ' ' : '';
  return `${fence}${pad}${body}${pad}${fence}`;
}

function graphemes(text: string): string[] {
  return Array.from(segmenter.segment(text), (s) => s.segment);
}

function lastBreak(text: string): number {
  return Math.max(text.lastIndexOf('\n'), text.lastIndexOf('\r'));
}

function firstBreak(text: string): number {
  const i = text.search(/[\r\n]/);
  return i < 0 ? text.length : i;
}

/** An offset moved back off the low half of a surrogate pair, so no slice prints a lone half. */
function codePointBoundary(text: string, i: number): number {
  const c = text.charCodeAt(i);
  const p = text.charCodeAt(i - 1);
  return i > 0 && c >= 0xdc00 && c <= 0xdfff && p >= 0xd800 && p <= 0xdbff ? i - 1 : i;
}
