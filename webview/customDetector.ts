/**
 * The custom head detector: the user builds a rule — k tokens back, the token after an earlier
 * copy of the current one (+ offset), tokens matching a regex, a window position — picks
 * TransformerLens's "mul" or "abs" score, and every head is scored against the rule's pattern on
 * the current window (the worker builds the pattern for the window's tokens: the page sends only
 * the rule, checked here as the host will check it). The rule is kept in the UI state, so the
 * panel scores with it again after a reload. Scores show as a layers × heads heat table or
 * ranked by score; clicking a head selects it everywhere.
 */

import { csv, exportJson } from '../src/presentation/exportData';
import type { CustomHeadScores } from '../src/protocol/dashboardViews';
import { describeRule } from '../src/presentation/headRuleWords';
import {
  checkedDetector,
  DEFAULT_DETECTOR,
  detectorKey,
  MAX_RULE_REGEX_CHARS,
  type CustomDetector,
  type HeadRule,
  type HeadRuleKind,
} from '../src/protocol/headRules';
import { validated } from '../src/protocol/validation';
import type { DashboardUiState } from '../src/protocol/webviewProtocol';
import { Diverging, num } from './debugCommon';
import { button, el, section, segmented, setNote, toggle } from './dom';
import { headHeatTable } from './headHeatTable';
import type { Exporter } from './exporter';
import { t } from './l10n';
import { formRuleProblem } from './ruleProblem';
import type { Store } from './store';
import type { Theme } from './theme';
import { postToHost } from './vscodeApi';

type Order = 'head' | 'score';

const KINDS: readonly { value: HeadRuleKind; label: string; amount: string | null }[] = [
  { value: 'offset', label: t('the token k back'), amount: 'k' },
  { value: 'occurrence', label: t('an earlier copy of the token, + offset'), amount: t('offset') },
  { value: 'match', label: t('tokens matching a regex'), amount: null },
  { value: 'position', label: t('window position p'), amount: 'p' },
];

export class CustomDetectorView {
  readonly root: HTMLElement;
  private readonly note: HTMLElement;
  private readonly intro = el('p', { class: 'subtitle' });
  private readonly table = el('table', { class: 'numbers ablation custom-heads' });
  private readonly kind = el('select', { attrs: { 'aria-label': t('Attend to') } });
  private readonly amount = el('input', { attrs: { type: 'number', step: '1', 'aria-label': 'k' } });
  private readonly amountLabel = el('span', { class: 'field-label' });
  private readonly regex = el('input', {
    attrs: { type: 'text', spellcheck: 'false', maxlength: String(MAX_RULE_REGEX_CHARS), placeholder: '^ [A-Z]', 'aria-label': t('Regular expression') },
  });
  private readonly excludeBos;
  private readonly excludeCurrent;
  private method: 'mul' | 'abs' = DEFAULT_DETECTOR.method;
  private readonly setMethod: (m: 'mul' | 'abs') => void;
  private order: Order = 'head';
  private readonly setOrder: (o: Order) => void;
  private readonly results: HTMLElement;
  private readonly error = el('p', { class: 'form-error', attrs: { role: 'alert' } });
  /** The detector the form shows (synced from the UI state when that changes from outside). */
  private synced: string | null = null;

  constructor(
    private readonly store: Store,
    private theme: Theme,
    private readonly setUi: (p: Partial<DashboardUiState>) => void,
    private readonly exporter: Exporter,
    private readonly forget: () => void,
  ) {
    const s = section('custom-heads', t('Custom head detector'));
    this.root = s.root;
    this.note = s.note;
    for (const k of KINDS) this.kind.append(el('option', { text: k.label, attrs: { value: k.value } }));
    this.kind.addEventListener('change', () => this.showFields());
    this.excludeBos = toggle(t('leave out the first token'), t('Score without the first key column (BOS, the usual attention sink)'), false, () => undefined);
    this.excludeCurrent = toggle(t('leave out the token itself'), t('Score without the diagonal (attention of a token to itself)'), false, () => undefined);
    const method = segmented(
      [
        { value: 'mul', label: 'mul', title: t('TransformerLens "mul": the share of the head’s attention that lands on the pattern') },
        { value: 'abs', label: 'abs', title: t('TransformerLens "abs": 1 − round(Σ|A − P| / n, 3), from −1 (opposite) to 1 (exactly the pattern)') },
      ] as const,
      this.method,
      (m) => {
        this.method = m;
        this.setMethod(m);
      },
    );
    this.setMethod = method.set;
    const order = segmented(
      [
        { value: 'head', label: t('By head'), title: t('Layers × heads, in model order') },
        { value: 'score', label: t('By score'), title: t('Ranked: the heads that fit the rule best first') },
      ] as const,
      this.order,
      (o) => {
        this.order = o;
        this.render();
      },
    );
    this.setOrder = order.set;
    this.regex.addEventListener('keydown', (e) => e.key === 'Enter' && this.apply());
    this.amount.addEventListener('keydown', (e) => e.key === 'Enter' && this.apply());
    const form = el(
      'div',
      { class: 'rulebar' },
      el('label', { class: 'field' }, el('span', { class: 'field-label', text: t('Attend to') }), this.kind),
      el('label', { class: 'field amount' }, this.amountLabel, this.amount),
      el('label', { class: 'field regex' }, el('span', { class: 'field-label', text: t('regex') }), this.regex),
      method.root,
      this.excludeBos.root,
      this.excludeCurrent.root,
      button(t('Score heads'), t('Score every head against this rule on the current window'), () => this.apply(), 'btn primary'),
      button(t('Clear'), t('Forget the rule'), () => this.clear(), 'btn'),
    );
    this.results = el(
      'div',
      {},
      el(
        'div',
        { class: 'tools' },
        order.root,
        button('CSV', t("Save every head's score as CSV"), () => this.export('csv')),
        button('JSON', t('Save the scores and the rule as JSON'), () => this.export('json')),
      ),
      this.intro,
      el('div', { class: 'table-box' }, this.table),
    );
    s.body.append(form, this.error, this.results);
    this.error.hidden = true;
    this.fill(DEFAULT_DETECTOR);
  }

