/**
 * The WebAssembly SIMD backend: the kernels compiled from wasm/assembly, instantiated by
 * wasmLoad.ts (relaxed SIMD when the runtime has it). The module's memory is shared (a
 * SharedArrayBuffer: views on it never detach when it grows), and holds resident arrays —
 * weights read from a checkpoint straight into it, the decoder's cache — which kernels use in
 * place; other operands are copied in and out per call (wasmArena.ts), a memcpy per operand,
 * a few % of the kernels' time at the engine's shapes. When the memory cannot grow, the call
 * runs on the JS reference instead. Attention, the linear layer and the element-wise and
 * per-row kernels live in wasmAttention.ts, wasmLinear.ts and wasmPointwise.ts.
 */

import type { AdamWStepParams, AttentionDims, Backend, CrossEntropySums, DecodeKernels, GradientStore, MatmulOptions, ThreadUse } from './backend';
import { jsBackend } from './jsBackend';
import { Arena } from './wasmArena';
import { wasmAttentionBackward, wasmAttentionForward, type WasmContext } from './wasmAttention';
import { ComputeThreads, type ThreadSpawner, type ThreadStart } from './computeThreads';
import { wasmDecode } from './wasmDecode';
import { wasmLinearBackward, wasmLinearForward, wasmLinearForwardHalf } from './wasmLinear';
import type { HalfBits } from '../half';
import type { KernelExports } from './wasmExports';
import { passiveDataSegments } from './wasmPassiveData';
import {
  wasmAccumulate,
  wasmAddRows,
  wasmLayerNormBackward,
  wasmLayerNormForward,
  wasmRmsNormBackward,
  wasmRmsNormForward,
  wasmUnary,
  wasmUnaryBackward,
} from './wasmPointwise';
import { partsFor, ROW_ALIGN, splitRange } from './wasmThreads';

export interface WasmBackendOptions {
  /**
   * Attention works a chunk of query rows at a time so that one chunk's [rows, Tk] block
   * holds at most this many values (default 256 Ki: 1 MiB, cache-sized; tests use tiny ones).
   */
  readonly attentionBlockFloats?: number;
}

/** The kernels on one instance of the module (made by wasmLoad.ts), with the compute threads that share its memory. */
export class WasmBackend implements Backend {
  readonly name: string;
  private readonly ex: KernelExports;
  private readonly arena: Arena;
  private readonly blockFloats: number;
  /** What the attention kernels (wasmAttention.ts) use of this backend. */
  private readonly context: WasmContext;
  readonly decode: DecodeKernels;
  /** The module's bytes, for the compute threads to instantiate. */
  private readonly bytes: Uint8Array;
  /** Compute threads, when more than one is in use. */
  private pool: ComputeThreads | null = null;

  constructor(name: string, ex: KernelExports, bytes: Uint8Array, options: WasmBackendOptions) {
    this.name = name;
    this.ex = ex;
    this.bytes = bytes;
    this.arena = new Arena(ex);
    this.blockFloats = Math.max(1, options.attentionBlockFloats ?? 256 * 1024);
    const pool = (): ComputeThreads | null => this.threadPool();
    this.context = {
      ex,
      arena: this.arena,
      chunkRows: (T, Tk) => this.chunkRows(T, Tk),
      workspace: (...shapes) => this.workspace(...shapes),
      pool,
    };
    this.decode = wasmDecode(ex, this.arena, pool);
  }

  useThreads(count: number, spawner: ThreadSpawner | null, when: ThreadStart = 'now'): ThreadUse {
    this.pool?.dispose();
    this.pool = null;
    if (count <= 1) return { threads: 1, reason: null };
    if (spawner === null) return { threads: 1, reason: 'this runtime cannot start threads' };
    let module: WebAssembly.Module;
    try {
      module = new WebAssembly.Module(passiveDataSegments(this.bytes) ?? new Uint8Array(this.bytes));
    } catch (e) {
      return { threads: 1, reason: `the kernel module cannot be compiled for helper threads: ${e instanceof Error ? e.message : String(e)}` };
    }
    const started = ComputeThreads.start(spawner, module, this.ex.memory, this.ex as unknown as Record<string, unknown>, count, when);
    this.pool = started.pool;
    return started.pool ? { threads: started.pool.size, reason: null } : { threads: 1, reason: started.reason };
  }

  threadStatus(): ThreadUse {
    return { threads: this.threadPool()?.size ?? 1, reason: this.pool?.failure ?? null, splitCalls: this.pool?.splitCalls ?? 0 };
  }

  /** The pool while it runs (null after a helper failed: calls then run on this thread). */
  private threadPool(): ComputeThreads | null {
    const p = this.pool;
    return p !== null && p.size > 1 ? p : null;
  }

  memoryBytes(): number {
    return this.arena.bytes;
  }

