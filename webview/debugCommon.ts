/**
 * Shared by the debugging views (surprisal strip, logit lens, head ablation, attribution):
 * asking the host for an on-demand view, the query token's window index, number formats in
 * nats and probabilities, and a diverging colour (blue for one sign, red for the other) that
 * fades into the theme's background at zero.
 */

import { luminance, parseColor, type Rgb } from '../src/presentation/colorScale';
import { tokenLabel } from '../src/presentation/tokenLabel';
import type { ViewName } from '../src/protocol/dashboardViews';
import type { QueryAttention } from '../src/protocol/webviewProtocol';
import { button, el } from './dom';
import type { Store } from './store';
import type { Theme } from './theme';
import { postToHost } from './vscodeApi';
import { t } from './l10n';

/** The query's first token as a window index: the views of scope 'query' are about it. */
export function queryIndex(a: QueryAttention): number {
  return a.from - a.windowStart;
}

/** Element i of a numeric array, NaN past its end (a short payload draws as gaps, not as a crash). */
export function num(a: ArrayLike<number>, i: number): number {
  return a[i] ?? NaN;
}

/** "2.31 nats" (NaN and infinities spelled out). */
export function nats(v: number): string {
  if (Number.isNaN(v)) return t('n/a');
  if (!Number.isFinite(v)) return t('{0} nats', v > 0 ? '+∞' : '−∞');
  return t('{0} nats', v.toFixed(Math.abs(v) >= 100 ? 1 : Math.abs(v) >= 0.01 || v === 0 ? 3 : 4));
}

/** A signed change in nats, with an explicit + (a Δ must show its direction). */
export function signedNats(v: number): string {
  if (!Number.isFinite(v)) return nats(v);
  return `${v > 0 ? '+' : v < 0 ? '−' : '±'}${nats(Math.abs(v))}`;
}

/** A vocabulary token's text as a label (whitespace made visible). */
export function vocabLabel(text: string | undefined, maxChars = 14): string {
  return tokenLabel(text ?? '', maxChars);
}

/**
 * The button of an on-demand view: posts `computeView` for the question shown now and
 * remembers it in the store, so the view shows "Computing…" until the answer (or a reason) comes.
 */
export function computeButton(store: Store, name: ViewName, label: string, title: string, redraw: () => void): HTMLButtonElement {
  return button(
    label,
    title,
    () => {
      store.markRequested(name);
      postToHost({ type: 'computeView', view: name });
      redraw();
    },
    'btn primary',
  );
}

/**
 * The "Computing…" line of an on-demand view: what it is doing, how far (a progress bar once
 * the host reports passes) and a Cancel button that withdraws the request. Its key changes with
 * the progress, so the ActionSlot redraws it on each report.
 */
export function computing(store: Store, name: ViewName, what: string): { readonly key: string; make(): HTMLElement } {
  const p = store.progress(name);
  return {
    key: `computing ${p ? `${p.done}/${p.total}` : ''}`,
    make: () => {
      const text = p ? t('{0} {1} of {2} passes.', what, p.done, p.total) : what;
      const bar = el('progress', { attrs: { max: String(p?.total ?? 1), 'aria-label': t('{0} progress', name) } });
      if (p) bar.value = p.done;
      else bar.removeAttribute('value'); // indeterminate until the first report
      return el(
        'div',
        { class: 'computing', attrs: { role: 'status' } },
        el('span', { text }),
        bar,
        button(t('Cancel'), t('Stop this computation (it can be asked for again)'), () => postToHost({ type: 'cancelView', view: name }), 'btn'),
      );
    },
  };
}

/** Diverging colours: `negative` for v < 0, `positive` for v > 0, mixed with the background by |v| / maxAbs. */
export class Diverging {
  private readonly bg: Rgb;
  private readonly neg: Rgb;
  private readonly pos: Rgb;

  constructor(theme: Theme) {
    this.bg = parseColor(theme.background) ?? [30, 30, 30];
    this.neg = parseColor(theme.accent) ?? [55, 148, 255];
    this.pos = parseColor(theme.alarm) ?? [241, 76, 76];
  }

  rgb(v: number, maxAbs: number): Rgb {
    if (!Number.isFinite(v) || maxAbs <= 0) return this.bg;
    const t = Math.min(1, Math.abs(v) / maxAbs);
    const c = v < 0 ? this.neg : this.pos;
    const mix = (i: number): number => Math.round(num(this.bg, i) + (num(c, i) - num(this.bg, i)) * t);
    return [mix(0), mix(1), mix(2)];
  }

  css(v: number, maxAbs: number): string {
    return `rgb(${this.rgb(v, maxAbs).join(', ')})`;
  }

  /** Black or white, whichever reads better on the colour of v (strong colours would swallow the theme's text colour). */
  text(v: number, maxAbs: number): string {
    return luminance(this.rgb(v, maxAbs)) > 0.179 ? '#000000' : '#ffffff';
  }
}

/** The largest |v| over finite values (0 when there is none). */
export function maxAbs(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) {
    const v = num(values, i);
    if (Number.isFinite(v)) m = Math.max(m, Math.abs(v));
  }
  return m;
}

/**
 * The place of an on-demand view's button or "Computing…" line. Its content is rebuilt only
 * when its state changes, so a redraw (a head selected elsewhere) does not take the keyboard
 * focus away from the button.
 */
export class ActionSlot {
  readonly root: HTMLElement;
  private key = '';

  constructor(root: HTMLElement) {
    this.root = root;
  }

  show(key: string, make: () => Node | null): void {
    if (key === this.key) return;
    this.key = key;
    const node = make();
    if (node) this.root.replaceChildren(node);
    else this.root.replaceChildren();
  }
}
