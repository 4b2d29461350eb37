/**
 * Everything the head-type table shows for one window of text, in one pass over the captured
 * attention: the five detector scores (TL "mul", default options — the CLI's `heads` contract),
 * the mean normalised entropy, and how many keys hold 50 % / 90 % of the mass. Each is an
 * [L, H] row-major array so it crosses the worker boundary as plain typed arrays. For a
 * bidirectional model (o.causal false) the patterns, entropies and key counts use every key
 * (patterns.ts says what each kind means then) and the next-token score is added.
 */

import { meanKeysForMass } from './concentration';
import { meanEntropy } from './entropy';
import { headKindScores, type ScoreOptions } from './headScores';
import { HEAD_KINDS, type HeadKind } from './patterns';

export interface HeadSummary {
  readonly layers: number;
  readonly heads: number;
  readonly tokens: number;
  readonly scores: Record<HeadKind, Float64Array>;
  readonly entropy: Float64Array;
  readonly keys50: Float64Array;
  readonly keys90: Float64Array;
  /** Bidirectional models only (o.causal false): the next-token detector, [L, H]. */
  readonly nextToken?: Float64Array;
}

/** `layers`: per layer the [H, n, n] weights of one sequence; `tokens`: its n ids. */
export function summarizeHeads(layers: readonly ArrayLike<number>[], heads: number, tokens: ArrayLike<number>, o: ScoreOptions = {}): HeadSummary {
  const n = tokens.length;
  const L = layers.length;
  const causal = o.causal !== false;
  const scores = headKindScores({ layers, heads, tokens }, HEAD_KINDS, o);
  const nextToken = causal ? undefined : headKindScores({ layers, heads, tokens }, ['next_token'], o).next_token;
  const entropy = new Float64Array(L * heads);
  const keys50 = new Float64Array(L * heads);
  const keys90 = new Float64Array(L * heads);
  for (let l = 0; l < L; l++) {
    for (let h = 0; h < heads; h++) {
      const offset = h * n * n;
      entropy[l * heads + h] = meanEntropy(layers[l]!, n, offset, causal);
      keys50[l * heads + h] = meanKeysForMass(layers[l]!, n, 0.5, offset, causal);
      keys90[l * heads + h] = meanKeysForMass(layers[l]!, n, 0.9, offset, causal);
    }
  }
  return { layers: L, heads, tokens: n, scores, entropy, keys50, keys90, ...(nextToken ? { nextToken } : {}) };
}

/** The kind a head scores highest on, with its score — the label on a head in the grid. */
export function strongestKind(summary: Pick<HeadSummary, 'scores'>, index: number): { kind: HeadKind; score: number } {
  let best: { kind: HeadKind; score: number } = { kind: HEAD_KINDS[0], score: -Infinity };
  for (const kind of HEAD_KINDS) {
    const s = summary.scores[kind][index]!;
    if (s > best.score) best = { kind, score: s };
  }
  return best;
}
