/**
 * Shared machinery for the fuzz tests of every reader of untrusted bytes or messages: a probe
 * that runs one input under a time and memory bound and checks that it ends in a result or a
 * named error, and fast-check arbitraries for byte-level and JSON-level mutations of valid
 * files plus adversarial values (2^60 lengths, deep nesting, `__proto__` keys, NaN-like
 * strings, huge numbers).
 *
 * Runs per reader: FUZZ_RUNS (default 10,000). Seeds are random unless FUZZ_SEED is set; a
 * failure prints fast-check's seed and path, which go into regressions.test.ts. FUZZ_REPORT=1
 * prints one line of figures per reader (inputs, outcomes, time, worst input).
 */

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import fc from 'fast-check';

export const FUZZ_RUNS = Math.max(1, Number(process.env.FUZZ_RUNS ?? 10_000));
const FUZZ_SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

/** fast-check parameters for a property that should see `runs` inputs. */
export function fcParams<Ts = unknown>(runs: number): fc.Parameters<Ts> {
  return { numRuns: runs, ...(FUZZ_SEED === undefined ? {} : { seed: FUZZ_SEED }), reporter: shortReport };
}

/**
 * fast-check's default report prints the whole counterexample, megabytes for a mutated file;
 * this one keeps what is needed to replay it (seed and path) and the start of everything else.
 */
