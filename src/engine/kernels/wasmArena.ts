/**
 * The WebAssembly kernels' memory as the JS side sees it, in two parts:
 *
 * - resident blocks (low addresses): arrays that live in the memory for as long as their owner
 *   lives — weights read straight from a checkpoint file, a decoder's key/value cache and
 *   vectors. Kernels use them where they are: no copy in or out. The memory is shared
 *   (SharedArrayBuffer), so a view stays valid when the memory grows; a block is given back
 *   when its owner object is garbage-collected (FinalizationRegistry) and reused first-fit.
 * - per-call scratch (above the resident blocks): a bump allocator reset for every kernel call.
 *   Each call reserves all its regions first, grows the memory once, then copies operands in
 *   (skipping operands that are already resident).
 *
 * Memory only grows (WebAssembly cannot shrink it): its size is the resident blocks plus the
 * largest single call so far, e.g. q, k, v and one [T, T] head block for attention.
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
  /** Every buffer object the memory has had: a view on any of them is a view on this memory. */
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  /** End of the resident blocks (the scratch starts here). */
  private residentTop: number;
  /** The highest byte any per-call scratch or released block has reached: memory above it has never been written. */
  private scratchTop = 0;
  /** Free resident blocks, [offset, bytes], by offset. */
  private free: [number, number][] = [];
  private readonly registry = new FinalizationRegistry<[number, number]>(([at, bytes]) => this.release(at, bytes));

  constructor(private readonly ex: KernelExports) {
    this.memory = ex.memory;
    this.base = align(ex.heapBase());
    this.residentTop = this.base;
    this.view = new Float32Array(this.buffer());
  }

  /** The memory's current size: its high-water mark, since WebAssembly memory never shrinks. */
  get bytes(): number {
    return this.memory.buffer.byteLength;
  }

  /** Bytes held by live resident blocks. */
  get residentBytes(): number {
    return this.residentTop - this.base - this.free.reduce((s, [, n]) => s + n, 0);
  }

  private buffer(): ArrayBufferLike {
    const b = this.memory.buffer;
    this.buffers.add(b);
    return b;
  }

  /** Whether `a` is a view on this memory (so kernels can read and write it in place). */
  holds(a: ArrayBufferView): boolean {
    return this.buffers.has(a.buffer);
  }

  /** Grows the memory to at least `top` bytes; false when it cannot grow that far. */
  private ensure(top: number): boolean {
    const have = this.memory.buffer.byteLength;
    if (top <= have) return true;
    try {
      this.memory.grow(Math.ceil((top - have) / PAGE));
      return true;
    } catch (e) {
      if (e instanceof RangeError) return false;
      throw e;
    }
  }

  /**
   * A zeroed resident block of `bytes` bytes (64-byte aligned), given back when `owner` (by
   * default the returned array) is collected; null when the memory cannot grow that far.
   * Whoever keeps a view of it must keep the owner reachable as long (Tensor.owner).
   */
  allocate(bytes: number, owner?: object): Uint8Array | null {
    const size = align(Math.max(1, bytes));
    let at = -1;
    let reused = false;
    const i = this.free.findIndex(([, n]) => n >= size);
    if (i >= 0) {
      const [o, n] = this.free[i]!;
      at = o;
      reused = true;
      if (n > size) this.free[i] = [o + size, n - size];
      else this.free.splice(i, 1);
    } else {
      // Above the resident end the memory has held only per-call scratch, or was just grown
      // (zero and not yet paged in: zeroing it here would fault in every page twice).
      if (!this.ensure(this.residentTop + size)) return null;
      at = this.residentTop;
      this.residentTop += size;
      reused = at < this.scratchTop;
    }
    const block = new Uint8Array(this.buffer(), at, bytes);
    if (reused) this.ex.zeroFloats(at, size >> 2);
    this.registry.register(owner ?? block, [at, size]);
    return block;
  }

  /** Gives a block back (merging with free neighbours; the top one lowers the resident end). */
  private release(at: number, bytes: number): void {
    this.free.push([at, bytes]);
    this.free.sort((a, b) => a[0] - b[0]);
    const merged: [number, number][] = [];
    for (const [o, n] of this.free) {
      const last = merged[merged.length - 1];
      if (last && last[0] + last[1] === o) last[1] += n;
      else merged.push([o, n]);
    }
    const top = merged[merged.length - 1];
    if (top && top[0] + top[1] === this.residentTop) {
      // What lay below the old end was written (blocks, not fresh memory): a block made there again must be zeroed.
      this.scratchTop = Math.max(this.scratchTop, this.residentTop);
      this.residentTop = top[0];
      merged.pop();
    }
    this.free = merged;
  }

  /**
   * Reserves one region per entry (a count of 4-byte values; 0 reserves nothing and yields
   * offset 0, the kernels' "absent") and grows the memory to hold them. Returns the byte
   * offsets, or null when the memory cannot grow that far (the caller falls back to JS).
   */
  reserve(sizes: readonly number[]): number[] | null {
    let top = align(this.residentTop);
    const offsets = sizes.map((n) => {
      if (n <= 0) return 0;
      const at = top;
      top = align(at + n * 4);
      return at;
    });
    if (!this.ensure(top)) return null;
    this.scratchTop = Math.max(this.scratchTop, top);
    return offsets;
  }

  /** An entry for place(): `a` itself when it is resident (kernels use it in place), else the n floats to reserve for a copy (0 for none). */
  operand(a: Float32Array | null, n: number): number | Float32Array {
    if (a === null) return 0;
    return this.holds(a) ? a : n;
  }

  /**
   * Like reserve(), but an entry given as a resident array is not reserved: its own offset is
   * returned, so the kernel works on it in place (and put/get on it are skipped by the caller).
   */
  place(entries: readonly (number | Float32Array | null)[]): number[] | null {
    const sizes = entries.map((e) => (typeof e === 'number' ? e : 0));
    const o = this.reserve(sizes);
    if (!o) return null;
    return entries.map((e, i) => (e !== null && typeof e !== 'number' ? e.byteOffset : o[i]!));
  }

  f32(): Float32Array {
    if (this.view.buffer !== this.memory.buffer) this.view = new Float32Array(this.buffer());
    return this.view;
  }

  i32(at: number, n: number): Int32Array {
    return new Int32Array(this.buffer(), at, n);
  }

  putI32(at: number, src: Int32Array, n: number): void {
    this.i32(at, n).set(n === src.length ? src : src.subarray(0, n));
  }

  zero(at: number, n: number): void {
    this.ex.zeroFloats(at, n);
  }

  /** Copies the first n values of src in at byte offset `at` (nothing when src is null or already there). */
  put(at: number, src: Float32Array | null, n: number): void {
    if (src && !(this.holds(src) && src.byteOffset === at)) this.f32().set(n === src.length ? src : src.subarray(0, n), at >> 2);
  }

  /** Copies n values at byte offset `at` out into dst (nothing when dst is null or is that very region). */
  get(at: number, dst: Float32Array | null, n: number): void {
    if (dst && !(this.holds(dst) && dst.byteOffset === at)) dst.set(this.f32().subarray(at >> 2, (at >> 2) + n));
  }
}
