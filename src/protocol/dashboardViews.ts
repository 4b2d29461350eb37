/**
 * The dashboard's engine-fed views, declared once for every layer. Each view has one name,
 * used by the worker (which computes it), the host (which asks for it, checks the reply and
 * replays it to a reloaded page: host/dashboard/viewSpecs.ts) and the page (which draws
 * it: VIEW_COMPONENTS in webview/app.ts). Both of those tables are mapped over `ViewName`, so a view
 * added here without its host spec or its page component is a compile error.
 *
 * A view answers one question — a document version, a query token and the selected head — and
 * its `scope` says which part of the question it depends on: the whole window ('window'), the
 * query token too ('query'), or also the selected head ('head'). The host asks again, and the
 * page forgets the old answer, exactly when that part changes.
 *
 * Adding a view: its payload type and its entry in DashboardViews below; the analysis in the
 * worker (worker/windowViews.ts, a table mapped over ViewName); its host spec; its component.
 */

import type { HeadKindName, TokenSlice, WindowRef } from './common';
import type { CustomDetector } from './headRules';

export type ViewScope = 'window' | 'query' | 'head';

/** What a payload of each scope must carry so that both sides can tell whether it still fits. */
export type ScopedRef<S extends ViewScope> = S extends 'window'
  ? WindowRef
  : S extends 'query'
    ? WindowRef & { readonly query: number }
    : WindowRef & { readonly query: number; readonly layer: number; readonly head: number };

/** Every attention weight of a window, [L, H, W, W] (row = query): the engine's matrix reply, cut by the host. */
export interface AttentionBlock extends WindowRef {
  readonly window: TokenSlice;
  readonly layers: number;
  readonly heads: number;
  readonly weights: Float32Array;
}

/** One head's full pattern over the window: weights[q·W + k], row = query. */
export interface AttentionMatrix extends WindowRef {
  readonly layer: number;
  readonly head: number;
  readonly weights: Float32Array;
  /** Extremes over every head of every layer, for the "global" colour scale. */
  readonly globalMin: number;
  readonly globalMax: number;
}

/** Every head's pattern shrunk to size×size (max-pooled, so thin stripes survive). */
export interface HeadGrid extends WindowRef {
  readonly layers: number;
  readonly heads: number;
  readonly size: number;
  /** [L, H, size, size]. */
  readonly thumbnails: Float32Array;
}

/** What the page draws of the matrix view: the selected head's matrix and the layers × heads grid. */
export interface MatrixPayload extends WindowRef {
  readonly matrix: AttentionMatrix;
  readonly grid: HeadGrid;
}

/** Per-head statistics of a window (engine/analysis/headSummary.ts), each [L, H]. */
export interface HeadStats extends WindowRef {
  readonly layers: number;
  readonly heads: number;
  /** Detector name → TransformerLens "mul" score per head (ANALYSIS.md). */
  readonly scores: Readonly<Record<HeadKindName, Float32Array>>;
  /** Detector name → TransformerLens "abs" score per head: 1 − round(Σ|A − P| / n, 3) (ANALYSIS.md §1). */
  readonly absScores: Readonly<Record<HeadKindName, Float32Array>>;
  /** Mean row entropy normalised by ln(i + 1): 0 one key, 1 uniform. */
  readonly entropy: Float32Array;
  /** Mean number of keys holding 50 % / 90 % of a row. */
  readonly keys50: Float32Array;
  readonly keys90: Float32Array;
}

/** Rollout relevance of every window token for the query token (window index), after each layer: [L, W]. */
export interface RolloutRow extends WindowRef {
  readonly query: number;
  readonly layers: number;
  readonly relevance: Float32Array;
}

/** The numbers behind one head's weights for one query token (window index): the "why" view. */
export interface WhyDetail extends WindowRef {
  readonly query: number;
  readonly layer: number;
  readonly head: number;
  readonly headSize: number;
  /** [hs] */
  readonly q: Float32Array;
  /** [W, hs] */
  readonly k: Float32Array;
  /** [W, hs] */
  readonly v: Float32Array;
  /** [hs]: Σ_k weight_k · v_k. */
  readonly output: Float32Array;
}

