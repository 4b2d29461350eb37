/**
 * The top line of the dashboard: which model is loaded, how the training run is going, and a
 * banner for one-off messages (an export saved, a stale page).
 */

import { formatValue } from '../src/presentation/chartRange';
import type { RunStatus } from '../src/protocol/runs';
import { el } from './dom';
import { t } from './l10n';
import type { Store } from './store';

export class Header {
  readonly root: HTMLElement;
  private readonly model = el('span', { class: 'model' });
  private readonly run = el('span', { class: 'run' });
  private readonly banner = el('div', { class: 'banner', attrs: { role: 'status' } });

  constructor(private readonly store: Store) {
    this.root = el('header', { class: 'top' }, el('h1', { text: t('Attention Lens') }), this.model, this.run);
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
      ? t(
          '{0} · {1} layers × {2} heads · d {3} · context {4} · {5} parameters · {6}',
          m.architecture,
          m.layers,
          m.heads,
          m.dModel,
          m.context,
          formatCount(m.parameters),
          m.tokenizer,
        )
      : '';
    this.model.textContent = m
      ? training
        ? t('Attention below is from the active model ({0}); the model in training replaces it when it finishes', shape)
        : shape
      : training
        ? t('No model yet: the model in training becomes active when it finishes')
        : t('No model loaded');
    this.model.title = m ? m.source : '';
    const r = this.store.run;
    const n = this.store.steps.length;
    const last = n > 0 ? this.store.steps.column('loss')[n - 1]! : NaN;
    const step = n > 0 ? this.store.steps.column('step')[n - 1]! : 0;
    const parts = [r.label ? t('{0}: {1}', r.label, statusName(r.status)) : statusName(r.status)];
    if (r.totalSteps) parts.push(t('step {0} of {1}', step, r.totalSteps));
    else if (n > 0) parts.push(t('step {0}', step));
    if (n > 0) parts.push(t('loss {0}', formatValue(last)));
    if (r.message) parts.push(r.message);
    const status = r.status === 'idle' ? '' : parts.join(' · ');
    this.run.textContent = status;
    this.run.dataset.status = r.status;
    const b = this.store.banner;
    this.banner.hidden = !b;
    this.banner.textContent = b?.text ?? '';
    this.banner.classList.toggle('error', !!b?.error);
  }
}

/** A run's status in the display language. */
export function statusName(status: RunStatus): string {
  switch (status) {
    case 'idle':
      return t('idle');
    case 'running':
      return t('running');
    case 'completed':
      return t('completed');
    case 'cancelled':
      return t('cancelled');
    case 'diverged':
      return t('diverged');
    case 'failed':
      return t('failed');
  }
}

export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(n);
}
