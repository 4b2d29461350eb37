/** Tests for the code-point character tokenizer: ids, spans, unknowns, surrogates, JSON form. */
import { strict as assert } from 'node:assert';
import { CHAR_UNK_ID, CharTokenizer, CharTokenizerError } from '../../../../src/engine/tokenizer/charTokenizer';

function spansText(text: string, tokens: readonly { start: number; end: number }[]): string {
  let at = 0;
  let out = '';
  for (const t of tokens) {
    assert.equal(t.start, at, 'spans are contiguous');
    assert.ok(t.end > t.start);
    out += text.slice(t.start, t.end);
    at = t.end;
  }
  assert.equal(at, text.length);
  return out;
}

function throwsCharError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof CharTokenizerError && pattern.test(e.message));
}

describe('CharTokenizer', () => {
  it('builds <unk> + sorted distinct characters and encodes with spans', () => {
    const tok = CharTokenizer.fromText('hello');
    assert.equal(tok.kind, 'char');
    assert.equal(tok.vocabSize, 5);
    assert.equal(tok.bosId, null);
    assert.equal(tok.eosId, null);
    const enc = tok.encode('hello');
    assert.deepEqual([...enc.ids], [2, 1, 3, 3, 4]); // <unk>=0, e=1, h=2, l=3, o=4
    assert.deepEqual(
      enc.tokens.map((t) => [t.id, t.text, t.start, t.end]),
      [
        [2, 'h', 0, 1],
        [1, 'e', 1, 2],
        [3, 'l', 2, 3],
        [3, 'l', 3, 4],
        [4, 'o', 4, 5],
      ],
    );
    assert.equal(tok.decode(enc.ids), 'hello');
  });

  it('orders the vocabulary by code point (astral characters after U+FFFF)', () => {
    const tok = CharTokenizer.fromText('b\u{1F600}a\uFFFF');
    assert.deepEqual([...tok.encode('a b\uFFFF\u{1F600}').ids], [1, CHAR_UNK_ID, 2, 3, 4]);
  });

  it('an emoji is one token spanning both UTF-16 units', () => {
    const text = 'a\u{1F642}b';
    const tok = CharTokenizer.fromText(text);
    const enc = tok.encode(text);
    assert.equal(enc.ids.length, 3);
    assert.deepEqual(enc.tokens[1], { id: 3, text: '\u{1F642}', start: 1, end: 3 });
    assert.equal(spansText(text, enc.tokens), text);
    assert.equal(tok.decode(enc.ids), text);
  });

  it('maps characters unseen in training to <unk> (id 0), which decodes to U+FFFD', () => {
    const tok = CharTokenizer.fromText('abc');
    const text = 'a\u{1F642}x\uD800c';
    const enc = tok.encode(text);
    assert.deepEqual([...enc.ids], [1, 0, 0, 0, 3]);
    assert.deepEqual(
      enc.tokens.map((t) => [t.text, t.start, t.end]),
      [
        ['a', 0, 1],
        ['<unk>', 1, 3],
        ['<unk>', 3, 4],
        ['<unk>', 4, 5],
        ['c', 5, 6],
      ],
    );
    assert.equal(tok.decode(enc.ids), 'a\uFFFD\uFFFD\uFFFDc');
    assert.equal(tok.tokenLabel(0), '<unk>');
  });

  it('treats each lone surrogate as its own symbol and round-trips it', () => {
    const text = 'x\uD800y\uDC00\uD83D\uDE00';
    const tok = CharTokenizer.fromText(text);
    assert.equal(tok.vocabSize, 1 + 5); // x, y, U+D800, U+DC00, U+1F600
    const enc = tok.encode(text);
    assert.deepEqual(
      enc.tokens.map((t) => [t.start, t.end]),
      [
        [0, 1],
        [1, 2],
        [2, 3],
        [3, 4],
        [4, 6],
      ],
    );
    assert.equal(tok.decode(enc.ids), text);
    assert.equal(tok.tokenLabel(enc.ids[1]!), '\\u{D800}');
  });

  it('encodes the empty string (and an empty vocabulary) without trouble; options add no BOS', () => {
    const empty = CharTokenizer.fromText('');
    assert.equal(empty.vocabSize, 1);
    assert.deepEqual([...empty.encode('abc', { bos: true }).ids], [0, 0, 0]);
    assert.equal(CharTokenizer.fromText('ab').encode('', { bos: true }).ids.length, 0);
  });

  it('labels control characters readably and rejects ids outside the vocabulary', () => {
    const tok = CharTokenizer.fromText('a\n\t\u0007');
    assert.deepEqual(
      [1, 2, 3, 4].map((id) => tok.tokenLabel(id)),
      ['\\x07', '\\t', '\\n', 'a'],
    );
    throwsCharError(() => tok.decode([1, 5]), /token id 5 is outside the vocabulary 0\.\.4/);
    throwsCharError(() => tok.decode([-1]), /token id -1/);
    throwsCharError(() => tok.tokenLabel(1.5), /token id 1\.5/);
  });

  it('round-trips through JSON (as stored in checkpoint metadata), lone surrogates included', () => {
    const text = 'The cat 🐈 sat.\n\uD800';
    const tok = CharTokenizer.fromText(text);
    const stored = JSON.stringify(tok.toJSON());
    assert.ok(/^[\x20-\x7e]*$/.test(stored), 'plain ASCII JSON');
    const back = CharTokenizer.fromJSON(JSON.parse(stored));
    assert.deepEqual(back.toJSON(), tok.toJSON());
    assert.deepEqual([...back.encode(text + 'Z').ids], [...tok.encode(text + 'Z').ids]);
  });

  it('fromJSON rejects malformed descriptions with the offending value', () => {
    throwsCharError(() => CharTokenizer.fromJSON(null), /is null, expected an object/);
    throwsCharError(() => CharTokenizer.fromJSON([1]), /is an array, expected an object/);
    throwsCharError(() => CharTokenizer.fromJSON({ kind: 'bpe', version: 1, codePoints: [] }), /kind is "bpe", expected "char"/);
    throwsCharError(() => CharTokenizer.fromJSON({ kind: 'char', version: 2, codePoints: [] }), /version 2 is not supported/);
    throwsCharError(() => CharTokenizer.fromJSON({ kind: 'char', version: 1 }), /codePoints is missing/);
    throwsCharError(() => CharTokenizer.fromJSON({ kind: 'char', version: 1, codePoints: 'abc' }), /codePoints is string "abc"/);
    throwsCharError(() => CharTokenizer.fromJSON({ kind: 'char', version: 1, codePoints: [97, 'b'] }), /codePoints\[1\] is string "b"/);
    throwsCharError(() => CharTokenizer.fromJSON({ kind: 'char', version: 1, codePoints: [-1] }), /codePoints\[0\] is number -1/);
    throwsCharError(() => CharTokenizer.fromJSON({ kind: 'char', version: 1, codePoints: [0x110000] }), /1114112, expected an integer in 0\.\.0x10FFFF/);
    throwsCharError(() => CharTokenizer.fromJSON({ kind: 'char', version: 1, codePoints: [1.5] }), /1\.5/);
    throwsCharError(
      () => CharTokenizer.fromJSON({ kind: 'char', version: 1, codePoints: [98, 97] }),
      /codePoints\[1\] = 97 is not greater than codePoints\[0\] = 98/,
    );
    throwsCharError(() => CharTokenizer.fromJSON({ kind: 'char', version: 1, codePoints: [97, 97] }), /strictly increasing/);
  });
});
