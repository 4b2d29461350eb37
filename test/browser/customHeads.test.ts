/**
 * The custom head detector in real Chromium: the rule form refuses what the host would refuse
 * (an exponential regex) before posting, posts the rule otherwise, draws every head's score as
 * a layers × heads table and ranked by score, selects a head on click, ignores scores computed
 * for another rule, keeps the rule in the page state (a reopened page asks the host for it
 * again) and clears it. Payloads are made up here (no engine); every posted message is checked
 * by the host's validator after each test. Screenshots in dark and light themes go to test-results/.
 */

import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { CustomHeadScores } from '../../src/protocol/dashboardViews';
import type { CustomDetector } from '../../src/protocol/headRules';
import { DEFAULT_UI_STATE } from '../../src/protocol/webviewProtocol';
import { attentionWindow, DOCUMENT_KEY, init, queryAttention, type Window } from './fixtures';
import { dashboardSuite, RESULTS, waitForPosted, type DashboardPage, expectText } from './harness';

const W = 24;
const Q = 17;
const WINDOW = { documentKey: DOCUMENT_KEY, version: 1, windowStart: 0, windowLength: W };
const CAPITALS: CustomDetector = { rule: { kind: 'match', regex: '^ [A-Z]' }, method: 'abs', excludeBos: true, excludeCurrentToken: false };

/** Head 1.3 fits the rule best (0.91), 0.2 next (0.64); the others are low, some negative ("abs" can be). */
function scores(w: Window, detector: CustomDetector): CustomHeadScores {
  const s = Float32Array.from({ length: w.L * w.H }, (_, i) => (i === 1 * w.H + 3 ? 0.91 : i === 0 * w.H + 2 ? 0.64 : -0.2 + 0.05 * i));
  return { ...WINDOW, detector, layers: w.L, heads: w.H, scores: s, cells: 57 };
}

