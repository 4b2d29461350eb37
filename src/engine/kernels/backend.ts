/**
 * The kernel contract: the hot loops (matmul, attention, norms, losses, the optimizer step)
 * as one interface that every backend implements. The plain-JS backend (jsBackend.ts) is the
 * reference the tests compare against; the WebAssembly SIMD one (wasmBackend.ts) is the fast
 * path. Ops never loop over matmuls themselves: they call the active backend, which
 * activeBackend.ts chooses.
 *
 * This file imports only the type of a thread spawner, so implementations depend on the
 * contract and never the other way round (no import cycle between the contract and its backends).
 */

import type { HalfBits } from '../half';
import type { ThreadSpawner, ThreadStart } from './computeThreads';

/** Compute threads a backend uses, and the reason when that is fewer than asked for. */
export interface ThreadUse {
  readonly threads: number;
  readonly reason: string | null;
  /** Kernel calls split across the threads so far (for tests and diagnostics). */
  readonly splitCalls?: number;
}

export interface MatmulOptions {
  /** Read A as stored [K, M] and use its transpose. */
  readonly transA?: boolean;
  /** Read B as stored [N, K] and use its transpose. */
  readonly transB?: boolean;
  /** Add into C instead of overwriting it (how gradients accumulate). */
  readonly accumulate?: boolean;
}

/** Self-attention shapes: q [B, T, H·hs], k and v [B, Tk, Hkv·hs], Tk ≥ T. */
/**
 * Which gradients a backward stores rather than adds to: a gradient's first contribution, into
 * a buffer that holds anything (Tensor.gradForContribution), saves zeroing it first.
 */
export interface GradientStore {
  readonly dx?: boolean;
  readonly dw?: boolean;
}

export interface AttentionDims {
  readonly B: number;
  /** Queries per sequence (the last T of the Tk positions). */
  readonly T: number;
  /** Keys per sequence. */
  readonly Tk: number;
  readonly H: number;
  readonly Hkv: number;
  readonly hs: number;
  /** false: every query sees every key (encoders). Absent = true: query t sees keys ≤ t + Tk − T. */
  readonly causal?: boolean;
}

export interface CrossEntropySums {
  readonly total: number;
  readonly count: number;
  readonly correct: number;
}

export interface AdamWStepParams {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  /** Bias corrections 1 − β1^t and 1 − β2^t. */
  readonly c1: number;
  readonly c2: number;
}

/** One product of a matvecStack call: y = W·x (+ bias), W [rows, cols]. */
export interface StackedMatvec {
  readonly w: Float32Array;
  readonly bias: Float32Array | null;
  readonly y: Float32Array;
  readonly rows: number;
}

/**
 * The arrays and sizes of one Llama-family block (RMSNorm, RoPE, SwiGLU, sequential residual,
 * float32 weights) for DecodeKernels.llamaBlock: every array from alloc() or resident().
 */
export interface LlamaBlockArrays {
  /** Working vectors: x [C] (updated in place), xb, q, attOut, proj [C]; k, v [kvC]; att [H, context]; h1, h2 [F]; stat [≥ 1]. */
  readonly x: Float32Array;
  readonly xb: Float32Array;
  readonly q: Float32Array;
  readonly k: Float32Array;
  readonly v: Float32Array;
  readonly attOut: Float32Array;
  readonly att: Float32Array;
  readonly h1: Float32Array;
  readonly h2: Float32Array;
  readonly proj: Float32Array;
  readonly stat: Float32Array;
  /** The two RMSNorms' weights; the seven products' weights and biases (null: none), in the order q, k, v, o, gate, up, down. */
  readonly norm1: Float32Array;
  readonly norm2: Float32Array;
  readonly w: readonly [q: Float32Array, k: Float32Array, v: Float32Array, o: Float32Array, gate: Float32Array, up: Float32Array, down: Float32Array];
  readonly b: readonly (Float32Array | null)[];
  /** The layer's key and value caches [context, kvC]; RoPE tables [context, rotaryHalf]. */
  readonly kc: Float32Array;
  readonly vc: Float32Array;
  readonly cos: Float32Array;
  readonly sin: Float32Array;
  readonly C: number;
  readonly F: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headSize: number;
  readonly rotaryHalf: number;
  readonly interleaved: boolean;
  readonly eps: number;
  readonly scale: number;
}

