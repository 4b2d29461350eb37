/**
 * What the editor's highlights are about: the query tokens under the cursor or the selection
 * (an encoder's default query off any token), the weights an attribution mode colours, and
 * what each highlight mode is called in the hover and the status bar.
 */

import * as vscode from 'vscode';
import type { AttributionView } from '../protocol/dashboardViews';
import type { HighlightMode } from '../protocol/settings';
import type { DocumentTokens } from './documentTokens';

/**
 * An encoder's query when the cursor is on no token (a space, a blank line, past the end): the
 * first token of the cursor's window — [CLS] in the first window, the token whose final state a
 * classifier reads — so an encoder always shows something natural to start from.
 */
export function encoderDefault(tokens: DocumentTokens, offset: number): { from: number; to: number } | null {
  if (tokens.tokenCount === 0) return null;
  const before = Math.max(0, tokens.tokenBefore(offset));
  const start = before - (before % Math.max(1, tokens.windowSize));
  return { from: start, to: start + 1 };
}

/** The query: the token under the cursor, or every token the selection overlaps. */
export function queryTokens(tokens: DocumentTokens, cursorOnly: boolean, sel: { start: number; end: number }): { from: number; to: number } | null {
  if (!cursorOnly) return tokens.tokensIn(sel.start, sel.end);
  const t = tokens.tokenAt(sel.start);
  return t < 0 ? null : { from: t, to: t + 1 };
}

/** What a highlight mode is called in the hover and the status bar (in the display language). */
export function modeName(mode: HighlightMode): string {
  if (mode === 'integratedGradients') return vscode.l10n.t('integrated gradients');
  if (mode === 'gradientTimesInput') return vscode.l10n.t('gradient × input');
  return vscode.l10n.t('attention');
}

/**
 * The highlight weight of each window token in an attribution mode: |attribution| (a token that
 * works against the prediction matters as much as one that supports it; the hover gives the
 * sign), 0 after the query, whose prediction is explained.
 */
export function attributionWeights(a: AttributionView, windowLength: number): Float32Array {
  const out = new Float32Array(windowLength);
  for (let k = 0; k < Math.min(windowLength, a.attributions.length); k++) out[k] = Math.abs(a.attributions[k] ?? 0);
  return out;
}
