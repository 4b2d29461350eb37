/**
 * The what-if panel (the `compare` view): this text against its edited copy (Compare with Edit)
 * or against the same text under a second model (Compare with Checkpoint…). For the cursor token:
 * a layers × heads table of how far each head's attention row moved (total-variation distance,
 * 0 = the same row, 1 = disjoint; click a head to select it), the keys whose weight moved most
 * in the selected head, and the tokens of the window coloured by how their surprisal changed
 * (red: more surprising here, blue: less), new tokens (no counterpart) outlined.
 */

import { exportJson } from '../src/presentation/exportData';
import type { WhatIf } from '../src/protocol/dashboardViews';
import { labelOf } from './attentionCommon';
import { Diverging, maxAbs, nats, num, queryIndex, signedNats } from './debugCommon';
import { button, el, section, setNote } from './dom';
import type { Exporter } from './exporter';
import type { Store } from './store';
import type { Theme } from './theme';
import { postToHost } from './vscodeApi';
import { t } from './l10n';

const MOVED_SHOWN = 5;

export class ComparisonPanel {
  readonly root: HTMLElement;
  private readonly intro = el('p', { class: 'subtitle' });
  private readonly heads = el('table', { class: 'numbers compare-heads' });
  private readonly moved = el('p', { class: 'subtitle compare-moved' });
  private readonly tokens = el('div', { class: 'chips compare-tokens' });
  private readonly note: HTMLElement;
  private colours: Diverging;

  constructor(
    private readonly store: Store,
    theme: Theme,
    private readonly exporter: Exporter,
  ) {
    const s = section('compare', t('What if'));
    this.root = s.root;
    this.note = s.note;
    this.colours = new Diverging(theme);
    s.tools.append(button('JSON', t('Save the comparison as JSON'), () => this.export()));
    s.body.append(this.intro, el('div', { class: 'table-box' }, this.heads), this.moved, this.tokens);
  }

  setTheme(theme: Theme): void {
    this.colours = new Diverging(theme);
  }

  private current(): WhatIf | null {
    const v = this.store.view('compare');
    const a = this.store.attention;
    return v && a && v.query === queryIndex(a) ? v.comparison : null;
  }

  render(): void {
    const v = this.store.view('compare');
    const a = this.store.attention;
    const c = this.current();
    this.heads.hidden = this.moved.hidden = this.tokens.hidden = !c;
    if (!c || !a) {
      this.intro.textContent = '';
      const failed = this.store.unavailable('compare');
      setNote(
        this.note,
        !a
          ? t('How attention and loss change under an edit or another model, for the cursor token, appears here.')
          : failed !== null
            ? t('No comparison here: {0}', failed)
            : v && v.comparison === null
              ? t(
                  'Run "Attention Lens: Compare with Edit" to edit a copy of this window and see what changes, or "Compare with Checkpoint…" to read this text with a second model.',
                )
              : t('Comparing…'),
      );
      return;
    }
    setNote(this.note, null);
    const q = queryIndex(a);
    const where = c.otherQuery >= 0 ? t('its counterpart is token {0} there', c.otherQuery) : t('it is new in this text, so only the loss compares');
    const against = t('Against {0}: token {1} "{2}" ({3}).', c.label, a.windowStart + q, labelOf(a, q, 16), where);
    const delta = signedNats(c.loss - c.otherLoss);
    const losses =
      c.kind === 'edit'
        ? t('Loss here {0}, there {1} ({2}).', nats(c.loss), nats(c.otherLoss), delta)
        : t('Loss here {0}, under the other model {1} ({2}).', nats(c.loss), nats(c.otherLoss), delta);
    this.intro.textContent = `${against} ${losses}`;
    this.drawHeads(c);
    this.drawMoved(c);
    this.drawTokens(c);
  }

