/**
 * Hover on any token: its text and id; first — for the token under the cursor's query — the
 * raw score q·k/√d behind the weight, so the "why" is one glance away; then the tokens it
 * attends to most, ranked by what the highlights show (the selected head, or the mean/max over
 * heads, named as such), how peaked that row is, and the attention it receives.
 */

import * as vscode from 'vscode';
import { formatWeight, selectWeights, topK } from '../presentation/attentionView';
import { describeEntropy, normalizedEntropy } from '../presentation/rowEntropy';
import { formatSurprisal } from '../presentation/surprisalScale';
import { markdownCode, tokenInContext } from '../presentation/tokenContext';
import { tokenLabel } from '../presentation/tokenLabel';
import type { TokenSurprisal } from '../protocol/dashboardViews';
import type { ActiveModel } from './activeModel';
import { formatDelta, formatHeads } from '../presentation/ablationScale';
import type { AblatedWindow } from '../protocol/workerProtocol';
import type { AblationOverlay } from './ablationOverlay';
import { lossChange } from './ablationStatusItem';
import type { AttentionHighlighter, ShownAttention } from './attentionHighlighter';
import { modeName } from './highlightQuery';
import type { AttentionRows, AttentionService } from './attentionService';
import { readSettings } from './config';
import { isTextEditorWeWant } from './documentText';
import { headShown } from './headShown';
import type { ViewState } from './viewState';
import { tr } from './translate';

export class AttentionHoverProvider implements vscode.HoverProvider {
  constructor(
    private readonly service: AttentionService,
    private readonly model: ActiveModel,
    private readonly view: ViewState,
    private readonly highlighter: AttentionHighlighter,
    private readonly ablation?: AblationOverlay,
  ) {}

  async provideHover(doc: vscode.TextDocument, position: vscode.Position, cancel: vscode.CancellationToken): Promise<vscode.Hover | undefined> {
    if (!this.model.info || !readSettings().decorations.enabled) return undefined;
    if (vscode.window.activeTextEditor?.document === doc && !isTextEditorWeWant(vscode.window.activeTextEditor)) return undefined;
    const offset = doc.offsetAt(position);
    const version = doc.version;
    const tokens = await this.service.tokensFor(doc, [{ start: offset, end: offset + 1 }]).catch(() => null);
    if (!tokens || cancel.isCancellationRequested) return undefined;
    const index = tokens.tokenAt(offset);
    if (index < 0) return undefined;
    const own = await this.service.attention(doc, version, index, index + 1).catch(() => null);
    if (!own || cancel.isCancellationRequested) return undefined;
    const md = this.describe(own, index, doc);
    const predicted = await this.service.surprisal(doc, version, index).catch(() => null);
    if (cancel.isCancellationRequested) return undefined;
    const nextLabel = own.window.labels[index + 1 - own.windowStart] ?? null;
    if (predicted) describePredictions(md, predicted, index, nextLabel, readSettings().hover.topK);
    const k = index - own.windowStart;
    const start = doc.positionAt(own.window.starts[k]!);
    const end = doc.positionAt(own.window.ends[k]!);
    return new vscode.Hover(md, new vscode.Range(start, end));
  }

