/**
 * Shared by the attention views: which head is shown, the weights of the current query for it,
 * token labels, and turning a window token into an editor selection request.
 */

import { selectWeights } from '../src/presentation/attentionView';
import { tokenLabel } from '../src/presentation/tokenLabel';
import type { Aggregation } from '../src/protocol/settings';
import type { QueryAttention } from '../src/protocol/webviewProtocol';
import { postToHost } from './vscodeApi';

export type Direction = 'rows' | 'columns';

/**
 * The current query's weights for the selected head — or, with `aggregation` mean/max, over the
 * selected layer's heads, as the editor shows them: where it looks ('rows') or who looks at it ('columns').
 */
export function queryWeights(a: QueryAttention, layer: number, head: number, direction: Direction, aggregation: Aggregation = 'head'): Float32Array {
  return selectWeights(direction === 'rows' ? a.rows : a.columns, a.layers, a.heads, a.windowLength, { layer, head, aggregation });
}

/** "layer 1, head 2", or "layer 1, mean of 8 heads" when the editor aggregates heads. */
export function headName(layer: number, head: number, aggregation: Aggregation, heads: number): string {
  return aggregation === 'head' ? `layer ${layer}, head ${head}` : `layer ${layer}, ${aggregation} of ${heads} heads`;
}

export function labelOf(a: QueryAttention, k: number, maxChars = 12): string {
  return tokenLabel(a.tokens.labels[k] ?? '', maxChars);
}

/** Asks the host to select window token range [k0, k1] in the editor. */
export function selectWindowTokens(a: QueryAttention, k0: number, k1 = k0): void {
  const start = a.tokens.starts[k0];
  const end = a.tokens.ends[k1];
  if (start === undefined || end === undefined) return;
  postToHost({ type: 'selectTokens', documentKey: a.documentKey, start, end: Math.max(start, end) });
}

/** The query's tokens as text, e.g. `"·the" (#41)`. */
export function queryText(a: QueryAttention): string {
  const labels: string[] = [];
  for (let t = a.from; t < a.to && labels.length < 6; t++) labels.push(labelOf(a, t - a.windowStart, 16));
  const more = a.to - a.from > 6 ? '…' : '';
  return `"${labels.join('')}${more}" (token${a.to - a.from > 1 ? `s ${a.from}–${a.to - 1}` : ` ${a.from}`})`;
}
