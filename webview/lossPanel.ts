/**
 * The loss panel: train loss raw (faint) and smoothed (TensorBoard's debiased EMA over the
 * whole series, so zooming never changes it), validation loss as points, a true log y axis,
 * optional y from zero and outlier-robust scaling, steps or relative time on x, a red marker at
 * every step whose loss was NaN or infinite, and a readout of every metric at the hovered step.
 */

import { formatDuration, formatValue, yRange } from '../src/presentation/chartRange';
import { metricsCsv, metricsJson } from '../src/presentation/exportData';
import { MAX_SMOOTHING } from '../src/presentation/smoothing';
import type { DashboardUiState } from '../src/protocol/webviewProtocol';
import { canvasPng } from './canvas';
import { createChart, followWidth, isZoomed, updateData, type Plot, type PlotData, type RangeFunction } from './charts';
import { button, el, section, segmented, setNote, toggle } from './dom';
import { buildSeries, type RunSeries } from './seriesData';
import type { Store } from './store';
import type { Theme } from './theme';
import type { Exporter } from './exporter';

const HEIGHT = 280;

export class LossPanel {
  readonly root: HTMLElement;
  private readonly plotBox: HTMLElement;
  private readonly readout: HTMLElement;
  private readonly legend = el('div', { class: 'series-legend' });
  private readonly note: HTMLElement;
  private readonly smoothingInput: HTMLInputElement;
  private readonly smoothingValue: HTMLOutputElement;
  private readonly controls: { logY: HTMLInputElement; fromZero: HTMLInputElement; outliers: HTMLInputElement; axis: (v: 'step' | 'time') => void };
  private plot: Plot | null = null;
  private builtFor = '';
  private series: RunSeries | null = null;
  private hovered: number | null = null;

  constructor(
    private readonly store: Store,
    private theme: Theme,
    private readonly setUi: (patch: Partial<DashboardUiState>) => void,
    private readonly exporter: Exporter,
  ) {
    const s = section('loss', 'Loss');
    this.root = s.root;
    this.note = s.note;
    this.smoothingInput = el('input', {
      class: 'slider',
      title: 'Smoothing weight (TensorBoard EMA). 0 = raw.',
      attrs: { type: 'range', min: '0', max: String(MAX_SMOOTHING), step: '0.001', 'aria-label': 'Smoothing' },
    });
    this.smoothingValue = el('output', { class: 'value' });
    this.smoothingInput.addEventListener('input', () => this.setUi({ smoothing: Math.min(MAX_SMOOTHING, Math.max(0, Number(this.smoothingInput.value))) }));
    const ui = store.ui;
    const logY = toggle('Log y', 'A true logarithmic y axis', ui.logY, (v) => this.setUi({ logY: v }));
    const fromZero = toggle('y from 0', 'Start the y axis at zero (linear axis only)', ui.yFromZero, (v) => this.setUi({ yFromZero: v }));
    const outliers = toggle('Ignore outliers', 'Scale y to the 5 %–95 % quantiles of what is on screen (TensorBoard)', ui.ignoreOutliers, (v) =>
      this.setUi({ ignoreOutliers: v }),
    );
    const axis = segmented(
      [
        { value: 'step', label: 'Step', title: 'x = training step' },
        { value: 'time', label: 'Time', title: 'x = time since the run started' },
      ] as const,
      ui.xAxis,
      (v) => this.setUi({ xAxis: v }),
    );
    this.controls = { logY: logY.input, fromZero: fromZero.input, outliers: outliers.input, axis: axis.set };
    s.tools.append(
      el('label', { class: 'toggle', title: 'Smoothing weight' }, 'Smoothing', this.smoothingInput, this.smoothingValue),
      logY.root,
      fromZero.root,
      outliers.root,
      axis.root,
      button(
        'PNG',
        'Save the loss chart as PNG',
        () => this.plot && this.exporter.save('png', 'loss.png', canvasPng(this.plot.ctx.canvas, this.theme.background)),
      ),
      button('CSV', 'Save every step and evaluation as CSV', () => this.exportMetrics('csv')),
      button('JSON', 'Save every step and evaluation as JSON', () => this.exportMetrics('json')),
    );
    this.plotBox = el('div', { class: 'plot', attrs: { role: 'img' } });
    this.readout = el('div', { class: 'readout', attrs: { 'aria-live': 'off' } });
    s.body.append(this.plotBox, this.legend, this.readout);
    followWidth(
      this.plotBox,
      () => this.plot,
      () => HEIGHT,
    );
  }

