/**
 * The head-type table: every layer.head with its detector scores — TransformerLens's "mul"
 * (the share of attention on the pattern) or, switched, its "abs" (1 − the rounded mean |A − P|
 * scaled by n, which also penalises attention the pattern does not ask for) — normalised entropy
 * and how many keys hold 50 % / 90 % of its attention, sortable by any column (the choice is kept
 * with the panel's state). Clicking a row selects the head.
 */

import { HEAD_KIND_NAMES } from '../src/protocol/common';
import type { DashboardUiState, HeadSortKey } from '../src/protocol/webviewProtocol';
import { el, section, segmented, setNote } from './dom';
import { KIND_NAME, KIND_SHORT, strongest } from './headGrid';
import { postToHost } from './vscodeApi';
import { shownStats, snapshotShown } from './snapshotShown';
import type { Store } from './store';
import { t } from './l10n';

const COLUMNS: { key: HeadSortKey; label: string; title: string }[] = [
  { key: 'head', label: t('head'), title: t('layer.head') },
  ...HEAD_KIND_NAMES.map((k) => ({ key: k, label: KIND_SHORT[k], title: t('Share of attention on the {0} pattern', KIND_NAME[k]) })),
  { key: 'entropy', label: t('entropy'), title: t('Mean entropy per row ÷ ln(i+1): 0 = one key, 1 = uniform') },
  { key: 'keys50', label: t('keys 50%'), title: t('Mean number of keys holding half of the attention') },
  { key: 'keys90', label: t('keys 90%'), title: t('Mean number of keys holding 90 % of the attention') },
];

export class HeadTable {
  readonly root: HTMLElement;
  private readonly table = el('table', { class: 'numbers sortable' });
  private readonly note: HTMLElement;
  private method: 'mul' | 'abs' = 'mul';
  private readonly setMethod: (m: 'mul' | 'abs') => void;

  constructor(
    private readonly store: Store,
    private readonly setUi: (p: Partial<DashboardUiState>) => void,
  ) {
    const s = section('types', t('Head types'));
    this.root = s.root;
    this.note = s.note;
    const method = segmented(
      [
        { value: 'mul', label: 'mul', title: t('TransformerLens "mul": the share of the head’s attention that lands on the pattern') },
        { value: 'abs', label: 'abs', title: t('TransformerLens "abs": 1 − round(Σ|A − P| / n, 3), from −1 (opposite) to 1 (exactly the pattern)') },
      ] as const,
      this.method,
      (m) => {
        this.method = m;
        this.render();
      },
    );
    this.setMethod = method.set;
    s.tools.append(method.root);
    s.body.append(el('div', { class: 'table-box' }, this.table));
  }

  render(): void {
    const st = shownStats(this.store);
    this.table.hidden = !st;
    if (!st) {
      const failed = this.store.unavailable('headStats');
      setNote(this.note, failed !== null ? t('No head-type scores for this window: {0}', failed) : t('Scoring the heads on the current window…'));
      return;
    }
    this.setMethod(this.method);
    const scores = this.method === 'abs' ? st.absScores : st.scores;
    const snap = snapshotShown(this.store);
    setNote(
      this.note,
      snap
        ? this.method === 'abs'
          ? t(
              '"abs" scores are not recorded in snapshots (—); switch to "mul". "mul" scores on the probe window at training step {0} (snapshot). Click a column to sort, a row to select the head.',
              snap.snapshot.step,
            )
          : t('"mul" scores on the probe window at training step {0} (snapshot). Click a column to sort, a row to select the head.', snap.snapshot.step)
        : t('"{0}" scores on the current window ({1} tokens). Click a column to sort, a row to select the head.', this.method, st.windowLength),
    );
    const { sortKey, sortDescending } = this.store.ui;
    const n = st.layers * st.heads;
    const value = (i: number, key: HeadSortKey): number =>
      key === 'head' ? i : key === 'entropy' ? st.entropy[i]! : key === 'keys50' ? st.keys50[i]! : key === 'keys90' ? st.keys90[i]! : scores[key][i]!;
    const order = [...Array(n).keys()].sort((a, b) => (value(a, sortKey) - value(b, sortKey)) * (sortDescending ? -1 : 1) || a - b);
    const header = el(
      'tr',
      {},
      ...COLUMNS.map((c) => {
        const th = el(
          'th',
          {
            title: t('{0} — click to sort', c.title),
            attrs: { 'aria-sort': c.key === sortKey ? (sortDescending ? 'descending' : 'ascending') : 'none', tabindex: '0' },
          },
          c.label + (c.key === sortKey ? (sortDescending ? ' ▾' : ' ▴') : ''),
        );
        const sort = (): void => this.setUi({ sortKey: c.key, sortDescending: c.key === sortKey ? !sortDescending : c.key !== 'head' && c.key !== 'entropy' });
        th.addEventListener('click', sort);
        th.addEventListener('keydown', (e) => (e.key === 'Enter' || e.key === ' ') && sort());
        return th;
      }),
      el('th', { text: t('strongest') }),
    );
    const sel = this.store.selection;
    const rows = order.map((i) => {
      const l = Math.floor(i / st.heads);
      const h = i % st.heads;
      const best = strongest(scores, i);
      const tr = el(
        'tr',
        { class: l === sel.layer && h === sel.head ? 'selected' : '', title: t('Select this head') },
        el('td', { text: `${l}.${h}` }),
        ...HEAD_KIND_NAMES.map((k) => el('td', { class: k === best.kind ? 'best' : '', text: Number.isNaN(scores[k][i]!) ? '—' : scores[k][i]!.toFixed(3) })),
        el('td', { text: st.entropy[i]!.toFixed(3) }),
        el('td', { text: st.keys50[i]!.toFixed(1) }),
        el('td', { text: st.keys90[i]!.toFixed(1) }),
        el('td', { text: KIND_SHORT[best.kind] }),
      );
      const select = (): void => postToHost({ type: 'selectHead', layer: l, head: h });
      tr.tabIndex = 0;
      tr.addEventListener('click', select);
      tr.addEventListener('keydown', (e) => (e.key === 'Enter' || e.key === ' ') && select());
      return tr;
    });
    this.table.replaceChildren(el('thead', {}, header), el('tbody', {}, ...rows));
  }
}
