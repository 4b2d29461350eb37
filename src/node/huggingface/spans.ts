/**
 * Character spans for the tokens of a Hugging Face tokenizer. The library gives token strings
 * but no offsets, so the spans are recovered by aligning what each token stands for (its
 * "surface" bytes) with the text, byte by byte, where every byte of the text knows the
 * characters it came from. Spans follow the rules of engine/tokenizer/tokenizer.ts:
 *
 * - UTF-16 offsets; a token covers whole code points, so it never splits a surrogate pair and
 *   byte-level (or byte-fallback) tokens that share one character each span that character;
 * - a marker the tokenizer inserts (sentencepiece's dummy-prefix `▁`, a byte-level prefix
 *   space) stands for no character: alone it is the empty span at its position, merged into a
 *   token it adds nothing (so `▁Hello` at the start spans just `Hello`);
 * - an unknown token (`<unk>`, `[UNK]`) spans the characters it replaced: what its pre-tokenizer
 *   piece holds besides its other tokens (a whole word for WordPiece, one character for BPE),
 *   as Hugging Face's offsets do (the pieces come from modelPieces.ts);
 * - text a tokenizer drops (stripped whitespace, characters without a token) is simply not
 *   covered; a code point its normalizer removes (an accent) belongs to the character before it.
 *
 * The comparison happens in the tokenizer's normalized space. The whole text is normalized
 * once and mapped back code point by code point; where a normalizer rewrites several code
 * points together (NFC composing `e` + U+0301, lowercase's final sigma, a Replace of a longer
 * pattern) those code points form one unit, and every byte written for it spans all of them.
 */

import { utf8 } from './byteLevel';
import type { Piece } from './modelPieces';

