/**
 * Fuzz properties of the llama2.c importers: parseLlama2cCheckpoint (v0 and v1 `.bin`) and
 * Llama2cTokenizer.fromBytes (with and without the vocab size from a checkpoint header).
 * Inputs: generated files (random shapes, exact or wrong sizes), byte mutations that favour
 * the header ints and record lengths, and the stories260K fixture when present. A tokenizer
 * that loads must then encode any text into in-range ids with valid spans, and decode them;
 * bytes after the last record and a max_token_length ≤ 0 must be refused by a message saying so.
 */

import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { Llama2cError, parseLlama2cCheckpoint } from '../../../../src/engine/checkpoint/llama2c';
import { ModelConfigError } from '../../../../src/engine/models/config';
import { Llama2cTokenizer, Llama2cTokenizerError } from '../../../../src/engine/tokenizer/llama2cTokenizer';
import { ADVERSARIAL_I32, ReaderProbe, fixtureBytes, mutatedBytes, prop, type PropertySet } from '../harness';

export const LLAMA2C_ERRORS = [Llama2cError, ModelConfigError];

export interface Llama2cShape {
  readonly version: 0 | 1;
  readonly dim: number;
  readonly hiddenDim: number;
  readonly nLayers: number;
  readonly nHeads: number;
  readonly nKvHeads: number;
  readonly vocabSize: number;
  readonly seqLen: number;
  readonly shared: boolean;
}

/** Floats a file of this shape holds after its header (the importer's layout, counted independently). */
export function llama2cFloats(s: Llama2cShape): number {
  const C = s.dim,
    F = s.hiddenDim,
    L = s.nLayers,
    V = s.vocabSize;
  const hs = C / s.nHeads;
  const kvC = s.nKvHeads * hs;
  const perLayer = 2 * C + 2 * C * C + 2 * kvC * C + 3 * F * C;
  const rope = s.version === 0 ? s.seqLen * hs : 0; // legacy cos and sin tables, [seqLen, hs/2] each
  return V * C + L * perLayer + C + rope + (s.shared ? 0 : V * C);
}

/** A llama2.c file of this shape with deterministic weights; `extraBytes` makes it too long (or short). */
export function llama2cFile(s: Llama2cShape, extraBytes = 0): Uint8Array {
  const headerBytes = s.version === 0 ? 28 : 256;
  const out = new Uint8Array(Math.max(0, headerBytes + 4 * llama2cFloats(s) + extraBytes));
  const v = new DataView(out.buffer);
  let o = 0;
  if (s.version === 1) {
    v.setUint32(0, 0x616b3432, true);
    v.setInt32(4, 1, true);
    o = 8;
  }
  const ints = [s.dim, s.hiddenDim, s.nLayers, s.nHeads, s.nKvHeads, s.shared || s.version === 1 ? s.vocabSize : -s.vocabSize, s.seqLen];
  ints.forEach((x, i) => {
    if (o + 4 * i + 4 <= out.length) v.setInt32(o + 4 * i, x, true);
  });
  if (s.version === 1 && out.length > 36) out[36] = s.shared ? 1 : 0;
  for (let at = headerBytes; at + 4 <= out.length; at += 4) v.setFloat32(at, Math.sin(at) * 0.1, true);
  return out;
}

const shapeArb: fc.Arbitrary<Llama2cShape> = fc
  .record({
    version: fc.constantFrom(0 as const, 1 as const),
    headSize: fc.constantFrom(1, 2, 4),
    nKvHeads: fc.integer({ min: 1, max: 2 }),
    group: fc.integer({ min: 1, max: 2 }),
    hiddenDim: fc.integer({ min: 1, max: 8 }),
    nLayers: fc.integer({ min: 1, max: 2 }),
    vocabSize: fc.integer({ min: 1, max: 12 }),
    seqLen: fc.integer({ min: 1, max: 8 }),
    shared: fc.boolean(),
  })
  .map((r) => ({
    version: r.version,
    dim: r.headSize * r.nKvHeads * r.group,
    hiddenDim: r.hiddenDim,
    nLayers: r.nLayers,
    nHeads: r.nKvHeads * r.group,
    nKvHeads: r.nKvHeads,
    vocabSize: r.vocabSize,
    seqLen: r.seqLen,
    shared: r.shared,
  }));

