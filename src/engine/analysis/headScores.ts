/**
 * How much a head behaves like a detection pattern (TransformerLens `detect_head`,
 * ANALYSIS.md §1). "mul" is the fraction of the head's attention mass that lands where the
 * pattern says; "abs" is 1 − the rounded mean absolute difference scaled by n. Both can leave
 * the BOS column and the diagonal out. Attention is taken as captured by the model, one
 * [H, n, n] block per layer (query rows, key columns), and is never modified: TL zeroes the
 * cached pattern in place, which silently changes a shared cache, so we work on copies.
 */

import { checkPattern, HeadPatternError, patternFor, type DetectorKind } from './patterns';
import { addAt } from '../elements';

export type ScoreMethod = 'mul' | 'abs';

export interface ScoreOptions {
  /** Leave column 0 (BOS, the attention sink) out. TL's default: false. */
  readonly excludeBos?: boolean;
  /** Leave the diagonal (attention to itself) out. TL's default: false. */
  readonly excludeCurrentToken?: boolean;
  /** false: the attention is bidirectional (an encoder); named patterns use keys on both sides (patterns.ts). Default true. */
  readonly causal?: boolean;
}

/** Σ A′·P / Σ A′, A′ = A with the excluded cells zeroed. 0 when nothing is left to score. */
export function mulScore(a: ArrayLike<number>, p: ArrayLike<number>, n: number, o: ScoreOptions = {}, offset = 0): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if ((o.excludeBos && j === 0) || (o.excludeCurrentToken && j === i)) continue;
      const v = a[offset + i * n + j]!;
      num += v * p[i * n + j]!;
      den += v;
    }
  }
  return den > 0 ? num / den : 0;
}

/**
 * 1 − round(Σ|A − P| / n, 3), the excluded cells of |A − P| zeroed. The rounding is TL's
 * (`round(..., 3)` on the mean); toFixed rounds the exact binary value like Python does,
 * except that exact binary ties go up rather than to even.
 */
export function absScore(a: ArrayLike<number>, p: ArrayLike<number>, n: number, o: ScoreOptions = {}, offset = 0): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      if ((o.excludeBos && j === 0) || (o.excludeCurrentToken && j === i)) continue;
      sum += Math.abs(a[offset + i * n + j]! - p[i * n + j]!);
    }
  }
  return 1 - Number((sum / n).toFixed(3));
}

/** One prompt's attention: per layer a [H, n, n] block, and its n token ids. */
/** The non-zero cells of an n×n pattern: flat indices i·n + j and their values. */
interface SparsePattern {
  readonly index: Int32Array;
  readonly value: Float64Array;
}

function sparsePattern(p: ArrayLike<number>, n: number): SparsePattern {
  const index: number[] = [];
  const value: number[] = [];
  for (let c = 0; c < n * n; c++) {
    const v = p[c]!;
    if (v !== 0) {
      index.push(c);
      value.push(v);
    }
  }
  return { index: Int32Array.from(index), value: Float64Array.from(value) };
}

/** Σ A′: the head's attention mass without the excluded cells (the same for every pattern). */
function mulDenominator(a: ArrayLike<number>, n: number, o: ScoreOptions, offset: number): number {
  let den = 0;
  for (let c = offset, end = offset + n * n; c < end; c++) den += a[c]!;
  // The excluded cells leave the denominator (the BOS column and the diagonal share cell 0,0).
  if (o.excludeBos) for (let i = 0; i < n; i++) den -= a[offset + i * n]!;
  if (o.excludeCurrentToken) for (let i = o.excludeBos ? 1 : 0; i < n; i++) den -= a[offset + i * n + i]!;
  return den;
}

/** mulScore with the pattern's non-zero cells only: the same Σ A′·P / Σ A′. */
function sparseMulScore(a: ArrayLike<number>, p: SparsePattern, n: number, o: ScoreOptions, offset: number, den = mulDenominator(a, n, o, offset)): number {
  let num = 0;
  for (let k = 0; k < p.index.length; k++) {
    const c = p.index[k]!;
    const i = Math.floor(c / n);
    const j = c - i * n;
    if ((o.excludeBos && j === 0) || (o.excludeCurrentToken && j === i)) continue;
    num += a[offset + c]! * p.value[k]!;
  }
  return den > 0 ? num / den : 0;
}