  setTheme(theme: Theme): void {
    this.theme = theme;
    this.builtFor = '';
  }

  /** What each line is, in the chart's colours (uPlot's own legend is off: the readout replaces it). */
  private renderLegend(): void {
    const t = this.theme;
    const item = (label: string, color: string, kind: '' | 'dot' | 'dashed' = ''): HTMLElement => {
      const swatch = el('span', { class: `swatch ${kind}`.trim() });
      swatch.style.background = color;
      swatch.style.borderColor = color;
      return el('span', {}, swatch, label);
    };
    this.legend.replaceChildren(
      item('loss (raw)', withAlpha(t.train, 0.45)),
      item(`smoothed (EMA ${this.store.ui.smoothing.toFixed(3)})`, t.train),
      item('validation loss', t.validation, 'dot'),
      ...(this.series?.nonFinite.length
        ? [item(`${this.series.nonFinite.length} non-finite step${this.series.nonFinite.length > 1 ? 's' : ''}`, t.alarm, 'dashed')]
        : []),
    );
  }

  /** Redraws from the store (cheap when only points were added). */
  render(): void {
    const ui = this.store.ui;
    this.smoothingInput.value = String(ui.smoothing);
    this.smoothingValue.value = ui.smoothing.toFixed(3);
    this.controls.logY.checked = ui.logY;
    this.controls.fromZero.checked = ui.yFromZero;
    this.controls.fromZero.disabled = ui.logY;
    this.controls.outliers.checked = ui.ignoreOutliers;
    this.controls.axis(ui.xAxis);
    const n = this.store.steps.length;
    setNote(
      this.note,
      n === 0
        ? this.store.run.status === 'running'
          ? 'Waiting for the first step…'
          : 'No training run yet. Run "Attention Lens: Train on Current File" to see the loss here.'
        : null,
    );
    // An empty chart is only axes from 0 to 1: show the note alone until there is a point.
    this.plotBox.hidden = this.legend.hidden = this.readout.hidden = n === 0;
    this.series = buildSeries(this.store, ui.xAxis, ui.smoothing);
    const data: PlotData = [this.series.x, this.series.loss, this.series.smoothed, this.series.valLoss];
    // Log and axis kind are fixed at construction in uPlot: rebuild when they change.
    const key = `${ui.logY}|${ui.xAxis}|${this.theme.background}|${this.theme.foreground}`;
    if (!this.plot || key !== this.builtFor) {
      this.plotBox.setAttribute('aria-label', `Loss by ${ui.xAxis === 'time' ? 'time since the start' : 'step'}, ${ui.logY ? 'logarithmic' : 'linear'} y axis`);
      this.plot?.destroy();
      this.plot = this.create(data);
      this.builtFor = key;
    } else {
      updateData(this.plot, data, isZoomed(this.plot, this.series.x));
    }
    this.renderLegend();
    this.updateReadout();
  }

