/**
 * The status bar item: while training, step, loss and tokens/s; otherwise the active
 * model and the selected layer/head. Clicking it opens the dashboard.
 */

import * as vscode from 'vscode';
import { BUCKETS } from '../presentation/attentionView';
import { legendMarkdown } from '../presentation/weightPalette';
import type { ActiveModel } from './activeModel';
import { onDidChangeSettings, readSettings } from './config';
import type { TrainingRun } from './trainingRun';
import type { ViewState } from './viewState';

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('attentionLens.status', vscode.StatusBarAlignment.Right, 100);
  private readonly subscriptions: vscode.Disposable[] = [];
  private lastDraw = 0;

  constructor(
    private readonly model: ActiveModel,
    private readonly run: TrainingRun,
    private readonly view: ViewState,
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
    this.draw();
    this.item.show();
  }

  private draw(): void {
    this.lastDraw = Date.now();
    const snap = this.run.info();
    const last = this.run.lastStep;
    if (snap.status === 'running') {
      this.item.text = last
        ? `$(sync~spin) ${last.step}/${snap.totalSteps} · loss ${last.loss.toFixed(3)} · ${Math.round(last.tokensPerSecond)} tok/s`
        : `$(sync~spin) Attention Lens: starting…`;
      this.item.tooltip = `Training ${snap.label}. Click for the dashboard.`;
      return;
    }
    const info = this.model.info;
    if (!info) {
      this.item.text = '$(eye) Attention Lens';
      this.item.tooltip = 'No model yet: run "Attention Lens: Train on Current File" or "Load Checkpoint…".';
      return;
    }
    const { layer, head } = this.view.selection;
    this.item.text = `$(eye) L${layer} H${head}`;
    const s = readSettings();
    const tooltip = new vscode.MarkdownString(
      `**Attention Lens** — ${info.architecture}, ${info.layers} layers × ${info.heads} heads, ${info.parameters.toLocaleString('en-US')} parameters\n\n` +
        `${info.source}${info.trainedSteps !== null ? ` · ${info.trainedSteps} steps` : ''}\n\nShowing layer ${layer}, head ${head}. Click for the dashboard.\n\n` +
        legendMarkdown({ ...s.attention, ...s.decorations }, themeWeightColors()),
    );
    tooltip.supportHtml = true;
    this.item.tooltip = tooltip;
  }

  dispose(): void {
    this.item.dispose();
    for (const d of this.subscriptions) d.dispose();
  }
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
