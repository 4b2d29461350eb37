/**
 * Hover on any token: its text and id, the tokens it attends to most (selected head and
 * the mean over heads), the attention it receives, and — for the token under the cursor's
 * query — the raw score q·k/√d behind the weight, so the "why" is one glance away.
 */

import * as vscode from 'vscode';
import { formatWeight, selectWeights, topK } from '../presentation/attentionView';
import { formatSurprisal } from '../presentation/surprisalScale';
import type { TokenSurprisal } from '../protocol/dashboardViews';
import type { ActiveModel } from './activeModel';
import { formatDelta, formatHeads } from '../presentation/ablationScale';
import type { AblatedWindow } from '../protocol/workerProtocol';
import type { AblationOverlay } from './ablationOverlay';
import { lossChange } from './ablationStatusItem';
import { MODE_NAMES, type AttentionHighlighter, type ShownAttention } from './attentionHighlighter';
import type { AttentionRows, AttentionService } from './attentionService';
import { readSettings } from './config';
import { isTextEditorWeWant } from './documentText';
import type { ViewState } from './viewState';

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
    const topKCount = readSettings().hover.topK;
    const { layer, head } = this.view.selection;
    const k = index - r.windowStart;
    const label = (i: number): string => code(r.window.labels[i] ?? '?');
    const md = new vscode.MarkdownString(undefined, true);
    md.supportHtml = false;
    md.isTrusted = false;
    md.appendMarkdown(`**Attention Lens** · token ${label(k)} · id ${r.window.ids[k]} · #${index}\n\n`);

    const headW = selectWeights(r.rows, r.layers, r.heads, r.windowLength, { layer, head, aggregation: 'head' });
    const meanW = selectWeights(r.rows, r.layers, r.heads, r.windowLength, { layer, head, aggregation: 'mean' });
    const top = topK(headW, topKCount);
    md.appendMarkdown(`Top ${top.length} attended (layer ${layer}, head ${head} · mean of ${r.heads} heads):\n\n`);
    md.appendMarkdown(`| # | token | where | head ${head} | mean |\n|---:|---|---|---:|---:|\n`);
    top.forEach((t, i) =>
      md.appendMarkdown(
        `| ${i + 1} | ${label(t.index)} | ${where(doc, r.window.starts[t.index]!, r.window.ends[t.index]!)} | ${formatWeight(t.weight)} | ${formatWeight(meanW[t.index]!)} |\n`,
      ),
    );
    const meanTop = topK(meanW, topKCount).map((t) => `${label(t.index)} ${formatWeight(t.weight)}`);
    md.appendMarkdown(`\nMean over heads, top ${meanTop.length}: ${meanTop.join(' · ')}\n\n`);

    // Attention received: how much the tokens that can see this one (the later ones, or every one in an encoder) attend to it.
    const causal = this.model.info?.causal !== false;
    const colHead = selectWeights(r.columns, r.layers, r.heads, r.windowLength, { layer, head, aggregation: 'head' });
    const from = causal ? k : 0;
    const seers = r.windowLength - from;
    let received = 0;
    for (let q = from; q < r.windowLength; q++) received += colHead[q]!;
    const who = causal ? `the ${seers} tokens from here to the end of its window` : `the ${seers} tokens of its window`;
    md.appendMarkdown(`Receives ${formatWeight(received / Math.max(1, seers))} on average from ${who} (head ${head}).\n\n`);

    // The why: the score behind the cursor query's weight on this token (a selection: the mean over its tokens, worker/attention.ts).
    const shown = this.highlighter.shown;
    if (shown && shown.result.documentKey === r.documentKey && shown.result.version === r.version && shown.result.windowStart === r.windowStart) {
      const q = shown.result;
      const base = (layer * q.heads + head) * q.windowLength + k;
      const score = q.scores[base] ?? -Infinity;
      if (score !== -Infinity || !causal) {
        const weight = q.rows[base]!;
        const n = q.to - q.from;
        const who = n === 1 ? `the query ${label(q.from - q.windowStart)}` : `the ${n} selected query tokens (mean over those that see it)`;
        const keys = this.model.info?.causal === false ? `all ${q.windowLength} keys of the window` : `the keys up to the query`;
        const gives =
          q.weighting === 'valueWeighted'
            ? `weighted by the size of its value, ‖α·v‖ = **${formatWeight(weight)}**`
            : `softmax over ${keys} gives **${formatWeight(weight)}**${n === 1 ? '' : ' (mean)'}`;
        md.appendMarkdown(`Why: ${who} scores this key q·k/√d = **${score.toFixed(4)}**; ${gives} (layer ${layer}, head ${head}).\n\n`);
      }
      describeMode(md, shown, k);
    }
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
  md.appendMarkdown(`\n\n---\n\n**Surprisal** of this token: ${formatSurprisal(s.surprisal[i] ?? NaN)}\n\n`);
  const shown = Math.min(k, s.k);
  const top: string[] = [];
  for (let j = 0; j < shown; j++) top.push(`${code(s.topLabels[i * s.k + j] ?? '?')} ${formatWeight(s.topProbs[i * s.k + j] ?? NaN)}`);
  md.appendMarkdown(`**Predicts next:** ${top.join(' · ')}\n\n`);
  const rank = s.nextRank[i] ?? 0;
  if (rank > 0) md.appendMarkdown(`What follows, ${code(nextLabel ?? '?')}, was ranked **${rank}** with p = ${formatWeight(s.nextProb[i] ?? NaN)}.\n\n`);
  else md.appendMarkdown('Nothing follows this token in its context window.\n\n');
}