/**
 * One-token decoding (inference/decoder.ts): matrix-vector products and attention of one query
 * over a key/value cache, on arrays from alloc() (for WebAssembly: resident in its memory, so
 * nothing is copied per call). Every array passed must come from alloc() or be resident().
 */
export interface DecodeKernels {
  /** A zeroed array of n floats where these kernels work in place; kept while `owner` lives. Null if there is no room. */
  alloc(n: number, owner: object): Float32Array | null;
  /** Whether the kernels can use `a` where it is (else the caller copies it into alloc()'d memory once). */
  resident(a: ArrayBufferView): boolean;
  /** y[r] = W[r, :]·x (+ bias[r]) for r < rows; W [rows, cols]. */
  matvec(w: Float32Array, x: Float32Array, bias: Float32Array | null, y: Float32Array, rows: number, cols: number): void;
  /**
   * matvec() of up to three matrices that share x (query, key and value; gate and up) as one
   * call, which compute threads can split by rows of the stack.
   */
  matvecStack(parts: readonly StackedMatvec[], x: Float32Array, cols: number): void;
  /** matvec() with W as 16-bit values (F16/BF16, half.ts), widened as they are read. */
  matvecHalf(w: HalfBits, x: Float32Array, bias: Float32Array | null, y: Float32Array, rows: number, cols: number): void;
  /**
   * For each head h (key/value head h / (nH / nKv)): att[h, t] = softmax over t < n of
   * q_h·k_t·scale, out_h = Σ att[h, t]·v_t. q, out [nH·hs]; kc, vc [≥ n, nKv·hs]; att [nH, n].
   */
  attention(
    q: Float32Array,
    kc: Float32Array,
    vc: Float32Array,
    out: Float32Array,
    att: Float32Array,
    n: number,
    nH: number,
    nKv: number,
    hs: number,
    scale: number,
  ): void;
  /**
   * A whole Llama-family block for one token as one call, where the backend has one: returns
   * the function that runs it at a position, which returns false (having done nothing) when
   * compute threads would split the block's products, for the caller to run it kernel by kernel.
   */
  llamaBlock?(block: LlamaBlockArrays, owner: object): ((pos: number) => boolean) | null;
}

