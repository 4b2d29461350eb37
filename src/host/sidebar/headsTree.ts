/**
 * The sidebar's "Layers and Heads" view: every layer of the active model, and under it every
 * head with the kind it scores highest on (previous token, duplicate, induction, first token,
 * current token; TransformerLens's score, ANALYSIS.md) over the context window at the active
 * editor's cursor — the worker's `headStats` view, the dashboard's numbers. Clicking a head
 * selects it for the editor's highlights; its context menu shows it in the dashboard. Scores
 * are fetched only while the view is visible, after the cursor or the text rests.
 */

import * as vscode from 'vscode';
import { commandEditor } from '../commandEditor';
import { HEAD_KIND_NAMES, type HeadKindName } from '../../protocol/common';
import type { HeadStats } from '../../protocol/dashboardViews';
import type { ActiveModel } from '../activeModel';
import type { AttentionService } from '../attentionService';
import { documentLength } from '../documentText';
import type { EngineClient } from '../engineClient';
import type { ViewState } from '../viewState';

export type HeadNode = { readonly kind: 'layer'; readonly layer: number } | { readonly kind: 'head'; readonly layer: number; readonly head: number };

const KIND_ICON: Record<HeadKindName, string> = {
  previous_token: 'arrow-left',
  duplicate_token: 'copy',
  induction: 'debug-step-over',
  first_token: 'debug-step-back',
  current_token: 'circle-small-filled',
};

/** A head kind's name in the display language (a function: vscode.l10n answers once the extension is activating). */
function kindLabel(kind: HeadKindName): string {
  switch (kind) {
    case 'previous_token':
      return vscode.l10n.t('previous token');
    case 'duplicate_token':
      return vscode.l10n.t('duplicate token');
    case 'induction':
      return vscode.l10n.t('induction');
    case 'first_token':
      return vscode.l10n.t('first token');
    case 'current_token':
      return vscode.l10n.t('current token');
  }
}
/** Below this no kind describes the head (the detectors' scores are fractions of attention, ANALYSIS.md). */
export const CLEAR_SCORE = 0.3;

/** The kind head (layer, head) scores highest on, or null under CLEAR_SCORE. */
export function headKind(stats: HeadStats, layer: number, head: number): { kind: HeadKindName; score: number } | null {
  const i = layer * stats.heads + head;
  let best: { kind: HeadKindName; score: number } | null = null;
  for (const kind of HEAD_KIND_NAMES) {
    const s = stats.scores[kind][i];
    if (s !== undefined && Number.isFinite(s) && (!best || s > best.score)) best = { kind, score: s };
  }
  return best && best.score >= CLEAR_SCORE ? best : null;
}

