/**
 * Tests for the safetensors reader/writer: the real HF-written fixtures (facts from their
 * READMEs), round trips, dtype conversions with hand-computed values, and malformed files.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  MAX_HEADER_BYTES,
  SafetensorsError,
  f16BitsToNumber,
  parseSafetensors,
  readTensorBytes,
  readTensorF32,
} from '../../../../src/engine/checkpoint/safetensors';
import { serializeSafetensors } from '../../../../src/engine/checkpoint/safetensorsWriter';

const FIXTURES = process.env.ATTENTION_LENS_FIXTURES ?? path.resolve(__dirname, '../../../../../shared/fixtures');

/** Bytes of a fixture file, or null when the shared fixtures are not present (test is skipped). */
function fixture(rel: string): Uint8Array | null {
  const p = path.join(FIXTURES, rel);
  return fs.existsSync(p) ? new Uint8Array(fs.readFileSync(p)) : null;
}

/** A safetensors file from a header (object or raw string) and data bytes. */
function makeFile(header: unknown, data: Uint8Array = new Uint8Array(0), claimedLength?: bigint): Uint8Array {
  const text = typeof header === 'string' ? header : JSON.stringify(header);
  const h = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, claimedLength ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

function u16le(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  const v = new DataView(out.buffer);
  values.forEach((x, i) => v.setUint16(2 * i, x, true));
  return out;
}

function throwsSafetensors(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof SafetensorsError, `expected SafetensorsError, got ${String(e)}`);
    assert.match(e.message, pattern);
    return true;
  });
}

function mean(a: Float32Array): number {
  return a.reduce((s, x) => s + x, 0) / a.length;
}

describe('safetensors: real Hugging Face files', () => {
  it('reads tiny_gpt2 (GPT2Model, 16 F32 tensors) with the README offsets', function () {
    const bytes = fixture('tiny_gpt2/model.safetensors');
    if (!bytes) return this.skip();
    const file = parseSafetensors(bytes);
    assert.equal(bytes.length, 9880);
    assert.equal(file.dataStart, 8 + 1200);
    assert.deepEqual({ ...file.metadata }, { format: 'pt' });
    assert.equal(file.metadata.constructor, undefined, 'metadata has no inherited keys');
    assert.equal(file.tensors.size, 16);
    const expected: [string, number[], number, number][] = [
      ['h.0.attn.c_attn.bias', [6], 0, 24],
      ['h.0.attn.c_attn.weight', [2, 6], 24, 72],
      ['h.0.mlp.c_fc.weight', [2, 8], 160, 224],
      ['h.0.mlp.c_proj.weight', [8, 2], 232, 296],
      ['wpe.weight', [1024, 2], 312, 8504],
      ['wte.weight', [21, 2], 8504, 8672],
    ];
    for (const [name, shape, begin, end] of expected) {
      const info = file.tensors.get(name);
      assert.ok(info, name);
      assert.equal(info.dtype, 'F32');
      assert.deepEqual(info.shape, shape);
      assert.deepEqual(info.dataOffsets, [begin, end]);
    }
    assert.equal(file.dataStart + 8672, bytes.length, 'contiguous data, no trailing bytes');
    // README: LayerNorm weights 1, biases 0, all values finite.
    assert.ok(readTensorF32(file, 'h.0.ln_1.weight').data.every((x) => x === 1));
    assert.ok(readTensorF32(file, 'h.0.attn.c_attn.bias').data.every((x) => x === 0));
    for (const name of file.tensors.keys()) {
      assert.ok(readTensorF32(file, name).data.every(Number.isFinite), name);
    }
  });

  it('reads tiny_gpt2_golden and reproduces its recorded embeddings (wte[ids] + wpe[pos])', function () {
    const bytes = fixture('tiny_gpt2_golden/model.safetensors');
    const goldenBytes = fixture('tiny_gpt2_golden/gpt2_tiny_golden.json');
    if (!bytes || !goldenBytes) return this.skip();
    const golden = JSON.parse(new TextDecoder().decode(goldenBytes)) as {
      input_ids: number[];
      hidden_after_embed: number[];
      safetensors_keys: string[];
    };
    const file = parseSafetensors(bytes);
    assert.equal(file.dataStart, 8 + 2576);
    assert.equal(bytes.length - file.dataStart, 78464);
    assert.deepEqual([...file.tensors.keys()].sort(), [...golden.safetensors_keys].sort());
    assert.deepEqual(file.tensors.get('transformer.h.1.mlp.c_fc.weight')?.shape, [32, 64]);
    assert.deepEqual(file.tensors.get('transformer.wte.weight')?.shape, [61, 32]);
    assert.equal(file.tensors.has('lm_head.weight'), false);
    let params = 0;
    for (const name of file.tensors.keys()) params += readTensorF32(file, name).data.length;
    assert.equal(params, 19616);

    const wte = readTensorF32(file, 'transformer.wte.weight').data;
    const wpe = readTensorF32(file, 'transformer.wpe.weight').data;
    golden.input_ids.forEach((id, pos) => {
      for (let c = 0; c < 32; c++) {
        const want = golden.hidden_after_embed[pos * 32 + c]!;
        assert.ok(Math.abs(wte[id * 32 + c]! + wpe[pos * 32 + c]! - want) < 1e-6, `pos ${pos} c ${c}`);
      }
    });
  });

  it('reads tiny_random_gpt2 (64 tensors, wte last at 319,872–447,872)', function () {
    const bytes = fixture('tiny_random_gpt2/model.safetensors');
    if (!bytes) return this.skip();
    const file = parseSafetensors(bytes);
    assert.equal(file.dataStart, 8 + 5984);
    assert.equal(file.tensors.size, 64);
    assert.deepEqual(file.tensors.get('transformer.wte.weight')?.dataOffsets, [319872, 447872]);
    assert.deepEqual(file.tensors.get('transformer.h.4.mlp.c_proj.weight')?.shape, [128, 32]);
    assert.deepEqual(file.tensors.get('transformer.h.0.attn.c_attn.bias')?.dataOffsets[0], 0);
    const wte = readTensorF32(file, 'transformer.wte.weight').data;
    const std = Math.sqrt(mean(wte.map((x) => x * x)) - mean(wte) ** 2);
    assert.ok(Math.abs(std - 0.02) < 0.002, `wte std ${std}`);
  });

  for (const rel of ['tiny_gpt2/model.safetensors', 'tiny_gpt2_golden/model.safetensors', 'tiny_random_gpt2/model.safetensors']) {
    it(`re-serialising ${rel} reproduces the HF-written bytes exactly`, function () {
      const bytes = fixture(rel);
      if (!bytes) return this.skip();
      const file = parseSafetensors(bytes);
      const tensors = [...file.tensors.keys()].map((name) => ({ name, ...readTensorF32(file, name) }));
      assert.deepEqual(serializeSafetensors(tensors.reverse(), file.metadata), bytes);
    });
  }

  it('refuses a truncated copy of a real file', function () {
    const bytes = fixture('tiny_gpt2/model.safetensors');
    if (!bytes) return this.skip();
    throwsSafetensors(() => parseSafetensors(bytes.subarray(0, bytes.length - 1)), /"wte.weight".*past the end of the 8671-byte data section/);
    throwsSafetensors(() => parseSafetensors(bytes.subarray(0, 600)), /header length 1200 bytes, but only 592 bytes follow/);
  });
});