  /** Bytes of the kernels' memory held by live resident blocks (weights, decoder caches): for tests and diagnostics. */
  get residentInUse(): number {
    return this.arena.residentBytes;
  }

  residentBytes(n: number, owner?: object): Uint8Array | null {
    return this.arena.allocate(n, owner);
  }

  firstNonFinite(a: Float32Array): number | null {
    return this.arena.holds(a) ? this.ex.firstNonFinite(a.byteOffset, a.length) : null;
  }

  /** Query rows per attention chunk. */
  private chunkRows(T: number, Tk: number): number {
    return Math.max(1, Math.min(T, Math.floor(this.blockFloats / Math.max(1, Tk))));
  }

  /** Packing workspace (in 4-byte units) for the largest of the given GEMM shapes. */
  private workspace(...shapes: [number, number, number][]): number {
    let bytes = 0;
    for (const [m, k, n] of shapes) bytes = Math.max(bytes, this.ex.matmulWorkspaceBytes(m, k, n));
    return Math.ceil(bytes / 4);
  }

  matmul(a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number, options: MatmulOptions = {}): void {
    const accumulate = options.accumulate ?? false;
    const ar = this.arena;
    const pool = this.threadPool();
    const parts = partsFor(pool, m * k * n, m);
    const wsFloats = this.workspace([m, k, n]);
    const o = ar.place([ar.operand(a, m * k), ar.operand(b, k * n), ar.operand(c, m * n), wsFloats * parts]);
    if (!o) return jsBackend.matmul(a, b, c, m, k, n, options);
    const [pa, pb, pc, ws] = o as [number, number, number, number];
    ar.put(pa, a, m * k);
    ar.put(pb, b, k * n);
    if (accumulate) ar.put(pc, c, m * n);
    const tA = options.transA ? 1 : 0,
      tB = options.transB ? 1 : 0,
      acc = accumulate ? 1 : 0;
    if (pool && parts > 1) {
      // Rows [r0, r1) of C: of A's rows, or of its columns when it is read transposed.
      pool.run(
        splitRange(m, parts, ROW_ALIGN).map(([r0, r1], i) => ({
          op: 'matmulStrided',
          args: [tA ? pa + r0 * 4 : pa + r0 * k * 4, tA ? m : k, tA, pb, tB ? k : n, tB, pc + r0 * n * 4, n, r1 - r0, k, n, acc, ws + i * wsFloats * 4],
        })),
      );
    } else {
      this.ex.matmul(pa, pb, pc, m, k, n, tA, tB, acc, ws);
    }
    ar.get(pc, c, m * n);
  }

  attentionForward(
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    dims: AttentionDims,
    out: Float32Array,
    probs: Float32Array | null,
    scores: Float32Array | null,
    hardIdx: Int32Array | null,
  ): void {
    wasmAttentionForward(this.context, q, k, v, dims, out, probs, scores, hardIdx);
  }

  attentionBackward(
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    dims: AttentionDims,
    probs: Float32Array,
    hardIdx: Int32Array | null,
    dy: Float32Array,
    dq: Float32Array | null,
    dk: Float32Array | null,
    dv: Float32Array | null,
  ): void {
    wasmAttentionBackward(this.context, q, k, v, dims, probs, hardIdx, dy, dq, dk, dv);
  }

  linearForward(x: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array, rows: number, inF: number, outF: number): void {
    wasmLinearForward(this.context, x, w, bias, y, rows, inF, outF);
  }

  linearForwardHalf(x: Float32Array, w: HalfBits, bias: Float32Array | null, y: Float32Array, rows: number, inF: number, outF: number): void {
    wasmLinearForwardHalf(this.context, x, w, bias, y, rows, inF, outF);
  }

  linearBackward(
    x: Float32Array,
    w: Float32Array,
    dy: Float32Array,
    dx: Float32Array | null,
    dw: Float32Array | null,
    db: Float32Array | null,
    rows: number,
    inF: number,
    outF: number,
    store?: GradientStore,
  ): void {
    wasmLinearBackward(this.context, x, w, dy, dx, dw, db, rows, inF, outF, store);
  }

  addRows(a: Float32Array, b: Float32Array, out: Float32Array, rows: number, m: number): void {
    wasmAddRows(this.context, a, b, out, rows, m);
  }

  accumulate(dst: Float32Array, src: Float32Array, n: number): void {
    wasmAccumulate(this.context, dst, src, n);
  }

  zero(a: Float32Array): void {
    if (this.arena.holds(a)) this.ex.zeroFloats(a.byteOffset, a.length);
    else a.fill(0);
  }

  geluForward(x: Float32Array, out: Float32Array, n: number): void {
    if (!wasmUnary(this.context, 'geluForward', x, out, n)) jsBackend.geluForward(x, out, n);
  }

