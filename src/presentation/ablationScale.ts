/**
 * How the ablation overlay reads a change of surprisal when heads are switched off:
 * Δ = surprisal with the heads ablated − surprisal with every head, in nats, in four buckets
 * (much better, better, worse, much worse) and left plain when it barely moved. Fixed bounds, not
 * relative to the text, so a colour means the same everywhere: 0.1 nat is a 10 % change of the
 * token's probability, 1 nat a factor of e.
 */

/** Buckets, in the order of their theme colours: much better, better, worse, much worse. */
import { english, type Translate } from './localize';

export const ABLATION_BUCKETS = 4;
export const ABLATION_COLOR_IDS = ['ablationMuchBetter', 'ablationBetter', 'ablationWorse', 'ablationMuchWorse'] as const;

/** |Δ| below this is "unchanged" (not drawn); at or above STRONG_NATS it is "much". */
export const UNCHANGED_NATS = 0.1;
export const STRONG_NATS = 1;

/** The bucket of Δ (0 much better … 3 much worse); −1 when unchanged or not predicted (NaN). */
export function ablationBucket(delta: number): number {
  if (Number.isNaN(delta) || Math.abs(delta) < UNCHANGED_NATS) return -1;
  if (delta < 0) return delta <= -STRONG_NATS ? 0 : 1;
  return delta >= STRONG_NATS ? 3 : 2;
}

/** One line per bucket, for the status bar's tooltip and the README. */
export function ablationLegend(tr: Translate = english): string[] {
  return [
    tr('much better: surprisal fell by {0} nat or more (p × e or more)', STRONG_NATS),
    tr('better: fell by {0}–{1} nat', UNCHANGED_NATS, STRONG_NATS),
    tr('worse: rose by {0}–{1} nat', UNCHANGED_NATS, STRONG_NATS),
    tr('much worse: rose by {0} nat or more (p ÷ e or less)', STRONG_NATS),
    tr('unchanged (under {0} nat either way): not outlined', UNCHANGED_NATS),
  ];
}

/** "4.2, 4.3". */
export function formatHeads(heads: readonly { readonly layer: number; readonly head: number }[]): string {
  return heads.map((h) => `${h.layer}.${h.head}`).join(', ');
}

/** "+1.40 nats (worse)", "−0.05 nats (unchanged)". */
export function formatDelta(delta: number, tr: Translate = english): string {
  if (!Number.isFinite(delta)) return tr('not predicted');
  const words = [tr('much better'), tr('better'), tr('worse'), tr('much worse')];
  const word = words[ablationBucket(delta)] ?? tr('unchanged');
  return tr('{0} nats ({1})', `${delta > 0 ? '+' : delta < 0 ? '−' : '±'}${Math.abs(delta).toFixed(2)}`, word);
}
