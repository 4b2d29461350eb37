/**
 * The logit lens at the cursor token: the residual stream after each layer read out through
 * the final norm and the unembedding, as a table — one row per layer (the last row is the
 * model's own prediction), its top predictions with their probabilities, and the probability
 * of the token that actually follows after each layer, so one sees at which depth the model
 * "gets" the answer.
 */

import { formatWeight } from '../src/presentation/attentionView';
import { csv, exportJson } from '../src/presentation/exportData';
import type { LogitLensView } from '../src/protocol/dashboardViews';
import { labelOf } from './attentionCommon';
import { num, queryIndex, vocabLabel } from './debugCommon';
import { button, el, section, setNote } from './dom';
import type { Exporter } from './exporter';
import type { Store } from './store';
import { t } from './l10n';

const SHOWN = 5;

export class LogitLens {
  readonly root: HTMLElement;
  private readonly intro = el('p', { class: 'subtitle' });
  private readonly table = el('table', { class: 'numbers lens' });
  private readonly note: HTMLElement;

  constructor(
    private readonly store: Store,
    private readonly exporter: Exporter,
  ) {
    const s = section('lens', t('Logit lens'));
    this.root = s.root;
    this.note = s.note;
    s.tools.append(
      button('CSV', t('Save the top predictions after each layer as CSV'), () => this.export('csv')),
      button('JSON', t('Save the logit lens as JSON'), () => this.export('json')),
    );
    s.body.append(this.intro, el('div', { class: 'table-box' }, this.table));
  }

  /** The payload if it is about the cursor token shown now. */
  private current(): LogitLensView | null {
    const v = this.store.view('lens');
    const a = this.store.attention;
    return v && a && v.query === queryIndex(a) ? v : null;
  }

  render(): void {
    const v = this.current();
    const a = this.store.attention;
    this.table.hidden = !v;
    if (!v || !a) {
      this.intro.textContent = '';
      const failed = this.store.unavailable('lens');
      setNote(
        this.note,
        !a
          ? t('What the model would predict after each layer, for the cursor token, appears here.')
          : failed !== null
            ? t('No logit lens for this token: {0}', failed)
            : t('Reading the prediction after each layer…'),
      );
      return;
    }
    setNote(this.note, null);
    const known = v.nextId >= 0;
    const next = `"${vocabLabel(v.nextLabel, 20)}"`;
    const intro = t(
      'Token {0} "{1}": the top predictions read from the residual stream after each layer (final norm and unembedding applied); the last row is the model\'s own.',
      a.windowStart + v.query,
      labelOf(a, v.query, 20),
    );
    const following = known
      ? t('The token that follows in the text is {0}: its probability after each layer is in the second column.', next)
      : t("This is the window's last token: the token that follows is not in the window, so there is no probability to follow.");
    this.intro.textContent = `${intro} ${following}`;
    const shown = Math.min(SHOWN, v.k);
    const head = el(
      'tr',
      {},
      el('th', { text: t('layer'), title: t('Read out after this layer') }),
      el('th', {
        class: 'next',
        text: known ? `p(${vocabLabel(v.nextLabel, 12)})` : t('p(next)'),
        title: known ? t('Probability of {0}, the token that follows in the text', next) : t('The window ends here: the next token is unknown'),
      }),
      ...Array.from({ length: shown }, (_, j) => el('th', { class: 'pred', text: `#${j + 1}`, title: t('Most likely next token #{0}', j + 1) })),
    );
    const rows = Array.from({ length: v.layers }, (_, l) => {
      const last = l === v.layers - 1;
      const cells = Array.from({ length: shown }, (_, j) => {
        const i = l * v.k + j;
        const hit = known && v.topIds[i] === v.nextId;
        return el(
          'td',
          { class: `pred${hit ? ' hit' : ''}`, title: hit ? t('The token that actually follows') : '' },
          el('span', { class: 'tok', text: vocabLabel(v.topLabels[i], 12) }),
          ' ',
          el('span', { class: 'p', text: formatWeight(num(v.topProbs, i)) }),
        );
      });
      const p = num(v.nextProbs, l);
      const nextCell = known
        ? el('td', { class: 'next' }, el('span', { class: 'bar', attrs: { 'aria-hidden': 'true' } }), formatWeight(p))
        : el('td', { class: 'next muted', text: '–' });
      if (known) (nextCell.firstChild as HTMLElement).style.width = `${Math.round(Math.max(0, Math.min(1, p)) * 36)}px`;
      return el(
        'tr',
        { class: last ? 'output' : '' },
        el(
          'th',
          { attrs: { scope: 'row' }, title: last ? t("The model's own prediction") : '' },
          String(l),
          last && el('span', { class: 'sr-only', text: t(' (output)') }),
        ),
        nextCell,
        ...cells,
      );
    });
    this.table.replaceChildren(
      el('caption', { class: 'sr-only', text: t('Logit lens for token {0}', a.windowStart + v.query) }),
      el('thead', {}, head),
      el('tbody', {}, ...rows),
    );
  }

  private export(format: 'csv' | 'json'): void {
    const v = this.current();
    const a = this.store.attention;
    if (!v || !a) return;
    const name = `logit-lens-${a.documentName}-token${a.windowStart + v.query}.${format}`;
    if (format === 'json') {
      this.exporter.save('json', name, exportJson(v));
      return;
    }
    const header = ['layer', ...Array.from({ length: v.k }, (_, j) => [`top${j + 1}`, `top${j + 1}_prob`]).flat(), 'next_token', 'next_token_prob'];
    const rows = Array.from({ length: v.layers }, (_, l) => [
      l,
      ...Array.from({ length: v.k }, (_, j) => [v.topLabels[l * v.k + j] ?? '', num(v.topProbs, l * v.k + j)]).flat(),
      v.nextId >= 0 ? v.nextLabel : '',
      v.nextId >= 0 ? num(v.nextProbs, l) : NaN,
    ]);
    this.exporter.save('csv', name, csv(header, rows));
  }
}
