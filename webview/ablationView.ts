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
import { ActionSlot, computeButton, Diverging, maxAbs, num, queryIndex, signedNats, vocabLabel } from './debugCommon';
import { button, el, section, segmented, setNote } from './dom';
import type { Exporter } from './exporter';
import type { Store } from './store';
import type { Theme } from './theme';
import { postToHost } from './vscodeApi';

type Order = 'head' | 'effect';

export class AblationView {
  readonly root: HTMLElement;
  private readonly action = new ActionSlot(el('div', { class: 'ondemand' }));
  private readonly intro = el('p', { class: 'subtitle' });
  private readonly table = el('table', { class: 'numbers ablation' });
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
    const s = section('ablation', 'Head ablation');
    this.root = s.root;
    this.note = s.note;
    const order = segmented(
      [
        { value: 'head', label: 'By head', title: 'Layers × heads, in model order' },
        { value: 'effect', label: 'By effect', title: 'Ranked: the heads the prediction needs most first' },
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
      button('CSV', "Save every head's effect as CSV", () => this.export('csv')),
      button('JSON', 'Save the ablation sweep as JSON', () => this.export('json')),
    );
    s.tools.append(order.root, this.exports);
    s.body.append(this.action.root, this.intro, el('div', { class: 'table-box' }, this.table));
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
    this.table.hidden = this.orderControl.hidden = this.exports.hidden = !v;
    this.intro.textContent = '';
    if (!v || !a) {
      this.table.replaceChildren();
      const failed = this.store.unavailable('ablation');
      const run = (label: string): HTMLButtonElement =>
        computeButton(
          this.store,
          'ablation',
          label,
          'Zero each head in turn and measure the change in log p of the next token (one forward pass per head)',
          () => this.render(),
        );
      if (!a) {
        setNote(this.note, 'Which heads the prediction at the cursor token needs: put the cursor in a text editor, then run the sweep.');
        this.action.show('none', () => null);
      } else if (failed !== null) {
        setNote(this.note, `No ablation sweep for this token: ${failed}`);
        this.action.show(`retry ${failed}`, () => run('Try again'));
      } else if (this.store.requested('ablation')) {
        setNote(this.note, null);
        this.action.show('computing', () =>
          el('p', {
            class: 'computing',
            attrs: { role: 'status' },
            text: `Computing… one forward pass per head${this.store.model ? ` (${this.store.model.layers * this.store.model.heads} heads)` : ''}.`,
          }),
        );
      } else {
        setNote(
          this.note,
          `Which heads does the prediction at token ${a.from} "${labelOf(a, queryIndex(a), 16)}" need? Zero each head alone and see how log p of the next token changes.`,
        );
        this.action.show('ask', () => run('Run the ablation sweep (one forward per head)'));
      }
      return;
    }
    setNote(this.note, null);
    this.action.show('none', () => null);
    this.intro.textContent = `Target "${vocabLabel(v.targetLabel, 20)}" after token ${a.windowStart + v.query} "${labelOf(a, v.query, 16)}": log p = ${v.logProb.toFixed(3)} (p = ${formatWeight(Math.exp(v.logProb))}) with every head. Each cell is Δ log p with that head alone zeroed: blue (negative) = the head helps this prediction, red (positive) = it works against it. Click a head to select it.`;
    const scale = maxAbs(v.effects);
    const colours = new Diverging(this.theme);
    const sel = this.store.selection;
    const caption = el('caption', { class: 'sr-only', text: `Change in log p of "${v.targetLabel}" when each head is zeroed` });
    if (this.order === 'head') {
      const head = el(
        'tr',
        {},
        el('th', { text: 'layer \\ head' }),
        ...Array.from({ length: v.heads }, (_, h) => el('th', { attrs: { scope: 'col' }, text: String(h) })),
      );
      const rows = Array.from({ length: v.layers }, (_, l) =>
        el(
          'tr',
          {},
          el('th', { attrs: { scope: 'row' }, text: String(l) }),
          ...Array.from({ length: v.heads }, (_, h) => {
            const e = num(v.effects, l * v.heads + h);
            const b = this.headButton(l, h, e, signed(e));
            b.style.backgroundColor = colours.css(e, scale);
            b.style.color = colours.text(e, scale);
            return el('td', { class: `heat${l === sel.layer && h === sel.head ? ' selected' : ''}` }, b);
          }),
        ),
      );
      this.table.replaceChildren(caption, el('thead', {}, head), el('tbody', {}, ...rows));
      return;
    }
    const order = [...Array(v.layers * v.heads).keys()].sort((x, y) => num(v.effects, x) - num(v.effects, y) || x - y);
    const head = el(
      'tr',
      {},
      el('th', { text: 'rank' }),
      el('th', { text: 'head' }),
      el('th', { text: 'Δ log p', title: 'log p(target | head zeroed) − log p(target)' }),
      el('th', { text: 'p without it' }),
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
        el('td', { text: String(r + 1) }),
        el('td', {}, this.headButton(l, h, e, `${l}.${h}`, 'linkish')),
        el('td', {}, swatch, signedNats(e)),
        el('td', { text: formatWeight(Math.exp(v.logProb + e)) }),
      );
    });
    this.table.replaceChildren(caption, el('thead', {}, head), el('tbody', {}, ...rows));
  }

  private headButton(layer: number, head: number, effect: number, text: string, cls = 'heatcell'): HTMLButtonElement {
    const selected = layer === this.store.selection.layer && head === this.store.selection.head;
    const b = button(
      text,
      `Layer ${layer}, head ${head}: Δ log p ${signedNats(effect)} when zeroed — select this head`,
      () => postToHost({ type: 'selectHead', layer, head }),
      cls,
    );
    b.setAttribute('aria-label', `Layer ${layer}, head ${head}: ${signedNats(effect)}`);
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
