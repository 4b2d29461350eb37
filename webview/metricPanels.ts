/**
 * The run's other numbers, one small chart each, sharing the loss chart's x axis and cursor:
 * learning rate (the schedule's shape), gradient norm (spikes before divergence), tokens per
 * second (throughput) and validation accuracy (at evaluation steps). With other runs shown on
 * the loss panel (its run list), each chart draws every shown run in that run's colour
 * (metricRuns.ts); with only the current run, its columns go to the charts as they are.
 */

import { canvasPng } from './canvas';
import { createChart, followWidth, isZoomed, updateData, type Plot, type PlotData } from './charts';
import { button, el, section, setNote } from './dom';
import type { Exporter } from './exporter';
import { buildSeries, type RunSeries } from './seriesData';
import { metricRunsData, type MetricKey } from './metricRuns';
import { onlyCurrent, shownRuns } from './shownRuns';
import type { Store } from './store';
import type { Theme } from './theme';
import { t } from './l10n';

const HEIGHT = 140;

interface Small {
  readonly key: MetricKey;
  readonly title: string;
  readonly box: HTMLElement;
  plot: Plot | null;
}

export class MetricPanels {
  readonly root: HTMLElement;
  private readonly charts: Small[];
  private readonly grid: HTMLElement;
  private readonly note: HTMLElement;
  private builtFor = '';

  constructor(
    private readonly store: Store,
    private theme: Theme,
    private readonly exporter: Exporter,
  ) {
    const s = section('metrics', t('Training metrics'));
    this.root = s.root;
    const grid = el('div', { class: 'small-multiples' });
    this.grid = grid;
    this.note = s.note;
    s.body.append(grid);
    const specs: [Small['key'], string][] = [
      ['lr', t('Learning rate')],
      ['gradNorm', t('Gradient norm')],
      ['tokensPerSecond', t('Tokens / s')],
      ['valAccuracy', t('Validation accuracy')],
    ];
    this.charts = specs.map(([key, title]) => {
      const box = el('div', { class: 'plot' });
      const c: Small = { key, title, box, plot: null };
      grid.append(
        el(
          'figure',
          { class: 'small' },
          el(
            'figcaption',
            {},
            el('span', { text: title }),
            button(
              'PNG',
              t('Save “{0}” as PNG', title),
              () => c.plot && this.exporter.save('png', `${key}.png`, canvasPng(c.plot.ctx.canvas, this.theme.background)),
              'btn small-btn',
            ),
          ),
          box,
        ),
      );
      followWidth(
        box,
        () => c.plot,
        () => HEIGHT,
      );
      return c;
    });
  }

  setTheme(theme: Theme): void {
    this.theme = theme;
    this.builtFor = '';
  }

  render(): void {
    const ui = this.store.ui;
    const runs = shownRuns(this.store, this.theme);
    const multi = this.store.runs.length > 0 && !onlyCurrent(runs);
    const empty = multi ? runs.length === 0 : this.store.steps.length === 0;
    this.grid.hidden = empty;
    setNote(
      this.note,
      empty
        ? multi
          ? t('No run is shown: tick one in the loss panel’s run list.')
          : t('Learning rate, gradient norm, throughput and validation accuracy appear here while a model trains.')
        : multi
          ? t('The {0} runs shown on the loss panel, each in its colour.', runs.length)
          : null,
    );
    if (empty) return;
    if (multi) return this.renderRuns(runs);
    const s: RunSeries = buildSeries(this.store, ui.xAxis, null);
    const key = `${ui.xAxis}|${this.theme.background}|${this.theme.foreground}`;
    const rebuild = key !== this.builtFor;
    this.builtFor = key;
    this.charts.forEach((c, i) => {
      const data: PlotData = [s.x, s[c.key]];
      if (!c.plot || rebuild) {
        c.plot?.destroy();
        const color = this.theme.series[i % this.theme.series.length]!;
        c.plot = createChart(
          c.box,
          this.theme,
          {
            height: HEIGHT,
            axis: ui.xAxis,
            series: [
              {
                label: c.title,
                stroke: color,
                width: 1.5,
                spanGaps: c.key === 'valAccuracy',
                points: { show: c.key === 'valAccuracy', size: 5, fill: color, stroke: color },
              },
            ],
          },
          data,
        );
      } else {
        updateData(c.plot, data, isZoomed(c.plot, s.x));
      }
    });
  }

  /** Every shown run in each chart, over one x (the loss panel's colours and dashes). */
  private renderRuns(runs: ReturnType<typeof shownRuns>): void {
    const axis = this.store.ui.xAxis;
    const key = `runs|${axis}|${this.theme.background}|${this.theme.foreground}|${runs.map((r) => `${r.run.id}:${r.run.color}`).join(',')}`;
    const rebuild = key !== this.builtFor;
    this.builtFor = key;
    this.charts.forEach((c) => {
      const { x, series } = metricRunsData(runs, c.key, axis);
      const data = [x, ...series] as PlotData;
      if (!c.plot || rebuild) {
        c.plot?.destroy();
        const points = c.key === 'valAccuracy';
        c.plot = createChart(
          c.box,
          this.theme,
          {
            height: HEIGHT,
            axis,
            series: runs.map((r) => ({
              label: `${c.title} · ${r.run.label}`,
              stroke: r.run.color,
              width: 1.5,
              ...(r.run.dash ? { dash: r.run.dash } : {}),
              spanGaps: true,
              points: { show: points, size: 5, fill: r.run.color, stroke: r.run.color },
            })),
          },
          data,
        );
      } else {
        updateData(c.plot, data, isZoomed(c.plot, x));
      }
    });
  }
}
