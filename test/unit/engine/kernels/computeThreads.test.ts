/**
 * Compute threads (kernels/computeThreads.ts, split by wasmBackend/wasmAttention/wasmDecode):
 * 1, 2 and 4 threads give the same attention, logits and greedy tokens on the real llama2.c
 * models (stories260K, stories15M; the 1-thread results are checked against llama2.c
 * elsewhere, and stories15M's greedy ids here too), the same training losses, and each
 * workload really was split. A helper whose kernel throws, or whose thread dies mid-call,
 * gives a clear error instead of a hang; stopping the threads (or ending the thread that
 * owns them mid-call) leaves no thread behind.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { parseLlama2cCheckpoint } from '../../../../src/engine/checkpoint/llama2c';
import { generate } from '../../../../src/engine/inference/generate';
import { backend, setComputeThreads, threadStatus } from '../../../../src/engine/kernels/activeBackend';
import type { HelperData, ThreadSpawner } from '../../../../src/engine/kernels/computeThreads';
import { jsBackend } from '../../../../src/engine/kernels/jsBackend';
import type { Backend } from '../../../../src/engine/kernels/backend';
import { WASM_SIMD_BASE64 } from '../../../../src/engine/kernels/generated/wasmModules';
import { decodeBase64, loadWasmBackend } from '../../../../src/engine/kernels/wasmLoad';
import { validateModelConfig } from '../../../../src/engine/models/config';
import { Transformer } from '../../../../src/engine/nn/transformer';
import { Rng } from '../../../../src/engine/random';
import { resolveTrainOptions } from '../../../../src/engine/train/options';
import { Trainer } from '../../../../src/engine/train/trainer';
import { nodeThreadSpawner } from '../../../../src/node/computeThreads';
import { readFixtureJson, requireFixture } from '../../../helpers/fixtures';
import { checkDecode } from './kernelChecks';
import { restoreDefaultBackend } from './selectBackend';

/** OS threads of this process (Linux), or null where /proc is not there. */
function osThreads(): number | null {
  try {
    const m = /^Threads:\s+(\d+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

async function threadsBackTo(baseline: number | null, what: string): Promise<void> {
  if (baseline === null) return;
  const deadline = Date.now() + 15_000;
  while (osThreads()! > baseline) {
    if (Date.now() > deadline) assert.fail(`${what}: ${osThreads()} OS threads remain, ${baseline} before`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function use(n: number): void {
  const s = setComputeThreads(n, nodeThreadSpawner);
  assert.equal(s.threads, n, `${n} threads asked for: ${s.fallbackReason}`);
}

const splitCalls = (): number => backend().threadStatus?.().splitCalls ?? 0;

function worst(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

/** Logits, every layer's attention and greedy tokens of `model` over `ids`, on `n` threads. */
function run(
  model: Transformer,
  ids: Int32Array,
  n: number,
  greedy: number,
): { logits: Float32Array; attention: Float32Array[]; tokens: number[]; split: number } {
  use(n);
  const before = splitCalls();
  const r = model.forward(null, ids, 1, ids.length, { capture: { attention: true } });
  const tokens = [...generate(model, ids.subarray(0, 4), { maxTokens: greedy, temperature: 0, rng: new Rng(1) })];
  return { logits: r.logits.data.slice(), attention: r.layers.map((l) => l.attention!.slice()), tokens, split: splitCalls() - before };
}

/** A spawner whose helpers cannot instantiate the kernel module (they fail to start). */
const failingToStart: ThreadSpawner = {
  spawn: (source, data) =>
    nodeThreadSpawner.spawn(
      `(data, onExit) => { WebAssembly.Instance = function () { throw new Error('planted: no instance'); }; (${source})(data, onExit); }`,
      data,
    ),
};

/** A spawner whose helpers run `replace` instead of the kernel `name` (to make one fail or die mid-call). */
function sabotaged(name: string, replace: string): ThreadSpawner {
  return {
    spawn(source: string, data: HelperData) {
      const wrapped = `(data, onExit) => {
        const Real = WebAssembly.Instance;
        WebAssembly.Instance = function (m, imports) {
          const exports = { ...new Real(m, imports).exports, ${JSON.stringify(name)}: ${replace} };
          return { exports };
        };
        (${source})(data, onExit);
      }`;
      return nodeThreadSpawner.spawn(wrapped, data);
    },
  };
}

describe('compute threads: kernels split across helper threads on the shared WebAssembly memory', function () {
  this.timeout(300_000);
  let baseline: number | null = null;

  before(function () {
    restoreDefaultBackend();
    if (!backend().useThreads) this.skip(); // the JS reference backend runs on one thread (ATTENTION_LENS_BACKEND=js)
    baseline = osThreads();
  });
  afterEach(() => setComputeThreads(1, null));
  after(async () => {
    setComputeThreads(1, null);
    restoreDefaultBackend();
    await threadsBackTo(baseline, 'after the compute-thread tests');
  });

  for (const [model, file, T, greedy] of [
    ['stories260K', 'stories260K.bin', 200, 40],
    ['stories15M', 'stories15M.bin', 96, 24],
  ] as const) {
    it(`${model}: 1, 2 and 4 threads give the same logits and attention (1e-5) and the same greedy tokens`, function () {
      const m = parseLlama2cCheckpoint(new Uint8Array(fs.readFileSync(requireFixture(this, model, file))));
      const rng = new Rng(5);
      const ids = Int32Array.from({ length: T }, (_, t) => (t === 0 ? 1 : 2 + rng.int(m.config.vocabSize - 2)));
      const one = run(m, ids, 1, greedy);
      assert.equal(one.split, 0);
      for (const n of [2, 4]) {
        const r = run(m, ids, n, greedy);
        assert.ok(r.split > 0, `${n} threads: no kernel call was split`);
        assert.ok(worst(r.logits, one.logits) <= 1e-5, `${n} threads: logits differ by ${worst(r.logits, one.logits)}`);
        r.attention.forEach((a, l) => assert.ok(worst(a, one.attention[l]!) <= 1e-5, `${n} threads: layer ${l} attention`));
        assert.deepEqual(r.tokens, one.tokens, `${n} threads: greedy tokens`);
      }
    });
  }

  it("stories15M on 2 threads: greedy generation equals llama2.c run.c's ids (fixture)", function () {
    const file = requireFixture(this, 'stories15M', 'stories15M.bin');
    const cases = readFixtureJson<{ cases: { prompt_token_ids: number[]; generated_token_ids: number[] }[] }>(
      path.join(path.dirname(file), 'greedy_generations.json'),
    ).cases;
    const model = parseLlama2cCheckpoint(new Uint8Array(fs.readFileSync(file)));
    use(2);
    const before = splitCalls();
    for (const c of cases.slice(0, 2)) {
      const out = generate(model, Int32Array.from(c.prompt_token_ids), {
        maxTokens: c.generated_token_ids.length,
        temperature: 0,
        rng: new Rng(1),
        stopIds: [1],
      });
      assert.deepEqual([...out], c.generated_token_ids);
    }
    assert.ok(splitCalls() > before, 'decoding split no call');
  });

  it('the decoding kernels (matvec, stacked matvecs, attention) split on 2 and 4 threads equal the JS reference', () => {
    for (const n of [2, 4]) {
      use(n);
      const before = splitCalls();
      assert.ok(checkDecode(backend(), { bigStacks: true }) > 0);
      assert.ok(splitCalls() > before, `${n} threads: no decoding kernel call was split`);
    }
  });

  it('the element-wise and per-row kernels (GELU, SiLU, norms) split on 2 and 4 threads give the floats of one thread', () => {
    const rng = new Rng(9);
    const n = 50_003; // parts of any size, and a tail that is not a multiple of 4
    const x = Float32Array.from({ length: n }, () => (rng.uniform() - 0.5) * 12);
    const dy = Float32Array.from({ length: n }, () => rng.uniform() - 0.5);
    const b = x.subarray(0, 100);
    const outputs = (): Float32Array[] => {
      const be = backend();
      const outs = Array.from({ length: 4 }, (_, i) => (i % 2 ? x.slice() : new Float32Array(n)));
      be.geluForward(x, outs[0]!, n);
      be.geluBackward(x, dy, outs[1]!, n);
      be.siluForward(x, outs[2]!, n);
      be.siluBackward(x, dy, outs[3]!, n);
      // Per row: 500 rows of 100 (LayerNorm with and without bias, RMSNorm); each row's statistics too.
      const rowsIn = x.subarray(0, 50_000),
        w = dy.subarray(0, 100).map((v) => 1 + v);
      const norms = [50_000, 500, 500, 50_000, 500, 500, 50_000, 500].map((k) => new Float32Array(k));
      be.layerNormForward(rowsIn, w, b, norms[0]!, norms[1]!, norms[2]!, 500, 100, 1e-5);
      be.layerNormForward(rowsIn, w, null, norms[3]!, norms[4]!, norms[5]!, 500, 100, 1e-5);
      be.rmsNormForward(rowsIn, w, norms[6]!, norms[7]!, 500, 100, 1e-5);
      return [...outs, ...norms];
    };
    use(1);
    const one = outputs();
    for (const t of [2, 4]) {
      use(t);
      const before = splitCalls();
      const got = outputs();
      assert.ok(splitCalls() - before >= 7, `${t} threads: only ${splitCalls() - before} of 7 calls were split`);
      got.forEach((g, k) =>
        assert.ok(
          g.every((v, i) => Object.is(v, one[k]![i])),
          `${t} threads: output ${k} differs`,
        ),
      );
    }
  });

  it('attention on weights kept in kernel memory: each thread takes a run of heads in one call (rounds past MAX_JOBS), with the floats of one thread', () => {
    // 40 × 4 heads (GQA, 2 key/value heads): 160 forward units and 80 backward pairs, more than MAX_JOBS a thread.
    const dims = { B: 40, T: 48, Tk: 48, H: 4, Hkv: 2, hs: 8 };
    const rng = new Rng(12);
    const nq = dims.B * dims.T * dims.H * dims.hs,
      nkv = dims.B * dims.Tk * dims.Hkv * dims.hs,
      np = dims.B * dims.H * dims.T * dims.Tk;
    const random = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.uniform() - 0.5);
    const q = random(nq),
      k = random(nkv),
      v = random(nkv),
      dy = random(nq);
    const passes = (): Float32Array[] => {
      const be = backend();
      const owner = {};
      const resident = (n: number): Float32Array => {
        const bytes = be.residentBytes!(4 * n, owner)!;
        return new Float32Array(bytes.buffer, bytes.byteOffset, n);
      };
      const out = new Float32Array(nq),
        probs = resident(np);
      be.attentionForward(q, k, v, dims, out, probs, null, null);
      const dq = new Float32Array(nq),
        dk = new Float32Array(nkv),
        dv = new Float32Array(nkv);
      be.attentionBackward(q, k, v, dims, probs, null, dy, dq, dk, dv);
      return [out, probs.slice(), dq, dk, dv];
    };
    use(1);
    const one = passes();
    const reference = new Float32Array(np);
    jsBackend.attentionForward(q, k, v, dims, new Float32Array(nq), reference, null, null);
    assert.ok(worst(one[1]!, reference) <= 1e-6, `weights differ from the JS reference by ${worst(one[1]!, reference)}`);
    for (const t of [2, 4]) {
      use(t);
      const before = splitCalls();
      const got = passes();
      assert.equal(splitCalls() - before, 2, `${t} threads: the forward and the backward should each be one split call`);
      got.forEach((g, i) =>
        assert.ok(
          g.every((x, j) => Object.is(x, one[i]![j])),
          `${t} threads: ${['out', 'weights', 'dq', 'dk', 'dv'][i]} differ`,
        ),
      );
    }
  });

  it('attention whose weights go to plain arrays: shared out as threads come free (few or many units, 2 and 4 threads), every output equals one thread', () => {
    const dims = { B: 3, T: 128, Tk: 128, H: 4, Hkv: 4, hs: 16 };
    const rng = new Rng(13);
    const nq = dims.B * dims.T * dims.H * dims.hs,
      np = dims.B * dims.H * dims.T * dims.Tk;
    const random = (): Float32Array => Float32Array.from({ length: nq }, () => rng.uniform() - 0.5);
    const q = random(),
      k = random(),
      v = random();
    const passes = (be: Backend): (Float32Array | Int32Array)[] => {
      const soft = [new Float32Array(nq), new Float32Array(np), new Float32Array(np)] as const;
      be.attentionForward(q, k, v, dims, soft[0], soft[1], soft[2], null);
      const hard = [new Float32Array(nq), new Float32Array(np), new Int32Array(dims.B * dims.H * dims.T)] as const;
      be.attentionForward(q, k, v, dims, hard[0], hard[1], null, hard[2]);
      return [...soft, ...hard];
    };
    const load = (blockFloats: number): Backend => loadWasmBackend({ simd: decodeBase64(WASM_SIMD_BASE64) }, { attentionBlockFloats: blockFloats }).backend!;
    const one = passes(load(1 << 18));
    // A whole head a unit (12 units), 16 rows (96), 8 rows (192: many batches, some taken here).
    for (const blockFloats of [1 << 18, 16 * 128, 8 * 128]) {
      const be = load(blockFloats);
      for (const t of [2, 4]) {
        assert.equal(be.useThreads!(t, nodeThreadSpawner).threads, t);
        const got = passes(be);
        assert.ok(be.threadStatus!().splitCalls! > 0, `${blockFloats}, ${t} threads: nothing was split`);
        got.forEach((g, i) =>
          assert.ok(
            g.every((x, j) => Object.is(x, one[i]![j])),
            `${blockFloats}, ${t} threads: ${['out', 'weights', 'scores', 'hard out', 'hard weights', 'hard indices'][i]} differ`,
          ),
        );
      }
      be.useThreads!(1, null);
    }
  });

  it('training: the losses of a few steps are the same on 1, 2 and 4 threads', () => {
    const config = validateModelConfig({
      architecture: 'llama',
      vocabSize: 48,
      contextLength: 64,
      dModel: 64,
      nLayers: 2,
      nHeads: 4,
      nKvHeads: 2,
      mlpHidden: 128,
      norm: 'rmsnorm',
      normEps: 1e-5,
      positional: 'rope',
      ropeTheta: 10000,
      ropeStyle: 'half',
      mlp: 'swiglu',
      bias: false,
      tiedEmbeddings: false,
      attentionMode: 'soft',
      dropout: 0,
    });
    const rng = new Rng(3);
    const tokens = Int32Array.from({ length: 4000 }, () => rng.int(48));
    const losses = (n: number): number[] => {
      use(n);
      const before = splitCalls();
      const options = resolveTrainOptions({ steps: 100, batchSize: 4, learningRate: 3e-3, warmupSteps: 0, evalInterval: 1_000_000, seed: 7 });
      const trainer = new Trainer(Transformer.create(config, new Rng(1)), tokens, options);
      const out = Array.from({ length: 4 }, () => trainer.trainStep().loss);
      if (n > 1) assert.ok(splitCalls() > before, `${n} threads: training split no call`);
      return out;
    };
    const one = losses(1);
    for (const n of [2, 4]) {
      const got = losses(n);
      got.forEach((l, i) => assert.ok(Math.abs(l - one[i]!) <= 1e-5 * Math.max(1, Math.abs(one[i]!)), `${n} threads, step ${i + 1}: loss ${l} vs ${one[i]}`));
    }
  });

  it('a helper whose kernel throws makes that call throw a clear error; the threads keep working', () => {
    const s = setComputeThreads(2, sabotaged('matmulStrided', "() => { throw new Error('planted failure'); }"));
    assert.equal(s.threads, 2);
    const m = 256,
      k = 256,
      n = 256;
    const rng = new Rng(9);
    const a = Float32Array.from({ length: m * k }, () => rng.normal()),
      b = Float32Array.from({ length: k * n }, () => rng.normal());
    const c = new Float32Array(m * n);
    assert.throws(() => backend().matmul(a, b, c, m, k, n), /compute thread 2 failed in matmulStrided: planted failure/);
    assert.equal(threadStatus().threads, 2);
  });

  it("'first-split' spawns no helper until a call is big enough to split (stories260K decodes without one), runs that call without waiting for it, then splits correctly", async function () {
    const file = requireFixture(this, 'stories260K', 'stories260K.bin');
    let spawned = 0;
    const counting: ThreadSpawner = { spawn: (source, data) => (spawned++, nodeThreadSpawner.spawn(source, data)) };
    assert.equal(setComputeThreads(2, counting, 'first-split').threads, 2);
    const model = parseLlama2cCheckpoint(new Uint8Array(fs.readFileSync(file)));
    const tokens = generate(model, Int32Array.of(1, 403, 407), { maxTokens: 20, temperature: 0, rng: new Rng(1) });
    assert.equal(tokens.length, 20);
    assert.equal(spawned, 0, 'a model too small to split spawned a helper');
    const m = 300,
      k = 200,
      n = 300;
    const rng = new Rng(12);
    const a = Float32Array.from({ length: m * k }, () => rng.normal()),
      b = Float32Array.from({ length: k * n }, () => rng.normal());
    const c = new Float32Array(m * n),
      want = new Float32Array(m * n);
    const before = splitCalls();
    backend().matmul(a, b, c, m, k, n);
    jsBackend.matmul(a, b, want, m, k, n);
    assert.equal(spawned, 1);
    // The helper was spawned by that call, which ran on this thread rather than wait ~100 ms for it.
    assert.equal(splitCalls(), before, 'the first big call waited for the helper to start');
    assert.ok(worst(c, want) <= 1e-4);
    const first = c.slice();
    // Once the helper is ready, big calls are split, with the same result.
    for (let i = 0; i < 500 && splitCalls() === before; i++) {
      await new Promise((r) => setTimeout(r, 20));
      c.fill(0);
      backend().matmul(a, b, c, m, k, n);
    }
    assert.ok(splitCalls() > before, 'the big product was never split');
    assert.deepEqual(c, first, 'the split product differs from the one computed on this thread');
    assert.equal(spawned, 1);
    assert.equal(threadStatus().threads, 2);
  });

  it('helpers that cannot start: the split parts run on the calling thread, correctly, and the status says why', () => {
    assert.equal(setComputeThreads(2, failingToStart).threads, 2); // they start in the background
    const m = 200,
      k = 96,
      n = 160;
    const rng = new Rng(11);
    const a = Float32Array.from({ length: m * k }, () => rng.normal()),
      b = Float32Array.from({ length: k * n }, () => rng.normal());
    const c = new Float32Array(m * n),
      want = new Float32Array(m * n);
    backend().matmul(a, b, c, m, k, n);
    jsBackend.matmul(a, b, want, m, k, n);
    assert.ok(worst(c, want) <= 1e-4);
    const status = threadStatus();
    assert.equal(status.threads, 1);
    assert.equal(status.fallbackReason, 'compute thread 2 could not start: planted: no instance');
  });

  it("'first-split' helpers that cannot start: calls run on the calling thread meanwhile and after, correctly, and the status says why", async function () {
    assert.equal(setComputeThreads(2, failingToStart, 'first-split').threads, 2);
    const m = 200,
      k = 96,
      n = 160;
    const rng = new Rng(13);
    const a = Float32Array.from({ length: m * k }, () => rng.normal()),
      b = Float32Array.from({ length: k * n }, () => rng.normal());
    const want = new Float32Array(m * n);
    jsBackend.matmul(a, b, want, m, k, n);
    for (let i = 0; i < 500 && threadStatus().threads === 2; i++) {
      const c = new Float32Array(m * n);
      backend().matmul(a, b, c, m, k, n);
      assert.ok(worst(c, want) <= 1e-4, `call ${i + 1}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const status = threadStatus();
    assert.equal(status.threads, 1);
    assert.equal(status.fallbackReason, 'compute thread 2 could not start: planted: no instance');
    const c = new Float32Array(m * n);
    backend().matmul(a, b, c, m, k, n);
    assert.ok(worst(c, want) <= 1e-4);
  });

  it('attention shared out to helpers: one that throws, or dies, makes the call throw a clear error once the others are done; the engine goes on', () => {
    const dims = { B: 2, T: 128, Tk: 128, H: 4, Hkv: 4, hs: 16 };
    const rng = new Rng(14);
    const nq = dims.B * dims.T * dims.H * dims.hs,
      np = dims.B * dims.H * dims.T * dims.Tk;
    const [q, k, v] = [0, 1, 2].map(() => Float32Array.from({ length: nq }, () => rng.uniform() - 0.5)) as [Float32Array, Float32Array, Float32Array];
    const forward = (): [Float32Array, Float32Array] => {
      const out = new Float32Array(nq),
        probs = new Float32Array(np);
      backend().attentionForward(q, k, v, dims, out, probs, null, null);
      return [out, probs];
    };
    const want = [new Float32Array(nq), new Float32Array(np)] as const;
    jsBackend.attentionForward(q, k, v, dims, want[0], want[1], null, null);
    setComputeThreads(3, sabotaged('attnForwardHead', "() => { throw new Error('planted failure'); }"));
    assert.throws(forward, /compute thread [23] failed in attnForwardHead: planted failure/);
    assert.equal(threadStatus().threads, 3);
    setComputeThreads(2, sabotaged('attnForwardHead', '() => process.exit(3)'));
    assert.throws(forward, /compute thread 2 stopped during a attnForwardHead call; the engine continues on one thread/);
    assert.equal(threadStatus().threads, 1);
    const [out, probs] = forward();
    assert.ok(worst(out, want[0]) <= 1e-5 && worst(probs, want[1]) <= 1e-5);
  });

  it('a helper thread that dies mid-call gives a clear error, and the engine goes on (correctly) on one thread', () => {
    setComputeThreads(2, sabotaged('matmulStrided', '() => process.exit(3)'));
    const m = 256,
      k = 128,
      n = 192;
    const rng = new Rng(10);
    const a = Float32Array.from({ length: m * k }, () => rng.normal()),
      b = Float32Array.from({ length: k * n }, () => rng.normal());
    const c = new Float32Array(m * n);
    assert.throws(() => backend().matmul(a, b, c, m, k, n), /compute thread 2 stopped during a matmulStrided call; the engine continues on one thread/);
    const status = threadStatus();
    assert.equal(status.threads, 1);
    assert.match(status.fallbackReason ?? '', /compute thread 2 stopped/);
    backend().matmul(a, b, c, m, k, n);
    const want = new Float32Array(m * n);
    jsBackend.matmul(a, b, want, m, k, n);
    assert.ok(worst(c, want) <= 1e-4);
  });

  it('stopping the threads, or ending the thread that owns them in the middle of a split call, leaves no thread behind', async function () {
    if (baseline === null) this.skip(); // counts OS threads through /proc
    use(4);
    assert.ok(osThreads()! >= baseline! + 3);
    setComputeThreads(1, null);
    await threadsBackTo(baseline, 'after setComputeThreads(1)');

    // An engine thread (as the VS Code worker is) with 2 compute threads, busy in split matmuls, ended from outside.
    const program = `
      const { parentPort } = require('node:worker_threads');
      const { backend, setComputeThreads } = require(${JSON.stringify(path.resolve(__dirname, '../../../../src/engine/kernels/activeBackend.ts'))});
      const { nodeThreadSpawner } = require(${JSON.stringify(path.resolve(__dirname, '../../../../src/node/computeThreads.ts'))});
      const s = setComputeThreads(2, nodeThreadSpawner);
      const n = 512, a = new Float32Array(n * n).fill(1), c = new Float32Array(n * n);
      parentPort.postMessage(s.threads);
      for (;;) backend().matmul(a, a, c, n, n, n);
    `;
    const engine = new Worker(program, { eval: true, execArgv: ['--require', require.resolve('tsx/cjs')] });
    const threads = await new Promise<number>((resolve, reject) => {
      engine.once('message', resolve);
      engine.once('error', reject);
    });
    assert.equal(threads, 2);
    await new Promise((r) => setTimeout(r, 200)); // well inside a split call by now
    const ended = await Promise.race([engine.terminate().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 15_000))]);
    assert.ok(ended, 'the engine thread did not end within 15 s');
    await threadsBackTo(baseline, 'after the engine thread ended');
  });
});
