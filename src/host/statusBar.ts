/**
 * The status bar item: while training, step, loss and tokens/s; otherwise the active
 * model and the selected layer/head — or, with Mean/Max aggregation, the layer and the mode
 * ("L1 mean of 8 heads"). The tooltip says how peaked the shown row is and which tokens and
 * characters the context window of the cursor's query covers. Clicking it opens the dashboard.
 */

import * as vscode from 'vscode';
import { BUCKETS } from '../presentation/attentionView';
import { describeEntropy } from '../presentation/rowEntropy';
import { legendMarkdown } from '../presentation/weightPalette';
import type { ActiveModel } from './activeModel';
import type { AttentionHighlighter } from './attentionHighlighter';
import { onDidChangeSettings, readSettings } from './config';
import { headShown } from './headShown';
import type { TrainingRun } from './trainingRun';
import type { ShownWindow } from './windowBounds';
import type { ViewState } from './viewState';
import { tr } from './translate';

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('attentionLens.status', vscode.StatusBarAlignment.Right, 100);
  private readonly subscriptions: vscode.Disposable[] = [];
  private lastDraw = 0;

  constructor(
    private readonly model: ActiveModel,
    private readonly run: TrainingRun,
    private readonly view: ViewState,
    private readonly highlighter?: AttentionHighlighter,
  ) {
    this.item.name = 'Attention Lens';
    this.item.command = 'attentionLens.showDashboard';
    this.subscriptions.push(
      model.onDidChange(() => this.draw()),
      view.onDidChange(() => this.draw()),
      onDidChangeSettings(() => this.draw()),
      vscode.window.onDidChangeActiveColorTheme(() => this.draw()),
      run.onDidChange((e) => {
        // Steps can arrive many times a second: redraw at most 4 times a second.
        if (e.kind !== 'step' || Date.now() - this.lastDraw > 250) this.draw();
      }),
    );
    if (highlighter) this.subscriptions.push(highlighter.onDidUpdate(() => this.draw()));
    this.draw();
    this.item.show();
  }

  private draw(): void {
    this.lastDraw = Date.now();
    const snap = this.run.info();
    const last = this.run.lastStep;
    if (snap.status === 'running') {
      this.item.text = last
        ? `$(sync~spin) ${vscode.l10n.t('{0}/{1} · loss {2} · {3} tok/s', last.step, snap.totalSteps, last.loss.toFixed(3), Math.round(last.tokensPerSecond))}`
        : `$(sync~spin) ${vscode.l10n.t('Attention Lens: starting…')}`;
      this.item.tooltip = vscode.l10n.t('Training {0}. Click for the dashboard.', snap.label);
      return;
    }
    const info = this.model.info;
    if (!info) {
      this.item.text = '$(eye) Attention Lens';
      this.item.tooltip = vscode.l10n.t('No model yet: run "Attention Lens: Train on Current File" or "Load Checkpoint…".');
      return;
    }
    const s = readSettings();
    const shown = headShown(this.view.selection, s.attention.aggregation, info.heads);
    const entropy = this.highlighter?.shown?.entropy;
    this.item.text = `$(eye) ${shown.short}`;
    const sizes = vscode.l10n.t(
      '**Attention Lens** — {0}, {1} layers × {2} heads, {3} parameters',
      info.architecture,
      info.layers,
      info.heads,
      info.parameters.toLocaleString('en-US'),
    );
    const source = info.trainedSteps !== null ? vscode.l10n.t('{0} · {1} steps', info.source, info.trainedSteps) : info.source;
    const showing =
      entropy !== undefined && Number.isFinite(entropy)
        ? vscode.l10n.t('Showing {0}. Row entropy {1}.', shown.long, describeEntropy(entropy, tr))
        : vscode.l10n.t('Showing {0}.', shown.long);
    const tooltip = new vscode.MarkdownString(
      `${sizes}\n\n${source}\n\n${showing}` +
        windowLine(this.highlighter?.shown?.window) +
        ' ' +
        vscode.l10n.t('Click for the dashboard.') +
        '\n\n' +
        legendMarkdown({ ...s.attention, ...s.decorations }, themeWeightColors(), undefined, tr),
    );
    tooltip.supportHtml = true;
    this.item.tooltip = tooltip;
  }

  /** The tooltip's text (for tests: a status bar item cannot be read back through the API). */
  get tooltipText(): string {
    const t = this.item.tooltip;
    return typeof t === 'string' ? t : (t?.value ?? '');
  }

  dispose(): void {
    this.item.dispose();
    for (const d of this.subscriptions) d.dispose();
  }
}

/** Which part of the document the cursor's query is read in (its context window). */
function windowLine(w: ShownWindow | undefined): string {
  if (!w) return '';
  const whole = w.first === 0 && w.last === w.tokenCount - 1;
  if (whole) return '\n\n' + vscode.l10n.t('Context window: the whole document ({0} tokens).', w.tokenCount);
  return (
    '\n\n' +
    vscode.l10n.t(
      'Context window: tokens {0}–{1} of {2}, characters {3}–{4}; the query attends only within it. Windows are {5} tokens, {6} apart (attentionLens.attention.windowStride).',
      w.first,
      w.last,
      w.tokenCount,
      w.startChar,
      w.endChar,
      w.context,
      w.stride,
    )
  );
}

/** The contributed defaults of attentionLens.weight1…8 for the current theme kind (the legend's swatches for the theme palette). */
function themeWeightColors(): string[] {
  const kind = vscode.window.activeColorTheme.kind;
  const key =
    kind === vscode.ColorThemeKind.Light
      ? 'light'
      : kind === vscode.ColorThemeKind.HighContrast
        ? 'highContrast'
        : kind === vscode.ColorThemeKind.HighContrastLight
          ? 'highContrastLight'
          : 'dark';
  const colors = (
    vscode.extensions.getExtension('attention-lens.attention-lens')?.packageJSON as {
      contributes?: { colors?: { id: string; defaults: Record<string, string> }[] };
    }
  )?.contributes?.colors;
  return Array.from({ length: BUCKETS }, (_, i) => colors?.find((c) => c.id === `attentionLens.weight${i + 1}`)?.defaults[key] ?? '#808080');
}
