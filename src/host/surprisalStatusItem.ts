/**
 * The status bar's surprisal toggle: shown while a model is active, it says whether the
 * surprisal overlay is on, toggles it on a click, and its tooltip is the overlay's legend
 * (what each underline colour means, in nats and in probability).
 */

import * as vscode from 'vscode';
import { surprisalLegend } from '../presentation/surprisalScale';
import type { ActiveModel } from './activeModel';
import { onDidChangeSettings, readSettings } from './config';
import { tr } from './translate';

export class SurprisalStatusItem implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('attentionLens.surprisal', vscode.StatusBarAlignment.Right, 99);
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly model: ActiveModel) {
    this.item.name = 'Attention Lens surprisal';
    this.item.command = 'attentionLens.toggleSurprisal';
    this.subscriptions.push(
      model.onDidChange(() => this.draw()),
      onDidChangeSettings(() => this.draw()),
    );
    this.draw();
  }

  private draw(): void {
    if (!this.model.info) {
      this.item.hide();
      return;
    }
    const on = readSettings().surprisal.overlay;
    this.item.text = `${on ? '$(pulse)' : '$(circle-slash)'} ${vscode.l10n.t('Surprisal')}`;
    const legend = surprisalLegend(tr)
      .map((line) => `- ${line}`)
      .join('\n');
    this.item.tooltip = new vscode.MarkdownString(
      (on ? vscode.l10n.t('**Surprisal overlay: on** — click to turn it off.') : vscode.l10n.t('**Surprisal overlay: off** — click to turn it on.')) +
        '\n\n' +
        vscode.l10n.t('Each visible token is underlined by −ln p(token | the tokens before it in its context window), weak to strong:') +
        `\n\n${legend}\n\n` +
        vscode.l10n.t('The first token of each window is not predicted and is left plain.'),
    );
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
    for (const d of this.subscriptions) d.dispose();
  }
}
