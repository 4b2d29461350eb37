/**
 * The status bar item: while training, step, loss and tokens/s; otherwise the active
 * model and the selected layer/head. Clicking it opens the dashboard.
 */

import * as vscode from 'vscode';
import type { ActiveModel } from './activeModel';
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
    this.item.tooltip = new vscode.MarkdownString(
      `**Attention Lens** — ${info.architecture}, ${info.layers} layers × ${info.heads} heads, ${info.parameters.toLocaleString('en-US')} parameters\n\n` +
        `${info.source}${info.trainedSteps !== null ? ` · ${info.trainedSteps} steps` : ''}\n\nShowing layer ${layer}, head ${head}. Click for the dashboard.`,
    );
  }

  dispose(): void {
    this.item.dispose();
    for (const d of this.subscriptions) d.dispose();
  }
}
