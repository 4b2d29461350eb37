/**
 * Attention rollout from the cursor token (Abnar & Zuidema): how much each token of the window
 * feeds the query's position at the top of the model, following attention and the residual
 * through every layer. The engine computes it (one O(L·n²) row); this view draws it as bars.
 * Beside it, on request, attention flow (the same graph read as max-flows: one per token, so
 * computed only when asked, with progress and Cancel) drawn under it on the same scale of tokens.
 */

import { formatWeight, topK } from '../src/presentation/attentionView';
import { rampIndex } from '../src/presentation/colorScale';
import { labelOf, selectWindowTokens } from './attentionCommon';
import { availableWidth, canvasPng, fitCanvas } from './canvas';
import { ActionSlot, computeButton, computing, queryIndex } from './debugCommon';
import { button, el, section, setNote } from './dom';
import type { Exporter } from './exporter';
import type { Store } from './store';
import type { Theme } from './theme';
import { t } from './l10n';

const H = 70;

export class RolloutView {
  readonly root: HTMLElement;
  private readonly canvas = el('canvas', { class: 'strip', attrs: { role: 'img', 'aria-label': t('Rollout relevance of each token') } });
  private readonly chips = el('div', { class: 'chips' });
  private readonly note: HTMLElement;
  private readonly flowCanvas = el('canvas', { class: 'strip', attrs: { role: 'img', 'aria-label': t('Attention flow to each token') } });
  private readonly flowAction = new ActionSlot(el('div', { class: 'ondemand' }));
  private readonly flowNote = el('p', { class: 'subtitle flow-note' });
  private readonly flowChips = el('div', { class: 'chips' });
  private cell = 1;

  constructor(
    private readonly store: Store,
    private theme: Theme,
    private readonly exporter: Exporter,
  ) {
    const s = section('rollout', t('Rollout from the cursor token'));
    this.root = s.root;
    this.note = s.note;
    s.tools.append(button('PNG', t('Save the rollout as PNG'), () => this.exporter.save('png', 'rollout.png', canvasPng(this.canvas, this.theme.background))));
    s.body.append(
      el('div', { class: 'canvas-box' }, this.canvas),
      this.chips,
      el('h3', { class: 'subhead', text: t('Attention flow') }),
      this.flowAction.root,
      this.flowNote,
      el('div', { class: 'canvas-box' }, this.flowCanvas),
      this.flowChips,
    );
    this.canvas.addEventListener('click', (e) => {
      const a = this.store.attention;
      const k = Math.floor(e.offsetX / this.cell);
      if (a && k >= 0 && k < a.windowLength) selectWindowTokens(a, k);
    });
  }

  setTheme(theme: Theme): void {
    this.theme = theme;
  }

  render(): void {
    this.renderFlow();
    const r = this.store.view('rollout');
    const a = this.store.attention;
    this.canvas.hidden = !r || !a;
    if (!r || !a) {
      this.chips.replaceChildren();
      const failed = this.store.unavailable('rollout');
      setNote(this.note, !a ? t('Rollout needs a cursor token.') : failed !== null ? t('No rollout for this token: {0}', failed) : t('Computing the rollout…'));
      return;
    }
    setNote(
      this.note,
      t('Relevance of each window token to token {0} after all {1} layers (heads averaged, residual included).', a.windowStart + r.query, r.layers),
    );
    const W = r.windowLength;
    const top = r.relevance.subarray((r.layers - 1) * W, r.layers * W);
    this.chips.replaceChildren(
      ...topK(top, 6).map((x) =>
        button(`${labelOf(a, x.index, 16)} ${formatWeight(x.weight)}`, t('Select it in the editor'), () => selectWindowTokens(a, x.index), 'chip'),
      ),
    );
    this.bars(this.canvas, top, W);
  }

  /** Bars of one value per window token, coloured on the theme's ramp, scaled to their maximum. */
  private bars(canvas: HTMLCanvasElement, values: Float32Array, W: number): void {
    const width = availableWidth(this.root.querySelector('.body') as HTMLElement);
    this.cell = Math.max(1, Math.min(28, width / W));
    const ctx = fitCanvas(canvas, width, H);
    const top = values;
    ctx.fillStyle = this.theme.background;
    ctx.fillRect(0, 0, width, H);
    let max = 0;
    for (const v of top) if (v > max) max = v;
    const ramp = this.theme.ramp;
    for (let k = 0; k < W; k++) {
      const i = rampIndex(top[k]!, 0, max || 1);
      const h = max > 0 ? (top[k]! / max) * (H - 4) : 0;
      ctx.fillStyle = `rgb(${ramp[i * 4]}, ${ramp[i * 4 + 1]}, ${ramp[i * 4 + 2]})`;
      ctx.fillRect(k * this.cell, H - h, Math.max(1, this.cell - 1), h);
    }
  }

  private renderFlow(): void {
    const a = this.store.attention;
    const f = this.store.view('flow');
    const shown = f && a && f.query === queryIndex(a) ? f : null;
    this.flowCanvas.hidden = !shown;
    this.flowChips.replaceChildren();
    if (!a) {
      this.flowNote.textContent = '';
      this.flowAction.show('none', () => null);
      return;
    }
    if (!shown) {
      const failed = this.store.unavailable('flow');
      const run = (label: string): HTMLButtonElement =>
        computeButton(this.store, 'flow', label, t('Max-flow from the query at the top layer to every token of the window (one max-flow per token)'), () =>
          this.render(),
        );
      if (failed !== null) {
        this.flowNote.textContent = t('No attention flow for this token: {0}', failed);
        this.flowAction.show(`retry ${failed}`, () => run(t('Try again')));
      } else if (this.store.requested('flow')) {
        this.flowNote.textContent = '';
        const c = computing(this.store, 'flow', t('Computing… one max-flow per token.'));
        this.flowAction.show(c.key, c.make);
      } else {
        this.flowNote.textContent = t(
          'Flow treats the layers as a network whose capacities are the attention weights (residual included) and measures how much can reach each token.',
        );
        this.flowAction.show('ask', () => run(t('Compute attention flow')));
      }
      return;
    }
    this.flowAction.show('none', () => null);
    this.flowNote.textContent = t(
      'Flow from token {0} at layer {1} to each token (normalised to sum 1), beside the rollout above.',
      a.windowStart + shown.query,
      shown.layers,
    );
    this.bars(this.flowCanvas, shown.flow, shown.windowLength);
    this.flowChips.replaceChildren(
      ...topK(shown.flow, 6).map((x) =>
        button(`${labelOf(a, x.index, 16)} ${formatWeight(x.weight)}`, t('Select it in the editor'), () => selectWindowTokens(a, x.index), 'chip'),
      ),
    );
  }
}