export interface Backend {
  readonly name: string;
  /** Kernels for one-token decoding; absent: the JS ones (kernels/jsDecode.ts). */
  readonly decode?: DecodeKernels;
  /**
   * A zeroed byte block where the kernels use data in place (resident), kept while `owner`
   * (default: the block itself) is reachable — weights read from a file into it are never copied
   * again; null where the backend has no such memory (JS) or no room.
   */
  residentBytes?(n: number, owner?: object): Uint8Array | null;
  /**
   * Index of the first NaN or ±Inf in `a`, or -1; null when `a` is not where this backend's
   * kernels work (the caller checks it itself).
   */
  firstNonFinite?(a: Float32Array): number | null;
  /** Bytes the backend holds outside the JS heap (the WebAssembly memory, which only grows); 0 for JS. */
  memoryBytes(): number;
  /**
   * Splits big kernel calls across `count` compute threads (the caller included; 1: none),
   * started with `spawner` now or at the first call big enough to split (`when`); stops any it
   * had. Returns the threads in use and, when fewer than asked, why. Absent: the backend runs
   * on one thread (the JS reference).
   */
  useThreads?(count: number, spawner: ThreadSpawner | null, when?: ThreadStart): ThreadUse;
  /** The threads in use now, and why fewer after a helper failed. */
  threadStatus?(): ThreadUse;
  /**
   * C[M, N] (+)= op(A)[M, K] · op(B)[K, N], all row-major.
   * A is stored [M, K] (or [K, M] with transA); B is stored [K, N] (or [N, K] with transB).
   */
  matmul(a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number, options?: MatmulOptions): void;
  /**
   * Fused causal attention forward (ops/attention.ts). Every value of `out` [B, T, H·hs] and
   * of probs [B, H, T, Tk] (if given) is written, whatever they held: probs gets the softmax
   * weights, zeros above the diagonal;
   * scores (if given, pre-filled with −Infinity) the scaled scores at visible positions;
   * hardIdx [B·H·T] (if given) selects hard attention: out rows are the argmax value rows.
   */
  attentionForward(
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    dims: AttentionDims,
    out: Float32Array,
    probs: Float32Array | null,
    scores: Float32Array | null,
    hardIdx: Int32Array | null,
  ): void;
  /** Its backward: accumulates into whichever of dq, dk, dv is given. */
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
  ): void;
  /** y[rows, outF] = x[rows, inF]·W[outF, inF]ᵀ + bias[outF] (ops/matmul.ts linear). */
  linearForward(x: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array, rows: number, inF: number, outF: number): void;
  /** linearForward() with W as 16-bit values (F16/BF16, half.ts), widened inside the kernel; no gradient. */
  linearForwardHalf(x: Float32Array, w: HalfBits, bias: Float32Array | null, y: Float32Array, rows: number, inF: number, outF: number): void;
  /** dx += dy·W, dW += dyᵀ·x, db += Σ rows of dy, for whichever is given (dx, dW stored instead as `store` says). */
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
  ): void;
  /** out[i] = gelu(x[i]) (tanh form) for i < n. */
  geluForward(x: Float32Array, out: Float32Array, n: number): void;
  /** dx[i] += dy[i]·gelu′(x[i]) for i < n (with `store`: dx[i] = …, whatever dx held). */
  geluBackward(x: Float32Array, dy: Float32Array, dx: Float32Array, n: number, store?: boolean): void;
  /** out[i] = silu(x[i]) = x/(1 + e^−x) for i < n. */
  siluForward(x: Float32Array, out: Float32Array, n: number): void;
  /** dx[i] += dy[i]·silu′(x[i]) for i < n (with `store`: dx[i] = …). */
  siluBackward(x: Float32Array, dy: Float32Array, dx: Float32Array, n: number, store?: boolean): void;
  /** out[r, j] = a[r, j] + b[j] for `rows` rows of m values: b repeats over the rows (rows 1: a plain sum). */
  addRows(a: Float32Array, b: Float32Array, out: Float32Array, rows: number, m: number): void;
  /** dst[i] += src[i] for i < n. */
  accumulate(dst: Float32Array, src: Float32Array, n: number): void;
  /** a.fill(0), at memory speed also where `a` is in the kernels' (shared) memory. */
  zero(a: Float32Array): void;
  /** LayerNorm of `rows` rows of c values; mean and rstd [rows] receive the statistics. */
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
  ): void;
  /** Its backward, accumulating into whichever of dx, dw, db is given. */
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
  ): void;
  /**
   * Fused softmax + cross-entropy (ops/crossEntropy.ts): probs [rows, V] ← softmax(logits),
   * perToken[r] ← −log probs[r, targets[r]] (NaN where the target is −1, ignored). Returns
   * the sum over counted rows, their count and how many have their target as argmax.
   * Throws RangeError naming the first target outside [0, V) (other than −1).
   */
  crossEntropyForward(logits: Float32Array, targets: Int32Array, rows: number, V: number, probs: Float32Array, perToken: Float32Array): CrossEntropySums;
  /** dx[r] += g·probs[r] and dx[r, target] −= g for every counted row. */
  crossEntropyBackward(probs: Float32Array, targets: Int32Array, rows: number, V: number, g: number, dx: Float32Array): void;
  /** One AdamW update of n values in place (optim/adamw.ts); c1, c2 are 1 − β^t. */
  adamwStep(w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, n: number, hp: AdamWStepParams): void;
  /** RMSNorm of `rows` rows of c values; rrms [rows] receives 1/rms per row. */
  rmsNormForward(x: Float32Array, w: Float32Array, y: Float32Array, rrms: Float32Array, rows: number, c: number, eps: number): void;
  /** Its backward, accumulating into whichever of dx, dw is given. */
  rmsNormBackward(
    x: Float32Array,
    w: Float32Array,
    rrms: Float32Array,
    dy: Float32Array,
    dx: Float32Array | null,
    dw: Float32Array | null,
    rows: number,
    c: number,
  ): void;
}
