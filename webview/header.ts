/**
 * The top line of the dashboard: which model is loaded, how the training run is going, and a
 * banner for one-off messages (an export saved, a stale page).
 */

import { formatValue } from '../src/presentation/chartRange';
import { el } from './dom';
import type { Store } from './store';

export class Header {
  readonly root: HTMLElement;
  private readonly model = el('span', { class: 'model' });
  private readonly run = el('span', { class: 'run' });
  private readonly banner = el('div', { class: 'banner', attrs: { role: 'status' } });

  constructor(private readonly store: Store) {
    this.root = el('header', { class: 'top' }, el('h1', { text: 'Attention Lens' }), this.model, this.run);
    this.banner.hidden = true;
  }

  get bannerElement(): HTMLElement {
    return this.banner;
  }

  render(): void {
    const m = this.store.model;
    // While a model trains, the views still show the active one: say so, so nobody reads the
    // old model's heads as the new one's.
    const training = this.store.run.status === 'running';
    const shape = m
      ? `${m.architecture} · ${m.layers} layers × ${m.heads} heads · d ${m.dModel} · context ${m.context} · ${formatCount(m.parameters)} parameters · ${m.tokenizer}`
      : '';
    this.model.textContent = m
      ? training
        ? `Attention below is from the active model (${shape}); the model in training replaces it when it finishes`
        : shape
      : training
        ? 'No model yet: the model in training becomes active when it finishes'
        : 'No model loaded';
    this.model.title = m ? m.source : '';
    const r = this.store.run;
    const n = this.store.steps.length;
    const last = n > 0 ? this.store.steps.column('loss')[n - 1]! : NaN;
    const step = n > 0 ? this.store.steps.column('step')[n - 1]! : 0;
    const progress = r.totalSteps ? ` · step ${step} of ${r.totalSteps}` : n > 0 ? ` · step ${step}` : '';
    const status =
      r.status === 'idle'
        ? ''
        : `${r.label ? `${r.label}: ` : ''}${r.status}${progress}${n > 0 ? ` · loss ${formatValue(last)}` : ''}${r.message ? ` · ${r.message}` : ''}`;
    this.run.textContent = status;
    this.run.dataset.status = r.status;
    const b = this.store.banner;
    this.banner.hidden = !b;
    this.banner.textContent = b?.text ?? '';
    this.banner.classList.toggle('error', !!b?.error);
  }
}

export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(n);
}