/** Offsets of the header ints (v0 and v1), the v1 shared flag, and a few inside the data. */
const CHECKPOINT_HOT = [0, 4, 8, 12, 16, 20, 24, 28, 32, 36];

export function readLlama2cCheckpoint(bytes: Uint8Array): number {
  const model = parseLlama2cCheckpoint(bytes);
  let n = 0;
  for (const s of model.spec) {
    const t = model.params.get(s.name)!;
    assert.equal(
      t.data.length,
      s.shape.reduce((a, b) => a * b, 1),
    );
    n += t.data.length;
  }
  return n;
}

export function llama2cCheckpointProperties(probe: ReaderProbe): PropertySet {
  const read = (bytes: Uint8Array): void => {
    probe.check(bytes.length, () => readLlama2cCheckpoint(bytes));
  };
  const bases = [
    llama2cFile({ version: 0, dim: 4, hiddenDim: 6, nLayers: 2, nHeads: 2, nKvHeads: 1, vocabSize: 7, seqLen: 5, shared: true }),
    llama2cFile({ version: 0, dim: 4, hiddenDim: 3, nLayers: 1, nHeads: 1, nKvHeads: 1, vocabSize: 5, seqLen: 3, shared: false }),
    llama2cFile({ version: 1, dim: 8, hiddenDim: 4, nLayers: 1, nHeads: 4, nKvHeads: 2, vocabSize: 6, seqLen: 4, shared: false }),
  ];
  const stories = fixtureBytes('stories260K', 'stories260K.bin');
  return {
    'generated files of random shapes, exact size or off by a few bytes': prop(
      0.3,
      fc.property(shapeArb, fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -64, max: 64 }) }), (s, extra) =>
        read(llama2cFile(s, extra)),
      ),
    ),
    'header ints set to adversarial values (dims up to 2^31, negative vocab, odd head sizes), sized to match when possible': prop(
      0.3,
      fc.property(
        fc.constantFrom(0 as const, 1 as const),
        fc.array(fc.oneof(fc.constantFrom(...ADVERSARIAL_I32), fc.integer({ min: -2, max: 16 })), { minLength: 7, maxLength: 7 }),
        fc.boolean(),
        fc.integer({ min: -8, max: 8 }),
        (version, ints, shared, extra) => {
          const [dim, hiddenDim, nLayers, nHeads, nKvHeads, vocab, seqLen] = ints as [number, number, number, number, number, number, number];
          const s: Llama2cShape = {
            version,
            dim,
            hiddenDim,
            nLayers,
            nHeads,
            nKvHeads,
            vocabSize: Math.abs(vocab),
            seqLen,
            shared: version === 1 ? shared : vocab > 0,
          };
          const floats = llama2cFloats(s);
          // Build the implied size only when small; otherwise a short file claiming it.
          const bytes =
            Number.isSafeInteger(floats) && floats >= 0 && floats < 4096
              ? llama2cFile(s, extra)
              : llama2cFile({ ...s, dim: 1, hiddenDim: 1, nLayers: 1, nHeads: 1, nKvHeads: 1, vocabSize: 1, seqLen: 1 }, extra);
          const view = new DataView(bytes.buffer);
          const o = version === 1 ? 8 : 0;
          ints.forEach((x, i) => {
            if (o + 4 * i + 4 <= bytes.length) view.setInt32(o + 4 * i, x, true);
          });
          read(bytes);
        },
      ),
    ),
    'byte mutations of small valid files': prop(0.3, fc.property(mutatedBytes(bases, CHECKPOINT_HOT), read)),
    'header mutations of stories260K (skipped without ../shared/fixtures)': prop(
      0.1,
      fc.property(mutatedBytes(stories ? [stories] : bases, CHECKPOINT_HOT, 3), read),
      stories === null,
    ),
  };
}

