/**
 * The status bar item: while training, step, loss and tokens/s; otherwise the active
 * model and the selected layer/head — or, with Mean/Max aggregation, the layer and the mode
 * ("L1 mean of 8 heads"). The tooltip says how peaked the shown row is. Clicking it opens the
 * dashboard.
 */

import * as vscode from 'vscode';
import { describeEntropy } from '../presentation/rowEntropy';
import type { ActiveModel } from './activeModel';
import type { AttentionHighlighter } from './attentionHighlighter';
import { onDidChangeSettings, readSettings } from './config';
import { headShown } from './headShown';
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
    private readonly highlighter?: AttentionHighlighter,
  ) {
    this.item.name = 'Attention Lens';
    this.item.command = 'attentionLens.showDashboard';
    this.subscriptions.push(
      model.onDidChange(() => this.draw()),
      view.onDidChange(() => this.draw()),
      onDidChangeSettings(() => this.draw()),
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
    const shown = headShown(this.view.selection, readSettings().attention.aggregation, info.heads);
    const entropy = this.highlighter?.shown?.entropy;
    this.item.text = `$(eye) ${shown.short}`;
    this.item.tooltip = new vscode.MarkdownString(
      `**Attention Lens** — ${info.architecture}, ${info.layers} layers × ${info.heads} heads, ${info.parameters.toLocaleString('en-US')} parameters\n\n` +
        `${info.source}${info.trainedSteps !== null ? ` · ${info.trainedSteps} steps` : ''}\n\nShowing ${shown.long}.` +
        `${entropy !== undefined && Number.isFinite(entropy) ? ` Row entropy ${describeEntropy(entropy)}.` : ''} Click for the dashboard.`,
    );
  }

  dispose(): void {
    this.item.dispose();
    for (const d of this.subscriptions) d.dispose();
  }
}
