/**
 * Checks and copies what the engine sends before the dashboard holds it: the worker's
 * attentionRows reply becomes the page's QueryAttention, and each view's payload is checked
 * against the shape its own fields announce (a mismatch is a bug on the worker's side, shown as
 * the view's reason instead of a broken drawing). Typed arrays are copied, so a post never drags
 * along a larger buffer they might view. Pure (no VS Code), unit-tested.
 */

import { HEAD_KIND_NAMES, type HeadKindName } from '../../protocol/common';
import {
  windowOf,
  type AblationSweepView,
  type AttributionView,
  type CustomHeadScores,
  type FlowRowView,
  type HeadStats,
  type InductionTestView,
  type LogitLensView,
  type RolloutRow,
  type SequenceClassificationView,
  type TokenSurprisal,
  type WhyDetail,
} from '../../protocol/dashboardViews';
import type { QueryAttention } from '../../protocol/webviewProtocol';
import type { AttentionRows } from '../../protocol/workerProtocol';

/** A reply whose arrays do not have the shape its own fields announce (a bug on the worker's side). */
export class BadReplyError extends RangeError {
  constructor(what: string, length: number, expected: number, shape: string) {
    super(`the engine's ${what} has ${length} values; ${shape} needs ${expected}`);
    this.name = 'BadReplyError';
  }
}

function copyOf(what: string, a: Float32Array, expected: number, shape: string): Float32Array {
  if (a.length !== expected) throw new BadReplyError(what, a.length, expected, shape);
  return a.slice();
}

export function toQueryAttention(r: AttentionRows, documentName: string): QueryAttention {
  return {
    documentKey: r.documentKey,
    documentName,
    version: r.version,
    from: r.from,
    to: r.to,
    windowStart: r.windowStart,
    windowLength: r.windowLength,
    tokens: { first: r.window.first, ids: r.window.ids.slice(), starts: r.window.starts.slice(), ends: r.window.ends.slice(), labels: [...r.window.labels] },
    layers: r.layers,
    heads: r.heads,
    rows: r.rows.slice(),
    columns: r.columns.slice(),
    scores: r.scores.slice(),
    weighting: r.weighting,
  };
}

/** Per-head statistics, [L, H] each. */
export function checkedHeadStats(r: HeadStats): HeadStats {
  const n = r.layers * r.heads;
  const shape = `${r.layers} layers × ${r.heads} heads`;
  const scores = {} as Record<HeadKindName, Float32Array>;
  const absScores = {} as Record<HeadKindName, Float32Array>;
  for (const kind of HEAD_KIND_NAMES) scores[kind] = copyOf(`${kind} score`, r.scores[kind], n, shape);
  for (const kind of HEAD_KIND_NAMES) absScores[kind] = copyOf(`${kind} "abs" score`, r.absScores[kind], n, shape);
  return {
    ...windowOf(r),
    layers: r.layers,
    heads: r.heads,
    scores,
    absScores,
    entropy: copyOf('entropy', r.entropy, n, shape),
    keys50: copyOf('keys50', r.keys50, n, shape),
    keys90: copyOf('keys90', r.keys90, n, shape),
  };
}

/** The rollout of one query, [L, W]. */
export function checkedRolloutRow(r: RolloutRow): RolloutRow {
  const relevance = copyOf('rollout relevance', r.relevance, r.layers * r.windowLength, `${r.layers} layers × ${r.windowLength} tokens`);
  return { ...windowOf(r), query: r.query, layers: r.layers, relevance };
}

function checkedLabels(what: string, labels: readonly string[], expected: number, shape: string): string[] {
  if (labels.length !== expected) throw new BadReplyError(what, labels.length, expected, shape);
  return [...labels];
}

function copyInts(what: string, a: Int32Array, expected: number, shape: string): Int32Array {
  if (a.length !== expected) throw new BadReplyError(what, a.length, expected, shape);
  return a.slice();
}

/** Surprisal and predictions of every window token: [W], and [W·k] for the predictions. */
export function checkedSurprisal(r: TokenSurprisal): TokenSurprisal {
  const W = r.windowLength;
  const top = `${W} tokens × ${r.k} predictions`;
  return {
    ...windowOf(r),
    surprisal: copyOf('surprisal', r.surprisal, W, `${W} tokens`),
    loss: r.loss,
    k: r.k,
    topIds: copyInts('predicted ids', r.topIds, W * r.k, top),
    topProbs: copyOf('predicted probabilities', r.topProbs, W * r.k, top),
    topLabels: checkedLabels('predicted tokens', r.topLabels, W * r.k, top),
    nextRank: copyInts('next-token ranks', r.nextRank, W, `${W} tokens`),
    nextProb: copyOf('next-token probabilities', r.nextProb, W, `${W} tokens`),
  };
}