  /** Layers × heads: how far the query's row moved in each head. */
  private drawHeads(c: WhatIf): void {
    const { layer, head } = this.store.selection;
    const header = el('tr', {}, el('th', { text: t('layer') }), ...Array.from({ length: c.heads }, (_, h) => el('th', { text: t('head {0}', h) })));
    const rows = Array.from({ length: c.layers }, (_, l) =>
      el(
        'tr',
        {},
        el('th', { text: String(l) }),
        ...Array.from({ length: c.heads }, (_, h) => {
          const d = num(c.headDelta, l * c.heads + h);
          const cell = el('td', {
            text: Number.isFinite(d) ? d.toFixed(3) : '–',
            title: Number.isFinite(d)
              ? t("Layer {0}, head {1}: the query's attention moved {2} % of its weight", l, h, (d * 100).toFixed(1))
              : t('No counterpart to compare with'),
            class: l === layer && h === head ? 'selected' : '',
          });
          cell.style.background = this.colours.css(d, 1);
          cell.style.color = this.colours.text(d, 1);
          cell.addEventListener('click', () => postToHost({ type: 'selectHead', layer: l, head: h }));
          return cell;
        }),
      ),
    );
    this.heads.replaceChildren(el('caption', { text: t("Distance between the query's attention rows (0 same, 1 disjoint)") }), header, ...rows);
  }

  /** The selected head's keys whose weight moved most. */
  private drawMoved(c: WhatIf): void {
    const a = this.store.attention;
    if (!a || c.otherQuery < 0) {
      this.moved.textContent = '';
      return;
    }
    const { layer, head } = this.store.selection;
    const W = a.windowLength;
    const base = (layer * c.heads + head) * W;
    const keys = Array.from({ length: W }, (_, k) => k).filter((k) => Math.abs(num(c.rowDelta, base + k)) > 1e-6);
    keys.sort((x, y) => Math.abs(num(c.rowDelta, base + y)) - Math.abs(num(c.rowDelta, base + x)));
    const shown = keys.slice(0, MOVED_SHOWN).map((k) => {
      const d = num(c.rowDelta, base + k);
      return `"${labelOf(a, k, 12)}" ${d >= 0 ? '+' : '−'}${(Math.abs(d) * 100).toFixed(1)} %`;
    });
    const moved = shown.join(' · ') || t('none');
    this.moved.textContent =
      c.kind === 'edit'
        ? t('Head {0}.{1}, weights that moved most (here − there): {2}', layer, head, moved)
        : t('Head {0}.{1}, weights that moved most (here − other model): {2}', layer, head, moved);
  }

  /** The window's tokens: colour = change of surprisal, outline = new token. */
  private drawTokens(c: WhatIf): void {
    const a = this.store.attention;
    if (!a) return;
    const deltas = Array.from({ length: a.windowLength }, (_, i) => num(c.surprisal, i) - num(c.otherSurprisal, i));
    const scale = Math.max(maxAbs(deltas), 1e-6);
    const q = queryIndex(a);
    const chips = deltas.map((d, i) => {
      const isNew = num(c.aligned, i) < 0;
      const chip = el('span', {
        class: `chip${isNew ? ' new' : ''}${i === q ? ' query' : ''}`,
        text: labelOf(a, i, 10),
        title: isNew
          ? t('"{0}" is new here: surprisal {1}', labelOf(a, i, 24), nats(num(c.surprisal, i)))
          : c.kind === 'edit'
            ? t('"{0}": surprisal {1} here, {2} there ({3})', labelOf(a, i, 24), nats(num(c.surprisal, i)), nats(num(c.otherSurprisal, i)), signedNats(d))
            : t(
                '"{0}": surprisal {1} here, {2} under the other model ({3})',
                labelOf(a, i, 24),
                nats(num(c.surprisal, i)),
                nats(num(c.otherSurprisal, i)),
                signedNats(d),
              ),
      });
      chip.style.background = this.colours.css(d, scale);
      chip.style.color = this.colours.text(d, scale);
      if (isNew) chip.style.outline = '1px dashed currentColor';
      return chip;
    });
    this.tokens.replaceChildren(...chips);
  }

  private export(): void {
    const v = this.store.view('compare');
    if (!v?.comparison) return;
    this.exporter.save('json', 'comparison.json', exportJson(v));
  }
}