/**
 * How surprised the model is by each window token, and what it expected instead: one forward
 * pass over the window. Row i is about the prediction made at token i (of token i + 1).
 */
export interface TokenSurprisal extends WindowRef {
  /** [W] nats: −ln p(token i | the window's tokens before it); NaN for the window's first token, which nothing predicts. */
  readonly surprisal: Float32Array;
  /** Mean surprisal over the window's predicted tokens (its loss in nats). */
  readonly loss: number;
  /** Predictions listed per position. */
  readonly k: number;
  /** [W·k] the k most likely next tokens at each position, by descending probability. */
  readonly topIds: Int32Array;
  readonly topProbs: Float32Array;
  /** [W·k] their text, as token labels. */
  readonly topLabels: readonly string[];
  /** [W] 1-based rank of the token that actually follows (0 for the window's last token, nothing follows it here). */
  readonly nextRank: Int32Array;
  /** [W] the probability given to the token that actually follows (NaN for the last). */
  readonly nextProb: Float32Array;
}

/** The logit lens for the query token: the top predictions read out of the residual stream after each layer. */
export interface LogitLensView extends WindowRef {
  readonly query: number;
  readonly layers: number;
  readonly k: number;
  /** [L·k] row l: the top-k next tokens after layer l (through the final norm and the unembedding); row L−1 is the model's own. */
  readonly topIds: Int32Array;
  readonly topProbs: Float32Array;
  readonly topLabels: readonly string[];
  /** The token that actually follows the query in the window (−1 at the window's end), and its probability after each layer [L]. */
  readonly nextId: number;
  readonly nextLabel: string;
  readonly nextProbs: Float32Array;
}

/** Each head alone zeroed: how much the log-probability of the token after the query changes. */
export interface AblationSweepView extends WindowRef {
  readonly query: number;
  readonly layers: number;
  readonly heads: number;
  readonly targetId: number;
  readonly targetLabel: string;
  /** log p(target) with every head in place. */
  readonly logProb: number;
  /** [L·H] log p(target | head l.h zeroed) − logProb: negative where the head helps the prediction. */
  readonly effects: Float32Array;
}

/** Which input tokens the prediction at the query relies on: integrated gradients over the token embeddings. */
export interface AttributionView extends WindowRef {
  readonly query: number;
  readonly method: 'ig' | 'grad';
  readonly steps: number;
  readonly targetId: number;
  readonly targetLabel: string;
  readonly logProb: number;
  /** log p(target) with every token embedding zero (positions kept). */
  readonly baselineLogProb: number;
  /** [query + 1] one value per window token up to the query; they sum to logProb − baselineLogProb (up to completenessGap). */
  readonly attributions: Float32Array;
  readonly completenessGap: number;
}

/** Attention flow (Abnar & Zuidema 2020) from the query at the top of the model to each window token up to it, beside rollout. */
export interface FlowRowView extends WindowRef {
  readonly query: number;
  readonly layers: number;
  /** [W] max-flow from node (L, query) to each input token, normalised to sum 1 (0 after the query in a causal model). */
  readonly flow: Float32Array;
}

/**
 * The repeated-random-tokens test for induction heads (ANALYSIS.md §2): `batch` sequences
 * [BOS?] r₁..r_N r₁..r_N of random tokens through the model, each head's stripe means averaged
 * over second-half queries, and the loss on each half (an induction circuit makes the second low).
 */
