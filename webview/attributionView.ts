/**
 * Attribution of the prediction at the cursor token to the window's tokens, on demand
 * (integrated gradients: dozens of forward and backward passes). One bar per token up to the
 * query, up (blue) where the token supports the predicted token and down (red) where it works
 * against it, with the target, log p against the all-zero-embedding baseline, the sum of the
 * attributions and the completeness gap; the strongest tokens are chips that select them.
 */

import { topK } from '../src/presentation/attentionView';
import { csv, exportJson } from '../src/presentation/exportData';
import type { AttributionView as Attribution } from '../src/protocol/dashboardViews';
import { labelOf, selectWindowTokens } from './attentionCommon';
import { availableWidth, canvasPng, fitCanvas } from './canvas';
import { ActionSlot, computeButton, computing, maxAbs, num, queryIndex, signedNats, vocabLabel } from './debugCommon';
import { button, el, section, setNote } from './dom';
import type { Exporter } from './exporter';
import type { Store } from './store';
import type { Theme } from './theme';
import { t } from './l10n';

const H = 110;
const LEFT = 4;

export class AttributionView {
  readonly root: HTMLElement;
  private readonly action = new ActionSlot(el('div', { class: 'ondemand' }));
  private readonly intro = el('p', { class: 'subtitle' });
  private readonly canvas = el('canvas', { class: 'strip', attrs: { role: 'img', 'aria-label': t('Attribution of each token') } });
  private readonly totals = el('p', { class: 'totals' });
  private readonly hover = el('div', { class: 'hoverinfo', attrs: { 'aria-live': 'polite' } });
  private readonly chips = el('div', { class: 'chips' });
  private readonly note: HTMLElement;
  private readonly exports: HTMLElement;
  private cell = 1;

  constructor(
    private readonly store: Store,
    private theme: Theme,
    private readonly exporter: Exporter,
  ) {
    const s = section('attribution', t('Attribution'));
    this.root = s.root;
    this.note = s.note;
    this.exports = el(
      'span',
      { class: 'tools' },
      button('PNG', t('Save the attribution bars as PNG'), () => this.exporter.save('png', 'attribution.png', canvasPng(this.canvas, this.theme.background))),
      button('CSV', t("Save each token's attribution as CSV"), () => this.export('csv')),
      button('JSON', t('Save the attribution as JSON'), () => this.export('json')),
    );
    s.tools.append(this.exports);
    s.body.append(this.action.root, this.intro, el('div', { class: 'canvas-box' }, this.canvas), this.hover, this.totals, this.chips);
    this.canvas.addEventListener('mousemove', (e) => this.onHover(e));
    this.canvas.addEventListener('mouseleave', () => (this.hover.textContent = ''));
    this.canvas.addEventListener('click', (e) => {
      const k = this.tokenAt(e);
      if (k !== null && this.store.attention) selectWindowTokens(this.store.attention, k);
    });
    new ResizeObserver(() => this.render()).observe(s.body);
  }

  setTheme(theme: Theme): void {
    this.theme = theme;
  }

  private current(): Attribution | null {
    const v = this.store.view('attribution');
    const a = this.store.attention;
    return v && a && v.query === queryIndex(a) ? v : null;
  }

