/**
 * How the head the editor shows is named, the same in the status bar and the hover: the selected
 * head, or with Mean/Max aggregation the layer and the mode, so an aggregate is never passed off
 * as head 0.
 */

import * as vscode from 'vscode';
import type { Aggregation } from '../protocol/settings';
import type { LayerHead } from './viewState';

export interface HeadName {
  /** "L1 H0", "L1 mean of 8 heads". */
  readonly short: string;
  /** "layer 1, head 0", "layer 1, mean of 8 heads". */
  readonly long: string;
  /** A table column: "head 0", "mean", "max". */
  readonly column: string;
}

export function headShown({ layer, head }: LayerHead, aggregation: Aggregation, heads: number): HeadName {
  if (aggregation === 'head') {
    return { short: `L${layer} H${head}`, long: vscode.l10n.t('layer {0}, head {1}', layer, head), column: vscode.l10n.t('head {0}', head) };
  }
  const mode = aggregation === 'mean' ? vscode.l10n.t('mean') : vscode.l10n.t('max');
  return {
    short: vscode.l10n.t('L{0} {1} of {2} heads', layer, mode, heads),
    long: vscode.l10n.t('layer {0}, {1} of {2} heads', layer, mode, heads),
    column: mode,
  };
}