export interface InductionTestView extends WindowRef {
  readonly layers: number;
  readonly heads: number;
  /** N: the length of the repeated half. */
  readonly half: number;
  readonly batch: number;
  readonly bos: boolean;
  /** [batch · (BOS + 2N)] the sequences the model read. */
  readonly ids: Int32Array;
  /** [L·H] mean of A[q][q−N+1]: the token after the earlier copy. */
  readonly induction: Float32Array;
  /** [L·H] mean of A[q][q−N]: the earlier copy itself. */
  readonly duplicate: Float32Array;
  /** [L·H] mean of A[q][q−1]. */
  readonly previousToken: Float32Array;
  /** Mean surprisal of the first copy's predictions and of the second copy's, in nats. */
  readonly lossFirstHalf: number;
  readonly lossSecondHalf: number;
}

/**
 * What-if: this window against another side — an edited copy of the text (Compare with Edit) or
 * the same text under a second model (Compare with Checkpoint…) — for the query token: how each
 * head's attention row and each token's surprisal changed. Tokens are aligned (a token-level
 * diff for an edit, equal character spans for a second model); an unaligned token is new here.
 */
export interface WhatIf {
  readonly kind: 'edit' | 'checkpoint';
  /** What the other side is ("original of Untitled-2", "checkpoint step500.safetensors"). */
  readonly label: string;
  readonly layers: number;
  readonly heads: number;
  /** Tokens on the other side. */
  readonly otherLength: number;
  /** [W]: index of each window token's counterpart on the other side, −1 where it has none. */
  readonly aligned: Int32Array;
  /** The query's counterpart (−1: the query is new here, and only surprisal compares). */
  readonly otherQuery: number;
  /** [L·H]: total-variation distance between the query's attention row here and there (0 same, 1 disjoint); NaN without a counterpart. */
  readonly headDelta: Float32Array;
  /** [L·H·W]: weight here − weight there on each window key (0 there for a key without counterpart); NaN without a counterpart. */
  readonly rowDelta: Float32Array;
  /** [W] nats here, and there for each aligned token (NaN where none or for a first token). */
  readonly surprisal: Float32Array;
  readonly otherSurprisal: Float32Array;
  /** Mean surprisal of each side's own window. */
  readonly loss: number;
  readonly otherLoss: number;
}

/** The `compare` view: null while the document is compared with nothing. */
export interface ComparisonView extends WindowRef {
  readonly query: number;
  readonly comparison: WhatIf | null;
}

/**
 * A sequence classifier's reading of the window (BERT: the pooled [CLS] state through the
 * classifier, labels from config.json id2label). `labels` is empty for a model without a
 * classification head (the page then shows nothing).
 */
export interface SequenceClassificationView extends WindowRef {
  readonly labels: readonly string[];
  /** [labels] */
  readonly logits: Float32Array;
  /** [labels] softmax of the logits; for a single-label model (a reranker) the sigmoid of its one logit. */
  readonly probabilities: Float32Array;
  /** Index of the predicted label (−1 without a head). */
  readonly predicted: number;
}

/** The user's own head detector (protocol/headRules.ts) scored on every head of the window. */
export interface CustomHeadScores extends WindowRef {
  readonly detector: CustomDetector;
  readonly layers: number;
  readonly heads: number;
  /** [L·H] TransformerLens "mul" or "abs" score (detector.method) of each head against the rule's pattern for this window. */
  readonly scores: Float32Array;
  /** How many cells of the window's pattern are 1 (0: the rule marks nothing here, and every score says so). */
  readonly cells: number;
}

/** One view: what it depends on, what the engine sends the host, what the host sends the page. */
interface View<S extends ViewScope, Engine extends ScopedRef<S>, Page extends ScopedRef<S>> {
  readonly scope: S;
  readonly engine: Engine;
  readonly page: Page;
}

