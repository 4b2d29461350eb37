/**
 * Head ablation at the cursor token, on demand (one forward pass per head, so only when asked):
 * for each head, how much the log-probability of the token that follows changes when that head
 * alone is zeroed. Shown as a layers × heads heat-map table with diverging colours (blue: the
 * head helps the prediction, red: it hurts), or ranked by effect; a cell or row selects that
 * head everywhere, and the selected head is outlined.
 */

import { formatWeight } from '../src/presentation/attentionView';
import { csv, exportJson } from '../src/presentation/exportData';
import type { AblationSweepView } from '../src/protocol/dashboardViews';
import { labelOf } from './attentionCommon';
import { ActionSlot, computeButton, computing, Diverging, maxAbs, num, queryIndex, signedNats, vocabLabel } from './debugCommon';
import { button, el, section, segmented, setNote } from './dom';
import { headHeatTable } from './headHeatTable';
import type { Exporter } from './exporter';
import type { Store } from './store';
import type { Theme } from './theme';
import { postToHost } from './vscodeApi';
import { t } from './l10n';

type Order = 'head' | 'effect';

export class AblationView {
  readonly root: HTMLElement;
  private readonly action = new ActionSlot(el('div', { class: 'ondemand' }));
  private readonly intro = el('p', { class: 'subtitle' });
  private readonly table = el('table', { class: 'numbers ablation' });
  /** Heads picked to switch off together in the editor ("l.h"); kept across queries, the model's shape permitting. */
  private readonly picked = new Set<string>();
  private readonly pickBar = el('div', { class: 'pickbar' });
  private readonly note: HTMLElement;
  private readonly exports: HTMLElement;
  private order: Order = 'head';
  private readonly setOrder: (o: Order) => void;
  private readonly orderControl: HTMLElement;

  constructor(
    private readonly store: Store,
    private theme: Theme,
    private readonly exporter: Exporter,
  ) {
    const s = section('ablation', t('Head ablation'));
    this.root = s.root;
    this.note = s.note;
    const order = segmented(
      [
        { value: 'head', label: t('By head'), title: t('Layers × heads, in model order') },
        { value: 'effect', label: t('By effect'), title: t('Ranked: the heads the prediction needs most first') },
      ] as const,
      this.order,
      (o) => {
        this.order = o;
        this.render();
      },
    );
    this.setOrder = order.set;
    this.orderControl = order.root;
    this.exports = el(
      'span',
      { class: 'tools' },
      button('CSV', t("Save every head's effect as CSV"), () => this.export('csv')),
      button('JSON', t('Save the ablation sweep as JSON'), () => this.export('json')),
    );
    s.tools.append(order.root, this.exports);
    s.body.append(this.action.root, this.intro, el('div', { class: 'table-box' }, this.table), this.pickBar);
  }

  setTheme(theme: Theme): void {
    this.theme = theme;
  }

  private current(): AblationSweepView | null {
    const v = this.store.view('ablation');
    const a = this.store.attention;
    return v && a && v.query === queryIndex(a) ? v : null;
  }

  render(): void {
    const v = this.current();
    const a = this.store.attention;
    this.setOrder(this.order);
    this.table.hidden = this.orderControl.hidden = this.exports.hidden = this.pickBar.hidden = !v;
    this.intro.textContent = '';
    if (v) this.drawPickBar(v);
    if (!v || !a) {
      this.table.replaceChildren();
      const failed = this.store.unavailable('ablation');
      const run = (label: string): HTMLButtonElement =>
        computeButton(
          this.store,
          'ablation',
          label,
          t('Zero each head in turn and measure the change in log p of the next token (one forward pass per head)'),
          () => this.render(),
        );
      if (!a) {
        setNote(this.note, t('Which heads the prediction at the cursor token needs: put the cursor in a text editor, then run the sweep.'));
        this.action.show('none', () => null);
      } else if (failed !== null) {
        setNote(this.note, t('No ablation sweep for this token: {0}', failed));
        this.action.show(`retry ${failed}`, () => run(t('Try again')));
      } else if (this.store.requested('ablation')) {
        setNote(this.note, null);
        const c = computing(
          this.store,
          'ablation',
          this.store.model
            ? t('Computing… one forward pass per head ({0} heads).', this.store.model.layers * this.store.model.heads)
            : t('Computing… one forward pass per head.'),
        );
        this.action.show(c.key, c.make);
      } else {
        setNote(
          this.note,
          t(
            'Which heads does the prediction at token {0} "{1}" need? Zero each head alone and see how log p of the next token changes.',
            a.from,
            labelOf(a, queryIndex(a), 16),
          ),
        );
        this.action.show('ask', () => run(t('Run the ablation sweep (one forward per head)')));
      }
      return;
    }
    setNote(this.note, null);
    this.action.show('none', () => null);
    this.intro.textContent = t(
      'Target "{0}" after token {1} "{2}": log p = {3} (p = {4}) with every head. Each cell is Δ log p with that head alone zeroed: blue (negative) = the head helps this prediction, red (positive) = it works against it. Click a head to select it.',
      vocabLabel(v.targetLabel, 20),
      a.windowStart + v.query,
      labelOf(a, v.query, 16),
      v.logProb.toFixed(3),
      formatWeight(Math.exp(v.logProb)),
    );
    const scale = maxAbs(v.effects);
    const colours = new Diverging(this.theme);
    const sel = this.store.selection;
    const caption = el('caption', { class: 'sr-only', text: t('Change in log p of "{0}" when each head is zeroed', v.targetLabel) });
    if (this.order === 'head') {
      const cells = headHeatTable(v.layers, v.heads, sel, (l, h) => {
        const e = num(v.effects, l * v.heads + h);
        const b = this.headButton(l, h, e, signed(e));
        b.style.backgroundColor = colours.css(e, scale);
        b.style.color = colours.text(e, scale);
        return [this.pickBox(v, l, h), b];
      });
      this.table.replaceChildren(caption, ...cells);
      return;
    }
    const order = [...Array(v.layers * v.heads).keys()].sort((x, y) => num(v.effects, x) - num(v.effects, y) || x - y);
    const head = el(
      'tr',
      {},
      el('th', { text: t('pick'), title: t('Heads to switch off together in the editor') }),
      el('th', { text: t('rank') }),
      el('th', { text: t('head') }),
      el('th', { text: 'Δ log p', title: t('log p(target | head zeroed) − log p(target)') }),
      el('th', { text: t('p without it') }),
    );
    const rows = order.map((i, r) => {
      const l = Math.floor(i / v.heads);
      const h = i % v.heads;
      const e = num(v.effects, i);
      const swatch = el('span', { class: 'bar', attrs: { 'aria-hidden': 'true' } });
      swatch.style.width = `${Math.round((scale > 0 ? Math.abs(e) / scale : 0) * 60)}px`;
      swatch.style.backgroundColor = colours.css(e, scale);
      return el(
        'tr',
        { class: l === sel.layer && h === sel.head ? 'selected' : '' },
        el('td', {}, this.pickBox(v, l, h)),
        el('td', { text: String(r + 1) }),
        el('td', {}, this.headButton(l, h, e, `${l}.${h}`, 'linkish')),
        el('td', {}, swatch, signedNats(e)),
        el('td', { text: formatWeight(Math.exp(v.logProb + e)) }),
      );
    });
    this.table.replaceChildren(caption, el('thead', {}, head), el('tbody', {}, ...rows));
  }