  private create(data: PlotData): Plot {
    const t = this.theme;
    const ui = this.store.ui;
    const range: RangeFunction = (u, min, max) => {
      const xs = this.series?.x ?? [];
      const r = yRange(
        xs,
        [this.series?.loss ?? [], this.series?.smoothed ?? [], this.series?.valLoss ?? []],
        u.scales.x?.min ?? -Infinity,
        u.scales.x?.max ?? Infinity,
        { log: ui.logY, fromZero: ui.yFromZero, ignoreOutliers: ui.ignoreOutliers },
      );
      return r ?? (ui.logY ? [0.1, 10] : [Number.isFinite(min) ? min : 0, Number.isFinite(max) ? max : 1]);
    };
    return createChart(
      this.plotBox,
      t,
      {
        height: HEIGHT,
        axis: ui.xAxis,
        yLabel: 'loss (nats)',
        yScale: { distr: ui.logY ? 3 : 1, log: 10, range },
        series: [
          { label: 'loss', stroke: withAlpha(t.train, 0.22), width: 1, points: { show: false } },
          { label: 'smoothed', stroke: t.train, width: 2, points: { show: false } },
          { label: 'validation', stroke: t.validation, width: 2, spanGaps: true, points: { show: true, size: 6, fill: t.validation, stroke: t.validation } },
        ],
        hooks: {
          setCursor: [
            (u) => {
              this.hovered = u.cursor.idx ?? null;
              this.updateReadout();
            },
          ],
          draw: [(u) => this.drawNonFinite(u)],
        },
      },
      data,
    );
  }

  /** A red dashed line and label at every step whose loss was not a finite number. */
  private drawNonFinite(u: Plot): void {
    const s = this.series;
    if (!s || s.nonFinite.length === 0) return;
    const ctx = u.ctx;
    const dpr = window.devicePixelRatio || 1;
    const { top, height } = u.bbox;
    ctx.save();
    ctx.strokeStyle = this.theme.alarm;
    ctx.fillStyle = this.theme.alarm;
    ctx.lineWidth = dpr;
    ctx.setLineDash([4 * dpr, 3 * dpr]);
    ctx.font = `${Math.round(10 * dpr)}px sans-serif`;
    ctx.textAlign = 'center';
    let lastLabel = -Infinity;
    for (const { index, value } of s.nonFinite) {
      const x = u.valToPos(s.x[index]!, 'x', true);
      if (!(x >= u.bbox.left && x <= u.bbox.left + u.bbox.width)) continue;
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
      if (x - lastLabel > 40 * dpr) {
        ctx.fillText(Number.isNaN(value) ? 'NaN' : value > 0 ? '+∞' : '−∞', x, top + 11 * dpr);
        lastLabel = x;
      }
    }
    ctx.restore();
  }

  private updateReadout(): void {
    const s = this.series;
    const steps = this.store.steps;
    const n = steps.length;
    if (!s || n === 0) {
      this.readout.textContent = '';
      return;
    }
    const i = this.hovered ?? n - 1;
    const col = (k: Parameters<typeof steps.column>[0]): number => steps.column(k)[i]!;
    const parts = [
      `${this.hovered === null ? 'last step' : 'step'} ${col('step')}`,
      formatDuration(col('elapsedMs') / 1000),
      `loss ${formatValue(col('loss'))}`,
      `smoothed ${formatValue(s.smoothedRaw[i])}`,
      ...(s.valLoss[i] !== null ? [`val ${formatValue(s.valLoss[i])}`, `val acc ${formatValue(s.valAccuracy[i])}`] : []),
      `lr ${formatValue(col('lr'))}`,
      `grad ${formatValue(col('gradNorm'))}`,
      `${formatValue(col('tokensPerSecond'))} tok/s`,
    ];
    this.readout.textContent = parts.join('  ·  ');
  }

  private exportMetrics(format: 'csv' | 'json'): void {
    const steps = this.store.steps.snapshot();
    const evals = this.store.evals.snapshot();
    const smoothed = this.series?.smoothedRaw ?? new Float64Array(0);
    const data = format === 'csv' ? metricsCsv(steps, smoothed, evals) : metricsJson(steps, smoothed, this.store.ui.smoothing, evals);
    this.exporter.save(format, `metrics.${format}`, data);
  }
}

/** A CSS colour at reduced opacity (hex or rgb from the theme). */
export function withAlpha(color: string, alpha: number): string {
  const hex = /^#([0-9a-f]{6})/i.exec(color.trim());
  if (hex)
    return `#${hex[1]}${Math.round(alpha * 255)
      .toString(16)
      .padStart(2, '0')}`;
  const rgb = /^rgba?\(([^)]+)\)/.exec(color.trim());
  if (rgb) return `rgba(${rgb[1]!.split(',').slice(0, 3).join(',')}, ${alpha})`;
  return color;
}
