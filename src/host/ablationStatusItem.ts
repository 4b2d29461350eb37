/**
 * The status bar's ablation item: shown while heads are ablated, it names them and gives the loss
 * of the cursor's context window (or the first one on screen) before and after; its tooltip is
 * the overlay's legend and a click clears the ablation.
 */

import * as vscode from 'vscode';
import { ablationLegend, formatHeads } from '../presentation/ablationScale';
import type { AblatedWindow } from '../protocol/workerProtocol';
import type { AblationDrawn, AblationOverlay } from './ablationOverlay';
import type { AttentionHighlighter } from './attentionHighlighter';
import { tr } from './translate';

/** The window the status bar speaks of: the one holding the cursor's query, else the first drawn. */
export function windowInView(drawn: AblationDrawn, queryWindowStart: number | null): AblatedWindow | undefined {
  return drawn.windows.find((w) => w.windowStart === queryWindowStart) ?? drawn.windows[0];
}

/** "2.31 → 2.87 nats (+0.56)". */
export function lossChange(w: AblatedWindow): string {
  const d = w.lossAfter - w.lossBefore;
  return vscode.l10n.t('{0} → {1} nats ({2})', w.lossBefore.toFixed(3), w.lossAfter.toFixed(3), `${d >= 0 ? '+' : '−'}${Math.abs(d).toFixed(3)}`);
}

export class AblationStatusItem implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('attentionLens.ablation', vscode.StatusBarAlignment.Right, 98);
  private readonly subscriptions: vscode.Disposable[] = [];
  /** What the item says now (for tests: a status bar cannot be read through the API). */
  text = '';

  constructor(
    private readonly overlay: AblationOverlay,
    private readonly highlighter: AttentionHighlighter,
  ) {
    this.item.name = 'Attention Lens ablation';
    this.item.command = 'attentionLens.clearAblation';
    this.subscriptions.push(
      overlay.onDidUpdate(() => this.draw()),
      overlay.onDidChange(() => this.draw()),
      highlighter.onDidUpdate(() => this.draw()),
    );
    this.draw();
  }

  private draw(): void {
    const ablation = this.overlay.ablation;
    if (!ablation) {
      this.text = '';
      this.item.hide();
      return;
    }
    const drawn = this.overlay.shown;
    const w = drawn ? windowInView(drawn, this.highlighter.shown?.result.windowStart ?? null) : undefined;
    const heads = formatHeads(ablation.heads);
    this.text = `$(debug-disconnect) ${w ? vscode.l10n.t('Ablated {0} · loss {1}', heads, lossChange(w)) : vscode.l10n.t('Ablated {0} · computing…', heads)}`;
    this.item.text = this.text;
    const legend = ablationLegend(tr)
      .map((l) => `- ${l}`)
      .join('\n');
    const where = w
      ? '\n\n' + vscode.l10n.t('Loss (mean surprisal) of tokens {0}–{1}: {2}.', w.windowStart, w.windowStart + w.windowLength - 1, lossChange(w))
      : '';
    const how = ablation.mode === 'zero' ? vscode.l10n.t('output zeroed') : vscode.l10n.t('output replaced by its mean');
    this.item.tooltip = new vscode.MarkdownString(
      vscode.l10n.t('**Heads {0} ablated** ({1}) — click to restore them.', heads, how) +
        where +
        '\n\n' +
        vscode.l10n.t('Tokens are outlined by how their surprisal changed:') +
        `\n\n${legend}`,
    );
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
    for (const d of this.subscriptions) d.dispose();
  }
}
