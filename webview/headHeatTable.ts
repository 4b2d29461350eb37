/**
 * The layers × heads table the head-score views draw "by head" (the ablation sweep, the custom
 * detector): head numbers across, a row per layer, one cell per head whose contents the view
 * makes; the selected head's cell is marked.
 */

import { el } from './dom';
import { t } from './l10n';

export function headHeatTable(
  layers: number,
  heads: number,
  selected: { readonly layer: number; readonly head: number },
  cell: (layer: number, head: number) => Node[],
): [HTMLElement, HTMLElement] {
  const head = el(
    'tr',
    {},
    el('th', { text: t('layer \\ head') }),
    ...Array.from({ length: heads }, (_, h) => el('th', { attrs: { scope: 'col' }, text: String(h) })),
  );
  const rows = Array.from({ length: layers }, (_, l) =>
    el(
      'tr',
      {},
      el('th', { attrs: { scope: 'row' }, text: String(l) }),
      ...Array.from({ length: heads }, (_, h) => el('td', { class: `heat${l === selected.layer && h === selected.head ? ' selected' : ''}` }, ...cell(l, h))),
    ),
  );
  return [el('thead', {}, head), el('tbody', {}, ...rows)];
}
