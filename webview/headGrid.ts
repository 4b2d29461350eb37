/**
 * The "model view": every layer × head as a small picture of its pattern over the current
 * window (max-pooled thumbnails once the host has the window's matrix; until then each head's
 * row for the cursor token, which the host has at once), labelled with its strongest head type
 * when the engine's scores are there. Clicking a head selects it everywhere.
 */

import { rampIndex } from '../src/presentation/colorScale';
import { HEAD_KIND_NAMES, type HeadKindName } from '../src/protocol/common';
import { availableWidth, canvasPng, fitCanvas } from './canvas';
import { button, el, section, setNote } from './dom';
import type { Exporter } from './exporter';
import { postToHost } from './vscodeApi';
import type { Store } from './store';
import { shownAttention, shownMatrix, shownStats } from './snapshotShown';
import type { Theme } from './theme';
import { t } from './l10n';

const LABEL_W = 28;
const GAP = 6;
const CAPTION_H = 14;

/** Each head type's short label (grid tiles, table columns, the scrubber's measure buttons). */
export const KIND_SHORT: Record<HeadKindName, string> = {
  previous_token: t('prev'),
  duplicate_token: t('dup'),
  induction: t('induction'),
  first_token: t('first'),
  current_token: t('self'),
};

/** Each head type's name in a sentence ("previous-token"), in the display language. */
export const KIND_NAME: Record<HeadKindName, string> = {
  previous_token: t('previous-token'),
  duplicate_token: t('duplicate-token'),
  induction: t('induction'),
  first_token: t('first-token'),
  current_token: t('current-token'),
};

/** The kind head i scores highest on, from the engine's stats. */
export function strongest(scores: Readonly<Record<HeadKindName, Float32Array>>, i: number): { kind: HeadKindName; score: number } {
  let best = { kind: HEAD_KIND_NAMES[0] as HeadKindName, score: -Infinity };
  for (const kind of HEAD_KIND_NAMES) if (scores[kind][i]! > best.score) best = { kind, score: scores[kind][i]! };
  return best;
}

export class HeadGrid {
  readonly root: HTMLElement;
  private readonly canvas = el('canvas', { class: 'grid', attrs: { role: 'img', 'aria-label': t('Every layer and head') } });
  private readonly hover = el('div', { class: 'hoverinfo' });
  private readonly note: HTMLElement;
  private geom = { tile: 0, layers: 0, heads: 0 };
  /** The head under the mouse, if any: the caption describes it, otherwise the selected head. */
  private hovered: { layer: number; head: number } | null = null;
  /** The selection last drawn: a change that did not come from the mouse (a key) retires the hovered caption. */
  private drawnSelection = { layer: -1, head: -1 };

  constructor(
    private readonly store: Store,
    private theme: Theme,
    private readonly exporter: Exporter,
  ) {
    const s = section('heads', t('Layers × heads'));
    this.root = s.root;
    this.note = s.note;
    s.tools.append(button('PNG', t('Save the grid as PNG'), () => this.exporter.save('png', 'heads.png', canvasPng(this.canvas, this.theme.background))));
    s.body.append(el('div', { class: 'canvas-box' }, this.canvas), this.hover);
    this.canvas.addEventListener('click', (e) => {
      const h = this.headAt(e);
      if (h) postToHost({ type: 'selectHead', layer: h.layer, head: h.head });
    });
    this.canvas.addEventListener('mousemove', (e) => {
      this.hovered = this.headAt(e);
      this.caption();
    });
    this.canvas.addEventListener('mouseleave', () => {
      this.hovered = null;
      this.caption();
    });
    new ResizeObserver(() => this.render()).observe(s.body);
  }

  setTheme(theme: Theme): void {
    this.theme = theme;
  }

