/**
 * The WebAssembly kernels' memory as the JS side sees it: the module's exports (typed), and
 * a bump allocator reset for every kernel call. Each call reserves all its regions first,
 * grows the memory once, then copies operands in; views are re-made after a grow detaches
 * the old buffer. Memory only grows (WebAssembly cannot shrink it): its size is the largest
 * single call so far, e.g. q, k, v and one [T, T] head block for attention.
 */

/** What wasm/assembly/index.ts exports. Pointers are byte offsets; flags are 0/1. */
export interface KernelExports {
  readonly memory: WebAssembly.Memory;
  heapBase(): number;
  matmulWorkspaceBytes(m: number, k: number, n: number): number;
  matmul(a: number, b: number, c: number, m: number, k: number, n: number, transA: number, transB: number, accumulate: number, ws: number): void;
  attnForwardHead(q: number, k: number, v: number, out: number, p: number, scores: number, hardIdx: number, T: number, Tk: number, past: number, ldq: number, ldkv: number, hs: number, scale: number, ws: number): void;
  attnBackwardHead(q: number, k: number, v: number, p: number, hardIdx: number, dy: number, dq: number, dk: number, dv: number, dp: number, T: number, Tk: number, past: number, ldq: number, ldkv: number, hs: number, scale: number, ws: number): void;
  linearForward(x: number, w: number, bias: number, y: number, rows: number, inF: number, outF: number, ws: number): void;
  linearBackward(x: number, w: number, dy: number, dx: number, dw: number, db: number, rows: number, inF: number, outF: number, ws: number): void;
  geluForward(x: number, out: number, n: number): void;
  geluBackward(x: number, dy: number, dx: number, n: number): void;
  siluForward(x: number, out: number, n: number): void;
  siluBackward(x: number, dy: number, dx: number, n: number): void;
  rmsNormForward(x: number, w: number, y: number, rrms: number, rows: number, c: number, eps: number): void;
  rmsNormBackward(x: number, w: number, rrms: number, dy: number, dx: number, dw: number, rows: number, c: number): void;
  crossEntropyForward(logits: number, targets: number, probs: number, perToken: number, stats: number, rows: number, V: number): number;
  crossEntropyBackward(probs: number, targets: number, dx: number, rows: number, V: number, g: number): void;
  adamwStep(w: number, g: number, m: number, v: number, n: number, lr: number, beta1: number, beta2: number, eps: number, wd: number, c1: number, c2: number): void;
  layerNormForward(x: number, w: number, b: number, y: number, mean: number, rstd: number, rows: number, c: number, eps: number): void;
  layerNormBackward(x: number, w: number, mean: number, rstd: number, dy: number, dx: number, dw: number, db: number, rows: number, c: number): void;
}

export const KERNEL_EXPORTS: readonly (keyof KernelExports)[] = [
  'memory', 'heapBase', 'matmulWorkspaceBytes', 'matmul', 'attnForwardHead', 'attnBackwardHead',
  'linearForward', 'linearBackward', 'geluForward', 'geluBackward', 'siluForward', 'siluBackward',
  'layerNormForward', 'layerNormBackward', 'rmsNormForward', 'rmsNormBackward',
  'crossEntropyForward', 'crossEntropyBackward', 'adamwStep',
];

const PAGE = 65536;

function align(x: number): number {
  return Math.ceil(x / 64) * 64;
}

export class Arena {
  private readonly memory: WebAssembly.Memory;
  private readonly base: number;
  private view: Float32Array;

  constructor(ex: KernelExports) {
    this.memory = ex.memory;
    this.base = align(ex.heapBase());
    this.view = new Float32Array(this.memory.buffer);
  }

  /** The memory's current size: its high-water mark, since WebAssembly memory never shrinks. */
  get bytes(): number {
    return this.memory.buffer.byteLength;
  }

  /**
   * Reserves one region per entry (a count of 4-byte values; 0 reserves nothing and yields
   * offset 0, the kernels' "absent") and grows the memory to hold them. Returns the byte
   * offsets, or null when the memory cannot grow that far (the caller falls back to JS).
   */
  reserve(sizes: readonly number[]): number[] | null {
    let top = this.base;
    const offsets = sizes.map((n) => {
      if (n <= 0) return 0;
      const at = top;
      top = align(at + n * 4);
      return at;
    });
    const have = this.memory.buffer.byteLength;
    if (top > have) {
      try {
        this.memory.grow(Math.ceil((top - have) / PAGE));
      } catch (e) {
        if (e instanceof RangeError) return null;
        throw e;
      }
    }
    return offsets;
  }

  f32(): Float32Array {
    if (this.view.buffer !== this.memory.buffer) this.view = new Float32Array(this.memory.buffer);
    return this.view;
  }

  i32(at: number, n: number): Int32Array {
    return new Int32Array(this.memory.buffer, at, n);
  }

  putI32(at: number, src: Int32Array, n: number): void {
    this.i32(at, n).set(n === src.length ? src : src.subarray(0, n));
  }

  zero(at: number, n: number): void {
    this.f32().fill(0, at >> 2, (at >> 2) + n);
  }

  /** Copies the first n values of src in at byte offset `at` (nothing when src is null). */
  put(at: number, src: Float32Array | null, n: number): void {
    if (src) this.f32().set(n === src.length ? src : src.subarray(0, n), at >> 2);
  }

  /** Copies n values at byte offset `at` out into dst (nothing when dst is null). */
  get(at: number, dst: Float32Array | null, n: number): void {
    if (dst) dst.set(this.f32().subarray(at >> 2, (at >> 2) + n));
  }
}