  private describe(r: AttentionRows, index: number, doc: vscode.TextDocument): vscode.MarkdownString {
    const settings = readSettings();
    const topKCount = settings.hover.topK;
    const { layer, head } = this.view.selection;
    const aggregation = settings.attention.aggregation;
    const named = headShown(this.view.selection, aggregation, r.heads);
    const k = index - r.windowStart;
    const label = (i: number): string => code(r.window.labels[i] ?? '?');
    const md = new vscode.MarkdownString(undefined, true);
    md.supportHtml = false;
    md.isTrusted = false;
    md.appendMarkdown(vscode.l10n.t('**Attention Lens** · token {0} · id {1} · #{2}', label(k), r.window.ids[k]!, index) + '\n\n');
    const causal = this.model.info?.causal !== false;

    // The why first (above the fold): the score behind the cursor query's weight on this token (a selection: the mean over its tokens, worker/attention.ts).
    const shown = this.highlighter.shown;
    if (shown && shown.result.documentKey === r.documentKey && shown.result.version === r.version && shown.result.windowStart === r.windowStart) {
      const q = shown.result;
      const base = (layer * q.heads + head) * q.windowLength + k;
      const score = q.scores[base] ?? -Infinity;
      if (score !== -Infinity || !causal) {
        const weight = q.rows[base]!;
        const n = q.to - q.from;
        const s = score.toFixed(4);
        const w = formatWeight(weight);
        const who =
          n > 1
            ? vscode.l10n.t('the {0} selected query tokens score this token, as a key, q·k/√d = **{1}** (mean over those that see it)', n, s)
            : index === q.from
              ? vscode.l10n.t("this token is the cursor's query; as a key of its own query it scores q·k/√d = **{0}**", s)
              : vscode.l10n.t("the cursor's query {0} (#{1}) scores this token, as a key, q·k/√d = **{2}**", label(q.from - q.windowStart), q.from, s);
        const gives =
          q.weighting === 'valueWeighted'
            ? vscode.l10n.t('weighted by the size of its value, ‖α·v‖ = **{0}**', w)
            : !causal
              ? vscode.l10n.t('softmax over all {0} keys of the window gives **{1}**', q.windowLength, w)
              : n === 1
                ? vscode.l10n.t('softmax over the {0} keys up to the query gives **{1}**', q.from - q.windowStart + 1, w)
                : vscode.l10n.t('softmax over the keys up to each query gives **{0}** (mean)', w);
        const where =
          aggregation === 'head'
            ? vscode.l10n.t('layer {0}, head {1}', layer, head)
            : vscode.l10n.t(
                'layer {0}, head {1} — scores are per head; the highlights show the {2} of {3} heads',
                layer,
                head,
                aggregation === 'mean' ? vscode.l10n.t('mean') : vscode.l10n.t('max'),
                q.heads,
              );
        md.appendMarkdown(vscode.l10n.t('Why: {0}; {1} ({2}).', who, gives, where) + '\n\n');
      }
      describeMode(md, shown, k);
    }

    // This token as a query: its row under what the highlights show (the head, or the mean/max over heads).
    const excluded = settings.attention.excludeFirstToken ? 0 : -1;
    const shownW = selectWeights(r.rows, r.layers, r.heads, r.windowLength, { layer, head, aggregation });
    const meanW = selectWeights(r.rows, r.layers, r.heads, r.windowLength, { layer, head, aggregation: 'mean' });
    const top = topK(shownW, topKCount);
    md.appendMarkdown(vscode.l10n.t('Top {0} attended, ranked by {1}:', top.length, named.long) + '\n\n');
    const second = aggregation === 'mean' ? '' : ` ${vscode.l10n.t('mean')} |`;
    md.appendMarkdown(
      `| # | ${vscode.l10n.t('token')} | ${vscode.l10n.t('where')} | ${named.column} |${second}\n|---:|---|---|---:|${second ? '---:|' : ''}\n`,
    );
    top.forEach((t, i) =>
      md.appendMarkdown(
        `| ${i + 1} | ${cell(r.window.labels[t.index] ?? '?')} | ${where(doc, r.window.starts[t.index]!, r.window.ends[t.index]!)} | ${formatWeight(t.weight)} |${second ? ` ${formatWeight(meanW[t.index]!)} |` : ''}\n`,
      ),
    );
    md.appendMarkdown('\n' + vscode.l10n.t('How peaked this row is: entropy {0}.', describeEntropy(normalizedEntropy(shownW, excluded), tr)) + '\n\n');
    if (aggregation === 'head') {
      const meanTop = topK(meanW, topKCount).map((t) => `${label(t.index)} ${formatWeight(t.weight)}`);
      md.appendMarkdown(vscode.l10n.t('Mean over heads, top {0}: {1}', meanTop.length, meanTop.join(' · ')) + '\n\n');
    }

    // Attention received: how much the tokens that can see this one (the later ones, or every one in an encoder) attend to it.
    const colShown = selectWeights(r.columns, r.layers, r.heads, r.windowLength, { layer, head, aggregation });
    const from = causal ? k : 0;
    const seers = r.windowLength - from;
    let received = 0;
    for (let q = from; q < r.windowLength; q++) received += colShown[q]!;
    const average = formatWeight(received / Math.max(1, seers));
    const receives =
      seers === 1
        ? // The last token of a causal window: only it can see itself.
          vscode.l10n.t('Receives {0} from itself, the last token of its window ({1}).', average, named.long)
        : causal
          ? vscode.l10n.t('Receives {0} on average from the {1} tokens from here to the end of its window ({2}).', average, seers, named.long)
          : vscode.l10n.t('Receives {0} on average from the {1} tokens of its window ({2}).', average, seers, named.long);
    md.appendMarkdown(receives + '\n\n');

    const ablated = this.ablation?.ablation;
    const held = ablated ? this.service.heldAblation(doc, index, ablated.heads, ablated.mode) : undefined;
    if (ablated && held) describeAblation(md, held, k);
    return md;
  }
}

/**
 * What the model makes of this token and what it expects next: the token's surprisal, the top
 * predictions for the next token with their probabilities, and the rank and probability of the
 * token that actually follows.
 */
