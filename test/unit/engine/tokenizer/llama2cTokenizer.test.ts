/**
 * Tests for the llama2.c tokenizer: run.c's reference outputs (stories260K fixtures), a
 * straightforward port of run.c's O(n²) merge loop as an oracle for the heap-based encoder,
 * span rules, speed on a 100 KB document, and malformed tokenizer files.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Llama2cTokenizer, Llama2cTokenizerError } from '../../../../src/engine/tokenizer/llama2cTokenizer';
import { PieceIndex } from '../../../../src/engine/tokenizer/pieceIndex';
import type { Encoding } from '../../../../src/engine/tokenizer/tokenizer';

const FIXTURES = process.env.ATTENTION_LENS_FIXTURES ?? path.resolve(__dirname, '../../../../../shared/fixtures');
const STORIES = path.join(FIXTURES, 'stories260K');

function readFixture(name: string): Uint8Array | null {
  const p = path.join(STORIES, name);
  return fs.existsSync(p) ? new Uint8Array(fs.readFileSync(p)) : null;
}

function readJson<T>(name: string): T | null {
  const bytes = readFixture(name);
  return bytes ? (JSON.parse(new TextDecoder().decode(bytes)) as T) : null;
}

/** A tokenizer .bin: the standard <unk>/BOS/EOS/<0xNN> prefix, then `extra` pieces. */
function buildBin(extra: [string | Uint8Array, number][], options: { maxLen?: number; prefix?: boolean } = {}): Uint8Array {
  const records: [Uint8Array, number][] = [];
  const enc = (s: string | Uint8Array): Uint8Array => (typeof s === 'string' ? new TextEncoder().encode(s) : s);
  if (options.prefix ?? true) {
    records.push([enc('<unk>'), 0], [enc('\n<s>\n'), 0], [enc('\n</s>\n'), 0]);
    for (let b = 0; b < 256; b++) records.push([enc(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`), 0]);
  }
  for (const [p, s] of extra) records.push([enc(p), s]);
  const maxLen = options.maxLen ?? Math.max(...records.map(([p]) => p.length));
  const out = new Uint8Array(4 + records.reduce((n, [p]) => n + 8 + p.length, 0));
  const v = new DataView(out.buffer);
  v.setUint32(0, maxLen, true);
  let at = 4;
  for (const [p, s] of records) {
    v.setFloat32(at, s, true);
    v.setInt32(at + 4, p.length, true);
    out.set(p, at + 8);
    at += 8 + p.length;
  }
  return out;
}

/** Pieces and scores read independently of the code under test. */
function readVocab(bytes: Uint8Array, vocabSize: number): { keys: string[]; scores: number[] } {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const keys: string[] = [];
  const scores: number[] = [];
  let at = 4;
  for (let i = 0; i < vocabSize; i++) {
    scores.push(v.getFloat32(at, true));
    const len = v.getInt32(at + 4, true);
    keys.push(String.fromCharCode(...bytes.subarray(at + 8, at + 8 + len)));
    at += 8 + len;
  }
  return { keys, scores };
}

/** run.c's encode(), transcribed loop for loop (byte-level grouping, O(n²) merging). */
function referenceEncode(vocab: { keys: string[]; scores: number[] }, text: string, bos: boolean): number[] {
  const lookup = new Map<string, number>();
  vocab.keys.forEach((k, i) => lookup.has(k) || lookup.set(k, i));
  const tokens: number[] = [];
  if (bos) tokens.push(1);
  if (text !== '') tokens.push(lookup.get(' ')!);
  const bytes = new TextEncoder().encode(text);
  let buf: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    if ((bytes[i]! & 0xc0) !== 0x80) buf = [];
    buf.push(bytes[i]!);
    if (i + 1 < bytes.length && (bytes[i + 1]! & 0xc0) === 0x80 && buf.length < 4) continue;
    const id = lookup.get(String.fromCharCode(...buf));
    if (id !== undefined) tokens.push(id);
    else for (const b of buf) tokens.push(b + 3);
    buf = [];
  }
  for (;;) {
    let bestScore = -1e10;
    let bestId = -1;
    let bestIdx = -1;
    for (let i = 0; i < tokens.length - 1; i++) {
      const id = lookup.get(vocab.keys[tokens[i]!]! + vocab.keys[tokens[i + 1]!]!);
      if (id !== undefined && vocab.scores[id]! > bestScore) {
        bestScore = vocab.scores[id]!;
        bestId = id;
        bestIdx = i;
      }
    }
    if (bestIdx === -1) break;
    tokens.splice(bestIdx, 2, bestId);
  }
  return tokens;
}

/** Asserts the span rules and returns the input text rebuilt from the spans. */
function checkSpans(text: string, enc: Encoding): string {
  let rebuilt = '';
  let lastEnd = 0;
  let last: [number, number] | null = null;
  for (const t of enc.tokens) {
    assert.ok(t.start <= t.end, `start ${t.start} <= end ${t.end}`);
    if (t.start === t.end) {
      assert.equal(t.start, 0, 'empty spans (BOS, dummy prefix) sit at 0');
      continue;
    }
    // Byte-fallback tokens of one character share its span: count that text once.
    if (last && last[0] === t.start && last[1] === t.end) continue;
    assert.equal(t.start, lastEnd, 'non-empty spans are contiguous and in order');
    assert.ok(!splitsPair(text, t.start) && !splitsPair(text, t.end), `span [${t.start}, ${t.end}) splits a surrogate pair`);
    rebuilt += text.slice(t.start, t.end);
    lastEnd = t.end;
    last = [t.start, t.end];
  }
  return rebuilt;
}

function splitsPair(text: string, i: number): boolean {
  return /[\uD800-\uDBFF]/.test(text[i - 1] ?? '') && /[\uDC00-\uDFFF]/.test(text[i] ?? '');
}

/** A deterministic pseudo-random generator (tests must not use Math.random). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomText(rand: () => number, alphabet: string[], length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += alphabet[Math.floor(rand() * alphabet.length)]!;
  return s;
}

interface EncodeCase {
  text: string;
  token_ids: number[];
  token_vocab_strings: string[];
}
interface GreedyCase {
  prompt: string;
  prompt_token_ids: number[];
  token_ids: number[];
  text: string;
  printed_pieces: string[];
}

describe('Llama2cTokenizer on stories260K (run.c reference outputs)', () => {
  let tok: Llama2cTokenizer;
  let bin: Uint8Array;

  before(function () {
    const bytes = readFixture('tok512.bin');
    if (!bytes) return this.skip();
    bin = bytes;
    tok = Llama2cTokenizer.fromBytes(bytes, 512);
  });

  it('loads the 512-piece vocabulary with the README layout', () => {
    assert.equal(tok.vocabSize, 512);
    assert.equal(tok.maxTokenLength, 7);
    assert.equal(tok.bosId, 1);
    assert.equal(tok.eosId, 2);
    assert.equal(new TextDecoder().decode(tok.piece(410)), ' ');
    assert.equal(tok.tokenLabel(1), '<s>', 'BOS (stored as "\\n<s>\\n") is labelled as the marker, not with escaped newlines');
    assert.equal(tok.tokenLabel(2), '</s>');
    assert.equal(tok.tokenLabel(13), '<0x0A>');
    assert.equal(tok.score(259), -0);
    assert.equal(tok.score(511), -252);
    assert.equal(Llama2cTokenizer.fromBytes(bin).vocabSize, 512, 'vocab size read from the file alone');
  });

  it('encodes every case of tokenizer_encode.json exactly', () => {
    const data = readJson<{ cases: EncodeCase[] }>('tokenizer_encode.json')!;
    assert.equal(data.cases.length, 17);
    for (const c of data.cases) {
      const enc = tok.encode(c.text);
      assert.deepEqual([...enc.ids], c.token_ids, JSON.stringify(c.text));
      assert.deepEqual(
        enc.tokens.map((t) => t.text),
        c.token_vocab_strings,
        JSON.stringify(c.text),
      );
      assert.equal(checkSpans(c.text, enc), c.text, `spans of ${JSON.stringify(c.text)}`);
    }
  });

  it('encodes the prompts of the greedy and attention reference files exactly', () => {
    const greedy = readJson<{ cases: GreedyCase[] }>('greedy_generations.json')!;
    for (const c of greedy.cases) assert.deepEqual([...tok.encode(c.prompt).ids], c.prompt_token_ids, c.prompt);
    for (const name of ['attention_logits_lily_park.json', 'attention_logits_tom_dog_newline.json']) {
      const a = readJson<{ prompt: string; token_ids: number[] }>(name)!;
      assert.deepEqual([...tok.encode(a.prompt).ids], a.token_ids, name);
    }
  });

  it('decodes greedy generations to exactly what run.c printed, piece by piece', () => {
    const greedy = readJson<{ cases: GreedyCase[] }>('greedy_generations.json')!;
    for (const c of greedy.cases) {
      assert.equal(tok.decode(c.token_ids), c.text, c.prompt);
      const pieces = c.token_ids.slice(1).map((t, i) => new TextDecoder().decode(tok.decodePiece(c.token_ids[i]!, t)));
      assert.deepEqual(pieces, c.printed_pieces, c.prompt);
    }
  });

  it('gives the README span layout: BOS and dummy prefix empty, byte tokens span their character', () => {
    const spans = (text: string): [number, number, number][] => tok.encode(text).tokens.map((t) => [t.id, t.start, t.end]);
    assert.deepEqual(spans(''), [[1, 0, 0]]);
    assert.deepEqual(spans('🙂'), [
      [1, 0, 0],
      [410, 0, 0],
      [243, 0, 2],
      [162, 0, 2],
      [156, 0, 2],
      [133, 0, 2],
    ]);
    assert.deepEqual(spans('naïve'), [
      [1, 0, 0],
      [297, 0, 1],
      [412, 1, 2],
      [198, 2, 3],
      [178, 2, 3],
      [360, 3, 5],
    ]);
    assert.deepEqual(spans('Hello\nWorld'), [
      [1, 0, 0],
      [346, 0, 2],
      [306, 2, 4],
      [414, 4, 5],
      [13, 5, 6],
      [448, 6, 7],
      [304, 7, 9],
      [341, 9, 11],
    ]);
    assert.deepEqual(spans(' '), [
      [1, 0, 0],
      [410, 0, 0],
      [410, 0, 1],
    ]);
  });

  it('bos: false drops only the BOS; the dummy prefix stays (run.c encode(text, 0, 0))', () => {
    assert.deepEqual([...tok.encode('Once upon a time', { bos: false }).ids], [403, 407, 261, 378]);
    assert.deepEqual([...tok.encode('', { bos: false }).ids], []);
  });

  it('decode drops byte-fallback characters like safe_printf; decodeText keeps them', () => {
    const ids = tok.encode('I 🙂 naïve “tea”').ids;
    assert.equal(tok.decode(ids), 'I  nave “tea”');
    assert.equal(tok.decodeText(ids), 'I 🙂 naïve “tea”');
    assert.equal(tok.decode([13, 2]), '\n\n</s>\n', 'newline byte printed; EOS printed as its piece');
    assert.equal(tok.decode([3, 4, 0x7f + 3, 0x41 + 3]), 'A', '<0x00>, control bytes and DEL are not printed');
    assert.deepEqual([...tok.decodePiece(1, 410)], []);
    assert.throws(
      () => tok.decode([512]),
      (e: unknown) => e instanceof Llama2cTokenizerError && /token id 512 is outside the vocabulary 0\.\.511/.test(e.message),
    );
  });

  it('never crashes on NUL or lone surrogates (byte fallback of U+0000 and of U+FFFD)', () => {
    const enc = tok.encode('a\u0000\uD800');
    assert.deepEqual([...enc.ids], [1, 261, 3, 0xef + 3, 0xbf + 3, 0xbd + 3]);
    assert.deepEqual(
      enc.tokens.slice(2).map((t) => [t.start, t.end]),
      [
        [1, 2],
        [2, 3],
        [2, 3],
        [2, 3],
      ],
    );
    assert.equal(checkSpans('a\u0000\uD800', enc), 'a\u0000\uD800');
  });

  it('matches a transcription of run.c on 400 random strings', () => {
    const vocab = readVocab(bin, 512);
    const rand = lcg(12345);
    const alphabet = [...'abcdefghijklmnopqrstuvwxyz', ...'  eeaatthh', ...'TLSMB.,!?\'"\n\t', 'é', 'ï', '€', '“', '”', '🙂', '中', '\u200a', 'ÿ'];
    for (let i = 0; i < 400; i++) {
      const text = randomText(rand, alphabet, Math.floor(rand() * 80));
      const enc = tok.encode(text, { bos: i % 2 === 0 });
      assert.deepEqual([...enc.ids], referenceEncode(vocab, text, i % 2 === 0), JSON.stringify(text));
      assert.equal(checkSpans(text, enc), text);
    }
  });

  it("encodes a 100 KB document with a linear number of vocabulary look-ups (heap merges, not run.c's O(n²) rescans)", function () {
    const greedy = readJson<{ cases: GreedyCase[] }>('greedy_generations.json')!;
    const words = greedy.cases.flatMap((c) => c.text.split(/\s+/)).filter((w) => w.length > 0);
    const rand = lcg(7);
    const parts: string[] = [];
    let length = 0;
    while (length < 100_000) {
      const w = words[Math.floor(rand() * words.length)]! + (rand() < 0.05 ? '🙂\n' : ' ');
      parts.push(w);
      length += w.length;
    }
    const text = parts.join('');
    // Work counted, not timed: every code point and every candidate pair is one look-up in the
    // vocabulary's index. A heap over a linked list looks up each initial pair once and two new
    // pairs per merge, O(n); rescanning all pairs after each merge, as run.c does, would be O(n²).
    const { find, pair } = PieceIndex.prototype;
    let lookups = 0;
    PieceIndex.prototype.find = function (this: PieceIndex, key) {
      lookups++;
      return find.call(this, key);
    };
    PieceIndex.prototype.pair = function (this: PieceIndex, a, b) {
      lookups++;
      return pair.call(this, a, b);
    };
    let enc: ReturnType<typeof tok.encode>;
    try {
      enc = tok.encode(text);
    } finally {
      Object.assign(PieceIndex.prototype, { find, pair });
    }
    assert.ok(lookups >= text.length, `only ${lookups} look-ups for ${text.length} characters: the counter did not see the encoder`);
    assert.ok(lookups <= 8 * text.length, `${lookups} vocabulary look-ups for ${text.length} characters: more than linear`);
    assert.ok(enc.ids.length > 10_000);
    assert.equal(checkSpans(text, enc), text);
    assert.equal(tok.decodeText(enc.ids), text);
    // Checks the heap encoder against the O(n²) loop on a slice big enough to matter.
    const slice = text.slice(0, 3000);
    assert.deepEqual([...tok.encode(slice).ids], referenceEncode(readVocab(bin, 512), slice, true));
  });
});

describe('Llama2cTokenizer merge order on synthetic vocabularies', () => {
  it('breaks equal scores leftmost-first, exactly as run.c (random strings over a tiny alphabet)', () => {
    const extra: [string, number][] = [
      [' ', -5],
      ['a', -5],
      ['b', -5],
      ['c', -5],
      ['aa', 0],
      ['ab', 0],
      ['ba', 0],
      ['bb', 0],
      ['aab', 0],
      ['aba', 0],
      ['abab', 1],
      ['bba', 0],
      ['baa', -1],
      [' a', -1],
      [' ab', 0],
      ['cc', Number.NaN],
      ['ac', -1e10],
      ['ca', -9.9e9],
      ['\n<s>\n ', 0],
    ];
    const bin = buildBin(extra);
    const size = 259 + extra.length;
    const tok = Llama2cTokenizer.fromBytes(bin, size);
    const vocab = readVocab(bin, size);
    const rand = lcg(99);
    for (let i = 0; i < 600; i++) {
      const text = randomText(rand, ['a', 'b', 'c', ' ', 'a', 'b'], Math.floor(rand() * 40));
      assert.deepEqual([...tok.encode(text).ids], referenceEncode(vocab, text, true), JSON.stringify(text));
    }
    const id = (p: string): number => vocab.keys.indexOf(p);
    assert.deepEqual([...tok.encode('aaa', { bos: false }).ids], [id(' '), id('aa'), id('a')], 'leftmost of two equal pairs (rightmost would give " a", "aa")');
    assert.deepEqual([...tok.encode('cc', { bos: false }).ids], [id(' '), id('c'), id('c')], 'NaN score never merges');
    // run.c's merge loop includes BOS, so a piece equal to BOS + " " does merge with the dummy prefix.
    assert.deepEqual([...tok.encode('c').ids], [id('\n<s>\n '), id('c')]);
  });

  it('a vocabulary without a " " piece simply gets no dummy prefix', () => {
    const tok = Llama2cTokenizer.fromBytes(
      buildBin([
        ['h', -1],
        ['i', -2],
        ['hi', 0],
      ]),
      262,
    );
    assert.deepEqual([...tok.encode('hi').ids], [1, 261]);
  });
});

describe('Llama2cTokenizer rejects malformed tokenizer files', () => {
  const good = buildBin([
    [' ', 0],
    ['ab', -1],
  ]);
  const throwsTok = (fn: () => unknown, pattern: RegExp): void => {
    assert.throws(fn, (e: unknown) => {
      assert.ok(e instanceof Llama2cTokenizerError, String(e));
      assert.match(e.message, pattern);
      return true;
    });
  };

  it('accepts the baseline file', () => {
    assert.equal(Llama2cTokenizer.fromBytes(good, 261).vocabSize, 261);
  });

  it('a vocab size that does not match the file', () => {
    throwsTok(() => Llama2cTokenizer.fromBytes(good, 260), /\d+ bytes remain after 260 records; the vocab size does not match/);
    throwsTok(() => Llama2cTokenizer.fromBytes(good, 262), /record 261 of 262 is truncated at byte \d+: 0 bytes left/);
    throwsTok(() => Llama2cTokenizer.fromBytes(good, 1_000_000_000), /cannot hold 1000000000 records/);
    throwsTok(() => Llama2cTokenizer.fromBytes(good, 100), /vocab size 100 is too small/);
    throwsTok(() => Llama2cTokenizer.fromBytes(good, 261.5), /vocab size 261\.5/);
  });

  it('without a vocab size, reads records to the end of the file', () => {
    assert.equal(Llama2cTokenizer.fromBytes(good).vocabSize, 261);
    // 5 bytes after 260 whole records: what is there is said (a cut file and one with bytes appended look alike).
    throwsTok(() => Llama2cTokenizer.fromBytes(good.subarray(0, good.length - 5)), /has 5 bytes after its last record \(record 259, ending at byte \d+\)/);
    // Fewer records than any llama2.c tokenizer has: cut short.
    throwsTok(() => Llama2cTokenizer.fromBytes(good.subarray(0, 4 + 3 * 8 + 5 + 5 + 6 + 3)), /record 3 is truncated at byte \d+: 3 bytes left.*truncated file/);
    throwsTok(() => Llama2cTokenizer.fromBytes(buildBin([['a', 0]], { prefix: false })), /holds 1 records; llama2\.c tokenizers have at least 259/);
  });

  it('bytes after the last record are named as such, with or without a vocab size (tok512.bin + 7 bytes)', function () {
    const tok512 = readFixture('tok512.bin');
    if (!tok512) this.skip();
    const extra = new Uint8Array(tok512.length + 7);
    extra.set(tok512);
    extra.set(new TextEncoder().encode('garbage'), tok512.length);
    for (const vocab of [undefined, 512]) {
      assert.throws(
        () => Llama2cTokenizer.fromBytes(extra, vocab),
        (e: unknown) =>
          e instanceof Llama2cTokenizerError &&
          /^tokenizer file has 7 bytes after its last record \(record 511, ending at byte 6227\)/.test(e.message) &&
          !/truncated/.test(e.message),
      );
    }
  });

  it('max_token_length must be positive (run.c reads it as an int): 0 and negative values are refused alike', () => {
    for (const maxLen of [0, -1, -5, -0x80000000]) {
      const bytes = good.slice();
      new DataView(bytes.buffer).setInt32(0, maxLen, true);
      for (const vocab of [undefined, 261])
        throwsTok(() => Llama2cTokenizer.fromBytes(bytes, vocab), new RegExp(`^max_token_length is ${maxLen}, expected a positive length`));
    }
  });

  it('truncated files', () => {
    throwsTok(() => Llama2cTokenizer.fromBytes(good.subarray(0, 3), 261), /file is 3 bytes/);
    throwsTok(() => Llama2cTokenizer.fromBytes(good.subarray(0, good.length - 1), 261), /record 260 claims 2 bytes at byte \d+, but only 1 remain/);
    throwsTok(() => Llama2cTokenizer.fromBytes(good.subarray(0, good.length - 5), 261), /record 260 of 261 is truncated/);
  });

  it('absurd or negative record lengths, NUL bytes, and files that are not llama2.c tokenizers', () => {
    const withLength = (len: number): Uint8Array => {
      const copy = good.slice();
      new DataView(copy.buffer).setInt32(good.length - 2 - 4, len, true);
      return copy;
    };
    throwsTok(() => Llama2cTokenizer.fromBytes(withLength(-1), 261), /record 260 has length -1, expected 0\.\.6/);
    throwsTok(() => Llama2cTokenizer.fromBytes(withLength(0x7fffffff), 261), /length 2147483647/);
    throwsTok(() => Llama2cTokenizer.fromBytes(buildBin([['a\0b', 0]]), 260), /record 259 contains a NUL byte/);
    throwsTok(() => Llama2cTokenizer.fromBytes(buildBin([['abcdefgh', 0]], { maxLen: 7 }), 260), /record 259 has length 8, expected 0\.\.7/);
    const notByteTokens = buildBin(
      Array.from({ length: 262 }, (_, i): [string, number] => [`p${i}`, 0]),
      { prefix: false },
    );
    throwsTok(() => Llama2cTokenizer.fromBytes(notByteTokens, 262), /id 3 is "p3", expected the byte-fallback piece "<0x00>"/);
  });
});
