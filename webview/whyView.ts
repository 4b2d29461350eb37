/**
 * "Why does this head look there?" for the cursor token, with the model's real numbers: the
 * raw scores q·k/√d the host already has, then the softmax step by step (subtract the max,
 * exponentiate, divide by the sum), checked against the weights the model produced. With the
 * engine's q/k/v detail it also shows q, each k·q before scaling, and the weighted sum of v.
 */

import { formatWeight } from '../src/presentation/attentionView';
import { formatValue } from '../src/presentation/chartRange';
import { dotProducts, softmaxSteps, weightedSum } from '../src/presentation/softmaxSteps';
import { labelOf, selectWindowTokens } from './attentionCommon';
import { el, section, setNote } from './dom';
import type { Store } from './store';
import { t } from './l10n';

const ROWS = 10;

export class WhyView {
  readonly root: HTMLElement;
  private readonly intro = el('p', { class: 'subtitle' });
  private readonly table = el('table', { class: 'numbers' });
  private readonly check = el('p', { class: 'muted' });
  private readonly vectors = el('div', { class: 'vectors' });
  private readonly note: HTMLElement;

  constructor(private readonly store: Store) {
    const s = section('why', t('Why these weights'));
    this.root = s.root;
    this.note = s.note;
    s.body.append(this.intro, el('div', { class: 'table-box' }, this.table), this.check, this.vectors);
  }

  render(): void {
    const a = this.store.attention;
    this.table.hidden = !a;
    if (!a) {
      setNote(this.note, t("The arithmetic behind the selected head's weights for the cursor token appears here."));
      this.intro.textContent = this.check.textContent = '';
      this.vectors.replaceChildren();
      return;
    }
    setNote(this.note, null);
    const { layer, head } = this.store.selection;
    const W = a.windowLength;
    const o = (layer * a.heads + head) * W;
    const q = a.from - a.windowStart;
    const scores = a.scores.subarray(o, o + W);
    const steps = softmaxSteps(scores);
    const model = a.rows.subarray(o, o + W);
    const single = a.to - a.from === 1;
    const intro = t(
      'Query "{0}" (token {1}), layer {2}, head {3}. Each key\'s score is q·k/√d; softmax subtracts the largest score (m = {4}), exponentiates, and divides by the sum Σ = {5}.',
      labelOf(a, q, 20),
      a.from,
      layer,
      head,
      formatValue(steps.max),
      formatValue(steps.sum),
    );
    const masking =
      this.store.model?.causal === false
        ? t('This model is an encoder: the query sees the keys after it too.')
        : t('Keys after the query are masked (score −∞, weight 0).');
    this.intro.textContent = `${intro} ${masking}`;
    // Every key the query can see (masked keys score −∞), strongest first; the table shows the top ROWS.
    const keys = [...Array(W).keys()].filter((k) => Number.isFinite(scores[k]!)).sort((x, y) => steps.weights[y]! - steps.weights[x]!);
    const order = keys.slice(0, ROWS);
    const columns: [string, string][] = [
      [t('key'), t('The key token (click to select it in the editor)')],
      [t('score'), t('q·k/√d, from the model')],
      ['− m', t('score minus the largest score')],
      ['exp', 'exp(score − m)'],
      ['÷ Σ', t('exp / Σ exp: the softmax weight')],
      [single ? t('model') : t('mean'), single ? t("The model's own weight") : t('Mean weight over the selected query range')],
    ];
    const head_ = el('tr', {}, ...columns.map(([name, title]) => el('th', { text: name, title })));
    const rows = order.map((k) => {
      const cell = el('td', {}, el('span', { class: 'bar', attrs: { 'aria-hidden': 'true' } }), formatWeight(steps.weights[k]!));
      (cell.firstChild as HTMLElement).style.width = `${Math.round(steps.weights[k]! * 60)}px`;
      const token = el(
        'td',
        { class: 'token' },
        el('button', {
          class: 'linkish',
          text: labelOf(a, k, 20),
          title: t('Token {0}: select it in the editor', a.windowStart + k),
          attrs: { type: 'button' },
        }),
      );
      token.firstChild!.addEventListener('click', () => selectWindowTokens(a, k));
      return el(
        'tr',
        {},
        token,
        el('td', { text: formatValue(scores[k]!) }),
        el('td', { text: formatValue(scores[k]! - steps.max) }),
        el('td', { text: formatValue(steps.exps[k]!) }),
        cell,
        el('td', { text: formatWeight(model[k]!) }),
      );
    });
    this.table.replaceChildren(el('thead', {}, head_), el('tbody', {}, ...rows));
    let diff = 0;
    for (let k = 0; k < W; k++) diff = Math.max(diff, Math.abs(steps.weights[k]! - model[k]!));
    const shown = order.length;
    this.check.textContent = single
      ? t("Top {0} of {1} keys. Recomputed from the scores, the weights match the model's to within {2}.", shown, keys.length, diff.toExponential(1))
      : t("Top {0} of {1} keys. The scores are the first query token's; the last column is the mean over the selected query range.", shown, keys.length);
    this.renderVectors(steps.weights);
  }

  /** q, k·q and Σ w·v, when the engine sends the head's vectors for this query. */
  private renderVectors(weights: Float64Array): void {
    const d = this.store.view('why');
    const a = this.store.attention!;
    const { layer, head } = this.store.selection;
    if (!d || d.layer !== layer || d.head !== head || d.query !== a.from - a.windowStart) {
      const failed = this.store.unavailable('why');
      this.vectors.replaceChildren(
        el('p', { class: 'muted', text: failed !== null ? t('No q, k and v for this head: {0}', failed) : t('Loading q, k and v for this head…') }),
      );
      return;
    }
    const hs = d.headSize;
    const dots = dotProducts(d.q, d.k, hs);
    const out = weightedSum(weights, d.v, hs);
    const vec = (v: ArrayLike<number>): string =>
      `[${Array.from(v)
        .slice(0, 8)
        .map((x) => formatValue(x))
        .join(', ')}${v.length > 8 ? ', …' : ''}]`;
    const top = [...weights.keys()].sort((x, y) => weights[y]! - weights[x]!).slice(0, 3);
    this.vectors.replaceChildren(
      el('p', { text: t('q ({0} dims) = {1}', hs, vec(d.q)) }),
      ...top.map((k) =>
        el('p', {
          text: t(
            'k of "{0}" = {1}; q·k = {2}; ÷ √{3} = {4}',
            labelOf(a, k),
            vec(d.k.subarray(k * hs, (k + 1) * hs)),
            formatValue(dots[k]!),
            hs,
            formatValue(dots[k]! / Math.sqrt(hs)),
          ),
        }),
      ),
      el('p', { text: t('output = Σ weight·v = {0} (engine: {1})', vec(out), vec(d.output)) }),
    );
  }
}