// ---------------------------------------------------------------------------------------------
// Tokenizer

/** A tokenizer .bin: <unk>, BOS, EOS, the 256 byte pieces, then `extra` pieces with scores. */
export function tokenizerFile(extra: readonly [Uint8Array, number][], maxLen?: number): Uint8Array {
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  const records: [Uint8Array, number][] = [
    [enc('<unk>'), 0],
    [enc('\n<s>\n'), 0],
    [enc('\n</s>\n'), 0],
  ];
  for (let b = 0; b < 256; b++) records.push([enc(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`), 0]);
  records.push(...extra);
  const out = new Uint8Array(4 + records.reduce((n, [p]) => n + 8 + p.length, 0));
  const v = new DataView(out.buffer);
  v.setUint32(0, maxLen ?? Math.max(...records.map(([p]) => p.length)), true);
  let at = 4;
  for (const [p, score] of records) {
    v.setFloat32(at, score, true);
    v.setInt32(at + 4, p.length, true);
    out.set(p, at + 8);
    at += 8 + p.length;
  }
  return out;
}

const RECORDS_BEFORE_EXTRAS = 3 + 256;

/** Loads, then encodes and decodes `text`: ids in range, spans inside the text and ordered. */
export function useTokenizer(bytes: Uint8Array, vocabSize: number | undefined, text: string): number {
  const tok = Llama2cTokenizer.fromBytes(bytes, vocabSize);
  const enc = tok.encode(text);
  let prevStart = 0;
  for (const t of enc.tokens) {
    assert.ok(Number.isInteger(t.id) && t.id >= 0 && t.id < tok.vocabSize, `id ${t.id}`);
    assert.ok(t.start >= 0 && t.start <= t.end && t.end <= text.length, `span [${t.start}, ${t.end}) of ${text.length}`);
    assert.ok(t.start >= prevStart, 'spans go forward');
    prevStart = t.start;
  }
  tok.decode(enc.ids);
  tok.decodeText(enc.ids);
  if (enc.ids.length > 0) tok.tokenLabel(enc.ids[enc.ids.length - 1]!);
  return enc.ids.length;
}

export function llama2cTokenizerProperties(probe: ReaderProbe): PropertySet {
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  const built = tokenizerFile([
    [enc(' '), -1],
    [enc('a'), -2],
    [enc('b'), -3],
    [enc('ab'), -0.5],
    [enc(' ab'), 0.25],
    [enc('é'), -4],
    [enc('abab'), 1],
  ]);
  const nanScores = tokenizerFile([
    [enc(' '), NaN],
    [enc('x'), Infinity],
    [enc('xx'), -Infinity],
    [enc('xxx'), NaN],
    [enc('x x'), -1e10],
  ]);
  const fixture = fixtureBytes('stories260K', 'tok512.bin');
  const bases = [built, nanScores];
  const vocabFor = (bytes: Uint8Array): number => (bytes === built ? RECORDS_BEFORE_EXTRAS + 7 : RECORDS_BEFORE_EXTRAS + 5);
  const vocabChoice = fc.oneof(
    { weight: 3, arbitrary: fc.constant('exact' as const) },
    { weight: 3, arbitrary: fc.constant(undefined) },
    { weight: 1, arbitrary: fc.constantFrom(-1, 0, 258, 259, 260, 1.5, NaN, Infinity, 2 ** 31, 2 ** 53, 2 ** 60, 512, 513) },
    { weight: 1, arbitrary: fc.integer({ min: -3, max: 3 }).map((d) => ({ delta: d })) },
  );
  const text = fc.oneof(
    fc.string({ maxLength: 24 }),
    fc.string({ unit: 'binary', maxLength: 12 }),
    fc.constantFrom('', 'ab ab abab', '\ud800x\udc00', 'é😀\u0000'),
  );
  const resolve = (v: 'exact' | undefined | number | { delta: number }, exact: number): number | undefined =>
    v === 'exact' ? exact : v === undefined ? undefined : typeof v === 'number' ? v : exact + v.delta;
  const read = (bytes: Uint8Array, vocab: number | undefined, t: string): void => {
    probe.check(bytes.length, () => useTokenizer(bytes, vocab, t));
  };
  // Record-length fields of the first extra pieces, max_token_length, and the byte-piece region.
  const hot = [0, 4, 8, 12, 16, 20, 24];
  return {
    'valid tokenizer files (NaN and ±Infinity scores among them) with hostile vocab sizes, encoding random text': prop(
      0.25,
      fc.property(fc.nat(bases.length - 1), vocabChoice, text, (i, v, t) => {
        read(bases[i]!, resolve(v, vocabFor(bases[i]!)), t);
      }),
    ),
    'byte mutations of small tokenizer files (record lengths, max_token_length, pieces)': prop(
      0.45,
      fc.property(
        fc.nat(bases.length - 1).chain((i) => fc.tuple(fc.constant(i), mutatedBytes([bases[i]!], hot))),
        vocabChoice,
        text,
        ([i, bytes], v, t) => {
          read(bytes, resolve(v, vocabFor(bases[i]!)), t);
        },
      ),
    ),
    'random records after a valid prefix (lengths, scores, NUL bytes, invalid UTF-8)': prop(
      0.2,
      fc.property(
        fc.array(fc.tuple(fc.uint8Array({ maxLength: 6 }), fc.oneof(fc.float(), fc.constantFrom(NaN, -1e10, 1e30))), { maxLength: 8 }),
        fc.option(fc.oneof(fc.nat(8), fc.constantFrom(0xffffffff, 0x7fffffff))),
        vocabChoice,
        text,
        (records, maxLen, v, t) => {
          const bytes = tokenizerFile(records, maxLen ?? undefined);
          read(bytes, resolve(v, RECORDS_BEFORE_EXTRAS + records.length), t);
        },
      ),
    ),
    'whole files with 1-7 bytes appended, or a max_token_length of 0 or less: refused, saying which': prop(
      0.05,
      fc.property(
        fc.nat(bases.length - 1),
        fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 7 }), fc.integer({ min: -0x80000000, max: 0 })),
        fc.boolean(),
        (i, change, exact) => {
          const base = bases[i]!;
          let bytes: Uint8Array, want: RegExp;
          if (typeof change === 'number') {
            bytes = base.slice();
            new DataView(bytes.buffer).setInt32(0, change, true);
            want = new RegExp(`^max_token_length is ${change}, expected a positive length`);
          } else {
            bytes = new Uint8Array(base.length + change.length);
            bytes.set(base);
            bytes.set(change, base.length);
            want = new RegExp(
              `^tokenizer file has ${change.length} bytes? after its last record \\(record ${vocabFor(base) - 1}, ending at byte ${base.length}\\)`,
            );
          }
          probe.check(bytes.length, () => {
            assert.throws(
              () => Llama2cTokenizer.fromBytes(bytes, exact ? vocabFor(base) : undefined),
              (e: unknown) => e instanceof Llama2cTokenizerError && want.test(e.message),
            );
            return null;
          });
        },
      ),
    ),
    'mutations of stories260K tok512.bin (skipped without ../shared/fixtures)': prop(
      0.1,
      fc.property(mutatedBytes(fixture ? [fixture] : bases, [0, 4, 8, 12], 3), fc.oneof(fc.constant(512), fc.constant(undefined)), text, read),
      fixture === null,
    ),
  };
}

export { Llama2cTokenizerError };
