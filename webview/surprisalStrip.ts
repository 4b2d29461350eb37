/**
 * The loss strip: how surprised the model is by each token of the window (−ln p of the token
 * given the tokens before it), one bar per token coloured on the theme ramp, with a legend in
 * nats and the window's loss (mean surprisal). Hovering a token reads out its surprisal, the
 * probability and rank the model gave it, and what it expected instead; clicking a bar or a
 * chip selects the token in the editor. The cursor token is marked.
 */

import { formatWeight, topK } from '../src/presentation/attentionView';
import { rampIndex } from '../src/presentation/colorScale';
import { csv, exportJson } from '../src/presentation/exportData';
import { SURPRISAL_BOUNDS } from '../src/presentation/surprisalScale';
import type { TokenSurprisal } from '../src/protocol/dashboardViews';
import { labelOf, selectWindowTokens } from './attentionCommon';
import { availableWidth, canvasPng, fitCanvas, fitText } from './canvas';
import { nats, num, vocabLabel } from './debugCommon';
import { button, el, section, setNote } from './dom';
import type { Exporter } from './exporter';
import type { Store } from './store';
import type { Theme } from './theme';
import { t } from './l10n';

const BAR_H = 80;
const LABEL_H = 56;
const LEFT = 4;
/**
 * Colours use a fixed scale, like the editor's surprisal overlay (presentation/surprisalScale.ts),
 * so a colour means the same in every window; bar heights use the window's own maximum, so
 * differences within a well-predicted window still show.
 */
const COLOUR_MAX = (SURPRISAL_BOUNDS[SURPRISAL_BOUNDS.length - 1] ?? 7) + 1;

export class SurprisalStrip {
  readonly root: HTMLElement;
  private readonly canvas = el('canvas', { class: 'strip', attrs: { role: 'img', 'aria-label': t('Surprisal of each window token') } });
  private readonly legend = el('canvas', { class: 'legend', attrs: { 'aria-hidden': 'true' } });
  private readonly legendText = el('span', { class: 'legend-text' });
  private readonly summary = el('p', { class: 'subtitle' });
  private readonly hover = el('div', { class: 'hoverinfo', attrs: { 'aria-live': 'polite' } });
  private readonly chips = el('div', { class: 'chips' });
  private readonly note: HTMLElement;
  private cell = 1;

  constructor(
    private readonly store: Store,
    private theme: Theme,
    private readonly exporter: Exporter,
  ) {
    const s = section('surprisal', t('Loss per token'));
    this.root = s.root;
    this.note = s.note;
    s.tools.append(
      button('PNG', t('Save the strip as PNG'), () => this.exporter.save('png', 'surprisal.png', canvasPng(this.canvas, this.theme.background))),
      button('CSV', t("Save each token's surprisal and the predictions as CSV"), () => this.export('csv')),
      button('JSON', t('Save the surprisal view as JSON'), () => this.export('json')),
    );
    s.body.append(
      this.summary,
      el('div', { class: 'canvas-box' }, this.canvas),
      el('div', { class: 'legend-row' }, this.legend, this.legendText),
      this.hover,
      this.chips,
    );
    this.canvas.addEventListener('mousemove', (e) => this.onHover(e));
    this.canvas.addEventListener('mouseleave', () => (this.hover.textContent = ''));
    this.canvas.addEventListener('click', (e) => {
      const k = this.tokenAt(e);
      if (k !== null && this.store.attention) selectWindowTokens(this.store.attention, k);
    });
    new ResizeObserver(() => this.render()).observe(s.body);
  }

  setTheme(theme: Theme): void {
    this.theme = theme;
  }

  render(): void {
    const v = this.store.view('surprisal');
    const a = this.store.attention;
    const shown = !!v && !!a;
    this.canvas.hidden = this.legend.hidden = !shown;
    if (!v || !a) {
      this.summary.textContent = this.legendText.textContent = this.hover.textContent = '';
      this.chips.replaceChildren();
      const failed = this.store.unavailable('surprisal');
      setNote(
        this.note,
        !a
          ? t('The surprisal of each token appears here for the window around the cursor.')
          : failed !== null
            ? t('No surprisal for this window: {0}', failed)
            : t('Computing the surprisal of each token…'),
      );
      return;
    }
    setNote(this.note, null);
    const W = v.windowLength;
    let max = 0;
    let predicted = 0;
    for (const s of v.surprisal)
      if (Number.isFinite(s)) {
        max = Math.max(max, s);
        predicted++;
      }
    this.summary.textContent = t(
      'Window loss {0} (perplexity {1}): the mean surprisal −ln p over the {2} predicted tokens of {3}–{4}. Taller = more surprising in this window; the colour is on a fixed scale. Click a token to select it.',
      nats(v.loss),
      formatPerplexity(v.loss),
      predicted,
      a.windowStart,
      a.windowStart + W - 1,
    );

    const width = availableWidth(this.root.querySelector('.body') as HTMLElement);
    this.cell = Math.max(1, Math.min(28, (width - 2 * LEFT) / W));
    const showLabels = this.cell >= 11;
    const height = BAR_H + (showLabels ? LABEL_H : 8);
    const ctx = fitCanvas(this.canvas, width, height);
    const th = this.theme;
    ctx.fillStyle = th.background;
    ctx.fillRect(0, 0, width, height);
    const q0 = a.from - a.windowStart;
    const q1 = a.to - a.windowStart;
    for (let k = 0; k < W; k++) {
      const x = LEFT + k * this.cell;
      const s = num(v.surprisal, k);
      const w = Math.max(1, this.cell - (this.cell > 3 ? 1 : 0));
      if (Number.isFinite(s)) {
        const i = rampIndex(s, 0, COLOUR_MAX);
        const h = Math.max(1, max > 0 ? (s / max) * (BAR_H - 6) : 1);
        ctx.fillStyle = `rgb(${th.ramp[i * 4]}, ${th.ramp[i * 4 + 1]}, ${th.ramp[i * 4 + 2]})`;
        ctx.fillRect(x, BAR_H - h, w, h);
      } else {
        // Nothing predicts the window's first token: an outline, not a bar of zero.
        ctx.strokeStyle = th.grid;
        ctx.strokeRect(x + 0.5, BAR_H - 12.5, w - 1, 12);
      }
      if (k >= q0 && k < q1) {
        ctx.fillStyle = th.query;
        ctx.fillRect(x, BAR_H + 1, w, 3);
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
        ctx.translate(LEFT + k * this.cell + this.cell / 2, BAR_H + 9);
        ctx.rotate(Math.PI / 3);
        ctx.fillText(fitText(ctx, labelOf(a, k), LABEL_H), 0, 0);
        ctx.restore();
      }
    }
    this.drawLegend(max);
    const finite = Array.from(v.surprisal, (s) => (Number.isFinite(s) ? s : -Infinity));
    const top = topK(finite, 6).filter((r) => Number.isFinite(r.weight));
    this.canvas.setAttribute(
      'aria-label',
      t(
        'Surprisal of each window token; window loss {0}; most surprising: {1}',
        nats(v.loss),
        top.map((r) => `"${labelOf(a, r.index, 16)}" ${nats(r.weight)}`).join(', '),
      ),
    );
    this.chips.replaceChildren(
      el('span', { class: 'muted', text: t('Most surprising:') }),
      ...top.map((r) =>
        button(
          `${labelOf(a, r.index, 16)} ${r.weight.toFixed(2)}`,
          t('Token {0}, surprisal {1}: select it in the editor', a.windowStart + r.index, nats(r.weight)),
          () => selectWindowTokens(a, r.index),
          'chip',
        ),
      ),
    );
  }

