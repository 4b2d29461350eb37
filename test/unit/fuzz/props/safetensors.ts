/**
 * Fuzz properties of the safetensors reader (parseSafetensors + readTensorF32 on every tensor):
 * random bytes, generated headers, byte mutations and JSON mutations of valid files (the
 * HF-written fixtures when present, and files written by serializeSafetensors or by hand with
 * every dtype). Each input must end in a parsed file whose tensors all read, or a
 * SafetensorsError, within the probe's time and memory bounds.
 */

import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { SafetensorsError, parseSafetensors, readTensorF32 } from '../../../../src/engine/checkpoint/safetensors';
import { serializeSafetensors } from '../../../../src/engine/checkpoint/safetensorsWriter';
import {
  ADVERSARIAL_U64,
  ReaderProbe,
  adversarialJsonText,
  fixtureBytes,
  joinSafetensors,
  jsonMutation,
  mutateJsonText,
  mutatedBytes,
  prop,
  splitSafetensors,
  type PropertySet,
} from '../harness';

export const DTYPES = ['BOOL', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'I64', 'U64', 'F64'] as const;
const DTYPE_BYTES: Record<string, number> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  I64: 8,
  U64: 8,
  F64: 8,
};

/** Parses and reads every tensor, checking each read tensor against its declared shape. */
export function readWholeSafetensors(bytes: Uint8Array): number {
  const file = parseSafetensors(bytes);
  let values = 0;
  for (const [name, info] of file.tensors) {
    if (info.dtype === 'F8_E4M3' || info.dtype === 'F8_E5M2') {
      assert.throws(() => readTensorF32(file, name), SafetensorsError);
      continue;
    }
    const t = readTensorF32(file, name);
    // === rather than Object.is: a dimension written -0 in the file is a harmless 0.
    assert.ok(t.data.length === t.shape.reduce((a, b) => a * b, 1), `tensor ${name}: ${t.data.length} values for shape [${t.shape}]`);
    values += t.data.length;
  }
  for (const v of Object.values(file.metadata)) assert.equal(typeof v, 'string');
  return values;
}