describe('safetensors: writing and round trips', () => {
  const tensors = [
    { name: 'b', shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 0, -0, 1e-30]) },
    { name: 'a', shape: [], data: Float32Array.from([42]) },
    { name: 'empty', shape: [0, 4], data: new Float32Array(0) },
    { name: '\u{1F600}', shape: [1], data: Float32Array.from([Infinity]) },
    { name: '\uFFFF', shape: [1], data: Float32Array.from([NaN]) },
  ];

  it('round-trips names, shapes, values (incl. -0, inf, NaN) and metadata', () => {
    const meta = { format: 'attention-lens', config: '{"layers":2}', ünïcode: '✓' };
    const file = parseSafetensors(serializeSafetensors(tensors, meta));
    assert.deepEqual({ ...file.metadata }, meta);
    for (const t of tensors) {
      const got = readTensorF32(file, t.name);
      assert.deepEqual(got.shape, t.shape);
      assert.deepEqual([...got.data], [...t.data]);
      assert.ok(
        got.data.every((x, i) => Object.is(x, t.data[i])),
        'bit-level values',
      );
    }
  });

  it('sorts tensors by code point like HF (astral after U+FFFF) and packs them contiguously', () => {
    const file = parseSafetensors(serializeSafetensors(tensors));
    assert.deepEqual([...file.tensors.keys()], ['a', 'b', 'empty', '\uFFFF', '\u{1F600}']);
    assert.deepEqual(file.tensors.get('b')?.dataOffsets, [4, 28]);
    assert.deepEqual({ ...file.metadata }, {}, 'no __metadata__ written when empty');
  });

  it('pads the header with spaces to 8 bytes and returns aligned F32 as a zero-copy view', () => {
    const bytes = serializeSafetensors(tensors, { x: 'y' });
    const file = parseSafetensors(bytes);
    assert.equal(file.dataStart % 8, 0);
    assert.equal(bytes[file.dataStart - 1], 0x20);
    const view = readTensorF32(file, 'b').data;
    assert.equal(view.buffer, bytes.buffer);
  });

  it('copies (correctly) when the F32 data is not 4-byte aligned in memory', () => {
    const bytes = serializeSafetensors(tensors);
    const shifted = new Uint8Array(bytes.length + 1).subarray(1);
    shifted.set(bytes);
    const got = readTensorF32(parseSafetensors(shifted), 'b').data;
    assert.notEqual(got.buffer, shifted.buffer);
    assert.deepEqual([...got], [...tensors[0]!.data]);
  });

  it('treats "__proto__" as an ordinary tensor name and metadata key', () => {
    const file = parseSafetensors(serializeSafetensors([{ name: '__proto__', shape: [1], data: Float32Array.from([7]) }], { ['__proto__']: 'v' }));
    assert.deepEqual([...readTensorF32(file, '__proto__').data], [7]);
    assert.equal(Object.getOwnPropertyDescriptor(file.metadata, '__proto__')?.value, 'v');
  });

  it('refuses to write invalid tensors or metadata', () => {
    const one = Float32Array.from([1]);
    throwsSafetensors(() => serializeSafetensors([{ name: 'x', shape: [2], data: one }]), /shape \[2\] \(2 elements\) but 1 values/);
    throwsSafetensors(
      () =>
        serializeSafetensors([
          { name: 'x', shape: [1], data: one },
          { name: 'x', shape: [1], data: one },
        ]),
      /"x" appears more than once/,
    );
    throwsSafetensors(() => serializeSafetensors([{ name: '__metadata__', shape: [1], data: one }]), /reserved/);
    throwsSafetensors(() => serializeSafetensors([{ name: 'x', shape: [-1], data: one }]), /shape \[-1\]/);
    throwsSafetensors(() => serializeSafetensors([{ name: 'bad\uD800', shape: [1], data: one }]), /lone UTF-16 surrogate/);
    throwsSafetensors(() => serializeSafetensors([], { n: 3 } as unknown as Record<string, string>), /metadata\["n"\] is number 3, expected a string/);
    throwsSafetensors(
      () => serializeSafetensors([{ name: 'x', shape: [1], data: Float64Array.from([1]) as unknown as Float32Array }]),
      /a Float64Array, expected a Float32Array/,
    );
  });
});