export interface DashboardViews {
  /** The selected head's matrix and the grid of every head, cut from one [L, H, W, W] block. */
  readonly matrix: View<'window', AttentionBlock, MatrixPayload>;
  readonly headStats: View<'window', HeadStats, HeadStats>;
  readonly rollout: View<'query', RolloutRow, RolloutRow>;
  readonly why: View<'head', WhyDetail, WhyDetail>;
  readonly surprisal: View<'window', TokenSurprisal, TokenSurprisal>;
  readonly lens: View<'query', LogitLensView, LogitLensView>;
  /** One forward per head: asked for only when the page asks (ON_DEMAND_VIEWS). */
  readonly ablation: View<'query', AblationSweepView, AblationSweepView>;
  /** Dozens of forward and backward passes: asked for only when the page asks. */
  readonly attribution: View<'query', AttributionView, AttributionView>;
  /** One max-flow per window token: asked for only when the page asks. */
  readonly flow: View<'query', FlowRowView, FlowRowView>;
  /** About the model, not the text (random tokens): asked for only when the page asks, held while the window stays. */
  readonly induction: View<'window', InductionTestView, InductionTestView>;
  /** What-if (Compare with Edit / with Checkpoint…): attention and surprisal differences at the query. */
  readonly compare: View<'query', ComparisonView, ComparisonView>;
  /** A classification checkpoint's predicted label and probabilities for the window. */
  readonly classification: View<'window', SequenceClassificationView, SequenceClassificationView>;
  /** The page's custom head detector: asked for only while the page has set one (DETECTOR_VIEWS), again for each window. */
  readonly customHeads: View<'window', CustomHeadScores, CustomHeadScores>;
}

export type ViewName = keyof DashboardViews;
export type EnginePayload<N extends ViewName> = DashboardViews[N]['engine'];
export type PagePayload<N extends ViewName> = DashboardViews[N]['page'];

export const VIEW_SCOPES: { readonly [N in ViewName]: DashboardViews[N]['scope'] } = {
  matrix: 'window',
  headStats: 'window',
  rollout: 'query',
  why: 'head',
  surprisal: 'window',
  lens: 'query',
  ablation: 'query',
  attribution: 'query',
  flow: 'query',
  induction: 'window',
  compare: 'query',
  classification: 'window',
  customHeads: 'window',
};

/**
 * Views too costly to compute for every cursor move: the host asks for them only when the page
 * does (`computeView`), for the question shown then; a new question forgets the answer.
 */
export const ON_DEMAND_VIEWS: ReadonlySet<ViewName> = new Set<ViewName>(['ablation', 'attribution', 'flow', 'induction']);

/**
 * Views about the page's custom head detector: the view request carries it (ViewQuestion's
 * `detector`), the host asks only while the page has set one, and a payload fits only the
 * detector it was computed for.
 */
export const DETECTOR_VIEWS: ReadonlySet<ViewName> = new Set<ViewName>(['customHeads']);

export const VIEW_NAMES = Object.keys(VIEW_SCOPES) as readonly ViewName[];

export function isViewName(v: unknown): v is ViewName {
  return typeof v === 'string' && Object.prototype.hasOwnProperty.call(VIEW_SCOPES, v);
}

/** The question every view answers: query token `token` (document index) of a document version, under the selected head. */
export interface ViewQuestion {
  readonly documentKey: string;
  readonly version: number;
  readonly token: number;
  readonly layer: number;
  readonly head: number;
  /** The custom head detector, for the DETECTOR_VIEWS (absent for the others). */
  readonly detector?: CustomDetector;
}

/** Whether a payload of view `name` answers the question (window-local `query`, selected head). */
export function payloadFits(
  name: ViewName,
  p: WindowRef & { readonly query?: number; readonly layer?: number; readonly head?: number },
  query: number,
  layer: number,
  head: number,
): boolean {
  const scope = VIEW_SCOPES[name];
  if (scope === 'window') return true;
  if (p.query !== query) return false;
  return scope === 'query' || (p.layer === layer && p.head === head);
}

export function sameWindow(a: WindowRef | null, b: WindowRef | null): boolean {
  return !!a && !!b && a.documentKey === b.documentKey && a.version === b.version && a.windowStart === b.windowStart && a.windowLength === b.windowLength;
}

export function windowOf(a: WindowRef): WindowRef {
  return { documentKey: a.documentKey, version: a.version, windowStart: a.windowStart, windowLength: a.windowLength };
}