function describePredictions(md: vscode.MarkdownString, s: TokenSurprisal, index: number, nextLabel: string | null, k: number): void {
  const i = index - s.windowStart;
  if (i < 0 || i >= s.windowLength) return;
  md.appendMarkdown('\n\n---\n\n' + vscode.l10n.t('**Surprisal** of this token: {0}', formatSurprisal(s.surprisal[i] ?? NaN, tr)) + '\n\n');
  const shown = Math.min(k, s.k);
  const top: string[] = [];
  for (let j = 0; j < shown; j++) top.push(`${code(s.topLabels[i * s.k + j] ?? '?')} ${formatWeight(s.topProbs[i * s.k + j] ?? NaN)}`);
  md.appendMarkdown(vscode.l10n.t('**Predicts next:** {0}', top.join(' · ')) + '\n\n');
  const rank = s.nextRank[i] ?? 0;
  if (rank > 0) {
    md.appendMarkdown(
      vscode.l10n.t('What follows, {0}, was ranked **{1}** with p = {2}.', code(nextLabel ?? '?'), rank, formatWeight(s.nextProb[i] ?? NaN)) + '\n\n',
    );
  } else md.appendMarkdown(vscode.l10n.t('Nothing follows this token in its context window.') + '\n\n');
}

/** Which highlights the editor shows, and in an attribution mode this token's share of the prediction. */
function describeMode(md: vscode.MarkdownString, shown: ShownAttention, k: number): void {
  const r = shown.result;
  if (shown.attribution) {
    const a = shown.attribution;
    const x = a.attributions[k];
    const of = vscode.l10n.t('log p({0}) after token #{1}', code(a.targetLabel), r.windowStart + a.query);
    const what = shown.pinned
      ? vscode.l10n.t('Highlights: **{0}** of {1} (query pinned)', modeName(shown.mode), of)
      : vscode.l10n.t('Highlights: **{0}** of {1}', modeName(shown.mode), of);
    const share = x === undefined ? '' : `**${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(4)}**`;
    md.appendMarkdown(
      (x === undefined
        ? vscode.l10n.t('{0}; this token comes after it.', what)
        : x >= 0
          ? vscode.l10n.t('{0}: this token supports it, {1}.', what, share)
          : vscode.l10n.t('{0}: this token works against it, {1}.', what, share)) + '\n\n',
    );
    return;
  }
  const weighing = r.weighting === 'valueWeighted' ? vscode.l10n.t('value-weighted attention ‖α·v‖') : vscode.l10n.t('attention weights α');
  md.appendMarkdown((shown.pinned ? vscode.l10n.t('Highlights: **{0}** (query pinned).', weighing) : vscode.l10n.t('Highlights: **{0}**.', weighing)) + '\n\n');
}

/** This token's surprisal with the ablated heads switched off, and its window's loss before and after. */
function describeAblation(md: vscode.MarkdownString, a: AblatedWindow, k: number): void {
  const before = a.surprisalBefore[k] ?? NaN;
  const after = a.surprisalAfter[k] ?? NaN;
  const token = Number.isFinite(before)
    ? vscode.l10n.t('{0} → {1} nats, {2}', before.toFixed(2), after.toFixed(2), formatDelta(after - before, tr))
    : vscode.l10n.t('not predicted (the first token of its window)');
  const mode = a.mode === 'mean' ? vscode.l10n.t('mean') : vscode.l10n.t('zero');
  md.appendMarkdown(
    '\n\n---\n\n' + vscode.l10n.t('**Heads {0} ablated** ({1}): surprisal {2}; window loss {3}.', formatHeads(a.heads), mode, token, lossChange(a)) + '\n\n',
  );
}

/**
 * Where a token is, for people: its line and the characters around it with the token in
 * brackets, so that the many `e`s of a character model can be told apart (tokenContext.ts).
 */
function where(doc: vscode.TextDocument, start: number, end: number): string {
  if (end <= start) return vscode.l10n.t('start');
  const first = doc.positionAt(start).line;
  const last = doc.positionAt(end).line;
  const lines = new vscode.Range(first, 0, last, doc.lineAt(last).range.end.character);
  const offset = doc.offsetAt(lines.start);
  return vscode.l10n.t('line {0}: {1}', first + 1, markdownCode(tokenInContext(doc.getText(lines), start - offset, end - offset), true));
}

/** A token as inline code in a table cell, labelled as the dashboard labels it (tokenLabel.ts: "·" for a space, "↵" for a newline). */
function cell(text: string): string {
  return markdownCode(tokenLabel(text, 24), true);
}

/** A token as inline code in running text. */
function code(text: string): string {
  return markdownCode(tokenLabel(text, 24));
}