/** The logit lens: [L·k] predictions, [L] probabilities of the actual next token. */
export function checkedLens(r: LogitLensView): LogitLensView {
  const top = `${r.layers} layers × ${r.k} predictions`;
  return {
    ...windowOf(r),
    query: r.query,
    layers: r.layers,
    k: r.k,
    topIds: copyInts('lens ids', r.topIds, r.layers * r.k, top),
    topProbs: copyOf('lens probabilities', r.topProbs, r.layers * r.k, top),
    topLabels: checkedLabels('lens tokens', r.topLabels, r.layers * r.k, top),
    nextId: r.nextId,
    nextLabel: r.nextLabel,
    nextProbs: copyOf('next-token probabilities by layer', r.nextProbs, r.layers, `${r.layers} layers`),
  };
}

/** The ablation sweep: one effect per head, [L·H]. */
export function checkedAblation(r: AblationSweepView): AblationSweepView {
  const effects = copyOf('ablation effects', r.effects, r.layers * r.heads, `${r.layers} layers × ${r.heads} heads`);
  return { ...windowOf(r), query: r.query, layers: r.layers, heads: r.heads, targetId: r.targetId, targetLabel: r.targetLabel, logProb: r.logProb, effects };
}

/** The custom detector's score of every head, [L, H]. */
export function checkedCustomHeads(r: CustomHeadScores): CustomHeadScores {
  const scores = copyOf('custom detector scores', r.scores, r.layers * r.heads, `${r.layers} layers × ${r.heads} heads`);
  return { ...windowOf(r), detector: r.detector, layers: r.layers, heads: r.heads, scores, cells: r.cells };
}

/** Attribution: one value per window token up to the query. */
export function checkedAttribution(r: AttributionView): AttributionView {
  const attributions = copyOf('attributions', r.attributions, r.query + 1, `tokens 0..${r.query}`);
  return {
    ...windowOf(r),
    query: r.query,
    method: r.method,
    steps: r.steps,
    targetId: r.targetId,
    targetLabel: r.targetLabel,
    logProb: r.logProb,
    baselineLogProb: r.baselineLogProb,
    attributions,
    completenessGap: r.completenessGap,
  };
}

/** q, k, v and output of one head for one query. */
export function checkedWhyDetail(r: WhyDetail): WhyDetail {
  const hs = r.headSize;
  const keys = `${r.windowLength} keys × ${hs} dims`;
  return {
    ...windowOf(r),
    query: r.query,
    layer: r.layer,
    head: r.head,
    headSize: hs,
    q: copyOf('query vector', r.q, hs, `a head of ${hs} dims`),
    k: copyOf('key vectors', r.k, r.windowLength * hs, keys),
    v: copyOf('value vectors', r.v, r.windowLength * hs, keys),
    output: copyOf('head output', r.output, hs, `a head of ${hs} dims`),
  };
}

/** A classifier's reading: one logit and one probability per label, the prediction one of them (or −1 with no labels). */
export function checkedClassification(r: SequenceClassificationView): SequenceClassificationView {
  const n = r.labels.length;
  const labels = r.labels.map((l) => (typeof l === 'string' ? l : String(l)));
  const logits = copyOf('class logits', r.logits, n, `${n} labels`);
  const probabilities = copyOf('class probabilities', r.probabilities, n, `${n} labels`);
  if (!(Number.isInteger(r.predicted) && r.predicted >= (n ? 0 : -1) && r.predicted < Math.max(1, n) && (n > 0 || r.predicted === -1)))
    throw new BadReplyError('predicted label', r.predicted, n, `an index below ${n}`);
  return { ...windowOf(r), labels, logits, probabilities, predicted: r.predicted };
}

/** Attention flow from the query: one value per window token. */
export function checkedFlow(r: FlowRowView): FlowRowView {
  return { ...windowOf(r), query: r.query, layers: r.layers, flow: copyOf('attention flow', r.flow, r.windowLength, `${r.windowLength} tokens`) };
}

/** The repeated-random-tokens test: three stripe scores per head, [L·H]. */
export function checkedInduction(r: InductionTestView): InductionTestView {
  const n = r.layers * r.heads;
  const shape = `${r.layers} layers × ${r.heads} heads`;
  return {
    ...windowOf(r),
    layers: r.layers,
    heads: r.heads,
    half: r.half,
    batch: r.batch,
    bos: r.bos,
    ids: copyInts('test tokens', r.ids, r.batch * ((r.bos ? 1 : 0) + 2 * r.half), `${r.batch} sequences of ${(r.bos ? 1 : 0) + 2 * r.half} tokens`),
    induction: copyOf('induction stripe', r.induction, n, shape),
    duplicate: copyOf('duplicate stripe', r.duplicate, n, shape),
    previousToken: copyOf('previous-token stripe', r.previousToken, n, shape),
    lossFirstHalf: r.lossFirstHalf,
    lossSecondHalf: r.lossSecondHalf,
  };
}
