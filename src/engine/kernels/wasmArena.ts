/**
 * The WebAssembly kernels' memory as the JS side sees it: a bump allocator reset for every
 * kernel call. Each call reserves all its regions first,
 * grows the memory once, then copies operands in; views are re-made after a grow detaches
 * the old buffer. Memory only grows (WebAssembly cannot shrink it): its size is the largest
 * single call so far, e.g. q, k, v and one [T, T] head block for attention.
 */

import type { KernelExports } from './wasmExports';

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
