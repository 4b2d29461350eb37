/**
 * Attention over a long document, one context window at a time.
 *
 * Windows: sliding windows with overlap (src/protocol/contextWindows.ts, the plan the CLI and
 * the host share): window w is tokens [w·S, w·S + ctx) for the stride S (default half the
 * context), each run through the model on its own, and a query is read in the window that gives
 * it the most preceding tokens (for an encoder: the most context on both sides) — at least half
 * a context once the text is longer than one. One forward per window, not per query, is what
 * lets the worker cache a window and answer every cursor move inside it from memory. The host
 * sees the boundaries (windowStart, windowLength in every reply).
 *
 * From one window's captured weights and scores, a query [from, to) gives the editor three
 * [L, H, T] blocks, each the MEAN over the query tokens, so a selection reads like one token
 * standing for all of them in both directions:
 * - rows[k]    = mean_q A[q][k]  (where the selection looks; each row still sums to 1),
 * - columns[k] = mean_q A[k][q]  (how much token k reads the selection, per selected token),
 * - scores[k]  = mean of S[q][k] over the selected q that can see key k (−Infinity if none can:
 *   a masked score is not a number to average). For one query token these are its own row,
 *   column and scores.
 * `weights` may be the post-softmax α or the value-weighted ‖α·v‖ (valueWeighted.ts); the
 * scores are always q·k/√d.
 */

import { addAt, type Transformer } from '../engine';
import type { WindowAttention } from './attentionCache';

/** Runs one window through the model, keeping every layer's weights and scores. */
export function computeWindow(
  model: Transformer,
  ids: Int32Array,
  where: { documentKey: string; version: number; window: number; start: number },
): WindowAttention {
  const T = ids.length;
  const r = model.forward(null, ids, 1, T, { capture: { attention: true, scores: true } });
  const weights = r.layers.map((l, i) => required(l.attention, 'attention weights', i));
  const scores = r.layers.map((l, i) => required(l.scores, 'attention scores', i));
  const bytes = [...weights, ...scores].reduce((n, a) => n + a.byteLength, 0);
  return { ...where, length: T, weights, scores, bytes };
}

export interface QueryAttention {
  /** [L, H, T]: mean over the query range of each query's weight row. */
  readonly rows: Float32Array;
  /** [L, H, T]: mean over the query range of the weight from every window token to it (0 before it, for a causal model). */
  readonly columns: Float32Array;
  /** [L, H, T]: mean over the query range of the raw scores, over the queries that see each key (−Infinity where none does). */
  readonly scores: Float32Array;
}

/**
 * Query tokens [qFrom, qTo) are window-local indices, 0 ≤ qFrom < qTo ≤ window length;
 * `weights` defaults to the window's α (per layer [H, T, T]).
 */
export function queryAttention(w: WindowAttention, heads: number, qFrom: number, qTo: number, weights: readonly Float32Array[] = w.weights): QueryAttention {
  const T = w.length;
  const L = weights.length;
  const H = heads;
  const rows = new Float32Array(L * H * T);
  const columns = new Float32Array(L * H * T);
  const scores = new Float32Array(L * H * T);
  const acc = new Float64Array(T);
  const col = new Float64Array(T);
  const sum = new Float64Array(T);
  const seen = new Int32Array(T);
  const n = qTo - qFrom;
  for (let l = 0; l < L; l++) {
    const A = weights[l]!;
    const S = w.scores[l]!;
    for (let h = 0; h < H; h++) {
      const o = (l * H + h) * T;
      const head = h * T * T;
      acc.fill(0);
      col.fill(0);
      sum.fill(0);
      seen.fill(0);
      for (let q = qFrom; q < qTo; q++) {
        const row = head + q * T;
        // Every key: a causal model's weights after the query are 0, an encoder's are not.
        for (let k = 0; k < T; k++) {
          addAt(acc, k, A[row + k]!);
          addAt(col, k, A[head + k * T + q]!);
          const s = S[row + k]!;
          if (s !== -Infinity) {
            addAt(sum, k, s);
            addAt(seen, k, 1);
          }
        }
      }
      for (let k = 0; k < T; k++) {
        rows[o + k] = acc[k]! / n;
        columns[o + k] = col[k]! / n;
        scores[o + k] = seen[k]! > 0 ? sum[k]! / seen[k]! : -Infinity;
      }
    }
  }
  return { rows, columns, scores };
}

function required(a: Float32Array | null, what: string, layer: number): Float32Array {
  if (!a) throw new Error(`the model did not return ${what} for layer ${layer}`);
  return a;
}