describe('safetensors: dtype conversion to float32', () => {
  it('F16: normals, subnormals, signed zero, infinities, NaN (hand-computed)', () => {
    const cases: [number, number][] = [
      [0x3c00, 1],
      [0xc000, -2],
      [0x3555, 0.333251953125],
      [0x7bff, 65504],
      [0x0400, 2 ** -14],
      [0x0001, 2 ** -24],
      [0x03ff, 1023 * 2 ** -24],
      [0x8001, -(2 ** -24)],
      [0x0000, 0],
      [0x8000, -0],
      [0x7c00, Infinity],
      [0xfc00, -Infinity],
      [0x7e00, NaN],
      [0xfc01, NaN],
    ];
    for (const [bits, value] of cases) assert.ok(Object.is(f16BitsToNumber(bits), value), `0x${bits.toString(16)}`);
    const bytes = makeFile({ h: { dtype: 'F16', shape: [2, 7], data_offsets: [0, 28] } }, u16le(cases.map((c) => c[0])));
    const got = readTensorF32(parseSafetensors(bytes), 'h');
    assert.deepEqual(got.shape, [2, 7]);
    got.data.forEach((x, i) => assert.ok(Object.is(x, cases[i]![1]), `element ${i}: ${x}`));
  });

  it('BF16: top half of float32 (1.0, -2, pi-ish, subnormal, -0, inf, NaN)', () => {
    const cases: [number, number][] = [
      [0x3f80, 1],
      [0xc000, -2],
      [0x4049, 3.140625],
      [0x0001, 2 ** -133],
      [0x8000, -0],
      [0x7f80, Infinity],
      [0xff80, -Infinity],
      [0x7fc0, NaN],
    ];
    const bytes = makeFile({ b: { dtype: 'BF16', shape: [8], data_offsets: [0, 16] } }, u16le(cases.map((c) => c[0])));
    const got = readTensorF32(parseSafetensors(bytes), 'b').data;
    got.forEach((x, i) => assert.ok(Object.is(x, cases[i]![1]), `element ${i}: ${x}`));
  });

  it('F64, I32, I64, U8 and BOOL convert by value; F8 is refused clearly', () => {
    const data = new Uint8Array(16 + 8 + 16 + 2 + 2 + 1);
    const v = new DataView(data.buffer);
    v.setFloat64(0, 1.5, true);
    v.setFloat64(8, 1e300, true);
    v.setInt32(16, -5, true);
    v.setInt32(20, 7, true);
    v.setBigInt64(24, -(2n ** 40n), true);
    v.setBigInt64(32, 3n, true);
    data.set([200, 1], 40);
    data.set([0, 9], 42);
    data[44] = 0x38;
    const file = parseSafetensors(
      makeFile(
        {
          f64: { dtype: 'F64', shape: [2], data_offsets: [0, 16] },
          i32: { dtype: 'I32', shape: [2], data_offsets: [16, 24] },
          i64: { dtype: 'I64', shape: [2], data_offsets: [24, 40] },
          u8: { dtype: 'U8', shape: [2], data_offsets: [40, 42] },
          bool: { dtype: 'BOOL', shape: [2], data_offsets: [42, 44] },
          f8: { dtype: 'F8_E4M3', shape: [1], data_offsets: [44, 45] },
        },
        data,
      ),
    );
    assert.deepEqual([...readTensorF32(file, 'f64').data], [1.5, Infinity]);
    assert.deepEqual([...readTensorF32(file, 'i32').data], [-5, 7]);
    assert.deepEqual([...readTensorF32(file, 'i64').data], [-(2 ** 40), 3]);
    assert.deepEqual([...readTensorF32(file, 'u8').data], [200, 1]);
    assert.deepEqual([...readTensorF32(file, 'bool').data], [0, 1]);
    assert.deepEqual([...readTensorBytes(file, 'f8')], [0x38]);
    throwsSafetensors(() => readTensorF32(file, 'f8'), /"f8" has dtype F8_E4M3, which cannot be read as float32/);
    throwsSafetensors(() => readTensorF32(file, 'nope'), /no tensor named "nope"; the file has 6: "f64", "i32"/);
  });
});