/** Which highlights the editor shows, and in an attribution mode this token's share of the prediction. */
function describeMode(md: vscode.MarkdownString, shown: ShownAttention, k: number): void {
  const r = shown.result;
  const pin = shown.pinned ? ' (query pinned)' : '';
  if (shown.attribution) {
    const a = shown.attribution;
    const x = a.attributions[k];
    const of = `log p(${code(a.targetLabel)}) after token #${r.windowStart + a.query}`;
    md.appendMarkdown(
      `Highlights: **${MODE_NAMES[shown.mode]}** of ${of}${pin}` +
        (x === undefined
          ? '; this token comes after it.\n\n'
          : `: this token ${x >= 0 ? 'supports' : 'works against'} it, **${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(4)}**.\n\n`),
    );
    return;
  }
  const weighing = r.weighting === 'valueWeighted' ? 'value-weighted attention ‖α·v‖' : 'attention weights α';
  md.appendMarkdown(`Highlights: **${weighing}**${pin}.\n\n`);
}

/** This token's surprisal with the ablated heads switched off, and its window's loss before and after. */
function describeAblation(md: vscode.MarkdownString, a: AblatedWindow, k: number): void {
  const before = a.surprisalBefore[k] ?? NaN;
  const after = a.surprisalAfter[k] ?? NaN;
  const token = Number.isFinite(before)
    ? `${before.toFixed(2)} → ${after.toFixed(2)} nats, ${formatDelta(after - before)}`
    : 'not predicted (the first token of its window)';
  md.appendMarkdown(`\n\n---\n\n**Heads ${formatHeads(a.heads)} ablated** (${a.mode}): surprisal ${token}; window loss ${lossChange(a)}.\n\n`);
}

/**
 * Where a token is, for people: its line and the characters around it with the token in
 * brackets, so that the many `e`s of a character model can be told apart.
 */
function where(doc: vscode.TextDocument, start: number, end: number): string {
  if (end <= start) return 'start';
  const pos = doc.positionAt(start);
  const line = doc.lineAt(pos.line).text;
  const from = pos.character;
  const to = Math.min(line.length, from + (end - start));
  const before = line.slice(Math.max(0, from - 10), from);
  const after = line.slice(to, to + 10);
  return `line ${pos.line + 1}: ${code(`${before}[${line.slice(from, to)}]${after}`)}`;
}

/** Inline code that survives backticks and newlines in token text. */
function code(text: string): string {
  const visible = JSON.stringify(text).slice(1, -1);
  return visible.includes('`') ? `\`\` ${visible} \`\`` : `\`${visible}\``;
}
