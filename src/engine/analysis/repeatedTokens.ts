/**
 * The repeated-random-tokens test for induction heads (TL demos, ARENA; ANALYSIS.md §2): a
 * sequence r₁..r_N r₁..r_N, optionally after BOS. An induction head, reading the second copy,
 * attends to the token *after* the earlier copy of the current token, so its pattern is a
 * diagonal stripe at offset N − 1; previous-token and duplicate heads make stripes at 1 and N.
 */

import type { Rng } from '../random';
import { addAt } from '../elements';

/** [BOS?] r₁..r_N r₁..r_N with r uniform in [lo, hi). */
export function repeatedRandomTokens(rng: Rng, n: number, lo: number, hi: number, bos: number | null = null): Int32Array {
  if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`the repeated half needs at least 1 token, got ${n}`);
  if (!(Number.isInteger(lo) && Number.isInteger(hi) && hi > lo)) throw new RangeError(`token range [${lo}, ${hi}) is empty`);
  const first = bos === null ? 0 : 1;
  const out = new Int32Array(first + 2 * n);
  if (bos !== null) out[0] = bos;
  for (let i = 0; i < n; i++) {
    const t = lo + rng.int(hi - lo);
    out[first + i] = t;
    out[first + n + i] = t;
  }
  return out;
}

export interface StripeScores {
  /** Mean of A[q][q−1]. */
  readonly previousToken: number;
  /** Mean of A[q][q−N] (the earlier copy). */
  readonly duplicate: number;
  /** Mean of A[q][q−N+1] (the token after the earlier copy). */
  readonly induction: number;
}

export interface StripeOptions {
  /** Whether position 0 is BOS (ARENA) rather than r₁ (TL's demos). */
  readonly bos: boolean;
  /**
   * Average the duplicate and induction stripes over second-half queries only. TL's
   * `diagonal(offset)` also takes first-half rows where no earlier copy exists; strict is the
   * cleaner number, non-strict reproduces the demos.
   */
  readonly strict?: boolean;
}

/** Stripe means of one head's n×n pattern (at `offset` in `a`) on a repeated sequence of half-length N. */
export function stripeScores(a: ArrayLike<number>, n: number, half: number, o: StripeOptions, offset = 0): StripeScores {
  const first = o.bos ? 1 : 0;
  if (n !== first + 2 * half) throw new RangeError(`a repeated sequence of half ${half}${o.bos ? ' after BOS' : ''} has ${first + 2 * half} tokens, got ${n}`);
  const stripe = (back: number, fromQuery: number): number => {
    let sum = 0;
    let count = 0;
    for (let q = Math.max(back, fromQuery); q < n; q++) {
      sum += a[offset + q * n + q - back]!;
      count++;
    }
    return count > 0 ? sum / count : 0;
  };
  const secondHalf = o.strict ? first + half : 0;
  return { previousToken: stripe(1, 0), duplicate: stripe(half, secondHalf), induction: stripe(half - 1, secondHalf) };
}

/**
 * Stripe means for every head, averaged over a batch of repeated sequences: per layer a
 * [B, H, n, n] block. Returns [L, H] arrays for each stripe.
 */
export function repeatedTokenScores(
  layers: readonly ArrayLike<number>[],
  batch: number,
  heads: number,
  n: number,
  half: number,
  o: StripeOptions,
): { previousToken: Float64Array; duplicate: Float64Array; induction: Float64Array } {
  const L = layers.length;
  const out = { previousToken: new Float64Array(L * heads), duplicate: new Float64Array(L * heads), induction: new Float64Array(L * heads) };
  for (let l = 0; l < L; l++) {
    for (let b = 0; b < batch; b++) {
      for (let h = 0; h < heads; h++) {
        const s = stripeScores(layers[l]!, n, half, o, (b * heads + h) * n * n);
        addAt(out.previousToken, l * heads + h, s.previousToken / batch);
        addAt(out.duplicate, l * heads + h, s.duplicate / batch);
        addAt(out.induction, l * heads + h, s.induction / batch);
      }
    }
  }
  return out;
}

/**
 * Mean per-token loss on the second copy (what `evals.induction_loss` reports): `loss[t]` is the
 * loss of predicting token t + 1 from position t, so the second copy's predictions start at
 * position first + N (predicting its second token); a model with induction heads drops sharply
 * there. NaN entries (no target) are skipped.
 */
export function secondHalfLoss(loss: ArrayLike<number>, half: number, bos: boolean): number {
  const from = (bos ? 1 : 0) + half;
  let sum = 0;
  let count = 0;
  for (let t = from; t < loss.length; t++) {
    const v = loss[t]!;
    if (Number.isNaN(v)) continue;
    sum += v;
    count++;
  }
  return count > 0 ? sum / count : NaN;
}
