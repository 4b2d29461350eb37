/**
 * A classification checkpoint's verdict on the cursor's window (BERT's pooled [CLS] state through
 * its classifier): the predicted label with its probability, then every label's probability as a
 * bar. Hidden for models without a classification head.
 */

import { formatWeight } from '../src/presentation/attentionView';
import { el, section, setNote } from './dom';
import type { Store } from './store';
import { t } from './l10n';

export class ClassificationView {
  readonly root: HTMLElement;
  private readonly verdict = el('p', { class: 'subtitle' });
  private readonly bars = el('div', { class: 'class-bars' });
  private readonly note: HTMLElement;

  constructor(private readonly store: Store) {
    const s = section('classification', t('Predicted label'));
    this.root = s.root;
    this.note = s.note;
    s.body.append(this.verdict, this.bars);
    this.root.hidden = true;
  }

  render(): void {
    const c = this.store.view('classification');
    const a = this.store.attention;
    this.root.hidden = !a || !c || c.labels.length === 0;
    if (this.root.hidden || !c || !a) {
      const reason = this.store.unavailable('classification');
      if (reason && a) {
        this.root.hidden = false;
        setNote(this.note, reason);
      }
      return;
    }
    setNote(this.note, null);
    const p = c.probabilities[c.predicted] ?? NaN;
    const single = c.labels.length === 1;
    const last = c.windowStart + c.windowLength - 1;
    this.verdict.textContent = single
      ? t(
          '{0} · p = {1} (sigmoid of the one logit) — read from the pooled first token ([CLS]) of tokens {2}–{3}',
          c.labels[c.predicted] ?? '',
          formatWeight(p),
          c.windowStart,
          last,
        )
      : t('{0} · p = {1} — read from the pooled first token ([CLS]) of tokens {2}–{3}', c.labels[c.predicted] ?? '', formatWeight(p), c.windowStart, last);
    this.bars.replaceChildren(
      ...c.labels.map((label, i) => {
        const q = c.probabilities[i] ?? 0;
        const bar = el('span', { class: 'class-bar' });
        bar.style.display = 'inline-block';
        bar.style.height = '0.8em';
        bar.style.width = `${Math.round(Math.max(0, Math.min(1, q)) * 160)}px`;
        bar.style.background = i === c.predicted ? 'var(--vscode-charts-blue)' : 'var(--vscode-descriptionForeground)';
        return el(
          'div',
          { class: 'class-row' },
          el('span', { class: 'class-label', text: `${label} ` }),
          bar,
          el('span', { text: ` ${formatWeight(q)} · logit ${(c.logits[i] ?? NaN).toFixed(4)}` }),
        );
      }),
    );
  }
}
