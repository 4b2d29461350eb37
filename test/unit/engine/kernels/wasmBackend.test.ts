import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { backend, backendStatus, selectBackend } from '../../../../src/engine/kernels/activeBackend';
import { decodeBase64, loadWasmBackend } from '../../../../src/engine/kernels/wasmLoad';
import { WASM_SIMD_BASE64 } from '../../../../src/engine/kernels/generated/wasmModules';
import { jsBackend } from '../../../../src/engine/kernels/jsBackend';
import {
  checkActivations,
  checkAdamW,
  checkAllKernels,
  checkAttention,
  checkCrossEntropy,
  checkLayerNorm,
  checkLinear,
  checkMatmul,
  checkRmsNorm,
  KERNEL_CHECKS,
} from './kernelChecks';
import { checkHalfKernels } from './halfChecks';
import { restoreDefaultBackend } from './selectBackend';

const REPO_ROOT = path.resolve(__dirname, '../../../..');

describe('kernels/wasmBackend', function () {
  this.timeout(60_000);
  const simd = loadWasmBackend({ simd: decodeBase64(WASM_SIMD_BASE64) });
  after(restoreDefaultBackend);

  it('loads the SIMD build on this runtime', () => {
    assert.equal(simd.reason, null);
    assert.equal(simd.backend?.name, 'wasm-simd');
  });

  it('matmul matches the JS reference: every transpose, accumulate, awkward and tile-straddling shapes', () => {
    assert.ok(checkMatmul(simd.backend!) > 100);
  });

  it('fused attention forward and backward match the JS reference: GQA, key/value cache offsets, hard mode, awkward sizes', () => {
    assert.ok(checkAttention(simd.backend!) > 50);
  });

  it('attention in chunks of a few query rows (as long sequences run) matches the JS reference too', () => {
    for (const block of [1, 40, 500]) {
      const chunked = loadWasmBackend({ simd: decodeBase64(WASM_SIMD_BASE64) }, { attentionBlockFloats: block });
      assert.ok(checkAttention(chunked.backend!) > 50);
    }
  });

  it('linear layer forward and backward (bias, every gradient subset) match the JS reference', () => {
    assert.ok(checkLinear(simd.backend!) > 20);
  });

  it('F16/BF16 weights: matvec and linear widen inside the kernel, equal a scalar reference (remainders, subnormals, every finite pattern exact); so does the JS reference', () => {
    assert.ok(checkHalfKernels(simd.backend!) >= 50);
    assert.ok(checkHalfKernels(jsBackend) >= 50);
  });

  it('GELU and SiLU forward and backward match the JS reference, saturation and non-finite inputs included', () => {
    assert.ok(checkActivations(simd.backend!) >= 20);
  });

  it('LayerNorm and RMSNorm forward (with their statistics) and backward match the JS reference', () => {
    assert.ok(checkLayerNorm(simd.backend!) > 20);
    assert.ok(checkRmsNorm(simd.backend!) > 10);
  });

  it('fused softmax + cross-entropy matches the JS reference (ignored rows, ties, bad targets)', () => {
    assert.ok(checkCrossEntropy(simd.backend!) >= 10);
  });

  it('AdamW is bit-identical to the JS reference', () => {
    assert.ok(checkAdamW(simd.backend!) >= 15);
  });

  it('a resident block made where released ones lay is zeroed, also above the resident end they lowered (a buffer pool relies on it)', async () => {
    const fresh = loadWasmBackend({ simd: decodeBase64(WASM_SIMD_BASE64) }).backend!;
    v8.setFlagsFromString('--expose_gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const sizes = [4096, 64 * 1024, 300 * 1024];
    let first: number[] = [];
    await (async () => {
      // Blocks whose owners die here, written all over: the top ones lower the resident end when released.
      const owners = sizes.map(() => ({}));
      const blocks = sizes.map((n, i) => fresh.residentBytes!(n, owners[i])!);
      blocks.forEach((b) => b.fill(0xa5));
      first = blocks.map((b) => b.byteOffset);
    })();
    for (let i = 0; i < 5; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 20));
    }
    const again = [...sizes].reverse().map((n) => fresh.residentBytes!(n, {})!);
    assert.ok(
      again.some((b) => first.includes(b.byteOffset)),
      'the released blocks were not collected (nothing reused their place): the check would prove nothing',
    );
    for (const b of again)
      assert.ok(
        b.every((x) => x === 0),
        `a block at ${b.byteOffset} holds a released block's bytes`,
      );
  });

  it('matmul handles operands larger than the current memory (it grows) and reuses it after', () => {
    const be = simd.backend!;
    const n = 700;
    const a = new Float32Array(n * n).fill(1),
      b = new Float32Array(n * n).fill(0.5),
      c = new Float32Array(n * n);
    be.matmul(a, b, c, n, n, n, { transB: true });
    assert.equal(c[0], 350);
    assert.equal(c[n * n - 1], 350);
    const small = new Float32Array(4);
    be.matmul(Float32Array.of(1, 2, 3, 4), Float32Array.of(1, 0, 0, 1), small, 2, 2, 2);
    assert.deepEqual([...small], [1, 2, 3, 4]);
  });

  it('when the memory cannot grow, each kernel runs on the JS reference instead (same results, no throw)', () => {
    const fresh = loadWasmBackend({ simd: decodeBase64(WASM_SIMD_BASE64) }).backend!;
    const memory = (fresh as unknown as { ex: { memory: WebAssembly.Memory } }).ex.memory;
    memory.grow = () => {
      throw new RangeError('WebAssembly.Memory.grow(): Maximum memory size exceeded');
    };
    assert.ok(checkMatmul(fresh, [[300, 300, 300]]) > 100);
    assert.ok(checkAllKernels(fresh) > 250, 'every kernel, the norms included');
  });

  it('every kernel of the Backend contract has a check, and the WASM backend implements each with its own code', () => {
    const kernels = Object.keys(jsBackend)
      .filter((k) => k !== 'name' && k !== 'memoryBytes')
      .sort();
    assert.deepEqual(Object.keys(KERNEL_CHECKS).sort(), kernels);
    const be = simd.backend!;
    for (const k of kernels) assert.notEqual((be as unknown as Record<string, unknown>)[k], (jsBackend as unknown as Record<string, unknown>)[k], k);
  });

  it('the relaxed-SIMD build matches the JS reference (child process with relaxed SIMD enabled)', function () {
    this.timeout(120_000);
    const r = spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', '--import', 'tsx', path.join(__dirname, 'relaxedSimdCheck.ts')], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, `child failed:\n${r.stderr}`);
    assert.match(r.stdout, /^relaxed-simd ok \d+/);
  });
});