  setTheme(theme: Theme): void {
    this.theme = theme;
  }

  /** The form's rule, checked as the host will check it; null (and the reason shown) when it is not valid. */
  private read(): CustomDetector | null {
    const kind = this.kind.value as HeadRuleKind;
    const amount = this.amount.value.trim() === '' ? NaN : Number(this.amount.value);
    const rule: HeadRule = kind === 'match' ? { kind, regex: this.regex.value } : kind === 'position' ? { kind, position: amount } : { kind, offset: amount };
    // The page's own words first; checkedDetector (English, shared with the CLI) has the last say.
    const problem = formRuleProblem(rule, this.amountLabel.textContent ?? '');
    const v = problem
      ? ({ ok: false, reason: problem } as const)
      : validated(() =>
          checkedDetector({ rule, method: this.method, excludeBos: this.excludeBos.input.checked, excludeCurrentToken: this.excludeCurrent.input.checked }),
        );
    this.error.hidden = v.ok;
    this.error.textContent = v.ok ? '' : t('This rule cannot be used: {0}', v.reason);
    return v.ok ? v.value : null;
  }

  private apply(): void {
    const d = this.read();
    if (!d) return;
    if (this.store.ui.detector && detectorKey(this.store.ui.detector) === detectorKey(d)) return;
    this.synced = detectorKey(d);
    this.forget();
    this.setUi({ detector: d });
    postToHost({ type: 'setHeadDetector', detector: d });
  }

  private clear(): void {
    this.synced = null;
    this.forget();
    this.setUi({ detector: null });
    postToHost({ type: 'setHeadDetector', detector: null });
  }

  private fill(d: CustomDetector): void {
    const r = d.rule;
    this.kind.value = r.kind;
    this.amount.value = r.kind === 'match' ? '' : String(r.kind === 'position' ? r.position : r.offset);
    if (r.kind === 'match') this.regex.value = r.regex;
    this.method = d.method;
    this.setMethod(d.method);
    this.excludeBos.input.checked = d.excludeBos;
    this.excludeCurrent.input.checked = d.excludeCurrentToken;
    this.showFields();
  }

  private showFields(): void {
    const k = KINDS.find((x) => x.value === this.kind.value) ?? KINDS[0]!;
    const amount = this.amount.parentElement!;
    amount.hidden = k.amount === null;
    this.amountLabel.textContent = k.amount ?? '';
    this.amount.setAttribute('aria-label', k.amount ?? '');
    this.regex.parentElement!.hidden = k.value !== 'match';
    if (k.value === 'position') this.amount.min = '0';
    else this.amount.removeAttribute('min');
  }

  private current(): CustomHeadScores | null {
    const v = this.store.view('customHeads');
    const d = this.store.ui.detector;
    return v && d && detectorKey(v.detector) === detectorKey(d) ? v : null;
  }

