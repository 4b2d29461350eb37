/**
 * How surprisal (−ln p, in nats) maps to the overlay's five colours, and how that reads to a
 * person. The bounds are fixed probabilities, not relative to the text, so a colour means the
 * same thing in every document and under every model: bucket 1 is a token the model gave more
 * than 37 % (under 1 nat), bucket 5 one it gave less than 0.1 % (over 7 nats).
 */

import { english, type Translate } from './localize';

export const SURPRISAL_BUCKETS = 5;

/** Upper bounds in nats of buckets 1..4 (bucket 5 is everything above the last). */
export const SURPRISAL_BOUNDS: readonly number[] = [1, 2, 4, 7];

/** The bucket (0-based) of a surprisal; −1 for a token nothing predicts (NaN). */
export function surprisalBucket(nats: number): number {
  if (!Number.isFinite(nats)) return Number.isNaN(nats) ? -1 : SURPRISAL_BUCKETS - 1;
  const i = SURPRISAL_BOUNDS.findIndex((b) => nats < b);
  return i < 0 ? SURPRISAL_BUCKETS - 1 : i;
}

/** One line per bucket for the legend: its range in nats and in probability. */
export function surprisalLegend(tr: Translate = english): string[] {
  const pct = (nats: number): string => formatProbability(Math.exp(-nats));
  const lines: string[] = [];
  for (let i = 0; i < SURPRISAL_BUCKETS; i++) {
    const lo = i === 0 ? 0 : (SURPRISAL_BOUNDS[i - 1] ?? 0);
    const hi = SURPRISAL_BOUNDS[i];
    lines.push(
      hi === undefined ? tr('{0}: over {1} nats (p under {2})', i + 1, lo, pct(lo)) : tr('{0}: {1}–{2} nats (p {3} to {4})', i + 1, lo, hi, pct(hi), pct(lo)),
    );
  }
  return lines;
}

/** "2.31 nats (p = 9.9 %)". */
export function formatSurprisal(nats: number, tr: Translate = english): string {
  if (!Number.isFinite(nats)) return tr('not predicted (the first token of its window)');
  return tr('{0} nats (p = {1})', nats.toFixed(2), formatProbability(Math.exp(-nats)));
}

/**
 * A probability as people read it, never in exponent notation: whole percents from 10 %
 * ("37 %", "100 %"), one decimal from 1 % ("1.8 %"), two significant digits below ("0.12 %",
 * "0.091 %"), and "< 0.01 %" for anything smaller, where more digits would be noise.
 */
export function formatProbability(p: number): string {
  if (Number.isNaN(p)) return '? %';
  const pct = 100 * Math.min(1, Math.max(0, p));
  if (pct >= 9.95) return `${Math.round(pct)} %`;
  if (pct >= 0.995) return `${pct.toFixed(1)} %`;
  if (pct >= 0.00995) return `${Number(pct.toPrecision(2))} %`;
  return pct === 0 ? '0 %' : '< 0.01 %';
}