export interface PromptAttention {
  readonly layers: readonly ArrayLike<number>[];
  readonly heads: number;
  readonly tokens: ArrayLike<number>;
}

export interface DetectOptions extends ScoreOptions {
  readonly method?: ScoreMethod;
  /** Only these heads are scored (the others get −1, as in TL); all when absent. */
  readonly only?: ReadonlyMap<number, readonly number[]>;
}

export interface Detection {
  readonly layers: number;
  readonly heads: number;
  /** [L, H] row-major. */
  readonly scores: Float64Array;
  /** Things TL would warn about (a pattern that is not 0/1). */
  readonly warnings: readonly string[];
}

/**
 * Scores every head of every layer against a named pattern (built per prompt from its tokens)
 * or a custom one (a single prompt only, since a pattern has a fixed length). With several
 * prompts the result is the mean of the per-prompt score matrices.
 */
export function detectHead(prompts: readonly PromptAttention[], pattern: DetectorKind | ArrayLike<number>, o: DetectOptions = {}): Detection {
  return detect(prompts, pattern, o, new Map());
}

/** detectHead, with each head's "mul" denominator kept in `denominators` (by prompt, layer, head) for the next pattern. */
function detect(
  prompts: readonly PromptAttention[],
  pattern: DetectorKind | ArrayLike<number>,
  o: DetectOptions,
  denominators: Map<string, number>,
): Detection {
  if (prompts.length === 0) throw new HeadPatternError('head detection needs at least one prompt');
  const custom = typeof pattern !== 'string';
  if (custom && prompts.length > 1) throw new HeadPatternError('a custom pattern fits one prompt length; give a named pattern for several prompts');
  const L = prompts[0]!.layers.length;
  const H = prompts[0]!.heads;
  const scores = new Float64Array(L * H);
  const warnings: string[] = [];
  const mul = o.method !== 'abs';
  for (const prompt of prompts) {
    const n = prompt.tokens.length;
    if (prompt.layers.length !== L || prompt.heads !== H)
      throw new HeadPatternError(`every prompt must come from the same model: ${L}×${H} heads, got ${prompt.layers.length}×${prompt.heads}`);
    const p = custom ? pattern : patternFor(pattern, prompt.tokens, o.causal !== false);
    if (!checkPattern(p, n, o.causal !== false).binary && warnings.length === 0)
      warnings.push('the detection pattern has values other than 0 and 1; scores are then hard to interpret');
    // "mul" reads only the pattern's non-zero cells (n of n², for the named patterns): the dense
    // product over every cell of 5 patterns was most of `heads` on 12 × 12 heads over 1,024 tokens.
    const sparse = mul ? sparsePattern(p, n) : null;
    for (let l = 0; l < L; l++) {
      const block = prompt.layers[l]!;
      if (block.length !== H * n * n)
        throw new HeadPatternError(`layer ${l} attention has ${block.length} values; ${H} heads over ${n} tokens need ${H * n * n}`);
      for (let h = 0; h < H; h++) {
        if (o.only && !o.only.get(l)?.includes(h)) continue;
        let value: number;
        if (sparse) {
          const key = `${prompts.indexOf(prompt)}:${l}:${h}`;
          let den = denominators.get(key);
          if (den === undefined) denominators.set(key, (den = mulDenominator(block, n, o, h * n * n)));
          value = sparseMulScore(block, sparse, n, o, h * n * n, den);
        } else value = absScore(block, p, n, o, h * n * n);
        addAt(scores, l * H + h, value / prompts.length);
      }
    }
  }
  if (o.only) for (let l = 0; l < L; l++) for (let h = 0; h < H; h++) if (!o.only.get(l)?.includes(h)) scores[l * H + h] = -1;
  return { layers: L, heads: H, scores, warnings };
}

/** Every named kind's "mul" score with TL's default options: what `attention-lens heads` prints. */
export function headKindScores<K extends DetectorKind>(prompt: PromptAttention, kinds: readonly K[], o: DetectOptions = {}): Record<K, Float64Array> {
  const out = {} as Record<K, Float64Array>;
  const denominators = new Map<string, number>(); // shared by the kinds: the same heads, the same options
  for (const kind of kinds) out[kind] = detect([prompt], kind, o, denominators).scores;
  return out;
}
