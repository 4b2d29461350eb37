/**
 * Shared by the attention views: which head is shown, the weights of the current query for it,
 * token labels, and turning a window token into an editor selection request.
 */

import { selectWeights } from '../src/presentation/attentionView';
import { tokenLabel } from '../src/presentation/tokenLabel';
import type { Aggregation } from '../src/protocol/settings';
import type { QueryAttention } from '../src/protocol/webviewProtocol';
import { postToHost } from './vscodeApi';
import { t } from './l10n';

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
  if (aggregation === 'head') return t('layer {0}, head {1}', layer, head);
  return t('layer {0}, {1} of {2} heads', layer, aggregation === 'mean' ? t('mean') : t('max'), heads);
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
  for (let i = a.from; i < a.to && labels.length < 6; i++) labels.push(labelOf(a, i - a.windowStart, 16));
  const more = a.to - a.from > 6 ? '…' : '';
  const text = `"${labels.join('')}${more}"`;
  return a.to - a.from > 1 ? t('{0} (tokens {1}–{2})', text, a.from, a.to - 1) : t('{0} (token {1})', text, a.from);
}
