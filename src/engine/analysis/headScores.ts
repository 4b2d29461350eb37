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
  if (prompts.length === 0) throw new HeadPatternError('head detection needs at least one prompt');
  const custom = typeof pattern !== 'string';
  if (custom && prompts.length > 1) throw new HeadPatternError('a custom pattern fits one prompt length; give a named pattern for several prompts');
  const L = prompts[0]!.layers.length;
  const H = prompts[0]!.heads;
  const scores = new Float64Array(L * H);
  const warnings: string[] = [];
  const score = o.method === 'abs' ? absScore : mulScore;
  for (const prompt of prompts) {
    const n = prompt.tokens.length;
    if (prompt.layers.length !== L || prompt.heads !== H)
      throw new HeadPatternError(`every prompt must come from the same model: ${L}×${H} heads, got ${prompt.layers.length}×${prompt.heads}`);
    const p = custom ? pattern : patternFor(pattern, prompt.tokens, o.causal !== false);
    if (!checkPattern(p, n, o.causal !== false).binary && warnings.length === 0)
      warnings.push('the detection pattern has values other than 0 and 1; scores are then hard to interpret');
    for (let l = 0; l < L; l++) {
      const block = prompt.layers[l]!;
      if (block.length !== H * n * n)
        throw new HeadPatternError(`layer ${l} attention has ${block.length} values; ${H} heads over ${n} tokens need ${H * n * n}`);
      for (let h = 0; h < H; h++) {
        if (o.only && !o.only.get(l)?.includes(h)) continue;
        addAt(scores, l * H + h, score(block, p, n, o, h * n * n) / prompts.length);
      }
    }
  }
  if (o.only) for (let l = 0; l < L; l++) for (let h = 0; h < H; h++) if (!o.only.get(l)?.includes(h)) scores[l * H + h] = -1;
  return { layers: L, heads: H, scores, warnings };
}

/** Every named kind's "mul" score with TL's default options: what `attention-lens heads` prints. */
export function headKindScores<K extends DetectorKind>(prompt: PromptAttention, kinds: readonly K[], o: DetectOptions = {}): Record<K, Float64Array> {
  const out = {} as Record<K, Float64Array>;
  for (const kind of kinds) out[kind] = detectHead([prompt], kind, o).scores;
  return out;
}
