/**
 * The worker's `compare` view (protocol/dashboardViews.ts WhatIf): for the query token of a
 * window and the other side of its comparison (comparison.ts), how each head's attention row
 * changed — the total-variation distance between the row here and the counterpart query's row
 * there, read over aligned keys — and each token's surprisal here and there.
 */

import type { WindowRef } from '../protocol/common';
import type { ComparisonView } from '../protocol/dashboardViews';
import type { ActiveModel } from './activeModel';
import type { WindowAttention } from './attentionCache';
import type { OtherSide } from './comparison';
import { tokenSurprisal } from './debugViews';

export function comparisonView(
  m: ActiveModel,
  ids: Int32Array,
  place: WindowRef,
  query: number,
  win: WindowAttention,
  other: OtherSide | null,
): ComparisonView {
  if (!other) return { ...place, query, comparison: null };
  const { nLayers: L, nHeads: H } = m.model.config;
  const W = ids.length;
  const Wo = other.ids.length;
  const q2 = other.aligned[query] ?? -1;
  const headDelta = new Float32Array(L * H).fill(NaN);
  const rowDelta = new Float32Array(L * H * W).fill(NaN);
  if (q2 >= 0) {
    for (let l = 0; l < L; l++) {
      const here = win.weights[l]!;
      const there = other.weights[l]!;
      for (let h = 0; h < H; h++) {
        const row = (h * W + query) * W;
        const otherRow = (h * Wo + q2) * Wo;
        let diff = 0;
        let matched = 0;
        for (let k = 0; k < W; k++) {
          const k2 = other.aligned[k] ?? -1;
          const b = k2 >= 0 ? (there[otherRow + k2] ?? 0) : 0;
          const d = (here[row + k] ?? 0) - b;
          rowDelta[(l * H + h) * W + k] = d;
          diff += Math.abs(d);
          matched += b;
        }
        // The other row's weight on keys that have no counterpart here counts as moved too.
        headDelta[l * H + h] = 0.5 * (diff + Math.max(0, 1 - matched));
      }
    }
  }
  const mine = tokenSurprisal(m, ids, place);
  const theirs = tokenSurprisal(other.model, other.ids, place);
  const otherSurprisal = new Float32Array(W).fill(NaN);
  for (let i = 0; i < W; i++) {
    const j = other.aligned[i] ?? -1;
    if (j >= 0) otherSurprisal[i] = theirs.surprisal[j] ?? NaN;
  }
  return {
    ...place,
    query,
    comparison: {
      kind: other.kind,
      label: other.label,
      layers: L,
      heads: H,
      otherLength: Wo,
      aligned: other.aligned,
      otherQuery: q2,
      headDelta,
      rowDelta,
      surprisal: mine.surprisal,
      otherSurprisal,
      loss: mine.loss,
      otherLoss: theirs.loss,
    },
  };
}
