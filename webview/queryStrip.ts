/**
 * The current query's attention as a bar per key token of its window: where the cursor token
 * looks (or, flipped, who looks at it) for the selected head, coloured by weight, the query
 * itself marked, token labels when they fit, the strongest keys as clickable chips. Clicking a
 * bar or chip selects that token in the editor.
 */

import { formatWeight, topK } from '../src/presentation/attentionView';
import { rampIndex } from '../src/presentation/colorScale';
import { attentionCsv, attentionJson } from '../src/presentation/exportData';
import { headName, labelOf, queryText, queryWeights, selectWindowTokens, type Direction } from './attentionCommon';
import { availableWidth, canvasPng, fitCanvas, fitText } from './canvas';
import { button, el, section, segmented, setNote } from './dom';
import type { Exporter } from './exporter';
import { postToHost } from './vscodeApi';
import type { Store } from './store';
import type { Theme } from './theme';
import { t } from './l10n';

const BAR_H = 90;
const LABEL_H = 56;

export class QueryStrip {
  readonly root: HTMLElement;
  private readonly canvas = el('canvas', { class: 'strip', attrs: { role: 'img', 'aria-label': t('Attention of the query token over its window') } });
  private readonly title = el('p', { class: 'subtitle' });
  private readonly chips = el('div', { class: 'chips' });
  private readonly hover = el('div', { class: 'hoverinfo' });
  private readonly note: HTMLElement;
  /** Pins the query shown (the editor's cursor then leaves it in place) or unpins it. */
  private readonly pin = button(t('Pin'), t('Keep the dashboard and the highlights on this query while the cursor moves'), () =>
    postToHost({ type: 'pinQuery', pinned: !this.store.attention?.pinned }),
  );
  private readonly setDirection: (d: Direction) => void;
  private layout = { left: 0, cell: 1, width: 0 };

  constructor(
    private readonly store: Store,
    private theme: Theme,
    private readonly exporter: Exporter,
  ) {
    const s = section('query', t('Current query'));
    this.root = s.root;
    this.note = s.note;
    const dir = segmented(
      [
        { value: 'rows', label: t('Looks at'), title: t('Where the query token attends (its row)') },
        { value: 'columns', label: t('Looked at by'), title: t('Which tokens attend to the query token (its column)') },
      ] as const,
      'rows',
      (d) => {
        // The editor's direction setting follows the toggle (and comes back as attentionMode).
        this.store.mode = { ...this.store.mode, direction: d === 'rows' ? 'attendsTo' : 'attendedBy' };
        postToHost({ type: 'setDirection', direction: this.store.mode.direction });
        this.render();
      },
    );
    this.setDirection = dir.set;
    s.tools.append(
      this.pin,
      dir.root,
      button('PNG', t('Save this strip as PNG'), () => this.exporter.save('png', 'query-attention.png', canvasPng(this.canvas, this.theme.background))),
      button(
        'CSV',
        t("Save the query's attention for every head as CSV"),
        () => this.store.attention && this.exporter.save('csv', `attention-${this.store.attention.documentName}.csv`, attentionCsv(this.store.attention)),
      ),
      button(
        'JSON',
        t("Save the query's attention (and the matrix, if loaded) as JSON"),
        () =>
          this.store.attention &&
          this.exporter.save(
            'json',
            `attention-${this.store.attention.documentName}.json`,
            attentionJson(this.store.attention, this.store.view('matrix')?.matrix ?? null),
          ),
      ),
    );
    s.body.append(this.title, el('div', { class: 'canvas-box' }, this.canvas), this.hover, this.chips);
    this.canvas.addEventListener('mousemove', (e) => this.onHover(e));
    this.canvas.addEventListener('mouseleave', () => (this.hover.textContent = ''));
    this.canvas.addEventListener('click', (e) => {
      const k = this.keyAt(e);
      if (k !== null && this.store.attention) selectWindowTokens(this.store.attention, k);
    });
    new ResizeObserver(() => this.render()).observe(s.body);
  }

  /** Follows the editor's direction setting. */
  private get direction(): Direction {
    return this.store.mode.direction === 'attendsTo' ? 'rows' : 'columns';
  }

  setTheme(theme: Theme): void {
    this.theme = theme;
  }