  render(): void {
    const d = this.store.ui.detector;
    const key = d ? detectorKey(d) : null;
    if (d && key !== this.synced) {
      this.synced = key;
      this.fill(d);
    }
    this.setOrder(this.order);
    const v = this.current();
    this.results.hidden = !v;
    if (!v) this.table.replaceChildren();
    if (!d) {
      setNote(
        this.note,
        t(
          'Define where a head of your kind attends, then score every head on the current window. "k back" with k = 1 is the previous-token detector; an earlier copy + 1 is the induction pattern.',
        ),
      );
      return;
    }
    if (!v) {
      const failed = this.store.unavailable('customHeads');
      setNote(
        this.note,
        !this.store.attention
          ? t('Put the cursor in a text editor to score the heads on its window.')
          : failed !== null
            ? t('No scores for {0}: {1}', describeRule(d.rule, t), failed)
            : t('Scoring every head on attending to {0}…', describeRule(d.rule, t)),
      );
      return;
    }
    setNote(this.note, null);
    this.draw(v);
  }

  private draw(v: CustomHeadScores): void {
    const d = v.detector;
    const rule = describeRule(d.rule, t);
    const what =
      d.method === 'mul' ? t('"mul": the share of each head’s attention on the pattern') : t('"abs": 1 − the rounded mean |A − P| scaled by the window');
    const left =
      d.excludeBos && d.excludeCurrentToken
        ? t('the first token and the token itself')
        : d.excludeBos
          ? t('the first token')
          : d.excludeCurrentToken
            ? t('the token itself')
            : null;
    this.intro.textContent =
      v.cells === 0
        ? t('Attending to {0}: the rule marks no key in this window ({1} tokens), so no head can score on it.', rule, v.windowLength)
        : left
          ? t(
              'Attending to {0} — {1}, leaving out {2}; the pattern marks {3} cells of this {4}-token window. Click a head to select it.',
              rule,
              what,
              left,
              v.cells,
              v.windowLength,
            )
          : t('Attending to {0} — {1}; the pattern marks {2} cells of this {3}-token window. Click a head to select it.', rule, what, v.cells, v.windowLength);
    const colours = new Diverging(this.theme);
    const sel = this.store.selection;
    const caption = el('caption', { class: 'sr-only', text: t("Each head's {0} score on attending to {1}", d.method, rule) });
    const cell = (l: number, h: number, text: string, cls: string): HTMLButtonElement => {
      const s = num(v.scores, l * v.heads + h);
      const b = button(
        text,
        t('Layer {0}, head {1}: {2} score {3} — select this head', l, h, d.method, s.toFixed(3)),
        () => postToHost({ type: 'selectHead', layer: l, head: h }),
        cls,
      );
      b.setAttribute('aria-label', t('Layer {0}, head {1}: {2}', l, h, s.toFixed(3)));
      if (l === sel.layer && h === sel.head) b.setAttribute('aria-current', 'true');
      return b;
    };
    if (this.order === 'head') {
      const cells = headHeatTable(v.layers, v.heads, sel, (l, h) => {
        const s = num(v.scores, l * v.heads + h);
        const b = cell(l, h, s.toFixed(3), 'heatcell');
        b.style.backgroundColor = colours.css(s, 1);
        b.style.color = colours.text(s, 1);
        return [b];
      });
      this.table.replaceChildren(caption, ...cells);
      return;
    }
    const order = [...Array(v.layers * v.heads).keys()].sort((x, y) => num(v.scores, y) - num(v.scores, x) || x - y);
    const head = el('tr', {}, el('th', { text: t('rank') }), el('th', { text: t('head') }), el('th', { text: t('{0} score', d.method) }));
    const rows = order.map((i, r) => {
      const l = Math.floor(i / v.heads);
      const h = i % v.heads;
      const s = num(v.scores, i);
      const swatch = el('span', { class: 'bar', attrs: { 'aria-hidden': 'true' } });
      swatch.style.width = `${Math.round(Math.min(1, Math.abs(s)) * 60)}px`;
      swatch.style.backgroundColor = colours.css(s, 1);
      return el(
        'tr',
        { class: l === sel.layer && h === sel.head ? 'selected' : '' },
        el('td', { text: String(r + 1) }),
        el('td', {}, cell(l, h, `${l}.${h}`, 'linkish')),
        el('td', {}, swatch, s.toFixed(3)),
      );
    });
    this.table.replaceChildren(caption, el('thead', {}, head), el('tbody', {}, ...rows));
  }

  private export(format: 'csv' | 'json'): void {
    const v = this.current();
    const a = this.store.attention;
    if (!v || !a) return;
    const name = `custom-heads-${a.documentName}-tokens${v.windowStart}-${v.windowStart + v.windowLength - 1}.${format}`;
    if (format === 'json') {
      this.exporter.save('json', name, exportJson(v));
      return;
    }
    const rule = describeRule(v.detector.rule);
    const rows = Array.from({ length: v.layers * v.heads }, (_, i) => [Math.floor(i / v.heads), i % v.heads, rule, v.detector.method, num(v.scores, i)]);
    this.exporter.save('csv', name, csv(['layer', 'head', 'rule', 'method', 'score'], rows));
  }
}
