/**
 * The selected head's full attention matrix over the current window: query rows × key columns,
 * one canvas pixel-block per cell (a 256×256 matrix is one 65,536-pixel ImageData blit, not DOM
 * cells), token labels on both axes when cells are big enough, the query's row marked, a colour
 * legend with the scale's min and max, per-head or global normalisation, a crosshair readout,
 * and click-to-select the query token in the editor.
 */

import { formatWeight } from '../src/presentation/attentionView';
import { rampIndex } from '../src/presentation/colorScale';
import { attentionJson, matrixCsv } from '../src/presentation/exportData';
import { labelOf, selectWindowTokens } from './attentionCommon';
import { availableWidth, canvasPng, fitCanvas, fitText } from './canvas';
import { button, el, section, segmented, setNote } from './dom';
import type { Exporter } from './exporter';
import type { DashboardUiState } from '../src/protocol/webviewProtocol';
import type { Store } from './store';
import { shownAttention, shownMatrix, snapshotShown } from './snapshotShown';
import type { Theme } from './theme';
import { t } from './l10n';

const MAX_CELL = 22;
const LABEL_SPACE = 72;

export class MatrixView {
  readonly root: HTMLElement;
  private readonly canvas = el('canvas', { class: 'matrix', attrs: { role: 'img', 'aria-label': t('Attention matrix: query rows, key columns') } });
  private readonly overlay = el('canvas', { class: 'overlay' });
  private readonly legend = el('canvas', { class: 'legend' });
  private readonly legendText = el('span', { class: 'legend-text' });
  private readonly hover = el('div', { class: 'hoverinfo' });
  private readonly note: HTMLElement;
  private readonly setNorm: (v: DashboardUiState['normalization']) => void;
  private geom = { left: 0, top: 0, cell: 1, W: 0, width: 0, height: 0 };
  /** The cell under the mouse, if any. */
  private hovered: { q: number; k: number } | null = null;

  constructor(
    private readonly store: Store,
    private theme: Theme,
    private readonly setUi: (p: Partial<DashboardUiState>) => void,
    private readonly exporter: Exporter,
  ) {
    const s = section('matrix', t('Attention matrix'));
    this.root = s.root;
    this.note = s.note;
    const norm = segmented(
      [
        { value: 'head', label: t('Per head'), title: t("Colour from this head's smallest to largest weight") },
        { value: 'global', label: t('Global'), title: t('One colour scale for every head of the model') },
      ] as const,
      store.ui.normalization,
      (v) => this.setUi({ normalization: v }),
    );
    this.setNorm = norm.set;
    s.tools.append(
      norm.root,
      button('PNG', t('Save the matrix as PNG'), () =>
        this.exporter.save(
          'png',
          `matrix-L${shownMatrix(this.store)?.matrix.layer}H${shownMatrix(this.store)?.matrix.head}.png`,
          canvasPng(this.canvas, this.theme.background),
        ),
      ),
      button('CSV', t("Save this head's matrix as CSV"), () => this.exportCsv()),
      button(
        'JSON',
        t('Save the attention shown (query rows and this matrix) as JSON'),
        () =>
          shownAttention(this.store) &&
          this.exporter.save('json', 'attention-matrix.json', attentionJson(shownAttention(this.store)!, shownMatrix(this.store)?.matrix ?? null)),
      ),
    );
    const stack = el('div', { class: 'stack' }, this.canvas, this.overlay);
    s.body.append(stack, el('div', { class: 'legend-row' }, this.legend, this.legendText), this.hover);
    this.overlay.addEventListener('mousemove', (e) => {
      this.hovered = this.cellAt(e);
      this.drawOverlay(this.hovered);
      this.caption();
    });
    this.overlay.addEventListener('mouseleave', () => {
      this.hovered = null;
      this.drawOverlay(null);
      this.caption();
    });
    this.overlay.addEventListener('click', (e) => {
      const cell = this.cellAt(e);
      // A snapshot's probe is not a document the page can select in.
      if (cell && this.store.attention && !snapshotShown(this.store)) selectWindowTokens(this.store.attention, cell.q);
    });
    new ResizeObserver(() => this.render()).observe(s.body);
  }

  setTheme(theme: Theme): void {
    this.theme = theme;
  }

