/**
 * The step table (TensorBoard's): for every visible run, its smoothed training loss and its
 * validation loss at two chosen steps, the change between them and the change in percent.
 * The steps are typed in, or picked on the chart (click: step B, shift-click: step A); by
 * default they are the first and the last step shown.
 */

import { formatValue } from '../src/presentation/chartRange';
import { classicSmoothing } from '../src/presentation/smoothing';
import { compareSteps, formatChange, formatPercent, type StepComparison } from '../src/presentation/stepCompare';
import { el } from './dom';
import type { PageRun } from './pageRuns';
import type { Store } from './store';
import { t } from './l10n';

export class StepTable {
  readonly root = el('div', { class: 'step-table' });
  private readonly inputA = stepInput(t('Step A'));
  private readonly inputB = stepInput(t('Step B'));
  private readonly table = el('table', { class: 'numbers compare' });

  constructor(
    private readonly store: Store,
    private readonly redraw: () => void,
  ) {
    const set = (key: 'a' | 'b', input: HTMLInputElement): void => {
      const v = Number(input.value);
      this.store.stepPick = { ...this.store.stepPick, [key]: input.value === '' || !Number.isFinite(v) ? null : Math.max(0, Math.round(v)) };
      this.redraw();
    };
    this.inputA.addEventListener('change', () => set('a', this.inputA));
    this.inputB.addEventListener('change', () => set('b', this.inputB));
    this.root.append(
      el(
        'div',
        { class: 'step-pick', title: t('Click the chart to set step B, shift-click to set step A') },
        el('label', {}, t('Compare step'), ' ', this.inputA),
        el('label', {}, ' ', t('with step'), ' ', this.inputB),
      ),
      this.table,
    );
  }

  /** The steps compared: the chosen ones, else the first and last step of the visible runs. */
  steps(runs: readonly PageRun[]): { a: number; b: number } | null {
    let first = Infinity;
    let last = -Infinity;
    for (const r of runs) {
      const n = r.steps.step.length;
      if (!r.visible || n === 0) continue;
      first = Math.min(first, r.steps.step[0]!);
      last = Math.max(last, r.steps.step[n - 1]!);
    }
    if (!Number.isFinite(first)) return null;
    return { a: this.store.stepPick.a ?? first, b: this.store.stepPick.b ?? last };
  }

  render(runs: readonly PageRun[], smoothing: number): void {
    const at = this.steps(runs);
    this.root.hidden = at === null;
    if (!at) return;
    if (document.activeElement !== this.inputA) this.inputA.value = String(at.a);
    if (document.activeElement !== this.inputB) this.inputB.value = String(at.b);
    const rows: HTMLElement[] = [];
    for (const r of runs) {
      if (!r.visible || r.steps.step.length === 0) continue;
      const smoothed = classicSmoothing(r.steps.loss, smoothing);
      rows.push(row(r, t('loss (smoothed)'), compareSteps(r.steps.step, smoothed, at.a, at.b), at));
      if (r.evals.step.length > 0) rows.push(row(r, t('validation loss'), compareSteps(r.evals.step, r.evals.valLoss, at.a, at.b), at));
    }
    this.table.replaceChildren(
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          ...[t('run'), t('series'), t('step {0}', at.a), t('step {0}', at.b), t('change'), t('% change')].map((name) =>
            el('th', { text: name, attrs: { scope: 'col' } }),
          ),
        ),
      ),
      el('tbody', {}, ...rows),
    );
  }
}

function stepInput(label: string): HTMLInputElement {
  return el('input', { class: 'step-input', attrs: { type: 'number', min: '0', step: '1', 'aria-label': label } });
}

function row(r: PageRun, series: string, c: StepComparison, at: { a: number; b: number }): HTMLElement {
  // The step actually read, when the chosen one has no point of its own (validation every N steps).
  const value = (v: number | null, s: number | null, wanted: number): string =>
    v === null ? '–' : `${formatValue(v)}${s !== null && s !== wanted ? ` (@${s})` : ''}`;
  return el(
    'tr',
    { attrs: { 'data-run': r.id } },
    el('td', { text: r.label }),
    el('td', { text: series }),
    el('td', { class: 'num', text: value(c.a, c.stepA, at.a) }),
    el('td', { class: 'num', text: value(c.b, c.stepB, at.b) }),
    el('td', { class: 'num', text: formatChange(c.change) }),
    el('td', { class: 'num', text: formatPercent(c.percent) }),
  );
}
