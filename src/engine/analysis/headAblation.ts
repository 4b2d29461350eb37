/**
 * Head ablation: what a text's per-token surprisal becomes when chosen heads are switched
 * off. "zero" replaces a head's output Σ_j α_ij·v_j (before the output projection) by
 * zeros at every position; "mean" replaces it by its mean over the text's positions in
 * the unablated run (keeps the head's average contribution, removes what depends on the
 * position — often the fairer test, since zeroing also shifts the residual's mean).
 */

import type { HeadReplacement } from '../ops/headReplace';
import { requireLmHead } from '../models/config';
import type { Transformer } from '../nn/transformer';
import { ShapeError } from '../tensor';
import { meanSurprisal } from './surprisal';
import { logProbOf } from './predictions';

export type AblationMode = 'zero' | 'mean';

export interface HeadRef {
  readonly layer: number;
  readonly head: number;
}

export interface AblationResult {
  readonly heads: readonly HeadRef[];
  readonly mode: AblationMode;
  /** [T] nats, NaN at 0 (see surprisal.ts). */
  readonly surprisalBefore: Float64Array;
  readonly surprisalAfter: Float64Array;
  /** Mean surprisal over tokens 1..T−1. */
  readonly lossBefore: number;
  readonly lossAfter: number;
}

export class HeadRefError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'HeadRefError';
  }
}

/** Throws unless every head exists in the model; returns them without duplicates, in the order given. */
export function checkHeads(model: Transformer, heads: readonly HeadRef[]): HeadRef[] {
  const { nLayers: L, nHeads: H } = model.config;
  const seen = new Set<number>();
  const out: HeadRef[] = [];
  for (const { layer, head } of heads) {
    if (!Number.isInteger(layer) || layer < 0 || layer >= L)
      throw new HeadRefError(`head ${layer}.${head}: layer ${layer} does not exist; this model has layers 0 to ${L - 1}`);
    if (!Number.isInteger(head) || head < 0 || head >= H)
      throw new HeadRefError(`head ${layer}.${head}: head ${head} does not exist; this model has heads 0 to ${H - 1} in each layer`);
    if (seen.has(layer * H + head)) continue;
    seen.add(layer * H + head);
    out.push({ layer, head });
  }
  return out;
}

/**
 * Every head's output averaged over the positions of one unablated forward pass, from its
 * attention weights and values: mean_i Σ_j α_ij·v_j = Σ_j (mean_i α_ij)·v_j.
 * [L·H·hs], head (l, h) at (l·H + h)·hs.
 */
export function headOutputMeans(model: Transformer, ids: Int32Array): Float32Array {
  const T = ids.length;
  const { nLayers: L, nHeads: H, nKvHeads: Hkv } = model.config;
  const hs = model.headSize;
  const group = H / Hkv;
  const r = model.forward(null, ids, 1, T, { capture: { attention: true, qkv: true } });
  const out = new Float32Array(L * H * hs);
  const colMean = new Float64Array(T);
  for (let l = 0; l < L; l++) {
    const { attention: a, v } = r.layers[l] ?? {};
    if (!a || !v) throw new Error(`head means: layer ${l} kept no attention weights or values`);
    for (let h = 0; h < H; h++) {
      for (let j = 0; j < T; j++) {
        let s = 0;
        for (let i = j; i < T; i++) s += a[(h * T + i) * T + j]!;
        colMean[j] = s / T;
      }
      const g = Math.floor(h / group);
      for (let d = 0; d < hs; d++) {
        let s = 0;
        for (let j = 0; j < T; j++) s += colMean[j]! * v[j * Hkv * hs + g * hs + d]!;
        out[(l * H + h) * hs + d] = s;
      }
    }
  }
  return out;
}

/** The forward option that ablates `heads` (checked) in `mode`; means from headOutputMeans for "mean". */
export function headReplacements(
  model: Transformer,
  heads: readonly HeadRef[],
  mode: AblationMode,
  means: Float32Array | null,
): Map<number, HeadReplacement[]> {
  const H = model.config.nHeads;
  const hs = model.headSize;
  if (mode === 'mean' && (!means || means.length !== model.config.nLayers * H * hs))
    throw new ShapeError("head ablation: mean mode needs every head's mean output");
  const byLayer = new Map<number, HeadReplacement[]>();
  for (const { layer, head } of heads) {
    const value = mode === 'mean' && means ? means.slice((layer * H + head) * hs, (layer * H + head + 1) * hs) : null;
    const list = byLayer.get(layer) ?? [];
    list.push({ head, value });
    byLayer.set(layer, list);
  }
  return byLayer;
}

/** Per-token surprisal [T] (NaN at 0) of one forward pass, with heads replaced when given. */
function surprisalOf(model: Transformer, ids: Int32Array, replacements?: Map<number, HeadReplacement[]>): Float64Array {
  const T = ids.length;
  const V = model.config.vocabSize;
  const { logits } = model.forward(null, ids, 1, T, replacements ? { headReplacements: replacements } : {});
  const out = new Float64Array(T).fill(NaN);
  for (let t = 0; t + 1 < T; t++) out[t + 1] = -logProbOf(logits.data, t * V, V, ids[t + 1]!);
  return out;
}

/** Surprisal and loss of the text before and after ablating `heads` together. */
export function ablateHeads(model: Transformer, ids: Int32Array, heads: readonly HeadRef[], mode: AblationMode): AblationResult {
  requireLmHead(model.config, "head ablation (the text's loss)");
  if (ids.length === 0) throw new ShapeError('head ablation: no tokens');
  const checked = checkHeads(model, heads);
  if (checked.length === 0) throw new HeadRefError('head ablation: no heads given');
  const means = mode === 'mean' ? headOutputMeans(model, ids) : null;
  const surprisalBefore = surprisalOf(model, ids);
  const surprisalAfter = surprisalOf(model, ids, headReplacements(model, checked, mode, means));
  return {
    heads: checked,
    mode,
    surprisalBefore,
    surprisalAfter,
    lossBefore: meanSurprisal(surprisalBefore),
    lossAfter: meanSurprisal(surprisalAfter),
  };
}
