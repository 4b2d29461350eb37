/**
 * The repeated-random-tokens test for induction heads, on request: the model reads random
 * tokens repeated twice, and each head's mean attention to "the token after the earlier copy"
 * (the induction stripe) is shown as a layers × heads heat table, with the strongest heads
 * ranked and the loss on each copy (an induction circuit predicts the second copy far better).
 * A head in the table selects it everywhere.
 */

import { csv, exportJson } from '../src/presentation/exportData';
import { ActionSlot, computeButton, computing, Diverging, nats, num } from './debugCommon';
import { button, el, section, setNote } from './dom';
import type { Exporter } from './exporter';
import type { Store } from './store';
import type { Theme } from './theme';
import { postToHost } from './vscodeApi';
import { t } from './l10n';

/** ARENA's threshold: a head whose mean induction stripe exceeds it is an induction head. */
const INDUCTION_THRESHOLD = 0.4;

export class InductionView {
  readonly root: HTMLElement;
  private readonly action = new ActionSlot(el('div', { class: 'ondemand' }));
  private readonly intro = el('p', { class: 'subtitle' });
  private readonly table = el('table', { class: 'numbers ablation induction' });
  private readonly ranked = el('p', { class: 'totals' });
  private readonly note: HTMLElement;
  private readonly exports: HTMLElement;

  constructor(
    private readonly store: Store,
    private theme: Theme,
    private readonly exporter: Exporter,
  ) {
    const s = section('induction', t('Induction heads: repeated random tokens'));
    this.root = s.root;
    this.note = s.note;
    this.exports = el(
      'span',
      { class: 'tools' },
      button('CSV', t("Save every head's stripe scores as CSV"), () => this.export('csv')),
      button('JSON', t('Save the test as JSON'), () => this.export('json')),
    );
    s.tools.append(this.exports);
    s.body.append(this.action.root, this.intro, el('div', { class: 'table-box' }, this.table), this.ranked);
  }

  setTheme(theme: Theme): void {
    this.theme = theme;
  }

  render(): void {
    const v = this.store.view('induction');
    this.table.hidden = this.exports.hidden = !v;
    if (!v) {
      this.intro.textContent = this.ranked.textContent = '';
      this.table.replaceChildren();
      const failed = this.store.unavailable('induction');
      const run = (label: string): HTMLButtonElement =>
        computeButton(this.store, 'induction', label, t('Run the model on random tokens repeated twice and score every head'), () => this.render());
      if (!this.store.model || !this.store.attention) {
        setNote(this.note, t('Which heads copy what followed an earlier occurrence: load a model and put the cursor in a text editor.'));
        this.action.show('none', () => null);
      } else if (failed !== null) {
        setNote(this.note, t('No induction test: {0}', failed));
        this.action.show(`retry ${failed}`, () => run(t('Try again')));
      } else if (this.store.requested('induction')) {
        setNote(this.note, null);
        const c = computing(this.store, 'induction', t('Running the model on repeated random tokens…'));
        this.action.show(c.key, c.make);
      } else {
        setNote(
          this.note,
          t(
            'An induction head attends to the token after an earlier copy of the current one. Random tokens repeated twice isolate it from what the text means.',
          ),
        );
        this.action.show('ask', () => run(t('Run the repeated-random-tokens test')));
      }
      return;
    }
    setNote(this.note, null);
    this.action.show('none', () => null);
    const sequences = v.bos
      ? t('{0} sequences of {1} random tokens, each repeated after BOS.', v.batch, v.half)
      : t('{0} sequences of {1} random tokens, each repeated.', v.batch, v.half);
    const cells = t(
      "Each cell: the head's mean attention from the second copy to the token after the earlier copy (1 = a perfect induction head; ARENA calls a head above {0} one). Click a head to select it.",
      INDUCTION_THRESHOLD,
    );
    this.intro.textContent = `${sequences} ${cells}`;
    const colours = new Diverging(this.theme);
    const sel = this.store.selection;
    const head = el(
      'tr',
      {},
      el('th', { text: t('layer \\ head') }),
      ...Array.from({ length: v.heads }, (_, h) => el('th', { attrs: { scope: 'col' }, text: String(h) })),
    );
    const rows = Array.from({ length: v.layers }, (_, l) =>
      el(
        'tr',
        {},
        el('th', { attrs: { scope: 'row' }, text: String(l) }),
        ...Array.from({ length: v.heads }, (_, h) => {
          const i = l * v.heads + h;
          const x = num(v.induction, i);
          const b = button(
            x.toFixed(3),
            t(
              'Layer {0}, head {1}: induction {2}, duplicate {3}, previous token {4} — select this head',
              l,
              h,
              x.toFixed(3),
              num(v.duplicate, i).toFixed(3),
              num(v.previousToken, i).toFixed(3),
            ),
            () => postToHost({ type: 'selectHead', layer: l, head: h }),
            'heatcell',
          );
          // Blue, the colour of "helps" everywhere: strong induction is what is being looked for.
          b.style.backgroundColor = colours.css(-x, 1);
          b.style.color = colours.text(-x, 1);
          if (l === sel.layer && h === sel.head) b.setAttribute('aria-current', 'true');
          return el('td', { class: `heat${x > INDUCTION_THRESHOLD ? ' strong' : ''}` }, b);
        }),
      ),
    );
    this.table.replaceChildren(el('thead', {}, head), el('tbody', {}, ...rows));
    const order = [...Array(v.layers * v.heads).keys()].sort((x, y) => num(v.induction, y) - num(v.induction, x) || x - y).slice(0, 5);
    const strong = order.filter((i) => num(v.induction, i) > INDUCTION_THRESHOLD).length;
    this.ranked.textContent = t(
      'Strongest: {0} — {1} above {2}. Loss on the first copy {3}, on the second {4}.',
      order.map((i) => `${Math.floor(i / v.heads)}.${i % v.heads} (${num(v.induction, i).toFixed(2)})`).join(', '),
      strong === 0 ? t('no head') : strong === 1 ? t('one head') : t('{0} heads', strong),
      INDUCTION_THRESHOLD,
      nats(v.lossFirstHalf),
      nats(v.lossSecondHalf),
    );
  }

  private export(format: 'csv' | 'json'): void {
    const v = this.store.view('induction');
    if (!v) return;
    if (format === 'json') {
      this.exporter.save('json', 'induction-test.json', exportJson(v));
      return;
    }
    const rows = Array.from({ length: v.layers * v.heads }, (_, i) => [
      Math.floor(i / v.heads),
      i % v.heads,
      num(v.induction, i),
      num(v.duplicate, i),
      num(v.previousToken, i),
    ]);
    this.exporter.save('csv', 'induction-test.csv', csv(['layer', 'head', 'induction', 'duplicate', 'previous_token'], rows));
  }
}
