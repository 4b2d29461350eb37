/**
 * How peaked a row of attention is, so colours scaled to the row's maximum do not overstate a
 * diffuse row. The normalised entropy of a row is H / ln n over the n keys with weight (the
 * keys the query can see; the weights are renormalised to sum to 1, so the max over heads works
 * too): 0 when one key takes everything, 1 when every key gets the same.
 *
 * The fading rule (README, "Colours"): under the row-max scale a row whose normalised entropy is
 * above NEAR_UNIFORM (0.9) is near uniform, and its scaled weights are multiplied by
 * (1 − entropy) / (1 − NEAR_UNIFORM): at 0.95 they are drawn at half strength, at 1 not at all.
 * Rows at or below 0.9 are drawn as before.
 */

/** Normalised entropy above which a row counts as near uniform and its highlights fade. */
import { english, type Translate } from './localize';

export const NEAR_UNIFORM = 0.9;

/** H / ln n of the positive weights (index `exclude` left out); NaN when fewer than two keys have weight. */
export function normalizedEntropy(weights: ArrayLike<number>, exclude = -1): number {
  let total = 0;
  let n = 0;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    if (i === exclude || !(w > 0) || !Number.isFinite(w)) continue;
    total += w;
    n++;
  }
  if (n < 2) return NaN;
  let h = 0;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    if (i === exclude || !(w > 0) || !Number.isFinite(w)) continue;
    const p = w / total;
    h -= p * Math.log(p);
  }
  return Math.min(1, Math.max(0, h / Math.log(n)));
}

/** The factor scaled weights are drawn with (1: as they are; 0: not at all), by the rule above. */
export function uniformFade(entropy: number): number {
  if (!(entropy > NEAR_UNIFORM)) return 1;
  return Math.max(0, Math.min(1, (1 - entropy) / (1 - NEAR_UNIFORM)));
}

/** "0.93 (near uniform)" — for the status bar and the hover. */
export function describeEntropy(entropy: number, tr: Translate = english): string {
  if (!Number.isFinite(entropy)) return tr('n/a (one key)');
  const how = entropy > NEAR_UNIFORM ? tr('near uniform: highlights faded') : entropy < 0.5 ? tr('peaked') : tr('spread');
  return tr('{0} of uniform ({1})', entropy.toFixed(2), how);
}