describe('safetensors: malformed files are SafetensorsErrors', () => {
  const four = new Uint8Array(4);
  const ok = { t: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } };

  it('accepts the well-formed baseline used below', () => {
    assert.equal(parseSafetensors(makeFile(ok, four)).tensors.size, 1);
  });

  it('files too short to hold the length prefix', () => {
    throwsSafetensors(() => parseSafetensors(new Uint8Array(0)), /0 bytes long/);
    throwsSafetensors(() => parseSafetensors(new Uint8Array(7)), /7 bytes long; .*8-byte header length/);
  });

  it('a header length larger than the file', () => {
    throwsSafetensors(() => parseSafetensors(makeFile(ok, four, 500n)), /header length 500 bytes, but only \d+ bytes follow/);
    throwsSafetensors(() => parseSafetensors(makeFile(ok, four, 50_000_000n)), /header length 50000000 bytes/);
  });

  it('a header length of 2^60 (or just over the cap) is refused before any decoding', () => {
    throwsSafetensors(() => parseSafetensors(makeFile(ok, four, 2n ** 60n)), /header length 1152921504606846976 bytes exceeds the 100000000-byte limit/);
    throwsSafetensors(() => parseSafetensors(makeFile(ok, four, 2n ** 64n - 1n)), /18446744073709551615/);
    throwsSafetensors(() => parseSafetensors(makeFile(ok, four, BigInt(MAX_HEADER_BYTES + 1))), /exceeds/);
  });

  it('headers that are not UTF-8, not JSON, or not a JSON object', () => {
    const notUtf8 = makeFile('{"a":1}');
    notUtf8[10] = 0xff;
    throwsSafetensors(() => parseSafetensors(notUtf8), /not valid UTF-8/);
    throwsSafetensors(() => parseSafetensors(makeFile('not json')), /not valid JSON.*"not json"/);
    throwsSafetensors(() => parseSafetensors(makeFile('{"t":')), /not valid JSON/);
    throwsSafetensors(() => parseSafetensors(makeFile('\uFEFF{}')), /not valid JSON/);
    throwsSafetensors(() => parseSafetensors(makeFile('[1,2]')), /header is an array \(\[1,2\]\), expected a JSON object/);
    throwsSafetensors(() => parseSafetensors(makeFile('null')), /header is null/);
    throwsSafetensors(() => parseSafetensors(makeFile('12')), /header is number 12/);
    throwsSafetensors(() => parseSafetensors(makeFile('')), /not valid JSON/);
  });

  it('tensor entries with a bad dtype, shape or data_offsets', () => {
    const entry = (e: unknown): Uint8Array => makeFile({ t: e }, four);
    throwsSafetensors(() => parseSafetensors(entry(5)), /tensor "t" is number 5, expected \{dtype, shape, data_offsets\}/);
    throwsSafetensors(() => parseSafetensors(entry({ dtype: 'F33', shape: [1], data_offsets: [0, 4] })), /dtype "F33", expected one of BOOL, .*F32/);
    throwsSafetensors(() => parseSafetensors(entry({ shape: [1], data_offsets: [0, 4] })), /dtype undefined/);
    throwsSafetensors(() => parseSafetensors(entry({ dtype: 'toString', shape: [1], data_offsets: [0, 4] })), /dtype "toString"/);
    for (const shape of ['1', [-1], [1.5], ['1'], [null], [1e300]]) {
      throwsSafetensors(() => parseSafetensors(entry({ dtype: 'F32', shape, data_offsets: [0, 4] })), /shape .* expected an array of non-negative integers/);
    }
    for (const offsets of [[0], [0, 4, 8], [4, 0], [-4, 0], [0, '4'], null]) {
      throwsSafetensors(() => parseSafetensors(entry({ dtype: 'F32', shape: [1], data_offsets: offsets })), /data_offsets .* expected \[begin, end\]/);
    }
  });

  it('a shape whose byte size disagrees with data_offsets (no allocation for huge claims)', () => {
    const before = process.memoryUsage().arrayBuffers;
    const data = new Uint8Array(12);
    throwsSafetensors(
      () => parseSafetensors(makeFile({ t: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 12] } }, data)),
      /"t" of dtype F32 and shape \[2,2\] needs 16 bytes, but data_offsets \[0, 12\] span 12/,
    );
    throwsSafetensors(
      () => parseSafetensors(makeFile({ t: { dtype: 'F16', shape: [2 ** 25, 2 ** 25], data_offsets: [0, 4] } }, four)),
      /needs 2251799813685248 bytes/,
    );
    throwsSafetensors(
      () => parseSafetensors(makeFile({ t: { dtype: 'F64', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 4] } }, four)),
      /needs more than 2\^53 bytes/,
    );
    const empty = parseSafetensors(makeFile({ t: { dtype: 'F32', shape: [2 ** 40, 2 ** 40, 0], data_offsets: [4, 4] } }, four));
    assert.equal(readTensorF32(empty, 't').data.length, 0);
    const grown = process.memoryUsage().arrayBuffers - before;
    assert.ok(grown < 1024 * 1024, `the huge claims allocated ${grown} bytes of ArrayBuffers`);
  });

  it('offsets outside the data section', () => {
    throwsSafetensors(
      () => parseSafetensors(makeFile({ t: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, four)),
      /data_offsets \[0, 8\] past the end of the 4-byte data section/,
    );
    throwsSafetensors(
      () => parseSafetensors(makeFile({ t: { dtype: 'F32', shape: [1], data_offsets: [2 ** 60, 2 ** 60 + 4] } }, four)),
      /expected \[begin, end\]/,
    );
  });

  it('overlapping tensors', () => {
    const data = new Uint8Array(12);
    throwsSafetensors(
      () =>
        parseSafetensors(
          makeFile(
            {
              a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
              b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
            },
            data,
          ),
        ),
      /tensors "a" \[0, 8\] and "b" \[4, 12\] overlap/,
    );
    throwsSafetensors(
      () =>
        parseSafetensors(
          makeFile(
            {
              a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
              b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] },
            },
            data,
          ),
        ),
      /overlap/,
    );
    // Touching ranges, gaps and empty tensors are fine.
    const file = parseSafetensors(
      makeFile(
        {
          a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
          e: { dtype: 'F32', shape: [0], data_offsets: [2, 2] },
          b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
        },
        data,
      ),
    );
    assert.equal(file.tensors.size, 3);
  });

  it('metadata that is not an object of strings', () => {
    throwsSafetensors(() => parseSafetensors(makeFile({ __metadata__: { format: 1 } })), /__metadata__\["format"\] is number 1, expected a string/);
    throwsSafetensors(() => parseSafetensors(makeFile({ __metadata__: { x: null } })), /is null, expected a string/);
    throwsSafetensors(() => parseSafetensors(makeFile({ __metadata__: ['pt'] })), /__metadata__ is an array/);
    throwsSafetensors(() => parseSafetensors(makeFile({ __metadata__: 'pt' })), /__metadata__ is string "pt"/);
  });
});
