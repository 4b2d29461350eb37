/**
 * The loss panel: train loss raw (faint) and smoothed (TensorBoard's debiased EMA over the
 * whole series, so zooming never changes it), validation loss as points, a true log y axis,
 * optional y from zero and outlier-robust scaling, steps or relative time on x, a red marker at
 * every step whose loss was NaN or infinite, and a readout of every metric at the hovered step.
 *
 * Runs are compared here: the runs kept in this workspace are drawn beside the current one
 * (their smoothed loss and validation points, each in its colour), listed with a checkbox to
 * show or hide each and the samples they generated (runList.ts), and read side by side in the
 * step table (stepTable.ts). When the current run overfits, the stretch after its best
 * evaluation is marked (lossMarks.ts) and a note says so.
 */

import { formatDuration, formatValue, yRange } from '../src/presentation/chartRange';
import { metricsCsv, metricsJson } from '../src/presentation/exportData';
import { detectOverfitting, overfittingDetail, type OverfitFinding } from '../src/presentation/overfitting';
import { MAX_SMOOTHING } from '../src/presentation/smoothing';
import { indexAtOrBefore } from '../src/presentation/stepCompare';
import type { DashboardUiState } from '../src/protocol/webviewProtocol';
import { canvasPng } from './canvas';
import { createChart, followWidth, isZoomed, updateData, type Plot, type PlotData, type RangeFunction } from './charts';
import { button, el, section, segmented, setNote, toggle } from './dom';
import { buildSeries, type RunSeries } from './seriesData';
import { lossChartData, xOfStep, type LossChartData } from './lossData';
import { drawNonFinite, drawOverfitting } from './lossMarks';
import { pageRuns, type PageRun } from './pageRuns';
import { onlyCurrent, shownRuns } from './shownRuns';
import { runsMetricsCsv, runsMetricsJson } from '../src/presentation/runsExport';
import { RunList } from './runList';
import { StepTable } from './stepTable';
import { withAlpha } from './colors';
import type { Store } from './store';
import type { Theme } from './theme';
import type { Exporter } from './exporter';
import { t } from './l10n';

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
  private chart: LossChartData | null = null;
  private runs: PageRun[] = [];
  private overfit: OverfitFinding | null = null;
  private readonly overfitNote = el('p', { class: 'overfit-note', attrs: { role: 'status' } });
  private readonly runList: RunList;
  private readonly stepTable: StepTable;
  private hovered: number | null = null;

  constructor(
    private readonly store: Store,
    private theme: Theme,
    private readonly setUi: (patch: Partial<DashboardUiState>) => void,
    private readonly exporter: Exporter,
    redraw: () => void = () => this.render(),
  ) {
    this.runList = new RunList(store, redraw);
    this.stepTable = new StepTable(store, redraw);
    const s = section('loss', t('Loss'));
    this.root = s.root;
    this.note = s.note;
    this.smoothingInput = el('input', {
      class: 'slider',
      title: t('Smoothing weight (TensorBoard EMA). 0 = raw.'),
      attrs: { type: 'range', min: '0', max: String(MAX_SMOOTHING), step: '0.001', 'aria-label': t('Smoothing') },
    });
    this.smoothingValue = el('output', { class: 'value' });
    this.smoothingInput.addEventListener('input', () => this.setUi({ smoothing: Math.min(MAX_SMOOTHING, Math.max(0, Number(this.smoothingInput.value))) }));
    const ui = store.ui;
    const logY = toggle(t('Log y'), t('A true logarithmic y axis'), ui.logY, (v) => this.setUi({ logY: v }));
    const fromZero = toggle(t('y from 0'), t('Start the y axis at zero (linear axis only)'), ui.yFromZero, (v) => this.setUi({ yFromZero: v }));
    const outliers = toggle(t('Ignore outliers'), t('Scale y to the 5 %–95 % quantiles of what is on screen (TensorBoard)'), ui.ignoreOutliers, (v) =>
      this.setUi({ ignoreOutliers: v }),
    );
    const axis = segmented(
      [
        { value: 'step', label: t('Step'), title: t('x = training step') },
        { value: 'time', label: t('Time'), title: t('x = time since the run started') },
      ] as const,
      ui.xAxis,
      (v) => this.setUi({ xAxis: v }),
    );
    this.controls = { logY: logY.input, fromZero: fromZero.input, outliers: outliers.input, axis: axis.set };
    s.tools.append(
      el('label', { class: 'toggle', title: t('Smoothing weight') }, t('Smoothing'), this.smoothingInput, this.smoothingValue),
      logY.root,
      fromZero.root,
      outliers.root,
      axis.root,
      button(
        'PNG',
        t('Save the loss chart as PNG'),
        () => this.plot && this.exporter.save('png', 'loss.png', canvasPng(this.plot.ctx.canvas, this.theme.background)),
      ),
      button('CSV', t('Save every step and evaluation of the runs shown as CSV'), () => this.exportMetrics('csv')),
      button('JSON', t('Save every step and evaluation of the runs shown as JSON'), () => this.exportMetrics('json')),
    );
    this.plotBox = el('div', { class: 'plot', attrs: { role: 'img' } });
    this.readout = el('div', { class: 'readout', attrs: { 'aria-live': 'off' } });
    s.body.append(this.plotBox, this.legend, this.overfitNote, this.readout, this.runList.root, this.stepTable.root, this.runList.samples);
    this.plotBox.addEventListener('click', (e) => this.pickStep(e.shiftKey));
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
    const th = this.theme;
    const item = (label: string, color: string, kind: '' | 'dot' | 'dashed' = ''): HTMLElement => {
      const swatch = el('span', { class: `swatch ${kind}`.trim() });
      swatch.style.background = color;
      swatch.style.borderColor = color;
      return el('span', {}, swatch, label);
    };
    this.legend.replaceChildren(
      item(t('loss (raw)'), withAlpha(th.train, 0.45)),
      item(t('smoothed (EMA {0})', this.store.ui.smoothing.toFixed(3)), th.train),
      item(t('validation loss'), th.validation, 'dot'),
      ...(this.series?.nonFinite.length
        ? [item(this.series.nonFinite.length > 1 ? t('{0} non-finite steps', this.series.nonFinite.length) : t('1 non-finite step'), th.alarm, 'dashed')]
        : []),
      ...(this.chart?.others ?? []).map((r) => item(r.label, r.color, r.dash ? 'dashed' : '')),
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
    this.runs = pageRuns(this.store, this.theme);
    const current = this.runs.find((r) => r.current);
    const others = this.runs.some((r) => !r.current && r.visible && r.steps.step.length > 0);
    setNote(
      this.note,
      n === 0
        ? this.store.run.status === 'running'
          ? t('Waiting for the first step…')
          : this.store.model
            ? // A loaded model without a history: suggesting to load one would contradict the header.
              this.runs.length > 0
              ? t('Earlier runs of this workspace; the active model has no training history to show.')
              : t('The active model has no training history to show. Run "Attention Lens: Train on Current File" to train one and see its loss here.')
            : this.runs.length > 0
              ? t('Earlier runs of this workspace; train or load a model to add the current one.')
              : t('No training run yet. Run "Attention Lens: Train on Current File" to see the loss here.')
        : null,
    );
    // An empty chart is only axes from 0 to 1: show the note alone until there is a point.
    this.plotBox.hidden = this.legend.hidden = this.readout.hidden = n === 0 && !others;
    this.series = buildSeries(this.store, ui.xAxis, ui.smoothing);
    const currentVisible = !current || current.visible;
    this.chart = lossChartData(this.series, currentVisible, this.runs, ui.xAxis, ui.smoothing);
    this.overfit = current && currentVisible ? detectOverfitting(current.steps, current.evals) : null;
    const best = current?.best;
    setNote(
      this.overfitNote,
      this.overfit
        ? best
          ? t('Overfitting: {0}. The validation-best model (step {1}) is kept: Save Checkpoint… offers it.', overfittingDetail(this.overfit, t), best.step)
          : t('Overfitting: {0}.', overfittingDetail(this.overfit, t))
        : null,
    );
    const data = this.chart.data;
    // Log, axis kind and the series drawn are fixed at construction in uPlot: rebuild when they change.
    const key = `${ui.logY}|${ui.xAxis}|${this.theme.background}|${this.theme.foreground}|${this.chart.layout}`;
    if (!this.plot || key !== this.builtFor) {
      const label =
        ui.xAxis === 'time'
          ? ui.logY
            ? t('Loss by time since the start, logarithmic y axis')
            : t('Loss by time since the start, linear y axis')
          : ui.logY
            ? t('Loss by step, logarithmic y axis')
            : t('Loss by step, linear y axis');
      this.plotBox.setAttribute('aria-label', label);
      this.plot?.destroy();
      this.plot = this.create(data);
      this.builtFor = key;
    } else {
      updateData(this.plot, data, isZoomed(this.plot, data[0] as ArrayLike<number>));
    }
    this.renderLegend();
    this.updateReadout();
    this.runList.render(this.runs);
    this.stepTable.render(this.runs, ui.smoothing);
  }

  /** A click on the chart picks step B of the step table (shift: step A). */
  private pickStep(shift: boolean): void {
    const u = this.plot;
    const idx = u?.cursor.idx;
    if (!u || idx === null || idx === undefined) return;
    const x = u.data[0][idx];
    if (x === undefined) return;
    let step = x;
    if (this.store.ui.xAxis === 'time') {
      // The step of the current run (else the first run drawn) at that time.
      const run = this.runs.find((r) => r.visible && r.steps.step.length > 0);
      if (!run) return;
      const i = indexAtOrBefore(
        Float64Array.from(run.steps.elapsedMs, (ms) => ms / 1000),
        x,
      );
      step = run.steps.step[Math.max(0, i)]!;
    }
    this.store.stepPick = { ...this.store.stepPick, [shift ? 'a' : 'b']: step };
    this.stepTable.render(this.runs, this.store.ui.smoothing);
  }

  private create(data: PlotData): Plot {
    const th = this.theme;
    const compared = (this.chart?.others.length ?? 0) > 0;
    const ui = this.store.ui;
    const range: RangeFunction = (u, min, max) => {
      const d = this.chart?.data;
      const r = yRange(
        (d?.[0] as ArrayLike<number> | undefined) ?? [],
        (d?.slice(1) ?? []) as ArrayLike<number | null>[],
        u.scales.x?.min ?? -Infinity,
        u.scales.x?.max ?? Infinity,
        { log: ui.logY, fromZero: ui.yFromZero, ignoreOutliers: ui.ignoreOutliers },
      );
      return r ?? (ui.logY ? [0.1, 10] : [Number.isFinite(min) ? min : 0, Number.isFinite(max) ? max : 1]);
    };
    return createChart(
      this.plotBox,
      th,
      {
        height: HEIGHT,
        axis: ui.xAxis,
        yLabel: t('loss (nats)'),
        yScale: { distr: ui.logY ? 3 : 1, log: 10, range },
        series: [
          // Beside other runs the shared x has points the current run lacks: its line spans them.
          { label: t('loss'), stroke: withAlpha(th.train, 0.22), width: 1, spanGaps: compared, points: { show: false } },
          { label: t('smoothed'), stroke: th.train, width: 2, spanGaps: compared, points: { show: false } },
          {
            label: t('validation'),
            stroke: th.validation,
            width: 2,
            spanGaps: true,
            points: { show: true, size: 6, fill: th.validation, stroke: th.validation },
          },
          ...(this.chart?.others ?? []).flatMap((r) => [
            { label: r.label, stroke: r.color, width: 2, spanGaps: true, ...(r.dash ? { dash: r.dash } : {}), points: { show: false } },
            {
              label: t('{0} validation', r.label),
              stroke: r.valColor,
              width: 1,
              spanGaps: true,
              points: { show: true, size: 5, fill: r.valColor, stroke: r.valColor },
            },
          ]),
        ],
        hooks: {
          setCursor: [
            (u) => {
              this.hovered = u.cursor.idx ?? null;
              this.updateReadout();
            },
          ],
          draw: [(u) => this.drawMarks(u)],
        },
      },
      data,
    );
  }

  private drawMarks(u: Plot): void {
    const s = this.series;
    const current = this.runs.find((r) => r.current);
    if (!s || (current && !current.visible)) return;
    drawNonFinite(
      u,
      this.theme,
      s.nonFinite.map(({ index, value }) => ({ x: s.x[index]!, value })),
    );
    const f = this.overfit;
    if (!f || !current) return;
    const axis = this.store.ui.xAxis;
    const bestX = xOfStep(current, f.bestStep, axis);
    const lastX = xOfStep(current, f.lastStep, axis);
    if (bestX !== null && lastX !== null) drawOverfitting(u, this.theme, f, bestX, lastX);
  }

  private updateReadout(): void {
    const s = this.series;
    const steps = this.store.steps;
    const n = steps.length;
    if (!s || n === 0) {
      this.readout.textContent = '';
      return;
    }
    const i = this.baseIndex();
    if (i < 0) {
      this.readout.textContent = '';
      return;
    }
    const col = (k: Parameters<typeof steps.column>[0]): number => steps.column(k)[i]!;
    const parts = [
      this.hovered === null ? t('last step {0}', col('step')) : t('step {0}', col('step')),
      formatDuration(col('elapsedMs') / 1000),
      t('loss {0}', formatValue(col('loss'))),
      t('smoothed {0}', formatValue(s.smoothedRaw[i])),
      ...(s.valLoss[i] !== null ? [t('val {0}', formatValue(s.valLoss[i])), t('val acc {0}', formatValue(s.valAccuracy[i]))] : []),
      `lr ${formatValue(col('lr'))}`,
      t('grad {0}', formatValue(col('gradNorm'))),
      t('{0} tok/s', formatValue(col('tokensPerSecond'))),
    ];
    // Other runs at the hovered x, in their colours' order.
    const others = this.chart?.others ?? [];
    if (this.hovered !== null && others.length > 0) {
      others.forEach((r, k) => {
        const v = this.chart?.data[4 + 2 * k]?.[this.hovered!];
        if (v !== null && v !== undefined) parts.push(`${r.label} ${formatValue(v)}`);
      });
    }
    this.readout.textContent = parts.join('  ·  ');
  }

  /** The current run's index at the hovered x (its last point at or before it), or its last point. */
  private baseIndex(): number {
    const n = this.store.steps.length;
    if (this.hovered === null || !this.plot) return n - 1;
    const x = this.plot.data[0][this.hovered];
    if (x === undefined || !this.series) return n - 1;
    return indexAtOrBefore(this.series.x, x);
  }

  private exportMetrics(format: 'csv' | 'json'): void {
    // Several runs shown (or another than the current one): all of them, one block each.
    const shown = shownRuns(this.store, this.theme);
    if (shown.length > 0 && !onlyCurrent(shown)) {
      const runs = shown.map((r) => ({ id: r.run.id, label: r.run.label, current: r.run.current, steps: r.steps, evals: r.evals }));
      const smoothing = this.store.ui.smoothing;
      this.exporter.save(format, `runs-metrics.${format}`, format === 'csv' ? runsMetricsCsv(runs, smoothing) : runsMetricsJson(runs, smoothing));
      return;
    }
    const steps = this.store.steps.snapshot();
    const evals = this.store.evals.snapshot();
    const smoothed = this.series?.smoothedRaw ?? new Float64Array(0);
    const data = format === 'csv' ? metricsCsv(steps, smoothed, evals) : metricsJson(steps, smoothed, this.store.ui.smoothing, evals);
    this.exporter.save(format, `metrics.${format}`, data);
  }
}

export { withAlpha } from './colors';