export interface SpanSource {
  /** The text as the tokenizer's normalizer writes it (no inserted markers). */
  normalize(text: string): string;
  /** The bytes a token stands for in the normalized text. */
  surface(token: string): Uint8Array;
  /** The bytes of a pre-tokenizer piece (the model's input) in the normalized text. */
  pieceSurface(piece: string): Uint8Array;
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

export function alignSpans(text: string, tokens: readonly string[], src: SpanSource, pieces: readonly Piece[] = []): Spans {
  const o = normalizedBytes(text, src);
  const surfaces = tokens.map((t) => src.surface(t));
  const unknown = tokens.map((t) => src.isUnknown(t));
  for (const p of pieces) {
    if (unknown.slice(p.first, p.first + p.count).includes(true)) unknownSurfaces(src.pieceSurface(p.text), surfaces, unknown, p.first, p.first + p.count);
  }
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
  fillGaps(start, end, text);
  return { start, end };
}

/**
 * The bytes each unknown token of a piece replaced: the piece minus its known tokens, in
 * order. A run of unknowns shares its stretch one code point each, the last taking the rest
 * (BPE writes one `<unk>` per character, WordPiece one per word, fused ones one per run).
 * A piece that does not spell its known tokens leaves its unknowns to the gap rule.
 */
function unknownSurfaces(piece: Uint8Array, surfaces: Uint8Array[], unknown: boolean[], first: number, end: number): void {
  const found: [number, Uint8Array][] = [];
  let at = 0;
  for (let k = first; k < end;) {
    if (!unknown[k]) {
      if (!startsWith(piece, at, surfaces[k]!)) return;
      at += surfaces[k]!.length;
      k++;
      continue;
    }
    let run = k;
    while (run < end && unknown[run]) run++;
    const cuts = [at];
    for (let c = 0; c < run - k; c++) cuts.push(nextCodePoint(piece, cuts[c]!));
    if (cuts[run - k]! > piece.length) return;
    const stop = run === end ? piece.length : indexOf(piece, surfaces[run]!, cuts[run - k]!, piece.length);
    if (stop < 0) return;
    cuts[run - k] = stop;
    for (let c = k; c < run; c++) found.push([c, piece.subarray(cuts[c - k]!, cuts[c - k + 1]!)]);
    at = stop;
    k = run;
  }
  if (at !== piece.length) return;
  for (const [k, bytes] of found) {
    surfaces[k] = bytes;
    unknown[k] = false;
  }
}

/** The byte after the UTF-8 character starting at `at` (past the end when none starts there). */
function nextCodePoint(bytes: Uint8Array, at: number): number {
  if (at >= bytes.length) return bytes.length + 1;
  let i = at + 1;
  while (i < bytes.length && (bytes[i]! & 0xc0) === 0x80) i++;
  return i;
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

/**
 * Tokens that got no text share the gap between their aligned neighbours, without the
 * whitespace at its ends (the text pre-tokenizers drop) when anything else is there: one code
 * point each, the last taking the rest.
 */
function fillGaps(start: Int32Array, end: Int32Array, text: string): void {
  const n = start.length;
  let k = 0;
  while (k < n) {
    if (start[k]! >= 0) {
      k++;
      continue;
    }
    let last = k;
    while (last + 1 < n && start[last + 1]! < 0) last++;
    let from = k > 0 ? end[k - 1]! : 0;
    let to = Math.max(from, last + 1 < n ? start[last + 1]! : text.length);
    const inner = /^(\s*)([^]*?)\s*$/u.exec(text.slice(from, to))!;
    if (inner[2]!.length > 0) {
      from += inner[1]!.length;
      to = from + inner[2]!.length;
    }
    for (let g = k; g <= last; g++) {
      start[g] = from;
      if (g < last && from < to) from += text.codePointAt(from)! > 0xffff ? 2 : 1;
      end[g] = g < last ? from : to;
    }
    k = last + 1;
  }
}

interface NormalizedBytes {
  readonly bytes: Uint8Array;
  /** UTF-16 span of the code points each byte came from. */
  readonly start: Int32Array;
  readonly end: Int32Array;
}

/** Code points joined (forward, and units back) to find what a normalizer rewrote together. */
const MAX_JOIN = 16;
const MAX_BACK = 4;

/**
 * The normalized text's bytes, each with the span of the original code points it came from.
 * Units are matched greedily against the normalized whole; where one code point does not
 * match, it is joined with the next ones (and, failing that, with the units before it) until
 * the normalized join does. Past a mismatch no join explains, the rest is matched from the end
 * and whatever is left in between is one unit.
 */
function normalizedBytes(text: string, src: SpanSource): NormalizedBytes {
  const whole = src.normalize(text);
  const cps: number[] = [];
  for (let at = 0; at < text.length; at += text.codePointAt(at)! > 0xffff ? 2 : 1) cps.push(at);
  const n = cps.length;
  cps.push(text.length);
  const cache = new Map<number, string>();
  const one = (a: number): string => {
    const cp = text.codePointAt(cps[a]!)!;
    let r = cache.get(cp);
    if (r === undefined) cache.set(cp, (r = src.normalize(text.slice(cps[a], cps[a + 1]))));
    return r;
  };
  const norm = (a: number, b: number): string => (b - a === 1 ? one(a) : src.normalize(text.slice(cps[a], cps[b])));
  // Units (parallel arrays, one entry per unit: a text has many): code points [from, to)
  // written as `len` UTF-16 units at `at` in the normalized whole.
  const from: number[] = [],
    to: number[] = [],
    at: number[] = [],
    len: number[] = [];
  const unit = (f: number, t: number, a: number, l: number): void => {
    from.push(f);
    to.push(t);
    at.push(a);
    len.push(l);
  };
  // A joined unit keeps out the code points at its ends that the normalizer wrote as alone
  // (lowercase's "ΟΣ" → "ος": only the Σ needed the context).
  const joined = (f: number, t: number, out: string, a: number): void => {
    let head: string, tail: string;
    while (t - f > 1 && (head = one(f)).length > 0 && out.startsWith(head)) {
      unit(f, f + 1, a, head.length);
      [f, out, a] = [f + 1, out.slice(head.length), a + head.length];
    }
    const after: [number, number][] = [];
    while (t - f > 1 && (tail = one(t - 1)).length > 0 && out.endsWith(tail)) {
      out = out.slice(0, out.length - tail.length);
      after.unshift([t - 1, tail.length]);
      t--;
    }
    unit(f, t, a, out.length);
    for (const [c, l] of after) unit(c, c + 1, at[at.length - 1]! + len[len.length - 1]!, l);
  };
  let p = 0,
    u = 0;
  const rejoin = (): boolean => {
    for (let back = 0; back <= Math.min(MAX_BACK, from.length); back++) {
      const f = back === 0 ? u : from[from.length - back]!;
      const a = back === 0 ? p : at[at.length - back]!;
      for (let k = 1; k <= MAX_JOIN && u + k <= n; k++) {
        const out = norm(f, u + k);
        if (whole.startsWith(out, a)) {
          for (const list of [from, to, at, len]) list.length -= back;
          joined(f, u + k, out, a);
          p = a + out.length;
          u += k;
          return true;
        }
      }
    }
    return false;
  };
  while (u < n) {
    const out = one(u);
    if (whole.startsWith(out, p)) {
      unit(u, u + 1, p, out.length);
      p += out.length;
      u++;
    } else if (!rejoin()) break;
  }
  if (u < n) {
    const tail: [number, number, number][] = [];
    let v = n,
      q = whole.length;
    while (v > u) {
      const out = one(v - 1);
      if (q - out.length < p || !whole.endsWith(out, q)) break;
      q -= out.length;
      tail.unshift([v - 1, q, out.length]);
      v--;
    }
    unit(u, v, p, q - p);
    for (const [c, a, l] of tail) unit(c, c + 1, a, l);
  } else if (p < whole.length && len.length > 0) {
    len[len.length - 1]! += whole.length - p; // written after the last code point: it belongs to it
  }
  // One UTF-8 encoding of the whole (units split it at code points), and each unit's bytes in it.
  const bytes = utf8(whole);
  const byteAt = new Int32Array(whole.length + 1);
  for (let i = 0, b = 0; i < whole.length;) {
    const cp = whole.codePointAt(i)!;
    const w = cp > 0xffff ? 2 : 1;
    b += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp <= 0xffff ? 3 : 4;
    i += w;
    byteAt[i] = b;
    if (w === 2) byteAt[i - 1] = b;
  }
  const start = new Int32Array(bytes.length);
  const end = new Int32Array(bytes.length);
  // Code points the normalizer removed (StripAccents' marks, control characters) belong to the
  // character before them, as in Hugging Face's alignments; at the start, to the one after.
  let lead = -1;
  let last = -1;
  for (let i = 0; i < len.length; i++) {
    if (len[i] === 0) {
      if (last >= 0) end.fill(cps[to[i]!]!, byteAt[at[last]!]!, byteAt[at[last]! + len[last]!]!);
      else if (lead < 0) lead = from[i]!;
      continue;
    }
    const b0 = byteAt[at[i]!]!,
      b1 = byteAt[at[i]! + len[i]!]!;
    start.fill(cps[lead < 0 ? from[i]! : lead]!, b0, b1);
    end.fill(cps[to[i]!]!, b0, b1);
    lead = -1;
    last = i;
  }
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