describe('dashboard webview: custom head detector (Chromium)', function () {
  this.timeout(60_000);
  const open = dashboardSuite();
  let d: DashboardPage;

  it('a rule is checked before it is sent, scored heads are drawn as layers × heads and ranked, and a click selects the head', async () => {
    const w = attentionWindow(W);
    d = await open();
    await d.send(init({ attention: queryAttention(w, Q) }));
    const card = d.page.locator('#custom-heads');
    await expectText(card.locator('.note'), /^Define where a head of your kind attends/);
    await card.getByRole('combobox', { name: 'Attend to' }).selectOption('match');
    const regex = card.getByRole('textbox', { name: 'Regular expression' });
    await regex.fill('(a+)+$');
    await card.getByRole('button', { name: 'Score heads' }).click();
    await expectText(card.getByRole('alert'), /^This rule cannot be used: .*exponential time: nested quantifier/);
    assert.equal((await d.posted()).filter((m) => m.type === 'setHeadDetector').length, 0, 'nothing the host would refuse is posted');

    await regex.fill('^ [A-Z]');
    await card.getByRole('button', { name: 'abs' }).click();
    await card.getByRole('checkbox', { name: 'leave out the first token' }).check();
    await regex.press('Enter');
    const sent = await waitForPosted(d, 'setHeadDetector');
    assert.deepEqual(sent.detector, CAPITALS);
    assert.ok(await card.getByRole('alert').isHidden());
    await expectText(card.locator('.note'), 'Scoring every head on attending to tokens matching /^ [A-Z]/…');

    // Scores for another rule (a late reply) are not this rule's.
    await d.send({ type: 'view', view: 'customHeads', payload: scores(w, { ...CAPITALS, method: 'mul' }) });
    assert.equal(await card.locator('button.heatcell').count(), 0);
    await d.send({ type: 'view', view: 'customHeads', payload: scores(w, CAPITALS) });
    assert.equal(await card.locator('button.heatcell').count(), w.L * w.H);
    assert.match(
      await card.locator('.subtitle').innerText(),
      /^Attending to tokens matching \/\^ \[A-Z\]\/ — "abs": .*, leaving out the first token; the pattern marks 57 cells of this 24-token window\./,
    );
    await card.screenshot({ path: path.join(RESULTS, 'custom-heads-dark.png') });
    await card.getByRole('button', { name: 'Layer 1, head 3: 0.910' }).click();
    await waitForPosted(d, 'selectHead', (m) => m.layer === 1 && m.head === 3);
    await d.send({ type: 'selection', layer: 1, head: 3 });
    assert.equal(await card.getByRole('button', { name: 'Layer 1, head 3: 0.910' }).getAttribute('aria-current'), 'true');

    await card.getByRole('button', { name: 'By score' }).click();
    await d.frame();
    const ranked = await card.locator('tbody tr td:nth-child(2)').allInnerTexts();
    assert.deepEqual(ranked.slice(0, 2), ['1.3', '0.2']);
    assert.equal(ranked.length, w.L * w.H);
    await card.screenshot({ path: path.join(RESULTS, 'custom-heads-ranked-dark.png') });
    await d.setTheme('light');
    await card.screenshot({ path: path.join(RESULTS, 'custom-heads-ranked-light.png') });

    // The host could not score it on this window: the reason replaces "Scoring…".
    await card.getByRole('combobox', { name: 'Attend to' }).selectOption('offset');
    await card.getByRole('spinbutton', { name: 'k' }).fill('-1');
    await card.getByRole('button', { name: 'Score heads' }).click();
    await waitForPosted(d, 'setHeadDetector', (m) => (m.detector as CustomDetector | null)?.rule.kind === 'offset');
    await d.send({ type: 'viewUnavailable', view: 'customHeads', window: WINDOW, reason: 'the next token is never visible to a causal model' });
    await expectText(card.locator('.note'), 'No scores for the next token: the next token is never visible to a causal model');
  });

  it('the rule is kept with the page: reopened, the form shows it and the host is asked again; Clear forgets it', async () => {
    const w = attentionWindow(W);
    const induction: CustomDetector = { rule: { kind: 'occurrence', offset: 1 }, method: 'mul', excludeBos: false, excludeCurrentToken: false };
    d = await open();
    await d.send(init({ attention: queryAttention(w, Q) }));
    const card = d.page.locator('#custom-heads');
    await card.getByRole('combobox', { name: 'Attend to' }).selectOption('occurrence');
    await card.getByRole('spinbutton', { name: 'offset' }).fill('1');
    await card.getByRole('button', { name: 'Score heads' }).click();
    await waitForPosted(d, 'setHeadDetector');
    const persisted = await waitForPosted(d, 'persist', (m) => (m.ui as { detector?: unknown }).detector !== null);
    assert.deepEqual((persisted.ui as { detector: unknown }).detector, induction);
    // A new page from the kept state, as VS Code makes when the panel is shown again (the suite closes both).

    d = await open({ state: { ui: { ...DEFAULT_UI_STATE, detector: induction } } });
    await d.send(init({ attention: queryAttention(w, Q) }));
    const again = await waitForPosted(d, 'setHeadDetector');
    assert.deepEqual(again.detector, induction, 'the reopened page asks the host to score with its kept rule');
    const reopened = d.page.locator('#custom-heads');
    assert.equal(await reopened.getByRole('combobox', { name: 'Attend to' }).inputValue(), 'occurrence');
    assert.equal(await reopened.getByRole('spinbutton', { name: 'offset' }).inputValue(), '1');
    await d.send({ type: 'view', view: 'customHeads', payload: scores(w, induction) });
    assert.equal(await reopened.locator('button.heatcell').count(), w.L * w.H);
    await reopened.getByRole('button', { name: 'Clear' }).click();
    await waitForPosted(d, 'setHeadDetector', (m) => m.detector === null);
    await d.frame();
    assert.equal(await reopened.locator('button.heatcell').count(), 0);
    await expectText(reopened.locator('.note'), /^Define where a head of your kind attends/);
  });
});