describe('kernels/backend selection', () => {
  after(restoreDefaultBackend);

  it("'auto' picks WebAssembly here and reports no fallback", () => {
    const s = selectBackend('auto');
    assert.match(s.name, /^wasm-/);
    assert.equal(s.fallbackReason, null);
    assert.equal(backend().name, s.name);
  });

  it("'js' picks the reference", () => {
    assert.equal(selectBackend('js').name, 'js');
    assert.equal(backend().name, 'js');
  });

  it('a module that fails to load falls back to JS with the reason, never a crash', () => {
    const garbage = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 255, 255]);
    const s = selectBackend('wasm', { simd: garbage, relaxedSimd: garbage });
    assert.equal(s.name, 'js');
    assert.equal(s.requested, 'wasm');
    assert.match(s.fallbackReason ?? '', /wasm-simd: not supported by this runtime/);
    assert.equal(backend().name, 'js');
    assert.deepEqual(backendStatus(), s);
    // A module that validates but lacks the kernels is a reason too.
    const empty = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
    assert.match(selectBackend('auto', { simd: empty }).fallbackReason ?? '', /lacks memory, heapBase/);
  });

  it('no WebAssembly at all falls back to JS with the reason', () => {
    const saved = globalThis.WebAssembly;
    try {
      (globalThis as { WebAssembly?: unknown }).WebAssembly = undefined;
      const s = selectBackend('auto');
      assert.equal(s.name, 'js');
      assert.match(s.fallbackReason ?? '', /WebAssembly is not available/);
    } finally {
      globalThis.WebAssembly = saved;
    }
  });
});

describe('kernels/generated module', () => {
  it('is what scripts/build-wasm.mjs compiles from wasm/assembly today', function () {
    this.timeout(120_000);
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts/build-wasm.mjs'), '--check'], { cwd: REPO_ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  });
});