  render(): void {
    this.caption();
    const failed = this.store.unavailable('matrix');
    const m = shownMatrix(this.store)?.matrix ?? null;
    const a = shownAttention(this.store);
    this.setNorm(this.store.ui.normalization);
    const visible = !!m && !!a;
    this.canvas.hidden = this.overlay.hidden = this.legend.hidden = !visible;
    this.legendText.hidden = !visible;
    if (!visible) {
      setNote(
        this.note,
        !a
          ? t('The matrix of the window around the cursor appears here.')
          : failed !== null
            ? t('No matrix for this window: {0}', failed)
            : t("Waiting for the window's attention…"),
      );
      return;
    }
    const snap = snapshotShown(this.store);
    setNote(
      this.note,
      snap
        ? t("Training step {0} (snapshot): the probe window's {1} tokens as the model attended then.", snap.snapshot.step, snap.attention.windowLength)
        : m.layer !== this.store.selection.layer || m.head !== this.store.selection.head
          ? t("Showing layer {0}, head {1} (the selected head's matrix is on its way).", m.layer, m.head)
          : null,
    );
    const W = m.windowLength;
    const width = availableWidth(this.root.querySelector('.body') as HTMLElement);
    const cellFit = (width - 8) / W;
    const labels = cellFit >= 9;
    const left = labels ? LABEL_SPACE : 4;
    const top = labels ? LABEL_SPACE : 4;
    const cell = Math.max(1, Math.min(MAX_CELL, Math.floor((width - left - 4) / W)));
    const size = cell * W;
    const height = top + size + 4;
    this.geom = { left, top, cell, W, width, height };
    const ctx = fitCanvas(this.canvas, width, height);
    fitCanvas(this.overlay, width, height);
    const th = this.theme;
    ctx.fillStyle = th.background;
    ctx.fillRect(0, 0, width, height);
    // Colour scale: this head's extremes, or every head's.
    let lo = Infinity;
    let hi = -Infinity;
    if (this.store.ui.normalization === 'global') {
      lo = m.globalMin;
      hi = m.globalMax;
    } else {
      for (const v of m.weights) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
    const img = new ImageData(W, W);
    for (let c = 0; c < W * W; c++) {
      const i = rampIndex(m.weights[c]!, lo, hi);
      img.data.set(th.ramp.subarray(i * 4, i * 4 + 4), c * 4);
    }
    const off = document.createElement('canvas');
    off.width = off.height = W;
    off.getContext('2d')!.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(off, left, top, size, size);
    // The query's row(s).
    ctx.strokeStyle = th.query;
    ctx.lineWidth = 1.5;
    const q0 = a.from - a.windowStart;
    const q1 = a.to - a.windowStart;
    if (q0 >= 0 && q0 < W) ctx.strokeRect(left - 1, top + q0 * cell - 1, size + 2, (q1 - q0) * cell + 2);
    if (labels) this.drawLabels(ctx, left, top, cell, W);
    this.drawLegend(lo, hi);
    this.drawOverlay(null);
  }

  private drawLabels(ctx: CanvasRenderingContext2D, left: number, top: number, cell: number, W: number): void {
    const a = shownAttention(this.store)!;
    ctx.font = this.theme.monoFont;
    ctx.fillStyle = this.theme.foreground;
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'right';
    for (let q = 0; q < W; q++) ctx.fillText(fitText(ctx, labelOf(a, q), LABEL_SPACE - 6), left - 4, top + q * cell + cell / 2);
    ctx.textAlign = 'left';
    for (let k = 0; k < W; k++) {
      ctx.save();
      ctx.translate(left + k * cell + cell / 2, top - 4);
      ctx.rotate(-Math.PI / 2);
      ctx.fillText(fitText(ctx, labelOf(a, k), LABEL_SPACE - 6), 0, 0);
      ctx.restore();
    }
  }

  private drawLegend(lo: number, hi: number): void {
    const ctx = fitCanvas(this.legend, 160, 10);
    const ramp = this.theme.ramp;
    for (let x = 0; x < 160; x++) {
      const i = Math.round((x / 159) * 255);
      ctx.fillStyle = `rgb(${ramp[i * 4]}, ${ramp[i * 4 + 1]}, ${ramp[i * 4 + 2]})`;
      ctx.fillRect(x, 0, 1, 10);
    }
    const scope = this.store.ui.normalization === 'global' ? t('every head') : t('this head');
    const pct = (v: number): string => (v === 0 ? '0 %' : formatWeight(v));
    this.legendText.textContent = `${pct(lo)} … ${pct(hi)} (${scope})`;
  }

  private cellAt(e: MouseEvent): { q: number; k: number } | null {
    const g = this.geom;
    const q = Math.floor((e.offsetY - g.top) / g.cell);
    const k = Math.floor((e.offsetX - g.left) / g.cell);
    return q >= 0 && q < g.W && k >= 0 && k < g.W ? { q, k } : null;
  }

  /** Describes the hovered cell with the data shown now (cleared when there is none: a caption never outlives its matrix). */
  private caption(): void {
    const c = this.hovered;
    const a = shownAttention(this.store);
    const m = shownMatrix(this.store)?.matrix ?? null;
    if (!c || !a || !m || c.q >= m.windowLength || c.k >= m.windowLength) {
      this.hover.textContent = '';
      return;
    }
    const w = m.weights[c.q * m.windowLength + c.k]!;
    this.hover.textContent = t(
      'query {0} "{1}" → key {2} "{3}": {4} — click to make this query the cursor token',
      a.windowStart + c.q,
      labelOf(a, c.q, 20),
      a.windowStart + c.k,
      labelOf(a, c.k, 20),
      formatWeight(w),
    );
  }

  private drawOverlay(c: { q: number; k: number } | null): void {
    const g = this.geom;
    const ctx = fitCanvas(this.overlay, g.width, g.height);
    ctx.clearRect(0, 0, g.width, g.height);
    if (!c) return;
    ctx.strokeStyle = this.theme.foreground;
    ctx.globalAlpha = 0.6;
    ctx.lineWidth = 1;
    ctx.strokeRect(g.left, g.top + c.q * g.cell + 0.5, g.W * g.cell, g.cell);
    ctx.strokeRect(g.left + c.k * g.cell + 0.5, g.top, g.cell, g.W * g.cell);
  }

  private exportCsv(): void {
    const a = shownAttention(this.store);
    const m = shownMatrix(this.store)?.matrix ?? null;
    if (!a || !m) return;
    this.exporter.save('csv', `matrix-L${m.layer}H${m.head}.csv`, matrixCsv(m, a.tokens.labels));
  }
}
