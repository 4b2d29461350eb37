/**
 * Byte-level helpers for Hugging Face tokenizers: GPT-2's `bytes_to_unicode` table (each byte
 * is written as one printable character, e.g. space → `Ġ`), the UTF-8 bytes of a string, and
 * readable text for a byte sequence that may not be valid UTF-8 on its own.
 */

/** GPT-2's byte → character table: printable Latin-1 bytes map to themselves, the other 68 bytes to U+0100 onward. */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const out: string[] = new Array<string>(256);
  let next = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    out[b] = String.fromCharCode(printable ? b : 256 + next++);
  }
  return out;
})();

/** The inverse table: byte-level character → byte. */
export const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

const encoder = new TextEncoder();

/** UTF-8 bytes of a string (a lone surrogate becomes U+FFFD, as everywhere else in the tokenizers). */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Bytes of a byte-level token (`Ġworld` → " world"); characters outside the table contribute their UTF-8. */
export function byteLevelBytes(token: string): Uint8Array {
  const out: number[] = [];
  for (const ch of token) {
    const b = CHAR_TO_BYTE.get(ch);
    if (b !== undefined) out.push(b);
    else out.push(...utf8(ch));
  }
  return Uint8Array.from(out);
}

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Text of a byte sequence for people: valid UTF-8 as characters, any byte that is not part of
 * a complete character as `<0xNN>` (a byte-level token often holds half an emoji).
 */
export function readableBytes(bytes: Uint8Array): string {
  try {
    return strict.decode(bytes);
  } catch {
    // fall through to the byte-by-byte walk
  }
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const n = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    if (n > 0 && i + n <= bytes.length) {
      try {
        out += strict.decode(bytes.subarray(i, i + n));
        i += n;
        continue;
      } catch {
        // not a complete character: show the byte
      }
    }
    out += `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
    i++;
  }
  return out;
}
