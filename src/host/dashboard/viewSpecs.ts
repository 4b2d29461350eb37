/**
 * The host's half of each dashboard view (protocol/dashboardViews.ts): how the engine's
 * payload is checked and held, and what of it the page is sent — now, after a head change and
 * when a reloaded page replays. The feed (feed.ts) loops over this table; it is mapped over
 * ViewName, so a view without its spec does not compile.
 */

import type { EnginePayload, PagePayload, ViewName } from '../../protocol/dashboardViews';
import { checkedComparison } from './comparisonPayload';
import { checkMatrixSize, MatrixAssembly } from './matrixAssembly';
import {
  checkedAblation,
  checkedAttribution,
  checkedClassification,
  checkedCustomHeads,
  checkedFlow,
  checkedHeadStats,
  checkedInduction,
  checkedLens,
  checkedRolloutRow,
  checkedSurprisal,
  checkedWhyDetail,
} from './payloads';

export interface LayerHead {
  readonly layer: number;
  readonly head: number;
}

/** What the host keeps of a view: the page's payload, except for the matrix (the whole [L, H, W, W] block, cut per head). */
export type Held<N extends ViewName> = N extends 'matrix' ? MatrixAssembly : PagePayload<N>;

export interface HostViewSpec<N extends ViewName> {
  /** What the view is called in the log ("no head statistics for …"). */
  readonly title: string;
  /** Refuses, before asking the engine, a question whose answer could not be shown (throws with the reason). */
  readonly precheck?: (layers: number, heads: number, windowLength: number) => void;
  /** The engine's payload as held: shapes checked (BadReplyError), arrays copied or taken over. */
  readonly hold: (payload: EnginePayload<N>) => Held<N>;
  /** What the page is sent for the selected head. */
  readonly present: (held: Held<N>, selection: LayerHead) => PagePayload<N>;
  /** Present again when only the selected head changed (the held value covers every head). */
  readonly followsSelection: boolean;
}

export const VIEW_SPECS: { readonly [N in ViewName]: HostViewSpec<N> } = {
  matrix: {
    title: 'attention matrix',
    precheck: checkMatrixSize,
    hold: (p) => new MatrixAssembly(p, p.layers, p.heads, p.weights),
    present: (m, { layer, head }) => ({ ...m.window, matrix: m.headMatrix(layer, head), grid: m.grid() }),
    followsSelection: true,
  },
  headStats: { title: 'head statistics', hold: checkedHeadStats, present: (s) => s, followsSelection: false },
  rollout: { title: 'rollout', hold: checkedRolloutRow, present: (r) => r, followsSelection: false },
  why: { title: 'q/k/v vectors', hold: checkedWhyDetail, present: (d) => d, followsSelection: false },
  surprisal: { title: 'surprisal', hold: checkedSurprisal, present: (s) => s, followsSelection: false },
  lens: { title: 'logit lens', hold: checkedLens, present: (l) => l, followsSelection: false },
  ablation: { title: 'head ablation sweep', hold: checkedAblation, present: (a) => a, followsSelection: false },
  attribution: { title: 'attribution', hold: checkedAttribution, present: (a) => a, followsSelection: false },
  flow: { title: 'attention flow', hold: checkedFlow, present: (f) => f, followsSelection: false },
  induction: { title: 'repeated-random-tokens test', hold: checkedInduction, present: (i) => i, followsSelection: false },
  compare: { title: 'comparison', hold: checkedComparison, present: (c) => c, followsSelection: false },
  classification: { title: 'classification', hold: checkedClassification, present: (c) => c, followsSelection: false },
  customHeads: { title: 'custom head detector', hold: checkedCustomHeads, present: (c) => c, followsSelection: false },
};
