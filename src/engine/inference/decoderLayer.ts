/**
 * The decoder's per-layer weights (inference/decoder.ts), and a Llama-family layer described for
 * the one-call fused block (DecodeKernels.llamaBlock). Kept apart from decoder.ts for length.
 */

import type { LlamaBlockArrays, StackedMatvec } from '../kernels/backend';
import type { HalfBits } from '../half';
import { headSize, type ModelConfig } from '../models/config';

export interface LayerWeights {
  norm1: [Float32Array, Float32Array | null] | null;
  q: Linear;
  k: Linear;
  v: Linear;
  o: Linear;
  norm2: [Float32Array, Float32Array | null] | null;
  /** gelu: [fc, proj]; swiglu: [gate, up, down]; none: []. */
  mlp: Linear[];
  kc: Float32Array;
  vc: Float32Array;
  /** q, k and v as one stacked product into q, kRow, vRow (float32 weights only), else null. */
  qkv: StackedMatvec[] | null;
  /** swiglu's gate and up as one stacked product into h1, h2 (float32 weights only), else null. */
  gateUp: StackedMatvec[] | null;
  /** The whole block as one kernel call (Llama family, float32 weights), else null; false: not this time. */
  fused: ((pos: number) => boolean) | null;
}

export interface Linear {
  /** The float32 weights, or null when they are 16-bit (`h`). */
  readonly w: Float32Array | null;
  readonly h: HalfBits | null;
  readonly b: Float32Array | null;
  readonly rows: number;
  readonly cols: number;
}

/** The decoder's working vectors the fused block reads and writes (all in the kernels' memory). */
export type BlockVectors = Pick<LlamaBlockArrays, 'x' | 'xb' | 'q' | 'k' | 'v' | 'attOut' | 'att' | 'h1' | 'h2' | 'proj' | 'stat' | 'cos' | 'sin'>;

/** Layer L of a Llama-family model as the fused block takes it, or null when a weight is 16-bit (or a norm missing). */
export function llamaBlockArrays(
  cfg: ModelConfig,
  L: LayerWeights,
  resident: (a: Float32Array) => Float32Array,
  vectors: BlockVectors,
): LlamaBlockArrays | null {
  const [gate, up, down] = L.mlp as [Linear, Linear, Linear];
  const linears = [L.q, L.k, L.v, L.o, gate, up, down];
  if (!linears.every((l) => l.w) || !L.norm1 || !L.norm2) return null;
  const hs = headSize(cfg);
  return {
    ...vectors,
    norm1: resident(L.norm1[0]),
    norm2: resident(L.norm2[0]),
    w: [L.q.w!, L.k.w!, L.v.w!, L.o.w!, gate.w!, up.w!, down.w!],
    b: linears.map((l) => l.b),
    kc: L.kc,
    vc: L.vc,
    C: cfg.dModel,
    F: cfg.mlpHidden,
    heads: cfg.nHeads,
    kvHeads: cfg.nKvHeads,
    headSize: hs,
    rotaryHalf: (cfg.rotaryDims ?? hs) / 2,
    interleaved: cfg.ropeStyle === 'interleaved',
    eps: cfg.normEps,
    scale: 1 / Math.sqrt(hs),
  };
}