  geluBackward(x: Float32Array, dy: Float32Array, dx: Float32Array, n: number, store = false): void {
    if (!wasmUnaryBackward(this.context, 'geluBackward', x, dy, dx, n, store)) jsBackend.geluBackward(x, dy, dx, n, store);
  }

  siluForward(x: Float32Array, out: Float32Array, n: number): void {
    if (!wasmUnary(this.context, 'siluForward', x, out, n)) jsBackend.siluForward(x, out, n);
  }

  siluBackward(x: Float32Array, dy: Float32Array, dx: Float32Array, n: number, store = false): void {
    if (!wasmUnaryBackward(this.context, 'siluBackward', x, dy, dx, n, store)) jsBackend.siluBackward(x, dy, dx, n, store);
  }

  layerNormForward(
    x: Float32Array,
    w: Float32Array,
    b: Float32Array | null,
    y: Float32Array,
    mean: Float32Array,
    rstd: Float32Array,
    rows: number,
    c: number,
    eps: number,
  ): void {
    wasmLayerNormForward(this.context, x, w, b, y, mean, rstd, rows, c, eps);
  }

  layerNormBackward(
    x: Float32Array,
    w: Float32Array,
    mean: Float32Array,
    rstd: Float32Array,
    dy: Float32Array,
    dx: Float32Array | null,
    dw: Float32Array | null,
    db: Float32Array | null,
    rows: number,
    c: number,
  ): void {
    wasmLayerNormBackward(this.context, x, w, mean, rstd, dy, dx, dw, db, rows, c);
  }

  rmsNormForward(x: Float32Array, w: Float32Array, y: Float32Array, rrms: Float32Array, rows: number, c: number, eps: number): void {
    wasmRmsNormForward(this.context, x, w, y, rrms, rows, c, eps);
  }

  rmsNormBackward(
    x: Float32Array,
    w: Float32Array,
    rrms: Float32Array,
    dy: Float32Array,
    dx: Float32Array | null,
    dw: Float32Array | null,
    rows: number,
    c: number,
  ): void {
    wasmRmsNormBackward(this.context, x, w, rrms, dy, dx, dw, rows, c);
  }

  crossEntropyForward(logits: Float32Array, targets: Int32Array, rows: number, V: number, probs: Float32Array, perToken: Float32Array): CrossEntropySums {
    for (let r = 0; r < rows; r++) {
      const t = targets[r]!;
      if (t !== -1 && (t < 0 || t >= V)) throw new RangeError(`crossEntropy: target ${t} at row ${r} is outside [0, ${V})`);
    }
    const ar = this.arena;
    const n = rows * V;
    const o = ar.place([ar.operand(logits, n), rows, ar.operand(probs, n), ar.operand(perToken, rows), 2]);
    if (!o) return jsBackend.crossEntropyForward(logits, targets, rows, V, probs, perToken);
    const [pl, pt, pp, pn, ps] = o as [number, number, number, number, number];
    ar.put(pl, logits, n);
    ar.putI32(pt, targets, rows);
    const total = this.ex.crossEntropyForward(pl, pt, pp, pn, ps, rows, V);
    ar.get(pp, probs, n);
    ar.get(pn, perToken, rows);
    const stats = ar.i32(ps, 2);
    return { total, count: stats[0]!, correct: stats[1]! };
  }

  crossEntropyBackward(probs: Float32Array, targets: Int32Array, rows: number, V: number, g: number, dx: Float32Array): void {
    const ar = this.arena;
    const n = rows * V;
    const o = ar.place([ar.operand(probs, n), rows, ar.operand(dx, n)]);
    if (!o) return jsBackend.crossEntropyBackward(probs, targets, rows, V, g, dx);
    const [pp, pt, pd] = o as [number, number, number];
    ar.put(pp, probs, n);
    ar.putI32(pt, targets, rows);
    ar.put(pd, dx, n);
    this.ex.crossEntropyBackward(pp, pt, pd, rows, V, g);
    ar.get(pd, dx, n);
  }

  adamwStep(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, n: number, hp: AdamWStepParams): void {
    const ar = this.arena;
    const o = ar.place([ar.operand(w, n), ar.operand(g, n), ar.operand(m, n), ar.operand(v, n)]);
    if (!o) return jsBackend.adamwStep(w, g, m, v, n, hp);
    const [pw, pg, pm, pv] = o as [number, number, number, number];
    ar.put(pw, w, n);
    ar.put(pg, g, n);
    ar.put(pm, m, n);
    ar.put(pv, v, n);
    this.ex.adamwStep(pw, pg, pm, pv, n, hp.lr, hp.beta1, hp.beta2, hp.eps, hp.weightDecay, hp.c1, hp.c2);
    ar.get(pw, w, n);
    ar.get(pm, m, n);
    ar.get(pv, v, n);
  }
}