  render(): void {
    const v = this.current();
    const a = this.store.attention;
    this.canvas.hidden = this.exports.hidden = !v;
    if (!v || !a) {
      this.intro.textContent = this.totals.textContent = this.hover.textContent = '';
      this.chips.replaceChildren();
      const failed = this.store.unavailable('attribution');
      const run = (label: string): HTMLButtonElement =>
        computeButton(
          this.store,
          'attribution',
          label,
          t('Integrated gradients of log p(next token) over the token embeddings, from an all-zero baseline'),
          () => this.render(),
        );
      if (!a) {
        setNote(this.note, t('Which tokens the prediction at the cursor token relies on: put the cursor in a text editor, then attribute it.'));
        this.action.show('none', () => null);
      } else if (failed !== null) {
        setNote(this.note, t('No attribution for this token: {0}', failed));
        this.action.show(`retry ${failed}`, () => run(t('Try again')));
      } else if (this.store.requested('attribution')) {
        setNote(this.note, null);
        const c = computing(this.store, 'attribution', t('Computing… integrated gradients take dozens of forward and backward passes.'));
        this.action.show(c.key, c.make);
      } else {
        setNote(this.note, t('Which tokens does the prediction at token {0} "{1}" rely on?', a.from, labelOf(a, queryIndex(a), 16)));
        this.action.show('ask', () => run(t('Attribute this prediction (integrated gradients, 64 steps)')));
      }
      return;
    }
    setNote(this.note, null);
    this.action.show('none', () => null);
    const n = v.attributions.length;
    let sum = 0;
    for (const x of v.attributions) sum += x;
    const method = v.method === 'ig' ? t('integrated gradients, {0} steps', v.steps) : t('gradient × input');
    this.intro.textContent = t(
      'Target "{0}" after token {1} "{2}" ({3}). Up, blue: the token supports this prediction; down, red: it works against it. Click a bar or a chip to select the token.',
      vocabLabel(v.targetLabel, 20),
      a.windowStart + v.query,
      labelOf(a, v.query, 16),
      method,
    );
    this.totals.textContent = t(
      'log p {0} vs baseline {1} (every embedding zero): difference {2}; Σ attributions {3}; completeness gap {4}.',
      v.logProb.toFixed(3),
      v.baselineLogProb.toFixed(3),
      signedNats(v.logProb - v.baselineLogProb),
      signedNats(sum),
      v.completenessGap.toExponential(2),
    );

    const width = availableWidth(this.root.querySelector('.body') as HTMLElement);
    this.cell = Math.max(1, Math.min(28, (width - 2 * LEFT) / Math.max(1, a.windowLength)));
    const ctx = fitCanvas(this.canvas, width, H);
    const th = this.theme;
    ctx.fillStyle = th.background;
    ctx.fillRect(0, 0, width, H);
    const mid = H / 2;
    const scale = maxAbs(v.attributions);
    for (let k = 0; k < n; k++) {
      const x = num(v.attributions, k);
      const h = scale > 0 ? (Math.abs(x) / scale) * (mid - 4) : 0;
      // Blue means "helps" in every debugging view: supporting tokens are drawn like helpful heads.
      ctx.fillStyle = x >= 0 ? th.accent : th.alarm;
      ctx.fillRect(LEFT + k * this.cell, x >= 0 ? mid - h : mid, Math.max(1, this.cell - (this.cell > 3 ? 1 : 0)), Math.max(h, Number.isFinite(x) ? 0.5 : 0));
    }
    ctx.fillStyle = th.query;
    ctx.fillRect(LEFT + v.query * this.cell, H - 3, Math.max(1, this.cell - 1), 3);
    ctx.strokeStyle = th.grid;
    ctx.beginPath();
    ctx.moveTo(0, mid + 0.5);
    ctx.lineTo(width, mid + 0.5);
    ctx.stroke();
    const top = topK(Array.from(v.attributions, Math.abs), 6);
    this.canvas.setAttribute(
      'aria-label',
      t(
        'Attribution of each token up to the query; strongest: {0}',
        top.map((r) => `"${labelOf(a, r.index, 16)}" ${signedNats(num(v.attributions, r.index))}`).join(', '),
      ),
    );
    this.chips.replaceChildren(
      el('span', { class: 'muted', text: t('Strongest:') }),
      ...top.map((r) => {
        const x = num(v.attributions, r.index);
        return button(
          `${labelOf(a, r.index, 16)} ${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(3)}`,
          t('Token {0}, attribution {1}: select it in the editor', a.windowStart + r.index, signedNats(x)),
          () => selectWindowTokens(a, r.index),
          `chip ${x >= 0 ? 'supports' : 'opposes'}`,
        );
      }),
    );
  }

  private tokenAt(e: MouseEvent): number | null {
    const v = this.current();
    if (!v) return null;
    const k = Math.floor((e.offsetX - LEFT) / this.cell);
    return k >= 0 && k < v.attributions.length ? k : null;
  }

  private onHover(e: MouseEvent): void {
    const v = this.current();
    const a = this.store.attention;
    const k = this.tokenAt(e);
    this.hover.textContent =
      v && a && k !== null
        ? t('token {0} "{1}": attribution {2} — click to select it', a.windowStart + k, labelOf(a, k, 24), signedNats(num(v.attributions, k)))
        : '';
  }

  private export(format: 'csv' | 'json'): void {
    const v = this.current();
    const a = this.store.attention;
    if (!v || !a) return;
    const name = `attribution-${a.documentName}-token${a.windowStart + v.query}.${format}`;
    if (format === 'json') {
      this.exporter.save('json', name, exportJson({ ...v, tokens: a.tokens.labels.slice(0, v.attributions.length) }));
      return;
    }
    const rows = Array.from(v.attributions, (x, k) => [v.windowStart + k, a.tokens.labels[k] ?? '', x]);
    this.exporter.save('csv', name, csv(['token_index', 'token', 'attribution'], rows));
  }
}