  render(): void {
    const a = this.store.attention;
    this.setDirection(this.direction);
    this.canvas.hidden = this.pin.hidden = !a;
    this.pin.textContent = a?.pinned ? t('Unpin') : t('Pin');
    this.pin.setAttribute('aria-pressed', String(!!a?.pinned));
    this.pin.title = a?.pinned ? t('Follow the cursor again') : t('Keep the dashboard and the highlights on this query while the cursor moves');
    if (!a) {
      setNote(
        this.note,
        !this.store.model
          ? t('No model yet: train one or load a checkpoint, then move the cursor in a text file.')
          : this.store.model.readsText
            ? t('Put the cursor in a text editor to see its attention here.')
            : t('The active model has no tokenizer, so it cannot read the text in the editor: load a model folder that includes tokenizer.json.'),
      );
      this.title.textContent = '';
      this.chips.replaceChildren();
      return;
    }
    setNote(this.note, null);
    const { layer, head } = this.store.selection;
    const W = a.windowLength;
    const { aggregation } = this.store.mode;
    const weights = queryWeights(a, layer, head, this.direction, aggregation);
    const parts = [
      t('{0} in {1}', queryText(a), a.documentName),
      headName(layer, head, aggregation, a.heads),
      ...(a.weighting === 'valueWeighted' ? [t('value-weighted ‖α·v‖')] : []),
      t('window tokens {0}–{1}', a.windowStart, a.windowStart + W - 1),
    ];
    this.title.textContent = a.pinned ? t('Pinned: {0}', parts.join(' · ')) : parts.join(' · ');

    const width = availableWidth(this.root.querySelector('.body') as HTMLElement);
    const cell = Math.max(1, Math.min(28, (width - 8) / W));
    const showLabels = cell >= 11;
    const height = BAR_H + (showLabels ? LABEL_H : 14);
    const ctx = fitCanvas(this.canvas, width, height);
    this.layout = { left: 4, cell, width };
    const th = this.theme;
    ctx.fillStyle = th.background;
    ctx.fillRect(0, 0, width, height);
    let max = 0;
    for (const w of weights) if (w > max) max = w;
    for (let k = 0; k < W; k++) {
      const x = 4 + k * cell;
      const w = weights[k]!;
      const isQuery = a.windowStart + k >= a.from && a.windowStart + k < a.to;
      const i = rampIndex(w, 0, max || 1);
      const h = max > 0 ? (w / max) * (BAR_H - 6) : 0;
      ctx.fillStyle = `rgb(${th.ramp[i * 4]}, ${th.ramp[i * 4 + 1]}, ${th.ramp[i * 4 + 2]})`;
      ctx.fillRect(x, BAR_H - h, Math.max(1, cell - (cell > 3 ? 1 : 0)), h);
      if (isQuery) {
        ctx.fillStyle = th.query;
        ctx.fillRect(x, BAR_H + 1, Math.max(1, cell - 1), 3);
      }
    }
    ctx.strokeStyle = th.grid;
    ctx.beginPath();
    ctx.moveTo(0, BAR_H + 0.5);
    ctx.lineTo(width, BAR_H + 0.5);
    ctx.stroke();
    if (showLabels) {
      ctx.font = th.monoFont;
      ctx.fillStyle = th.foreground;
      ctx.textBaseline = 'middle';
      for (let k = 0; k < W; k++) {
        ctx.save();
        ctx.translate(4 + k * cell + cell / 2, BAR_H + 8);
        ctx.rotate(Math.PI / 3);
        ctx.fillText(fitText(ctx, labelOf(a, k), LABEL_H), 0, 0);
        ctx.restore();
      }
    }
    this.renderChips(weights);
  }

  private renderChips(weights: Float32Array): void {
    const a = this.store.attention!;
    const top = topK(weights, 8);
    this.chips.replaceChildren(
      el('span', { class: 'muted', text: this.direction === 'rows' ? t('Strongest keys:') : t('Attended most by:') }),
      ...top.map((r) =>
        button(
          `${labelOf(a, r.index, 16)} ${formatWeight(r.weight)}`,
          t('Token {0}: select it in the editor', a.windowStart + r.index),
          () => selectWindowTokens(a, r.index),
          'chip',
        ),
      ),
    );
  }

  private keyAt(e: MouseEvent): number | null {
    const a = this.store.attention;
    if (!a) return null;
    const k = Math.floor((e.offsetX - this.layout.left) / this.layout.cell);
    return k >= 0 && k < a.windowLength ? k : null;
  }

  private onHover(e: MouseEvent): void {
    const a = this.store.attention;
    const k = this.keyAt(e);
    if (!a || k === null) {
      this.hover.textContent = '';
      return;
    }
    const { layer, head } = this.store.selection;
    const aggregation = this.store.mode.aggregation;
    const w = queryWeights(a, layer, head, this.direction, aggregation)[k]!;
    // Scores are per head: with an aggregate there is no one q·k/√d to show.
    const score = this.direction === 'rows' && aggregation === 'head' ? a.scores[(layer * a.heads + head) * a.windowLength + k]! : NaN;
    this.hover.textContent = Number.isFinite(score)
      ? t('token {0} "{1}": {2} · score q·k/√d {3} — click to select it in the editor', a.windowStart + k, labelOf(a, k, 24), formatWeight(w), score.toFixed(3))
      : t('token {0} "{1}": {2} — click to select it in the editor', a.windowStart + k, labelOf(a, k, 24), formatWeight(w));
  }
}
