/**
 * The loss panel's run list: one row per run (the current one and those kept in this
 * workspace) with a checkbox to show or hide it on the chart, its colour, how it ended, its
 * final and best validation loss, when it ran and for how long, its settings, and a mark when
 * it overfits. Below, the text each visible run generated from the probe at its evaluations,
 * so the runs' writing can be compared step by step.
 */

import { formatDuration, formatValue } from '../src/presentation/chartRange';
import { detectOverfitting } from '../src/presentation/overfitting';
import { button, el } from './dom';
import { postToHost } from './vscodeApi';
import type { PageRun } from './pageRuns';
import type { Store } from './store';
import { statusName } from './header';
import { t } from './l10n';

export class RunList {
  readonly root = el('div', { class: 'runs' });
  private readonly list = el('ul', { class: 'run-list', attrs: { 'aria-label': t('Runs') } });
  /** The samples, placed by the panel (below the step table). */
  readonly samples = el('div', { class: 'run-samples' });
  /** Which runs' samples are unfolded (kept across redraws; the current run's are by default). */
  private readonly unfolded = new Map<string, boolean>();

  constructor(
    private readonly store: Store,
    private readonly redraw: () => void,
  ) {
    this.root.append(this.list);
  }

  render(runs: readonly PageRun[]): void {
    this.root.hidden = runs.length === 0;
    this.list.replaceChildren(...runs.map((r) => this.row(r)));
    this.renderSamples(runs.filter((r) => r.visible && r.samples.length > 0));
  }

  private row(r: PageRun): HTMLElement {
    const box = el('input', { attrs: { type: 'checkbox', 'aria-label': t('Show {0}', r.label) } });
    box.checked = r.visible;
    box.addEventListener('change', () => {
      if (box.checked) this.store.hiddenRuns.delete(r.id);
      else this.store.hiddenRuns.add(r.id);
      this.redraw();
    });
    const swatch = el('span', { class: `swatch${r.dash ? ' dashed' : ''}` });
    swatch.style.background = r.dash ? 'transparent' : r.color;
    swatch.style.borderColor = r.color;
    const overfit = detectOverfitting(r.steps, r.evals);
    const li = el(
      'li',
      { class: `run${r.current ? ' current' : ''}`, attrs: { 'data-run': r.id } },
      el('label', { class: 'run-name' }, box, swatch, el('span', { class: 'label', text: r.label })),
      el('span', { class: 'run-facts', text: facts(r) }),
      overfit
        ? el('span', {
            class: 'badge overfit',
            text: t('overfits after step {0}', overfit.bestStep),
            title: t('Validation loss stopped improving while training loss kept falling'),
          })
        : null,
    );
    // Earlier runs can be forgotten (the host drops them from the workspace); the current one stays.
    if (!r.current)
      li.append(
        button(
          t('Forget'),
          t("Forget {0} (remove it from this workspace's runs)", r.label),
          () => postToHost({ type: 'forgetRun', id: r.id }),
          'btn small-btn',
        ),
      );
    li.title = runDetails(r);
    return li;
  }

  private renderSamples(runs: readonly PageRun[]): void {
    this.samples.hidden = runs.length === 0;
    if (runs.length === 0) {
      this.samples.replaceChildren();
      return;
    }
    this.samples.replaceChildren(
      el('h3', { text: t('Samples at evaluation points') }),
      ...runs.map((r) => {
        const first = r.samples[0];
        const rows = r.samples.map((s) =>
          el('tr', {}, el('td', { class: 'num', text: String(s.step) }), el('td', { class: 'sample' }, el('span', { class: 'gen', text: s.text }))),
        );
        const open = this.unfolded.get(r.id) ?? r.current;
        const box = el(
          'details',
          // The current run's samples open; earlier runs' folded (a click opens them).
          { class: 'run-sample', attrs: { ...(open ? { open: '' } : {}), 'data-run': r.id } },
          el('summary', {}, `${r.label}`, first ? el('span', { class: 'prompt', text: t(' — continuing “{0}”', first.prompt) }) : null),
          el(
            'table',
            { class: 'numbers samples' },
            el('thead', {}, el('tr', {}, el('th', { text: t('step') }), el('th', { text: t('generated') }))),
            el('tbody', {}, ...rows),
          ),
        );
        box.addEventListener('toggle', () => this.unfolded.set(r.id, box.open));
        return box;
      }),
    );
  }
}

/** "completed · 300 steps · loss 1.06 · best val 3.34 @ 100 · 1m 42s" */
function facts(r: PageRun): string {
  const n = r.steps.step.length;
  const parts: string[] = [r.current ? t('{0} (current)', statusName(r.status)) : statusName(r.status)];
  if (n > 0) parts.push(t('{0} of {1} steps', r.steps.step[n - 1]!, r.totalSteps));
  const lastLoss = lastFinite(r.steps.loss);
  if (lastLoss !== null) parts.push(t('loss {0}', formatValue(lastLoss)));
  let best = -1;
  for (let j = 0; j < r.evals.valLoss.length; j++)
    if (Number.isFinite(r.evals.valLoss[j]!) && (best < 0 || r.evals.valLoss[j]! < r.evals.valLoss[best]!)) best = j;
  if (best >= 0) parts.push(t('best val {0} @ {1}', formatValue(r.evals.valLoss[best]), r.evals.step[best]!));
  if (n > 0) parts.push(formatDuration(r.steps.elapsedMs[n - 1]! / 1000));
  if (r.origin === 'checkpoint') parts.push(t('from a checkpoint'));
  return parts.join(' · ');
}

function runDetails(r: PageRun): string {
  const lines: string[] = [r.label];
  if (r.startedAt !== null) lines.push(t('started {0}', new Date(r.startedAt).toLocaleString()));
  if (r.startedAt !== null && r.finishedAt !== null) lines.push(t('wall-clock {0}', formatDuration((r.finishedAt - r.startedAt) / 1000)));
  const c = r.config;
  if (c)
    lines.push(
      t(
        'preset {0}, {1} steps, batch {2}, learning rate {3}, seed {4}, eval every {5}',
        c.preset,
        c.steps,
        c.batchSize ?? t('preset default'),
        c.learningRate ?? t('preset default'),
        c.seed,
        c.evalInterval,
      ),
    );
  if (r.best) lines.push(t('validation-best checkpoint (step {0}): {1}', r.best.step, r.best.path));
  if (r.message) lines.push(r.message);
  return lines.join('\n');
}

function lastFinite(col: Float64Array): number | null {
  for (let i = col.length - 1; i >= 0; i--) if (Number.isFinite(col[i]!)) return col[i]!;
  return null;
}
