/**
 * Character spans for the tokens of a Hugging Face tokenizer. The library gives token strings
 * but no offsets, so the spans are recovered by aligning what each token stands for (its
 * "surface" bytes) with the text, byte by byte, where every byte of the text knows the code
 * point it came from. Spans follow the rules of engine/tokenizer/tokenizer.ts:
 *
 * - UTF-16 offsets; a token covers whole code points, so it never splits a surrogate pair and
 *   byte-level (or byte-fallback) tokens that share one character each span that character;
 * - a marker the tokenizer inserts (sentencepiece's dummy-prefix `▁`, a byte-level prefix
 *   space) stands for no character: alone it is the empty span at its position, merged into a
 *   token it adds nothing (so `▁Hello` at the start spans just `Hello`);
 * - an unknown token (`<unk>`) spans the gap of text between its aligned neighbours;
 * - text a tokenizer drops (stripped whitespace, characters without a token) is simply not
 *   covered.
 *
 * The comparison happens in the tokenizer's normalized space: each code point of the text is
 * passed through the tokenizer's per-character normalization (e.g. ' ' → '▁') before its
 * bytes are compared, which is exact for normalizers that act character by character.
 */

import { utf8 } from './byteLevel';

export interface SpanSource {
  /** One code point of the text as the tokenizer's normalizer writes it (no inserted markers). */
  normalizeChar(ch: string): string;
  /** The bytes a token stands for in the normalized text. */
  surface(token: string): Uint8Array;
  /** The marker inserted before a text or section (`▁` or a space), as bytes; null when the tokenizer inserts none. */
  readonly prefix: Uint8Array | null;
  /** True for a token that stands for text the vocabulary lacks (e.g. `<unk>`). */
  isUnknown(token: string): boolean;
}

export interface Spans {
  readonly start: Int32Array;
  readonly end: Int32Array;
}

/** How far ahead (in bytes) a token is looked for when the text has bytes no token covers. */
const SEARCH_WINDOW = 1024;

export function alignSpans(text: string, tokens: readonly string[], src: SpanSource): Spans {
  const o = normalizedBytes(text, src);
  const surfaces = tokens.map((t) => src.surface(t));
  const unknown = tokens.map((t) => src.isUnknown(t));
  const n = tokens.length;
  const start = new Int32Array(n).fill(-1);
  const end = new Int32Array(n).fill(-1);
  const cover = (k: number, s: number, e: number): void => {
    if (start[k]! < 0 || s < start[k]!) start[k] = s;
    if (e > end[k]!) end[k] = e;
  };
  const position = (j: number): number => (j < o.bytes.length ? o.start[j]! : text.length);
  const P = src.prefix;

  // One stream of surface bytes, walked with (token k, byte i within it) against text byte j.
  let j = 0;
  for (let k = 0; k < n; k++) {
    const s = surfaces[k]!;
    if (unknown[k] && !matchesAt(o.bytes, j, s)) continue; // spanned over its gap below
    let i = 0;
    while (i < s.length) {
      if (P && startsWith(s, i, P) && prefixIsInserted(surfaces, k, i, o.bytes, j, P)) {
        cover(k, position(j), position(j));
        i += P.length;
      } else if (j < o.bytes.length && s[i] === o.bytes[j]) {
        cover(k, o.start[j]!, o.end[j]!);
        i++;
        j++;
      } else {
        // Text bytes no token covers (dropped or stripped): find the rest of this token ahead.
        const found = indexOf(o.bytes, s.subarray(i), j, j + SEARCH_WINDOW + s.length - i);
        if (found < 0) break; // cannot place the rest of this token: leave it to the gap rule
        j = found;
      }
    }
  }
  fillGaps(start, end, text.length);
  return { start, end };
}

/**
 * Whether the marker at byte i of token k is an insertion rather than a copy of text: it is
 * when the text has no marker here, or fewer consecutive markers than the tokens have.
 */
function prefixIsInserted(surfaces: readonly Uint8Array[], k: number, i: number, o: Uint8Array, j: number, P: Uint8Array): boolean {
  if (!startsWith(o, j, P)) return true;
  let inText = 0;
  for (let at = j; startsWith(o, at, P); at += P.length) inText++;
  let inTokens = 0;
  let kk = k,
    ii = i;
  while (kk < surfaces.length && inTokens <= inText) {
    const s = surfaces[kk]!;
    if (ii >= s.length) {
      kk++;
      ii = 0;
      continue;
    }
    if (!startsWith(s, ii, P)) break;
    inTokens++;
    ii += P.length;
  }
  return inTokens > inText;
}

/** Tokens that got no text: the span between their aligned neighbours (empty when those touch). */
function fillGaps(start: Int32Array, end: Int32Array, textLength: number): void {
  const n = start.length;
  let k = 0;
  while (k < n) {
    if (start[k]! >= 0) {
      k++;
      continue;
    }
    let last = k;
    while (last + 1 < n && start[last + 1]! < 0) last++;
    const from = k > 0 ? end[k - 1]! : 0;
    const to = last + 1 < n ? Math.max(from, start[last + 1]!) : textLength;
    for (let g = k; g <= last; g++) {
      start[g] = from;
      end[g] = Math.max(from, to);
    }
    k = last + 1;
  }
}

interface NormalizedBytes {
  readonly bytes: Uint8Array;
  /** UTF-16 span of the code point each byte came from. */
  readonly start: Int32Array;
  readonly end: Int32Array;
}

function normalizedBytes(text: string, src: SpanSource): NormalizedBytes {
  const cache = new Map<string, Uint8Array>();
  const parts: Uint8Array[] = [];
  const spans: number[] = [];
  let total = 0;
  for (let at = 0; at < text.length;) {
    const cp = text.codePointAt(at)!;
    const width = cp > 0xffff ? 2 : 1;
    const ch = text.slice(at, at + width);
    let b = cache.get(ch);
    if (b === undefined) {
      b = utf8(src.normalizeChar(ch));
      cache.set(ch, b);
    }
    parts.push(b);
    spans.push(at, at + width);
    total += b.length;
    at += width;
  }
  const bytes = new Uint8Array(total);
  const start = new Int32Array(total);
  const end = new Int32Array(total);
  let w = 0;
  parts.forEach((b, p) => {
    bytes.set(b, w);
    start.fill(spans[2 * p]!, w, w + b.length);
    end.fill(spans[2 * p + 1]!, w, w + b.length);
    w += b.length;
  });
  return { bytes, start, end };
}

function startsWith(hay: Uint8Array, at: number, needle: Uint8Array): boolean {
  if (at + needle.length > hay.length) return false;
  for (let i = 0; i < needle.length; i++) if (hay[at + i] !== needle[i]) return false;
  return true;
}

function matchesAt(hay: Uint8Array, at: number, needle: Uint8Array): boolean {
  return needle.length > 0 && startsWith(hay, at, needle);
}

function indexOf(hay: Uint8Array, needle: Uint8Array, from: number, limit: number): number {
  const last = Math.min(hay.length - needle.length, limit);
  for (let at = from; at <= last; at++) if (startsWith(hay, at, needle)) return at;
  return -1;
}
