/** Tests for the tokenizer text helpers, checked against the platform's TextEncoder/TextDecoder. */
import { strict as assert } from 'node:assert';
import { byteString, decodeUtf8Lossy, forEachCodePoint, readableLabel, utf8BytesOfCodePoint } from '../../../../src/engine/tokenizer/utf8';

describe('tokenizer/utf8', () => {
  it('walks code points with UTF-16 spans, lone surrogates included', () => {
    const seen: [number, number, number][] = [];
    forEachCodePoint('a\u{1F642}\uDC00\uD800', (cp, s, e) => seen.push([cp, s, e]));
    assert.deepEqual(seen, [
      [0x61, 0, 1],
      [0x1f642, 1, 3],
      [0xdc00, 3, 4],
      [0xd800, 4, 5],
    ]);
  });

  it('produces the same UTF-8 bytes as TextEncoder for every boundary code point and lone surrogates', () => {
    const encoder = new TextEncoder();
    const points = [0, 0x7f, 0x80, 0x7ff, 0x800, 0xd7ff, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xe000, 0xfffd, 0xffff, 0x10000, 0x1f642, 0x10ffff];
    for (const cp of points) {
      assert.deepEqual(utf8BytesOfCodePoint(cp), [...encoder.encode(String.fromCodePoint(cp))], cp.toString(16));
    }
  });

  it('byte strings are exact keys; lossy decoding keeps a BOM and replaces bad bytes', () => {
    assert.equal(byteString([0xe2, 0x80, 0x9c]), '\u00e2\u0080\u009c');
    assert.equal(decodeUtf8Lossy(Uint8Array.of(0xef, 0xbb, 0xbf, 0x41, 0xff)), '\uFEFFA\uFFFD');
  });

  it('labels escape control characters and lone surrogates only', () => {
    assert.equal(readableLabel('\n<s>\n'), '\\n<s>\\n');
    assert.equal(readableLabel(' caf\u00e9\t\u0000\u007f\u0085\uD800🙂'), ' caf\u00e9\\t\\x00\\x7F\\x85\\u{D800}🙂');
  });
});