function shortReport<Ts>(d: fc.RunDetails<Ts>): void {
  if (!d.failed) return;
  const cut = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n)}… (${s.length} chars)` : s);
  const e = d.errorInstance as Error | undefined;
  const message = e instanceof Error ? `${e.message}\n${(e.stack ?? '').split('\n').slice(1, 8).join('\n')}` : String(d.errorInstance);
  throw new Error(
    `Property failed after ${d.numRuns} inputs (shrunk ${d.numShrinks} times)\n` +
      `replay with { seed: ${d.seed}, path: ${JSON.stringify(d.counterexamplePath)} }\n` +
      `counterexample: ${cut(fc.stringify(d.counterexample), 800)}\n` +
      `error: ${cut(message, 3000)}`,
  );
}

/**
 * Scales a share of the per-reader budget (e.g. 0.25 of FUZZ_RUNS), at least 1. Inputs a
 * property skips (a mutation that leaves no JSON, a message too deep to clone) are skipped with
 * fc.pre, so fast-check generates others in their place: every counted run reaches the reader.
 */
export function share(fraction: number): number {
  return Math.max(1, Math.ceil(FUZZ_RUNS * fraction));
}

export const FIXTURES = process.env.ATTENTION_LENS_FIXTURES ?? path.resolve(__dirname, '../../../../shared/fixtures');

/** A shared fixture's bytes, or null when the fixtures are absent (those cases are skipped). */
export function fixtureBytes(...parts: string[]): Uint8Array | null {
  const p = path.join(FIXTURES, ...parts);
  return fs.existsSync(p) ? new Uint8Array(fs.readFileSync(p)) : null;
}

// ---------------------------------------------------------------------------------------------
// The probe

/**
 * Memory outside the JS heap, which is where ArrayBuffers of any size live (what
 * process.memoryUsage().arrayBuffers reports, at a tenth of the cost).
 */
function externalBytes(): number {
  return v8.getHeapStatistics().external_memory;
}

/** An error message longer than this floods a log or a notification: refused as a finding. */
export const MAX_MESSAGE_CHARS = Number(process.env.FUZZ_MAX_MESSAGE ?? 4000);

type ErrorClass = abstract new (...args: never[]) => Error;

export interface ProbeLimits {
  /** Wall-clock bound per input (generous: CI cores are shared). */
  readonly maxMs: number;
  /** Allowed growth of ArrayBuffer (external) memory: `perInputByte` × input size + `fixed` bytes. */
  readonly perInputByte: number;
  readonly fixedBytes: number;
}

const DEFAULT_LIMITS: ProbeLimits = { maxMs: 2000, perInputByte: 12, fixedBytes: 8 * 1024 * 1024 };

/** Counts what one reader did with its inputs; `check` fails the test on the first bad outcome. */
export class ReaderProbe {
  inputs = 0;
  results = 0;
  readonly errors = new Map<string, number>();
  totalMs = 0;
  worstMs = 0;
  worstArrayBufferGrowth = 0;
  private readonly limits: ProbeLimits;

  /** `allowed`: the named error classes this reader may throw (empty: it must never throw). */
  constructor(
    readonly name: string,
    readonly allowed: readonly ErrorClass[],
    limits: Partial<ProbeLimits> = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /**
   * Runs `read` on one input of `inputBytes` bytes (0 for non-byte inputs) and returns its
   * result (undefined when it threw an allowed error). Throws an AssertionError describing
   * the breach otherwise, which fast-check turns into a counterexample with seed and path.
   */
  check<T>(inputBytes: number, read: () => T): T | undefined {
    this.inputs++;
    const before = externalBytes();
    const t0 = performance.now();
    // The hang guard counts this process's CPU time, not wall time: a busy machine must not trip it.
    const cpu0 = process.cpuUsage();
    let result: T | undefined;
    let error: unknown = null;
    let threw = false;
    try {
      result = read();
    } catch (e) {
      threw = true;
      error = e;
    }
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    // Measured while `result` is still referenced: what it retains counts.
    const growth = externalBytes() - before;
    this.totalMs += ms;
    this.worstMs = Math.max(this.worstMs, ms);
    this.worstArrayBufferGrowth = Math.max(this.worstArrayBufferGrowth, growth);

    const allowedGrowth = this.limits.perInputByte * inputBytes + this.limits.fixedBytes;
    assert.ok(growth <= allowedGrowth, `${this.name}: ArrayBuffer memory grew by ${growth} bytes for a ${inputBytes}-byte input (limit ${allowedGrowth})`);
    assert.ok(cpuMs <= this.limits.maxMs, `${this.name}: one input took ${cpuMs.toFixed(1)} ms of CPU time (limit ${this.limits.maxMs} ms)`);
    if (!threw) {
      this.results++;
      return result;
    }
    const named = this.allowed.some((cls) => error instanceof cls);
    if (!named) {
      const e = error as Error;
      assert.fail(
        `${this.name}: threw ${e?.constructor?.name ?? typeof error} (${String(e?.message ?? error).slice(0, 200)}), not one of its named errors [${this.allowed.map((c) => c.name).join(', ')}]\n${e?.stack ?? ''}`,
      );
    }
    const message = (error as Error).message;
    assert.equal(typeof message, 'string');
    assert.ok(message.length > 0, `${this.name}: ${(error as Error).name} with an empty message`);
    assert.ok(
      message.length <= MAX_MESSAGE_CHARS,
      `${this.name}: ${(error as Error).name} message is ${message.length} characters (limit ${MAX_MESSAGE_CHARS}): ${message.slice(0, 200)}…`,
    );
    const key = (error as Error).name;
    this.errors.set(key, (this.errors.get(key) ?? 0) + 1);
    return undefined;
  }

  /** Counts an outcome that is not an error (e.g. a validator's 'refused'), for the figures. */
  note(label: string): void {
    this.errors.set(label, (this.errors.get(label) ?? 0) + 1);
  }

  /** One line of figures (printed when FUZZ_REPORT is set). */
  summary(): string {
    const errs = [...this.errors].map(([k, v]) => `${k} ${v}`).join(', ');
    return (
      `${this.name}: ${this.inputs} inputs in ${(this.totalMs / 1000).toFixed(2)} s of reader time (worst ${this.worstMs.toFixed(1)} ms, ` +
      `worst ArrayBuffer (external memory) growth ${(this.worstArrayBufferGrowth / 1024).toFixed(0)} KiB): ${this.results} results${errs ? `, ${errs}` : ''}`
    );
  }
}

/** Registers an `after` hook that prints the probes' figures when FUZZ_REPORT is set. */
export function reportAfter(...probes: ReaderProbe[]): void {
  after(() => {
    if (process.env.FUZZ_REPORT) for (const p of probes) console.log(`      [fuzz] ${p.summary()}`);
  });
}

// ---------------------------------------------------------------------------------------------
// Adversarial numbers

/** Length and count claims that have broken readers elsewhere: 0, ±1 around powers of two, 2^60, 2^64 − 1, the header cap. */
export const ADVERSARIAL_U64: readonly bigint[] = [
  0n,
  1n,
  7n,
  8n,
  255n,
  256n,
  0x7fffffffn,
  0x80000000n,
  0xffffffffn,
  0x100000000n,
  2n ** 53n - 1n,
  2n ** 53n,
  2n ** 53n + 1n,
  2n ** 60n,
  2n ** 63n - 1n,
  2n ** 63n,
  2n ** 64n - 1n,
  99_999_999n,
  100_000_000n,
  100_000_001n,
  104_857_600n,
];

export const ADVERSARIAL_I32: readonly number[] = [
  0,
  1,
  -1,
  2,
  3,
  7,
  8,
  255,
  256,
  258,
  259,
  260,
  4095,
  65535,
  65536,
  65537,
  (1 << 18) + 1,
  (1 << 20) + 1,
  (1 << 22) + 1,
  1 << 30,
  0x7fffffff,
  -0x80000000,
  0x616b3432,
];

// ---------------------------------------------------------------------------------------------
// Byte mutations

export type ByteMutation =
  | { readonly kind: 'flip'; readonly at: number; readonly xor: number }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'delete'; readonly at: number; readonly length: number }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: 'duplicate'; readonly from: number; readonly length: number; readonly to: number }
  | { readonly kind: 'u32'; readonly at: number; readonly value: number }
  | { readonly kind: 'u64'; readonly at: number; readonly value: bigint }
  | { readonly kind: 'append'; readonly bytes: Uint8Array };

/**
 * Positions: `hot` offsets (length fields of the format) are favoured; otherwise anywhere,
 * taken modulo the current length so every mutation applies to whatever is left.
 */
export function byteMutation(hot: readonly number[] = [0]): fc.Arbitrary<ByteMutation> {
  const pos = fc.oneof({ arbitrary: fc.constantFrom(...hot), weight: 3 }, { arbitrary: fc.nat(64), weight: 2 }, { arbitrary: fc.nat(), weight: 3 });
  const u32 = fc.oneof(
    fc.constantFrom(...ADVERSARIAL_I32).map((x) => x >>> 0),
    fc.nat({ max: 0xffffffff }),
  );
  const u64 = fc.oneof(fc.constantFrom(...ADVERSARIAL_U64), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }));
  return fc.oneof(
    { arbitrary: fc.record({ kind: fc.constant('flip' as const), at: pos, xor: fc.integer({ min: 1, max: 255 }) }), weight: 6 },
    { arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: pos }), weight: 2 },
    { arbitrary: fc.record({ kind: fc.constant('delete' as const), at: pos, length: fc.integer({ min: 1, max: 64 }) }), weight: 2 },
    { arbitrary: fc.record({ kind: fc.constant('insert' as const), at: pos, bytes: fc.uint8Array({ minLength: 1, maxLength: 32 }) }), weight: 2 },
    { arbitrary: fc.record({ kind: fc.constant('duplicate' as const), from: pos, length: fc.integer({ min: 1, max: 256 }), to: pos }), weight: 1 },
    { arbitrary: fc.record({ kind: fc.constant('u32' as const), at: pos, value: u32 }), weight: 4 },
    { arbitrary: fc.record({ kind: fc.constant('u64' as const), at: pos, value: u64 }), weight: 2 },
    { arbitrary: fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }), weight: 1 },
  );
}

/** A copy of `base` with the mutations applied in order (the base is never modified). */
export function applyByteMutations(base: Uint8Array, mutations: readonly ByteMutation[]): Uint8Array {
  let b: Uint8Array = base.slice();
  for (const m of mutations) {
    const n = b.length;
    const at = (x: number): number => (n === 0 ? 0 : x % n);
    switch (m.kind) {
      case 'flip':
        if (n > 0) {
          const i = at(m.at);
          b[i] = (b[i] ?? 0) ^ m.xor;
        }
        break;
      case 'truncate':
        b = b.slice(0, at(m.at));
        break;
      case 'delete': {
        const i = at(m.at);
        b = concat(b.subarray(0, i), b.subarray(Math.min(n, i + m.length)));
        break;
      }
      case 'insert': {
        const i = at(m.at);
        b = concat(b.subarray(0, i), m.bytes, b.subarray(i));
        break;
      }
      case 'duplicate': {
        const i = at(m.from);
        const piece = b.slice(i, Math.min(n, i + m.length));
        const j = at(m.to);
        b = concat(b.subarray(0, j), piece, b.subarray(j));
        break;
      }
      case 'u32': {
        const i = at(m.at) & ~3;
        if (i + 4 <= n) new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(i, m.value, true);
        break;
      }
      case 'u64': {
        const i = at(m.at) & ~3;
        if (i + 8 <= n) new DataView(b.buffer, b.byteOffset, b.byteLength).setBigUint64(i, m.value, true);
        break;
      }
      case 'append':
        b = concat(b, m.bytes);
        break;
    }
  }
  return b;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** One to `max` byte mutations of a base file chosen from `bases`. */
export function mutatedBytes(bases: readonly Uint8Array[], hot: readonly number[] = [0], max = 6): fc.Arbitrary<Uint8Array> {
  return fc.tuple(fc.nat(bases.length - 1), fc.array(byteMutation(hot), { minLength: 1, maxLength: max })).map(([i, ms]) => applyByteMutations(bases[i]!, ms));
}

// ---------------------------------------------------------------------------------------------
// JSON mutations

/**
 * Raw JSON texts chosen to break validators: numbers beyond float64 (1e400 parses to
 * Infinity), beyond 2^53, negative zero, NaN-like strings, lone surrogates, prototype keys,
 * nesting deep enough to overflow any recursive walk, long strings and arrays.
 */
const nesting = fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 12_000, max: 20_000 }));

export const adversarialJsonText: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.constantFrom(
      '1e400',
      '-1e400',
      '-0',
      '0',
      '1',
      '-1',
      '2',
      '0.5',
      '-0.5',
      '1e-400',
      '1e308',
      '4294967295',
      '4294967296',
      '9007199254740991',
      '9007199254740993',
      '1152921504606846976',
      '18446744073709551615',
      '1e21',
      '3.4e38',
      '1e39',
      'null',
      'true',
      'false',
      '""',
      '"NaN"',
      '"Infinity"',
      '"-Infinity"',
      '"1e400"',
      '"__proto__"',
      '"constructor"',
      '"\\ud800"',
      '"\\u0000"',
      '"F32"',
      '"F8_E4M3"',
      '"I64"',
      '"BOOL"',
      '"llama"',
      '"char"',
      '"rope"',
      '[]',
      '{}',
      '[0]',
      '[[]]',
      '[0,0]',
      '[-1,5]',
      '[5,1]',
      '[0,1e400]',
      '[1,2,3,4]',
      '[4294967295,0,0,0]',
      '{"__proto__":{"polluted":1}}',
      '{"constructor":{"prototype":{"polluted":1}}}',
      '{"__proto__":null}',
      '{"dtype":"F32","shape":[1],"data_offsets":[0,4]}',
    ),
  },
  // Shallow, or deeper than a recursive walk survives (V8's JSON.stringify gives up near 10,000 levels).
  { weight: 2, arbitrary: nesting.map((n) => '['.repeat(n) + ']'.repeat(n)) },
  { weight: 1, arbitrary: nesting.map((n) => '{"a":'.repeat(n) + '1' + '}'.repeat(n)) },
  { weight: 1, arbitrary: nesting.map((n) => '{"__proto__":'.repeat(n) + '{}' + '}'.repeat(n)) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 100_000 }).map((n) => JSON.stringify('x'.repeat(n))) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 20_000 }).map((n) => `[${new Array(n).fill('1').join(',')}]`) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 20_000 }).map((n) => `[${new Array(n).fill('[]').join(',')}]`) },
  { weight: 4, arbitrary: fc.json({ maxDepth: 3 }) },
);

export type JsonMutation =
  | { readonly kind: 'replace'; readonly path: readonly number[]; readonly raw: string }
  | { readonly kind: 'delete'; readonly path: readonly number[] }
  | { readonly kind: 'addKey'; readonly path: readonly number[]; readonly key: string; readonly raw: string };

export const jsonMutation: fc.Arbitrary<JsonMutation> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('replace' as const), path: fc.array(fc.nat(), { maxLength: 5 }), raw: adversarialJsonText }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), path: fc.array(fc.nat(), { minLength: 1, maxLength: 5 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('addKey' as const),
      path: fc.array(fc.nat(), { maxLength: 4 }),
      key: fc.oneof(
        fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '__metadata__', 'length', ''),
        fc.string({ maxLength: 8 }),
      ),
      raw: adversarialJsonText,
    }),
  },
);

const SENTINEL = '\u0001fuzz-sentinel\u0001';

/**
 * Applies a mutation to JSON text: walks `path` (each step picks a child modulo the child
 * count, stopping early at a leaf), then splices raw text in, so values JSON.stringify could
 * never produce (1e400, duplicate or `__proto__` keys, 60,000-deep nesting) reach the reader.
 */
export function mutateJsonText(text: string, m: JsonMutation): string {
  // Text an earlier mutation nested too deep to re-serialise (JSON.stringify would overflow,
  // slowly): only a whole replacement applies.
  if (nestingDepth(text) > 5000) return m.kind === 'replace' && m.path.length === 0 ? m.raw : text;
  try {
    return mutateJsonTextOnce(text, m);
  } catch {
    // Text an earlier mutation nested too deep to re-serialise: this mutation is a no-op.
    return text;
  }
}

/** Deepest bracket nesting of JSON text (brackets inside strings are skipped). */
function nestingDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) max = Math.max(max, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

function mutateJsonTextOnce(text: string, m: JsonMutation): string {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch {
    return m.kind === 'delete' ? text : m.raw;
  }
  const holder: Record<string, unknown> = { v: root };
  let parent: Record<string, unknown> | unknown[] = holder;
  let key: string | number = 'v';
  for (const step of m.path) {
    const cur: unknown = (parent as Record<string | number, unknown>)[key];
    if (typeof cur !== 'object' || cur === null) break;
    const keys: (string | number)[] = Array.isArray(cur) ? cur.map((_, i) => i) : Object.keys(cur);
    if (keys.length === 0) break;
    parent = cur as Record<string, unknown>;
    key = keys[step % keys.length]!;
  }
  const target = (parent as Record<string | number, unknown>)[key];
  switch (m.kind) {
    case 'replace':
      setOwn(parent, key, SENTINEL);
      return splice(JSON.stringify(holder.v), m.raw);
    case 'delete':
      if (parent === holder) return text;
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key as string];
      return JSON.stringify(holder.v);
    case 'addKey': {
      if (typeof target !== 'object' || target === null || Array.isArray(target)) {
        setOwn(parent, key, SENTINEL);
        return splice(JSON.stringify(holder.v), `{${JSON.stringify(m.key)}:${m.raw}}`);
      }
      // Raw text: the key may be "__proto__" and may duplicate an existing key.
      setOwn(target, SENTINEL, SENTINEL);
      return JSON.stringify(holder.v).replace(`${JSON.stringify(SENTINEL)}:${JSON.stringify(SENTINEL)}`, `${JSON.stringify(m.key)}:${m.raw}`);
    }
  }
}

function setOwn(obj: object, key: string | number, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function splice(text: string, raw: string): string {
  return text.replace(JSON.stringify(SENTINEL), () => raw);
}

// ---------------------------------------------------------------------------------------------
// Safetensors containers (for mutating the header JSON while keeping the data section)

export interface SplitSafetensors {
  readonly headerText: string;
  readonly data: Uint8Array;
}

/** Header text and data section of a well-formed file. */
export function splitSafetensors(bytes: Uint8Array): SplitSafetensors {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true));
  return { headerText: new TextDecoder().decode(bytes.subarray(8, 8 + n)), data: bytes.subarray(8 + n) };
}

/** A safetensors file from header text and data; the length prefix is exact unless `claim` is given. */
export function joinSafetensors(headerText: string, data: Uint8Array, claim?: bigint): Uint8Array {
  const h = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, claim ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Hostile plain values (for messages and parsed JSON)

/**
 * Values a structured clone or JSON can carry, with the ones validators forget: sparse
 * arrays, -0, NaN, ±Infinity, 2^53 + 2, typed arrays, Dates, Maps, null-prototype objects,
 * `__proto__` as an own key, very long strings and arrays.
 */
export const hostileValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 8, arbitrary: tie('leaf') },
    { weight: 2, arbitrary: fc.array(tie('value'), { maxLength: 4 }) },
    { weight: 1, arbitrary: fc.sparseArray(tie('value'), { maxLength: 6 }) },
    {
      weight: 2,
      arbitrary: fc.dictionary(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('__proto__', 'constructor', 'type', 'id', 'start', 'end')), tie('value'), {
        maxKeys: 4,
      }),
    },
    {
      weight: 1,
      arbitrary: fc.object({ maxDepth: 2, withNullPrototype: true, withTypedArray: true, withMap: true, withSet: true, withDate: true, withBigInt: true }),
    },
  ),
  leaf: fc.oneof(
    fc.constantFrom(
      null,
      undefined,
      true,
      false,
      0,
      -0,
      1,
      -1,
      0.5,
      NaN,
      Infinity,
      -Infinity,
      2 ** 31,
      2 ** 32,
      2 ** 53,
      2 ** 53 + 2,
      -(2 ** 53) - 2,
      Number.MAX_VALUE,
      Number.MIN_VALUE,
      '',
      'NaN',
      '__proto__',
      '\ud800',
    ),
    fc.double(),
    fc.integer(),
    fc.string({ maxLength: 12 }),
    fc.integer({ min: 0, max: 100_000 }).map((n) => 'x'.repeat(n)),
    fc.integer({ min: 0, max: 20_000 }).map((n) => new Array<number>(n).fill(1)),
    fc.integer({ min: 1, max: 5_000 }).map((n) => new Array(n)),
    fc.constantFrom(new Float32Array(3), new Int32Array(2), new Uint8Array(0), new Date(0), new Map([[1, 2]])),
  ),
})).value;

/** A record where each field is, by turns, a good value or a hostile one (and sometimes missing). */
export function fieldsOf(good: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Record<string, unknown>> {
  const entries = Object.entries(good).map(([k, arb]) => [k, fc.oneof({ weight: 5, arbitrary: arb }, { weight: 1, arbitrary: hostileValue })] as const);
  return fc
    .tuple(
      fc.record(Object.fromEntries(entries), { requiredKeys: [] }),
      fc.dictionary(fc.constantFrom('__proto__', 'extra', 'constructor'), hostileValue, { maxKeys: 1 }),
    )
    .map(([fields, extra]) => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(extra)) setOwn(out, k, v);
      for (const [k, v] of Object.entries(fields)) setOwn(out, k, v);
      return out;
    });
}

/** True when `a` is a dense array (no holes), as every validated list must be. */
export function isDense(a: readonly unknown[]): boolean {
  for (let i = 0; i < a.length; i++) if (!(i in a)) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Property sets (shared by the fuzz tests and the seed/path replays in regressions.test.ts)

/** One named property of a reader and its share of the reader's FUZZ_RUNS inputs. */
export interface FuzzProperty {
  readonly share: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a set mixes properties of different tuples
  readonly property: fc.IRawProperty<any>;
  /** Skipped (e.g. the shared fixtures are absent). */
  readonly skip?: boolean;
}

export type PropertySet = Readonly<Record<string, FuzzProperty>>;

/**
 * Registers one mocha test per property, each running its share of FUZZ_RUNS random inputs,
 * and checks that the reader was probed at least once per run: a property that returned early
 * (or swallowed its input) would otherwise count runs that tested nothing.
 */
export function fuzzEach(set: PropertySet, probe: ReaderProbe): void {
  for (const [name, p] of Object.entries(set)) {
    it(name, function () {
      if (p.skip) return this.skip();
      const runs = share(p.share);
      const before = probe.inputs;
      fc.assert(p.property, fcParams(runs));
      const probed = probe.inputs - before;
      assert.ok(probed >= runs, `${probe.name}: ${runs} runs but only ${probed} inputs reached the reader`);
    });
  }
}

/** Replays one recorded counterexample (a regression case) of a property: it must now hold. */
export function replay(p: FuzzProperty, seed: number, path: string): void {
  fc.assert(p.property, { seed, path, numRuns: 1, endOnFailure: true, reporter: shortReport });
}

/** Wraps a property for a PropertySet; `skip` when its inputs are unavailable. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function prop(share: number, property: fc.IRawProperty<any>, skip = false): FuzzProperty {
  return { share, property, skip };
}
