/**
 * A document's tokens held as three Int32Arrays (ids, starts, ends) instead of the
 * tokenizer's array of span objects: a 10 MB document is ten million tokens, which as
 * objects would be most of a gigabyte and as typed arrays is 120 MB.
 *
 * Character tokenizers are context-free (one token per code point), which allows two things
 * the general path cannot do exactly:
 * - encoding in chunks, so the span objects of only one chunk exist at a time;
 * - re-encoding an edited text incrementally: the tokens of the unchanged prefix and suffix
 *   are kept (the suffix's spans shifted), and only the changed middle is encoded. An edit in
 *   a 10 MB document then costs a string comparison and a few array copies, not a re-encode.
 * Any other tokenizer (BPE merges, a BOS and a dummy prefix) encodes the whole text at once.
 */

import type { Tokenizer } from '../engine';
import type { TokenSlice } from '../protocol/common';

export interface TokenArrays {
  readonly ids: Int32Array;
  /** [start, end) of each token, in UTF-16 code units; both non-decreasing along the document. */
  readonly starts: Int32Array;
  readonly ends: Int32Array;
}

/** Code units per chunk when encoding in pieces. */
const CHUNK = 1 << 16;

export function encodeToArrays(tokenizer: Tokenizer, text: string): TokenArrays {
  if (tokenizer.kind !== 'char') {
    const enc = tokenizer.encode(text);
    const n = enc.tokens.length;
    const out = alloc(n);
    for (let i = 0; i < n; i++) {
      const t = enc.tokens[i]!;
      out.ids[i] = t.id;
      out.starts[i] = t.start;
      out.ends[i] = t.end;
    }
    return out;
  }
  // A char tokenizer makes at most one token per code unit.
  const out = alloc(text.length);
  const n = encodeCharsInto(tokenizer, text, 0, text.length, out, 0);
  return n === text.length ? out : shrink(out, n);
}

/**
 * The tokens of `text`, given the tokens of `oldText` from the same (character) tokenizer,
 * and how many leading tokens are unchanged. Falls back to a full encode for other tokenizers.
 */
export function reencodeToArrays(tokenizer: Tokenizer, oldText: string, old: TokenArrays, text: string): { tokens: TokenArrays; unchangedPrefix: number } {
  if (tokenizer.kind !== 'char') return { tokens: encodeToArrays(tokenizer, text), unchangedPrefix: 0 };
  const oldLen = oldText.length;
  const newLen = text.length;
  const limit = Math.min(oldLen, newLen);
  let p = 0;
  while (p < limit && oldText.charCodeAt(p) === text.charCodeAt(p)) p++;
  // Never cut between a high surrogate and what follows: that character may pair differently.
  if (p > 0 && isHighSurrogate(text.charCodeAt(p - 1))) p--;
  let s = 0;
  while (s < limit - p && oldText.charCodeAt(oldLen - 1 - s) === text.charCodeAt(newLen - 1 - s)) s++;
  // Nor between what precedes and a low surrogate.
  if (s > 0 && isLowSurrogate(text.charCodeAt(newLen - s))) s--;

  const oldCount = old.ids.length;
  const keepHead = lowerBound(old.ends, p + 1); // tokens ending at or before p
  const tailFrom = lowerBound(old.starts, oldLen - s); // first token starting in the suffix
  const tailCount = oldCount - tailFrom;
  const middleLen = newLen - s - p;
  const out = alloc(keepHead + middleLen + tailCount);
  out.ids.set(old.ids.subarray(0, keepHead));
  out.starts.set(old.starts.subarray(0, keepHead));
  out.ends.set(old.ends.subarray(0, keepHead));
  const mid = encodeCharsInto(tokenizer, text, p, newLen - s, out, keepHead);
  const at = keepHead + mid;
  const shift = newLen - oldLen;
  out.ids.set(old.ids.subarray(tailFrom), at);
  for (let i = 0; i < tailCount; i++) {
    out.starts[at + i] = old.starts[tailFrom + i]! + shift;
    out.ends[at + i] = old.ends[tailFrom + i]! + shift;
  }
  const total = at + tailCount;
  return { tokens: total === out.ids.length ? out : shrink(out, total), unchangedPrefix: keepHead };
}

/**
 * The contiguous run of tokens overlapping [start, end): tokens with t.start < end and
 * t.end > start. An empty range (a cursor) selects the token containing it
 * (t.start ≤ start < t.end). Tokens that cover no text (a BOS, start = end = 0) belong to
 * every range that starts at 0, so the host can label them. Returns [first, last) token
 * indices; first = last when nothing overlaps (first is then where such tokens would be).
 */
export function tokensOverlapping(tokens: TokenArrays, start: number, end: number): [number, number] {
  // Spans are non-decreasing, so each condition holds on a prefix or a suffix of the tokens.
  const first = start === 0 ? 0 : lowerBound(tokens.ends, start + 1); // first token with end > start
  const last = end > start ? lowerBound(tokens.starts, end) : lowerBound(tokens.starts, start + 1);
  return [first, Math.max(first, last)];
}

/** Encodes text[from, to) in chunks into `out` at `at`; returns the number of tokens written. */
function encodeCharsInto(tokenizer: Tokenizer, text: string, from: number, to: number, out: TokenArrays, at: number): number {
  let n = at;
  let pos = from;
  while (pos < to) {
    let end = Math.min(to, pos + CHUNK);
    if (end < to && isHighSurrogate(text.charCodeAt(end - 1)) && isLowSurrogate(text.charCodeAt(end))) end--;
    const enc = tokenizer.encode(text.slice(pos, end));
    for (const t of enc.tokens) {
      out.ids[n] = t.id;
      out.starts[n] = t.start + pos;
      out.ends[n] = t.end + pos;
      n++;
    }
    pos = end;
  }
  return n - at;
}

/** First index i with a[i] ≥ value (a non-decreasing). */
export function lowerBound(a: Int32Array, value: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function alloc(n: number): TokenArrays {
  return { ids: new Int32Array(n), starts: new Int32Array(n), ends: new Int32Array(n) };
}

/** Copies (not views) so the unused tail of the buffers is freed. */
function shrink(t: TokenArrays, n: number): TokenArrays {
  return { ids: t.ids.slice(0, n), starts: t.starts.slice(0, n), ends: t.ends.slice(0, n) };
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** Tokens [first, last) as a slice of fresh arrays, whose buffers are added to `transfer`. */
export function tokenSlice(tokens: TokenArrays, first: number, last: number, tokenizer: Tokenizer, transfer: ArrayBuffer[]): TokenSlice {
  const ids = tokens.ids.slice(first, last);
  const starts = tokens.starts.slice(first, last);
  const ends = tokens.ends.slice(first, last);
  transfer.push(ids.buffer, starts.buffer, ends.buffer);
  return { first, ids, starts, ends, labels: Array.from(ids, (id) => tokenizer.tokenLabel(id)) };
}