  render(): void {
    const a = shownAttention(this.store);
    const g = shownMatrix(this.store)?.grid ?? null;
    const layers = g?.layers ?? a?.layers ?? this.store.model?.layers ?? 0;
    const heads = g?.heads ?? a?.heads ?? this.store.model?.heads ?? 0;
    this.canvas.hidden = !a || layers === 0;
    if (!a || layers === 0) {
      setNote(this.note, t('Each head of the model appears here, drawn from the attention around the cursor.'));
      this.hover.textContent = '';
      return;
    }
    setNote(this.note, g ? null : t("Each head's row for the cursor token; the whole window's patterns follow once collected."));
    const width = availableWidth(this.root.querySelector('.body') as HTMLElement);
    const tile = Math.max(24, Math.min(96, Math.floor((width - LABEL_W) / heads) - GAP));
    this.geom = { tile, layers, heads };
    const height = 16 + layers * (tile + GAP + CAPTION_H);
    const ctx = fitCanvas(this.canvas, Math.min(width, LABEL_W + heads * (tile + GAP)), height);
    const th = this.theme;
    ctx.fillStyle = th.background;
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.font = th.font;
    ctx.textBaseline = 'middle';
    ctx.fillStyle = th.muted;
    for (let h = 0; h < heads; h++) ctx.fillText(`H${h}`, LABEL_W + h * (tile + GAP) + 2, 8);
    for (let l = 0; l < layers; l++) {
      const y = 16 + l * (tile + GAP + CAPTION_H);
      ctx.fillStyle = th.muted;
      ctx.fillText(`L${l}`, 2, y + tile / 2);
      for (let h = 0; h < heads; h++) {
        const x = LABEL_W + h * (tile + GAP);
        if (g) this.drawThumbnail(ctx, g.thumbnails, (l * heads + h) * g.size * g.size, g.size, x, y, tile);
        else this.drawRow(ctx, l, h, x, y, tile);
        // With Mean/Max the editor shows the whole layer: every head of it is outlined.
        const selected = l === this.store.selection.layer && (this.store.mode.aggregation !== 'head' || h === this.store.selection.head);
        ctx.strokeStyle = selected ? th.query : th.border;
        ctx.lineWidth = selected ? 2 : 1;
        ctx.strokeRect(x + 0.5, y + 0.5, tile - 1, tile - 1);
        const stats = shownStats(this.store);
        if (stats) {
          const best = strongest(stats.scores, l * heads + h);
          ctx.fillStyle = th.foreground;
          ctx.fillText(`${KIND_SHORT[best.kind]} ${best.score.toFixed(2)}`, x, y + tile + CAPTION_H / 2 + 1, tile);
        }
      }
    }
    const sel = this.store.selection;
    if (sel.layer !== this.drawnSelection.layer || sel.head !== this.drawnSelection.head) this.hovered = null;
    this.drawnSelection = { ...sel };
    this.caption();
  }

  private drawThumbnail(ctx: CanvasRenderingContext2D, data: Float32Array, offset: number, size: number, x: number, y: number, tile: number): void {
    let max = 0;
    for (let i = 0; i < size * size; i++) if (data[offset + i]! > max) max = data[offset + i]!;
    const img = new ImageData(size, size);
    const ramp = this.theme.ramp;
    for (let i = 0; i < size * size; i++) {
      const j = rampIndex(data[offset + i]!, 0, max || 1) * 4;
      img.data.set(ramp.subarray(j, j + 4), i * 4);
    }
    const off = document.createElement('canvas');
    off.width = off.height = size;
    off.getContext('2d')!.putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(off, x, y, tile, tile);
  }

  /** Before the window's patterns arrive: the query's row for this head as bars. */
  private drawRow(ctx: CanvasRenderingContext2D, l: number, h: number, x: number, y: number, tile: number): void {
    const a = shownAttention(this.store)!;
    const W = a.windowLength;
    const o = (l * a.heads + h) * W;
    let max = 0;
    for (let k = 0; k < W; k++) if (a.rows[o + k]! > max) max = a.rows[o + k]!;
    const ramp = this.theme.ramp;
    const bw = tile / W;
    for (let k = 0; k < W; k++) {
      const v = a.rows[o + k]!;
      const i = rampIndex(v, 0, max || 1);
      const bh = max > 0 ? (v / max) * (tile - 2) : 0;
      ctx.fillStyle = `rgb(${ramp[i * 4]}, ${ramp[i * 4 + 1]}, ${ramp[i * 4 + 2]})`;
      ctx.fillRect(x + k * bw, y + tile - 1 - bh, Math.max(0.5, bw), bh);
    }
  }

  private headAt(e: MouseEvent): { layer: number; head: number } | null {
    const { tile, layers, heads } = this.geom;
    const h = Math.floor((e.offsetX - LABEL_W) / (tile + GAP));
    const l = Math.floor((e.offsetY - 16) / (tile + GAP + CAPTION_H));
    const inTile = (e.offsetX - LABEL_W) % (tile + GAP) < tile && (e.offsetY - 16) % (tile + GAP + CAPTION_H) < tile + CAPTION_H;
    return inTile && h >= 0 && h < heads && l >= 0 && l < layers ? { layer: l, head: h } : null;
  }

  /** Describes the hovered head, or the selected one (so a keyboard head change shows here too). */
  private caption(): void {
    const { layers, heads } = this.geom;
    const sel = this.store.selection;
    const hit = this.hovered ?? (shownAttention(this.store) && sel.layer < layers && sel.head < heads ? sel : null);
    if (!hit) {
      this.hover.textContent = '';
      return;
    }
    const stats = shownStats(this.store);
    const best = stats ? strongest(stats.scores, hit.layer * heads + hit.head) : null;
    const where = t('layer {0}, head {1}', hit.layer, hit.head);
    const what = best ? t('{0} · strongest: {1} {2}', where, KIND_NAME[best.kind], best.score.toFixed(3)) : where;
    const { aggregation } = this.store.mode;
    const mode = aggregation === 'mean' ? t('mean') : t('max');
    this.hover.textContent = this.hovered
      ? t('{0} — click to select this head everywhere', what)
      : aggregation === 'head'
        ? t('Selected: {0}', what)
        : t("Selected: {0} · the editor shows the {1} of layer {2}'s {3} heads", what, mode, sel.layer, heads);
  }
}
