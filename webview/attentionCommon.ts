/**
 * Shared by the attention views: which head is shown, the weights of the current query for it,
 * token labels, and turning a window token into an editor selection request.
 */

import { selectWeights } from '../src/presentation/attentionView';
import { tokenLabel } from '../src/presentation/tokenLabel';
import type { QueryAttention } from '../src/protocol/webviewProtocol';
import { postToHost } from './vscodeApi';

export type Direction = 'rows' | 'columns';

/** The selected head's weights for the current query: where it looks ('rows') or who looks at it ('columns'). */
export function queryWeights(a: QueryAttention, layer: number, head: number, direction: Direction): Float32Array {
  return selectWeights(direction === 'rows' ? a.rows : a.columns, a.layers, a.heads, a.windowLength, { layer, head, aggregation: 'head' });
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