  /** A head's "pick" box: picked heads are ablated together in the editor by the pick bar's button. */
  private pickBox(v: AblationSweepView, layer: number, head: number): HTMLInputElement {
    const key = `${layer}.${head}`;
    const box = el('input', { class: 'pick', attrs: { type: 'checkbox', 'aria-label': t('Pick head {0} to ablate in the editor', key) } });
    box.checked = this.picked.has(key);
    box.addEventListener('change', () => {
      if (box.checked) this.picked.add(key);
      else this.picked.delete(key);
      this.drawPickBar(v);
    });
    return box;
  }

  /** "Ablate these": the picked heads switched off together in the editor (its overlay shows each token's change). */
  private drawPickBar(v: AblationSweepView): void {
    for (const key of [...this.picked]) {
      const [l, h] = key.split('.').map(Number) as [number, number];
      if (!(l < v.layers && h < v.heads)) this.picked.delete(key);
    }
    const heads = [...this.picked]
      .map((k) => k.split('.').map(Number) as [number, number])
      .sort((x, y) => x[0] - y[0] || x[1] - y[1])
      .map(([layer, head]) => ({ layer, head }));
    const ablate = button(
      heads.length === 0
        ? t('Pick heads to ablate in the editor')
        : heads.length === 1
          ? t('Ablate this head in the editor')
          : t('Ablate these {0} heads in the editor', heads.length),
      t('Switch the picked heads off together: the editor outlines each token by how its surprisal changes, with the loss before and after'),
      () => postToHost({ type: 'ablateHeads', heads }),
      'btn primary',
    );
    ablate.disabled = heads.length === 0;
    const helpers = [...Array(v.layers * v.heads).keys()]
      .filter((i) => num(v.effects, i) < 0)
      .sort((x, y) => num(v.effects, x) - num(v.effects, y))
      .slice(0, 3);
    this.pickBar.replaceChildren(
      ablate,
      button(
        t('Pick the 3 that help most'),
        t('Pick the heads whose removal lowers log p of the target most'),
        () => {
          this.picked.clear();
          for (const i of helpers) this.picked.add(`${Math.floor(i / v.heads)}.${i % v.heads}`);
          this.render();
        },
        'btn',
      ),
      button(
        t('Clear picks'),
        t('Unpick every head'),
        () => {
          this.picked.clear();
          this.render();
        },
        'btn',
      ),
      button(t('Restore all heads'), t('Clear the ablation in the editor'), () => postToHost({ type: 'ablateHeads', heads: [] }), 'btn'),
    );
  }

  private headButton(layer: number, head: number, effect: number, text: string, cls = 'heatcell'): HTMLButtonElement {
    const selected = layer === this.store.selection.layer && head === this.store.selection.head;
    const b = button(
      text,
      t('Layer {0}, head {1}: Δ log p {2} when zeroed — select this head', layer, head, signedNats(effect)),
      () => postToHost({ type: 'selectHead', layer, head }),
      cls,
    );
    b.setAttribute('aria-label', t('Layer {0}, head {1}: {2}', layer, head, signedNats(effect)));
    if (selected) b.setAttribute('aria-current', 'true');
    return b;
  }

  private export(format: 'csv' | 'json'): void {
    const v = this.current();
    const a = this.store.attention;
    if (!v || !a) return;
    const name = `ablation-${a.documentName}-token${a.windowStart + v.query}.${format}`;
    if (format === 'json') {
      this.exporter.save('json', name, exportJson(v));
      return;
    }
    const rows = Array.from({ length: v.layers * v.heads }, (_, i) => [Math.floor(i / v.heads), i % v.heads, v.targetLabel, v.logProb, num(v.effects, i)]);
    this.exporter.save('csv', name, csv(['layer', 'head', 'target', 'log_p', 'delta_log_p_zeroed'], rows));
  }
}

/** "−1.750", "+0.420": the sign is the point, so it is always shown (with a real minus). */
function signed(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return `${v < 0 ? '−' : v > 0 ? '+' : '±'}${Math.abs(v).toFixed(3)}`;
}