  private drawLegend(max: number): void {
    const ctx = fitCanvas(this.legend, 120, 10);
    const ramp = this.theme.ramp;
    for (let x = 0; x < 120; x++) {
      const i = Math.round((x / 119) * 255);
      ctx.fillStyle = `rgb(${ramp[i * 4]}, ${ramp[i * 4 + 1]}, ${ramp[i * 4 + 2]})`;
      ctx.fillRect(x, 0, 1, 10);
    }
    this.legendText.textContent = t(
      'colour 0 … {0}+ nats (−ln p: 1 nat ≈ p 37 %, {1} nats ≈ p 0.1 %), the same in every window; height up to {2} nats here; the yellow mark is the cursor token',
      COLOUR_MAX,
      COLOUR_MAX - 1,
      max.toFixed(2),
    );
  }

  private tokenAt(e: MouseEvent): number | null {
    const v = this.store.view('surprisal');
    if (!v) return null;
    const k = Math.floor((e.offsetX - LEFT) / this.cell);
    return k >= 0 && k < v.windowLength ? k : null;
  }

  private onHover(e: MouseEvent): void {
    const v = this.store.view('surprisal');
    const a = this.store.attention;
    const k = this.tokenAt(e);
    this.hover.textContent = v && a && k !== null ? describe(v, k, `"${labelOf(a, k, 24)}"`, a.windowStart) : '';
  }

  private export(format: 'csv' | 'json'): void {
    const v = this.store.view('surprisal');
    const a = this.store.attention;
    if (!v || !a) return;
    const name = `surprisal-${a.documentName}.${format}`;
    if (format === 'json') {
      this.exporter.save('json', name, exportJson({ ...v, tokens: a.tokens.labels }));
      return;
    }
    const header = [
      'token_index',
      'token',
      'surprisal_nats',
      'next_token_prob',
      'next_token_rank',
      ...Array.from({ length: v.k }, (_, j) => [`top${j + 1}`, `top${j + 1}_prob`]).flat(),
    ];
    const rows = Array.from({ length: v.windowLength }, (_, k) => [
      v.windowStart + k,
      a.tokens.labels[k] ?? '',
      num(v.surprisal, k),
      num(v.nextProb, k),
      num(v.nextRank, k),
      ...Array.from({ length: v.k }, (_, j) => [v.topLabels[k * v.k + j] ?? '', num(v.topProbs, k * v.k + j)]).flat(),
    ]);
    this.exporter.save('csv', name, csv(header, rows));
  }
}

function formatPerplexity(loss: number): string {
  const p = Math.exp(loss);
  return Number.isFinite(p) ? (p >= 100 ? p.toFixed(0) : p.toFixed(2)) : '∞';
}

/** The readout for window token k: its surprisal and what the model expected at the token before it. */
export function describe(v: TokenSurprisal, k: number, label: string, windowStart: number): string {
  const head = t('token {0} {1}', windowStart + k, label);
  if (k === 0 || !Number.isFinite(num(v.surprisal, k))) return t("{0}: the window's first token — nothing before it in the window predicts it", head);
  const row = k - 1;
  const expected: string[] = [];
  for (let j = 0; j < Math.min(v.k, 5); j++) expected.push(`"${vocabLabel(v.topLabels[row * v.k + j])}" ${formatWeight(num(v.topProbs, row * v.k + j))}`);
  return t(
    '{0}: surprisal {1} · p {2} · rank {3} · expected {4} — click to select it',
    head,
    nats(num(v.surprisal, k)),
    formatWeight(num(v.nextProb, row)),
    v.nextRank[row] ?? 0,
    expected.join(', '),
  );
}