/** Small valid files: F32 via the writer, and every other dtype (odd offsets, empty tensors) by hand. */
export function builtSafetensorsBases(): Uint8Array[] {
  const f32 = serializeSafetensors(
    [
      { name: 'a', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
      { name: 'b.weight', shape: [4], data: Float32Array.from([-1, 0.5, NaN, Infinity]) },
      { name: 'empty', shape: [0, 3], data: new Float32Array(0) },
      { name: '__proto__', shape: [], data: Float32Array.from([7]) },
    ],
    { format: 'test', note: 'x'.repeat(40) },
  );
  const tensors: Record<string, unknown> = {};
  const chunks: number[] = [];
  for (const dtype of DTYPES) {
    const n = 3;
    const begin = chunks.length;
    for (let i = 0; i < n * DTYPE_BYTES[dtype]!; i++) chunks.push((i * 37 + begin) & 0xff);
    tensors[dtype.toLowerCase()] = { dtype, shape: [n], data_offsets: [begin, chunks.length] };
  }
  tensors.zero = { dtype: 'F64', shape: [1e15, 0], data_offsets: [chunks.length, chunks.length] };
  const mixed = joinSafetensors(JSON.stringify({ __metadata__: { k: 'v' }, ...tensors }), Uint8Array.from(chunks));
  const minimal = joinSafetensors('{}', new Uint8Array(0));
  return [f32, mixed, minimal];
}

export const SAFETENSORS_FIXTURES = ['tiny_gpt2/model.safetensors', 'tiny_gpt2_golden/model.safetensors', 'tiny_random_gpt2/model.safetensors'];

export function safetensorsProperties(probe: ReaderProbe): PropertySet {
  const bases = builtSafetensorsBases();
  const fixtures = SAFETENSORS_FIXTURES.map((f) => fixtureBytes(f)).filter((b): b is Uint8Array => b !== null);
  const read = (bytes: Uint8Array): void => {
    probe.check(bytes.length, () => readWholeSafetensors(bytes));
  };

  const dim = fc.oneof({ weight: 6, arbitrary: fc.nat(6) }, { weight: 1, arbitrary: fc.constantFrom(0, -1, 1.5, 2 ** 31, 2 ** 53, 2 ** 60, 1e308) });
  const entry = fc.record({
    dtype: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...DTYPES) }, { weight: 1, arbitrary: fc.string({ maxLength: 6 }) }),
    shape: fc.array(dim, { maxLength: 4 }),
    data_offsets: fc.oneof(
      { weight: 6, arbitrary: fc.tuple(fc.nat(96), fc.nat(96)) },
      { weight: 1, arbitrary: fc.array(fc.oneof(fc.nat(96), fc.constantFrom(-1, 2 ** 53 + 2, 1e308, 0.5)), { maxLength: 3 }) },
    ),
  });
  const header = fc
    .tuple(
      fc.dictionary(fc.oneof(fc.string({ maxLength: 5 }), fc.constantFrom('__proto__', 'constructor')), entry, { maxKeys: 5 }),
      fc.option(
        fc.oneof(
          fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 10 }), { maxKeys: 3 }),
          fc.json({ maxDepth: 2 }).map((t) => JSON.parse(t) as unknown),
        ),
      ),
    )
    .map(([tensors, meta]) => {
      const parts = Object.entries(tensors).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`);
      if (meta !== null) parts.unshift(`"__metadata__":${JSON.stringify(meta) ?? 'null'}`);
      return `{${parts.join(',')}}`;
    });

  return {
    'random bytes, and random length prefixes in front of random text': prop(
      0.1,
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }),
          fc
            .tuple(fc.oneof(fc.constantFrom(...ADVERSARIAL_U64), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })), fc.string({ maxLength: 80 }))
            .map(([claim, text]) => joinSafetensors(text, new Uint8Array(0), claim)),
        ),
        read,
      ),
    ),
    'generated headers: plausible and hostile tensor entries over a random data section': prop(
      0.25,
      fc.property(header, fc.uint8Array({ maxLength: 128 }), fc.boolean(), fc.nat(3), (text, data, pad, align) => {
        read(joinSafetensors(pad ? text + ' '.repeat(align) : text, data));
      }),
    ),
    'byte mutations of valid files (flips, truncation, splices, u32/u64 length fields)': prop(0.25, fc.property(mutatedBytes(bases, [0, 4, 8, 9]), read)),
    'JSON mutations of valid headers (adversarial values, __proto__ keys, deep nesting), exact or hostile length prefix': prop(
      0.2,
      fc.property(
        fc.nat(bases.length - 1),
        fc.array(jsonMutation, { minLength: 1, maxLength: 3 }),
        fc.option(fc.constantFrom(...ADVERSARIAL_U64), { freq: 5 }),
        (i, mutations, claim) => {
          const { headerText, data } = splitSafetensors(bases[i]!);
          read(joinSafetensors(mutations.reduce(mutateJsonText, headerText), data, claim ?? undefined));
        },
      ),
    ),
    'adversarial JSON values in each field of a one-tensor file': prop(
      0.1,
      fc.property(adversarialJsonText, fc.constantFrom('dtype', 'shape', 'data_offsets', 'meta', 'entry', 'header'), (raw, where) => {
        const entryText = (o: Record<string, string>): string =>
          `{"dtype":${o.dtype ?? '"F32"'},"shape":${o.shape ?? '[1]'},"data_offsets":${o.data_offsets ?? '[0,4]'}}`;
        const text =
          where === 'meta'
            ? `{"__metadata__":{"k":${raw}},"t":${entryText({})}}`
            : where === 'entry'
              ? `{"t":${raw}}`
              : where === 'header'
                ? raw
                : `{"t":${entryText({ [where]: raw })}}`;
        read(joinSafetensors(text, new Uint8Array(4)));
      }),
    ),
    'byte and JSON mutations of the Hugging Face fixtures (skipped without ../shared/fixtures)': prop(
      0.1,
      fc.property(
        fc.oneof(
          mutatedBytes(fixtures.length > 0 ? fixtures : bases, [0, 4, 8], 4),
          fc.tuple(fc.nat(Math.max(0, fixtures.length - 1)), jsonMutation).map(([i, m]) => {
            const { headerText, data } = splitSafetensors((fixtures.length > 0 ? fixtures : bases)[i]!);
            return joinSafetensors(mutateJsonText(headerText, m), data);
          }),
        ),
        read,
      ),
      fixtures.length < SAFETENSORS_FIXTURES.length,
    ),
  };
}
