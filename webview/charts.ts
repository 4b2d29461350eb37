/**
 * The one file that touches uPlot (bundled into the page by esbuild; its layout rules are in
 * media/dashboard.css): the other views use the types re-exported here. Set up the way every
 * chart on the dashboard wants it: theme colours for axes and
 * grid, the x axis as steps or relative time, a cursor synced across the run's charts (hover
 * one, read all), drag-to-zoom with double-click to reset, no built-in legend (the readout
 * line replaces it), and resizing with its container.
 */

import uPlot from 'uplot';
import { formatDuration, formatValue } from '../src/presentation/chartRange';
import type { LossAxis } from '../src/protocol/webviewProtocol';
import type { Theme } from './theme';

export type Plot = uPlot;
export type PlotData = uPlot.AlignedData;
export type RangeFunction = uPlot.Range.Function;

export const SYNC_KEY = 'attention-lens-run';

export interface ChartSpec {
  readonly height: number;
  readonly axis: LossAxis;
  readonly series: uPlot.Series[];
  readonly yScale?: uPlot.Scale;
  readonly yLabel?: string;
  readonly hooks?: uPlot.Hooks.Arrays;
  readonly plugins?: uPlot.Plugin[];
}

export function axes(theme: Theme, axis: LossAxis, yLabel?: string): uPlot.Axis[] {
  const common = { stroke: theme.muted, font: theme.font, grid: { stroke: theme.grid, width: 1 }, ticks: { stroke: theme.grid, width: 1 } };
  return [
    { ...common, values: (_u, ticks) => ticks.map((v) => (axis === 'time' ? formatDuration(v) : formatValue(v))) },
    { ...common, size: 56, label: yLabel, labelFont: theme.font, labelSize: yLabel ? 18 : 0, values: (_u, ticks) => ticks.map((v) => formatValue(v)) },
  ];
}

export function createChart(container: HTMLElement, theme: Theme, spec: ChartSpec, data: uPlot.AlignedData): uPlot {
  const opts: uPlot.Options = {
    width: Math.max(200, container.clientWidth),
    height: spec.height,
    legend: { show: false },
    cursor: { sync: { key: SYNC_KEY }, drag: { x: true, y: false, setScale: true }, points: { size: 6 } },
    scales: { x: { time: false }, ...(spec.yScale ? { y: spec.yScale } : {}) },
    axes: axes(theme, spec.axis, spec.yLabel),
    series: [{ label: spec.axis === 'time' ? 'time' : 'step' }, ...spec.series],
    ...(spec.hooks ? { hooks: spec.hooks } : {}),
    ...(spec.plugins ? { plugins: spec.plugins } : {}),
  };
  return new uPlot(opts, data, container);
}

/** Keeps a chart as wide as its container. Returns the observer so the caller can stop it. */
export function followWidth(container: HTMLElement, chart: () => uPlot | null, height: () => number): ResizeObserver {
  let last = 0;
  const ro = new ResizeObserver(() => {
    const w = Math.max(200, Math.floor(container.clientWidth));
    const u = chart();
    if (!u || w === last) return;
    last = w;
    u.setSize({ width: w, height: height() });
  });
  ro.observe(container);
  return ro;
}

/** Whether the user zoomed the x axis in (so new data must not reset the view). */
export function isZoomed(u: uPlot, xs: ArrayLike<number>): boolean {
  if (xs.length < 2) return false;
  const { min, max } = u.scales.x ?? {};
  // An empty chart has no x range yet (null): that is not a zoom.
  if (min == null || max == null || u.data[0].length < 2) return false;
  return min > xs[0]! || max < u.data[0][u.data[0].length - 1]!;
}

/** Replaces the data, keeping a user's zoom (new points arrive to the right of it). */
export function updateData(u: uPlot, data: uPlot.AlignedData, zoomed: boolean): void {
  if (!zoomed) {
    u.setData(data);
    return;
  }
  const { min, max } = u.scales.x ?? {};
  u.setData(data, false);
  if (min != null && max != null) u.setScale('x', { min, max });
}
