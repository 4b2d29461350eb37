/**
 * Text helpers shared by the tokenizers: walking a JS string by code point with UTF-16 spans,
 * the UTF-8 bytes of one code point, byte strings usable as Map keys, and readable labels.
 * Written by hand (not TextEncoder) because tokenizers need per-code-point bytes and spans.
 */

/**
 * Calls `fn(codePoint, start, end)` for each code point of `text`, where [start, end) is its
 * span in UTF-16 code units. A surrogate pair is one code point (an emoji is one call); a lone
 * surrogate is reported as its own code point in 0xD800–0xDFFF rather than throwing, because
 * editor text can contain them.
 */
export function forEachCodePoint(text: string, fn: (codePoint: number, start: number, end: number) => void): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    const cp = text.codePointAt(i)!;
    const width = cp > 0xffff ? 2 : 1;
    fn(cp, i, i + width);
    i += width;
  }
}

/** True for 0xD800–0xDFFF: only ever seen here as a lone surrogate. */
export function isSurrogate(codePoint: number): boolean {
  return codePoint >= 0xd800 && codePoint <= 0xdfff;
}

/**
 * UTF-8 bytes of one code point. A lone surrogate has no UTF-8 form; it becomes U+FFFD
 * (EF BF BD), exactly what TextEncoder does, so byte-level tokenizers see the same bytes a
 * UTF-8 file of this text would hold.
 */
export function utf8BytesOfCodePoint(codePoint: number): number[] {
  const cp = isSurrogate(codePoint) ? 0xfffd : codePoint;
  if (cp < 0x80) return [cp];
  if (cp < 0x800) return [0xc0 | (cp >> 6), 0x80 | (cp & 0x3f)];
  if (cp < 0x10000) return [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)];
  return [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)];
}

/**
 * A string with one char per byte (each char code 0–255). Byte sequences compare and
 * concatenate exactly as these strings do, which makes them cheap, exact Map keys for
 * vocabularies whose pieces need not be valid UTF-8.
 */
export function byteString(bytes: ArrayLike<number>): string {
  // fromCharCode over a chunk makes one flat string; `s += char` would build a rope per char,
  // and a tokenizer makes tens of thousands of these at load.
  // (apply takes any array-like; chunks keep the argument count within the engine's limits.)
  const CHUNK = 4096;
  if (bytes.length <= CHUNK) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  let s = '';
  for (let i = 0; i < bytes.length; i += CHUNK) s += String.fromCharCode.apply(null, Array.prototype.slice.call(bytes, i, i + CHUNK) as number[]);
  return s;
}

/** One decoder for every call: a tokenizer decodes each of its (tens of thousands of) pieces at load. */
const lossyDecoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/** UTF-8 decoding that never throws: invalid sequences become U+FFFD; a leading BOM is kept. */
export function decodeUtf8Lossy(bytes: Uint8Array): string {
  return lossyDecoder.decode(bytes);
}

const NAMED_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * A token as one line a person can read in a hover or table: control characters and lone
 * surrogates are escaped (`\n`, `\x07`, `\u{D800}`), everything else is shown as is.
 */
export function readableLabel(text: string): string {
  let out = '';
  forEachCodePoint(text, (cp, start, end) => {
    const ch = text.slice(start, end);
    if (NAMED_ESCAPES[ch] !== undefined) out += NAMED_ESCAPES[ch];
    else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) out += `\\x${cp.toString(16).toUpperCase().padStart(2, '0')}`;
    else if (isSurrogate(cp)) out += `\\u{${cp.toString(16).toUpperCase()}}`;
    else out += ch;
  });
  return out;
}
