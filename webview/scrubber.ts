/**
 * The step scrubber: a slider over the run's snapshot steps, its last position "live" (the model
 * as it is now). On a step, the matrix, the grid and the head table show the probe window as the
 * model attended at that step (snapshotShown.ts) and the host moves the editor's highlights on
 * the probe to it; "step k of N (snapshot i of n)" says so, and Live (or Escape, or the slider's
 * end) goes back. Keyboard: the slider is a native range input (arrows, Page Up/Down, Home/End).
 * Below it, each head's score over the steps (headScoresPlot.ts), cursor-synced with the loss chart.
 */

import type { RunSnapshots } from '../src/protocol/snapshots';
import { button, el, section, segmented, setNote } from './dom';
import { HeadScoresPlot, PLOTTED_MEASURES, type PlottedMeasure } from './headScoresPlot';
import { KIND_NAME, KIND_SHORT } from './headGrid';
import { t } from './l10n';
import type { Part, Store } from './store';
import type { Theme } from './theme';
import { postToHost } from './vscodeApi';

const number = (n: number): string => n.toLocaleString('en-US');

export class Scrubber {
  readonly root: HTMLElement;
  private readonly note: HTMLElement;
  private readonly slider = el('input', {
    class: 'slider scrubber',
    attrs: { type: 'range', min: '0', max: '0', step: '1', value: '0', 'aria-label': t('Training step shown (the last position is live)') },
  });
  private readonly indicator = el('output', { class: 'step-indicator', attrs: { 'aria-live': 'polite' } });
  private readonly live: HTMLButtonElement;
  private readonly plot: HeadScoresPlot;
  private measure: PlottedMeasure = 'induction';
  private readonly setMeasure: (m: PlottedMeasure) => void;

  constructor(
    private readonly store: Store,
    theme: Theme,
    private readonly invalidate: (parts: readonly Part[]) => void,
  ) {
    const s = section('snapshots', t('Heads over training'));
    this.root = s.root;
    this.note = s.note;
    const measure = segmented(
      PLOTTED_MEASURES.map((m) => ({
        value: m,
        label: m === 'entropy' ? t('entropy') : KIND_SHORT[m],
        title: m === 'entropy' ? t("Each head's mean normalised entropy over steps") : t("Each head's {0} score over steps", KIND_NAME[m]),
      })),
      this.measure,
      (m) => {
        this.measure = m;
        this.render();
      },
    );
    this.setMeasure = measure.set;
    this.live = button(t('Live'), t('Back to the model as it is now (Escape)'), () => this.scrubTo(null));
    s.tools.append(measure.root);
    this.plot = new HeadScoresPlot(theme, (layer, head) => postToHost({ type: 'selectHead', layer, head }));
    this.slider.addEventListener('input', () => {
      const list = this.store.snapshots?.list ?? [];
      const i = Number(this.slider.value);
      this.scrubTo(i >= list.length ? null : list[i]!.step);
    });
    this.slider.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') this.scrubTo(null);
    });
    s.body.append(el('div', { class: 'scrub-row' }, this.slider, this.live), this.indicator, this.plot.root, this.plot.caption);
  }

  setTheme(theme: Theme): void {
    this.plot.setTheme(theme);
  }

  /** Shows `step` (null: live) at once and tells the host, so the editor follows. */
  private scrubTo(step: number | null): void {
    if (step === this.store.scrubStep) return;
    this.store.scrubStep = step;
    postToHost({ type: 'scrub', step });
    this.invalidate(['snapshots']);
  }

  render(): void {
    const s = this.store.snapshots;
    const n = s?.list.length ?? 0;
    this.root.hidden = !s;
    if (!s) return;
    setNote(
      this.note,
      n === 0
        ? t('Snapshots of every head on the probe window are taken while training; the first appears here soon.')
        : n === 1
          ? t('1 snapshot of the probe window "{0}", every {1} steps. Drag to see the model at a step.', preview(s), number(s.every))
          : t('{0} snapshots of the probe window "{1}", every {2} steps. Drag to see the model at a step.', n, preview(s), number(s.every)),
    );
    this.slider.max = String(n);
    this.slider.disabled = n === 0;
    const index = this.store.scrubStep === null ? -1 : s.list.findIndex((x) => x.step === this.store.scrubStep);
    const position = index < 0 ? n : index;
    if (Number(this.slider.value) !== position) this.slider.value = String(position);
    const total = Math.max(this.store.run.totalSteps, s.list.at(-1)?.step ?? 0);
    const text =
      index < 0
        ? this.store.run.status === 'running'
          ? t('Live / latest: the model as it is now (training)')
          : t('Live / latest: the model as it is now')
        : t('Step {0} of {1} (snapshot {2} of {3})', number(s.list[index]!.step), number(total), index + 1, n);
    this.indicator.textContent = text;
    this.slider.setAttribute('aria-valuetext', text);
    this.live.disabled = index < 0;
    this.setMeasure(this.measure);
    const first = this.store.steps.length > 0 ? this.store.steps.column('step')[0]! : (s.list[0]?.step ?? 0);
    this.plot.render({
      snapshots: s,
      measure: this.measure,
      selected: this.store.selection,
      step: index < 0 ? null : s.list[index]!.step,
      xRange: [Math.min(first, s.list[0]?.step ?? first), total],
    });
  }
}

/** The probe's first characters, on one line. */
function preview(s: RunSnapshots): string {
  const t = s.probe.text.replace(/\s+/g, ' ').trim();
  return t.length > 40 ? `${t.slice(0, 40)}…` : t;
}
