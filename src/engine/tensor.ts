/**
 * The engine's tensor: a Float32Array in row-major order plus its shape. Nothing more:
 * no strides, no views, no dtype zoo. Gradients live beside the data and are allocated
 * only when a backward pass reaches the tensor.
 *
 * One exception, for memory: a weight read from an F16/BF16 checkpoint keeps its 16-bit values
 * (`half`, see half.ts) and `data` is widened from them only when first read; the inference
 * kernels read `half` directly, so a half-precision model runs in half the memory. Once `data`
 * exists it is the truth (training may write to it) and `half` is dropped.
 *
 * Shapes use fixed letters in comments: B batch, T time, C channels, H heads,
 * hs head size, V vocab, L layers.
 */

import { floats, floatsToOverwrite } from './buffers';
import { widenedCopy, type HalfBits } from './half';

export type Shape = readonly number[];

export class ShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShapeError';
  }
}

export class Tensor {
  private stored: Float32Array | null;
  /** The 16-bit values while `data` has not been widened from them (null otherwise). */
  private halfBits: HalfBits | null;
  readonly shape: Shape;
  /** True for parameters and for every result computed from one while a tape records. */
  requiresGrad: boolean;
  /** d(loss)/d(this), same layout as data; null until backward reaches this tensor. */
  grad: Float32Array | null = null;
  /**
   * What `data` is a view of, kept reachable as long as the tensor: a resident block of the
   * kernels' memory (kernels/resident.ts) is given back only when its owner is collected, so a
   * tensor whose data lives there holds the owner. Null for data the tensor owns itself.
   */
  readonly owner: object | null;

  /** `data`: float32 values, or 16-bit ones (half.ts) widened only when `data` is first read. */
  constructor(data: Float32Array | HalfBits, shape: Shape, requiresGrad = false, owner: object | null = null) {
    const n = sizeOf(shape);
    const half = data instanceof Float32Array ? null : data;
    const length = half ? half.bits.length : (data as Float32Array).length;
    if (length !== n) {
      throw new ShapeError(`${half ? 'half data' : 'data'} has ${length} elements but shape [${shape.join(', ')}] needs ${n}`);
    }
    this.stored = half ? null : (data as Float32Array);
    this.halfBits = half;
    this.shape = Object.freeze([...shape]);
    this.requiresGrad = requiresGrad;
    this.owner = owner;
  }

  /** A tensor of 16-bit values (length = the shape's size), widened to float32 only when `data` is read. */
  static fromHalf(half: HalfBits, shape: Shape, requiresGrad = false, owner: object | null = null): Tensor {
    return new Tensor(half, shape, requiresGrad, owner);
  }

  /** The values as float32 (widened from `half` on first read, which then is dropped). */
  get data(): Float32Array {
    if (this.stored === null) {
      this.stored = widenedCopy(this.halfBits!);
      this.halfBits = null;
    }
    return this.stored;
  }

  /** The 16-bit values the kernels read in place, while `data` has not been materialised. */
  get half(): HalfBits | null {
    return this.halfBits;
  }

  static zeros(shape: Shape, requiresGrad = false): Tensor {
    return new Tensor(new Float32Array(sizeOf(shape)), shape, requiresGrad);
  }

  static from(values: ArrayLike<number>, shape: Shape, requiresGrad = false): Tensor {
    return new Tensor(Float32Array.from(values), shape, requiresGrad);
  }

  get size(): number {
    return this.stored === null ? this.halfBits!.bits.length : this.stored.length;
  }

  /** Length of the last axis. */
  get lastDim(): number {
    return this.shape[this.shape.length - 1] ?? 1;
  }

  /** The gradient buffer, allocated (zeroed) on first use. */
  ensureGrad(): Float32Array {
    if (this.grad === null) this.grad = floats(this.size);
    return this.grad;
  }

  /**
   * The gradient buffer for a contribution that covers every value. `first`: it is the first
   * contribution, and the buffer (new, not zeroed) holds anything: the caller must store into
   * every value rather than add. Zeroing gradients first was ~3 % of a training step.
   */
  gradForContribution(): { grad: Float32Array; first: boolean } {
    if (this.grad !== null) return { grad: this.grad, first: false };
    this.grad = floatsToOverwrite(this.size);
    return { grad: this.grad, first: true };
  }

  zeroGrad(): void {
    if (this.grad !== null) this.grad.fill(0);
  }

  /** Same data, another shape with the same element count (no copy). Gradients are not shared. */
  reshapedData(shape: Shape): Tensor {
    if (this.halfBits) return Tensor.fromHalf(this.halfBits, shape, false, this.owner);
    return new Tensor(this.data, shape, false, this.owner);
  }
}

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new ShapeError(`invalid dimension ${d} in shape [${shape.join(', ')}]`);
    n *= d;
  }
  return n;
}

export function assertShape(t: Tensor, expected: Shape, what: string): void {
  if (t.shape.length !== expected.length || t.shape.some((d, i) => d !== expected[i])) {
    throw new ShapeError(`${what}: expected shape [${expected.join(', ')}], got [${t.shape.join(', ')}]`);
  }
}