export class HeadsTree implements vscode.TreeDataProvider<HeadNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<HeadNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  /** The last scores and what they were computed for (a document and its window). */
  stats: HeadStats | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private visible = false;
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly scored = new vscode.EventEmitter<HeadStats | null>();
  /** Fires after new scores arrived (tests wait on it). */
  readonly onDidScore = this.scored.event;

  constructor(
    private readonly client: EngineClient,
    private readonly attention: AttentionService,
    private readonly model: ActiveModel,
    private readonly view: ViewState,
  ) {
    this.subscriptions.push(
      model.onDidChange(() => {
        this.stats = null;
        this.changed.fire(undefined);
        this.schedule();
      }),
      view.onDidChange(() => this.changed.fire(undefined)),
      vscode.window.onDidChangeTextEditorSelection(() => this.schedule()),
      vscode.window.onDidChangeActiveTextEditor(() => this.schedule()),
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document === commandEditor()?.document) this.schedule();
      }),
    );
  }

  /** The tree view, so scores are fetched only while it is visible. */
  attach(tree: vscode.TreeView<HeadNode>): void {
    this.visible = tree.visible;
    this.subscriptions.push(
      tree.onDidChangeVisibility((e) => {
        this.visible = e.visible;
        if (e.visible) this.schedule();
      }),
    );
    this.schedule();
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.score(), 400);
  }

  /** Asks the worker for the head scores of the cursor's window in the active editor. */
  async score(): Promise<void> {
    // The file beside a focused dashboard or sidebar too (commandEditor.ts).
    const editor = commandEditor();
    if (!this.visible || !this.model.info || !editor || documentLength(editor.document) === 0) return;
    const doc = editor.document;
    const offset = doc.offsetAt(editor.selection.active);
    try {
      const tokens = await this.attention.tokensFor(doc, [{ start: offset, end: offset }]);
      if (!tokens || tokens.tokenCount === 0) return;
      const token = Math.max(0, Math.min(tokens.tokenAt(offset), tokens.tokenCount - 1));
      const reply = await this.client.call({
        type: 'view',
        view: 'headStats',
        documentKey: doc.uri.toString(),
        version: doc.version,
        token,
        layer: 0,
        head: 0,
      });
      if (reply.view !== 'headStats' || reply.payload.version !== doc.version) return;
      this.stats = reply.payload;
      this.changed.fire(undefined);
      this.scored.fire(this.stats);
    } catch {
      // A model without a tokenizer, a document changed meanwhile: the tree keeps its layers and heads without scores.
    }
  }

  getChildren(element?: HeadNode): HeadNode[] {
    const info = this.model.info;
    if (!info) return [];
    if (!element) return Array.from({ length: info.layers }, (_, layer) => ({ kind: 'layer', layer }));
    if (element.kind === 'layer') return Array.from({ length: info.heads }, (_, head) => ({ kind: 'head', layer: element.layer, head }));
    return [];
  }

  getTreeItem(node: HeadNode): vscode.TreeItem {
    const sel = this.view.selection;
    if (node.kind === 'layer') {
      const item = new vscode.TreeItem(
        vscode.l10n.t('Layer {0}', node.layer),
        sel.layer === node.layer ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed,
      );
      item.id = `layer-${node.layer}`;
      item.iconPath = new vscode.ThemeIcon('layers');
      const kinds = this.stats ? Array.from({ length: this.model.info?.heads ?? 0 }, (_, h) => headKind(this.stats!, node.layer, h)).filter((k) => k) : [];
      item.description = kinds.length ? [...new Set(kinds.map((k) => kindLabel(k!.kind)))].join(', ') : undefined;
      return item;
    }
    const selected = sel.layer === node.layer && sel.head === node.head;
    const kind = this.stats ? headKind(this.stats, node.layer, node.head) : null;
    const item = new vscode.TreeItem(vscode.l10n.t('Head {0}', node.head));
    item.id = `head-${node.layer}-${node.head}`;
    const what = kind ? `${kindLabel(kind.kind)} ${kind.score.toFixed(2)}` : this.stats ? vscode.l10n.t('no clear pattern') : '';
    item.description = selected ? (what ? vscode.l10n.t('{0} · shown', what) : vscode.l10n.t('shown')) : what;
    item.iconPath = new vscode.ThemeIcon(kind ? KIND_ICON[kind.kind] : 'circle-outline', selected ? new vscode.ThemeColor('charts.orange') : undefined);
    item.tooltip = this.tooltip(node);
    item.contextValue = 'attentionLens.head';
    item.command = { command: 'attentionLens.selectHead', title: vscode.l10n.t('Show This Head'), arguments: [{ layer: node.layer, head: node.head }] };
    return item;
  }

  private tooltip(node: { layer: number; head: number }): vscode.MarkdownString {
    const md = new vscode.MarkdownString(`**${vscode.l10n.t('Layer {0} · Head {1}', node.layer, node.head)}**\n\n`);
    if (!this.stats) return md.appendText(vscode.l10n.t('Scores appear for the window at the cursor of a text editor.'));
    const i = node.layer * this.stats.heads + node.head;
    md.appendMarkdown(`| ${vscode.l10n.t('kind')} | ${vscode.l10n.t('score')} |\n|---|---:|\n`);
    for (const k of HEAD_KIND_NAMES) md.appendMarkdown(`| ${kindLabel(k)} | ${(this.stats.scores[k][i] ?? NaN).toFixed(3)} |\n`);
    const last = this.stats.windowStart + this.stats.windowLength - 1;
    md.appendMarkdown('\n' + vscode.l10n.t("Over tokens {0}–{1} of the active editor's document.", this.stats.windowStart, last));
    return md;
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.changed.dispose();
    this.scored.dispose();
    for (const d of this.subscriptions) d.dispose();
  }
}
