/**
 * Each head's score over training steps, from the run's snapshots: one line per layer.head for
 * the chosen head type (induction and previous-token heads forming is the picture), or their
 * entropy. Its cursor is synced with the loss chart's (charts.ts), so hovering a step reads both;
 * the scrubbed step is marked; hovering names the nearest line's head and clicking selects it
 * everywhere. The selected head is drawn bold, the others thin.
 */

import { HEAD_KIND_NAMES, type HeadKindName } from '../src/protocol/common';
import type { RunSnapshots } from '../src/protocol/snapshots';
import { createChart, followWidth, type Plot, type PlotData } from './charts';
import { withAlpha } from './colors';
import { el } from './dom';
import { KIND_NAME } from './headGrid';
import { t } from './l10n';
import type { Theme } from './theme';

export type PlottedMeasure = HeadKindName | 'entropy';
export const PLOTTED_MEASURES: readonly PlottedMeasure[] = [...HEAD_KIND_NAMES, 'entropy'];

const HEIGHT = 180;

export interface HeadScoresState {
  readonly snapshots: RunSnapshots;
  readonly measure: PlottedMeasure;
  readonly selected: { readonly layer: number; readonly head: number };
  /** The scrubbed step (null: live). */
  readonly step: number | null;
  /** The x axis's steps: the loss chart's (its first step to the run's planned length), so a step sits under its loss. */
  readonly xRange: readonly [number, number];
}

export class HeadScoresPlot {
  readonly root = el('div', { class: 'plot head-scores', attrs: { role: 'img', 'aria-label': t('Head scores over training steps') } });
  readonly caption = el('div', { class: 'hoverinfo', attrs: { 'aria-live': 'polite' } });
  private plot: Plot | null = null;
  private builtFor = '';
  private state: HeadScoresState | null = null;
  /** The head the mouse is nearest, while over the plot. */
  private hovered: { layer: number; head: number } | null = null;

  constructor(
    private theme: Theme,
    private readonly onSelect: (layer: number, head: number) => void,
  ) {
    followWidth(
      this.root,
      () => this.plot,
      () => HEIGHT,
    );
    this.root.addEventListener('click', () => this.hovered && this.onSelect(this.hovered.layer, this.hovered.head));
  }

  setTheme(theme: Theme): void {
    this.theme = theme;
    this.builtFor = '';
  }

  /** The name of the head drawn nearest to the mouse, as the caption says it (for tests and screen readers). */
  get hoveredHead(): { layer: number; head: number } | null {
    return this.hovered;
  }

  render(state: HeadScoresState | null): void {
    this.state = state;
    this.root.hidden = !state || state.snapshots.list.length === 0;
    if (!state || state.snapshots.list.length === 0) {
      this.plot?.destroy();
      this.plot = null;
      this.builtFor = '';
      this.caption.textContent = '';
      return;
    }
    const { snapshots: s, measure, selected } = state;
    const key = `${s.layers}x${s.heads}:${measure}:${selected.layer}.${selected.head}:${this.theme.kind}`;
    const data = this.data(state);
    if (!this.plot || key !== this.builtFor) {
      this.plot?.destroy();
      this.plot = this.build(state, data);
      this.builtFor = key;
    } else {
      this.plot.setData(data);
    }
    const [lo, hi] = state.xRange;
    if (hi > lo) this.plot.setScale('x', { min: lo, max: hi });
    this.describe();
  }

  private data(state: HeadScoresState): PlotData {
    const { snapshots: s, measure } = state;
    const xs = s.list.map((x) => x.step);
    const lines = [];
    for (let i = 0; i < s.layers * s.heads; i++) lines.push(s.list.map((x) => (measure === 'entropy' ? x.entropy[i]! : x.scores[measure][i]!)));
    return [xs, ...lines];
  }

  private build(state: HeadScoresState, data: PlotData): Plot {
    const th = this.theme;
    const { snapshots: s, selected } = state;
    const series = [];
    for (let l = 0; l < s.layers; l++)
      for (let h = 0; h < s.heads; h++) {
        const isSel = l === selected.layer && h === selected.head;
        const color = th.series[(l * s.heads + h) % th.series.length]!;
        series.push({ label: `L${l}.H${h}`, stroke: isSel ? color : withAlpha(color, 0.55), width: isSel ? 3 : 1.25, points: { show: s.list.length < 3 } });
      }
    this.root.replaceChildren();
    return createChart(
      this.root,
      th,
      {
        height: HEIGHT,
        axis: 'step',
        yLabel: state.measure === 'entropy' ? t('entropy') : t('score'),
        yScale: { range: (_u, min, max) => [Math.min(0, min), Math.max(1, max)] },
        series,
        hooks: {
          setCursor: [(u) => this.onCursor(u)],
          draw: [(u) => this.drawStep(u)],
        },
      },
      data,
    );
  }

  /** The head whose line passes nearest the mouse at the hovered step. */
  private onCursor(u: Plot): void {
    const s = this.state?.snapshots;
    const idx = u.cursor.idx;
    const top = u.cursor.top;
    if (!s || idx == null || top == null || top < 0) {
      this.hovered = null;
      this.describe();
      return;
    }
    const y = u.posToVal(top, 'y');
    let best = -1;
    let dist = Infinity;
    for (let i = 0; i < s.layers * s.heads; i++) {
      const v = (u.data[i + 1] as ArrayLike<number | null>)[idx];
      if (v == null || !Number.isFinite(v)) continue;
      if (Math.abs(v - y) < dist) {
        dist = Math.abs(v - y);
        best = i;
      }
    }
    this.hovered = best < 0 ? null : { layer: Math.floor(best / s.heads), head: best % s.heads };
    this.describe(idx);
  }

  private describe(idx?: number): void {
    const st = this.state;
    if (!st) return;
    const h = this.hovered;
    const name = st.measure === 'entropy' ? t('entropy') : KIND_NAME[st.measure];
    if (!h || idx === undefined) {
      const { layer, head } = st.selected;
      const i = layer * st.snapshots.heads + head;
      const last = st.snapshots.list.at(-1)!;
      const v = st.measure === 'entropy' ? last.entropy[i] : last.scores[st.measure][i];
      this.caption.textContent = t(
        'Selected: layer {0}, head {1} · {2} {3} at step {4}. Hover a line to name its head, click to select it.',
        layer,
        head,
        name,
        v?.toFixed(3) ?? '—',
        last.step,
      );
      return;
    }
    const snap = st.snapshots.list[idx]!;
    const i = h.layer * st.snapshots.heads + h.head;
    const v = st.measure === 'entropy' ? snap.entropy[i]! : snap.scores[st.measure][i]!;
    this.caption.textContent = t('layer {0}, head {1} · {2} {3} at step {4} — click to select this head', h.layer, h.head, name, v.toFixed(3), snap.step);
  }

  /** A vertical line at the scrubbed step. */
  private drawStep(u: Plot): void {
    const step = this.state?.step;
    if (step == null) return;
    const x = Math.round(u.valToPos(step, 'x', true));
    const ctx = u.ctx;
    ctx.save();
    ctx.strokeStyle = this.theme.query;
    ctx.lineWidth = 2;
    ctx.setLineDash([4, 3]);
    ctx.beginPath();
    ctx.moveTo(x, u.bbox.top);
    ctx.lineTo(x, u.bbox.top + u.bbox.height);
    ctx.stroke();
    ctx.restore();
  }

  /** Redraws the marker (the data did not change). */
  redraw(): void {
    this.plot?.redraw(false);
  }
}
