/**
 * The dashboard in VS Code's display language: the host puts the language's l10n bundle into the
 * page's HTML (host/dashboard/html.ts) and the page's t() (webview/l10n.ts) reads it. With the
 * Simplified Chinese bundle the page's shell (title, header, section names, run status) is
 * Chinese; without a bundle it is the English source; a bundle cannot inject markup. The
 * custom head detector (form, refusals, notes, the rule in words) and the step scrubber with its
 * heads-over-training plot are Chinese too.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import type { CustomHeadScores } from '../../src/protocol/dashboardViews';
import { HEAD_KIND_NAMES, type HeadKindName } from '../../src/protocol/common';
import type { RunSnapshots } from '../../src/protocol/snapshots';
import { attentionWindow, DOCUMENT_KEY, init, queryAttention, trainingRun } from './fixtures';
import { launch, openDashboard, RESULTS, ROOT, expectText } from './harness';

const ZH = JSON.parse(fs.readFileSync(path.join(ROOT, 'l10n/bundle.l10n.zh-cn.json'), 'utf8')) as Record<string, string>;
const CJK = /[\u4e00-\u9fff]/;

describe('the dashboard in the display language (l10n bundle)', function () {
  this.timeout(60_000);
  let browser: Browser;
  before(async () => {
    browser = await launch();
  });
  after(async () => browser?.close());

  const shell = (d: Awaited<ReturnType<typeof openDashboard>>) =>
    d.page.evaluate(() => ({
      lang: document.documentElement.lang,
      sections: Array.from(document.querySelectorAll('section h2')).map((h) => h.textContent ?? ''),
      model: document.querySelector('header .model')?.textContent ?? '',
      run: document.querySelector('header .run')?.textContent ?? '',
    }));

  it('shows the page in Chinese with the zh-cn bundle', async () => {
    const d = await openDashboard(browser, { language: 'zh-cn', strings: ZH });
    try {
      const { steps, evals } = trainingRun(40);
      await d.send(init({ steps, evals, status: 'running' }));
      const s = await shell(d);
      assert.equal(s.lang, 'zh-cn');
      assert.ok(s.sections.includes('注意力矩阵'), `section titles: ${s.sections.join(' | ')}`);
      assert.ok(s.sections.includes('损失'), s.sections.join(' | '));
      assert.ok(s.sections.length > 5 && s.sections.every((t) => CJK.test(t)), `every section title is translated: ${s.sections.join(' | ')}`);
      assert.match(s.model, /下面的注意力来自当前模型/);
      assert.match(s.run, /^story\.txt：运行中 · 第 40\/40 步 · 损失 /);
      assert.deepEqual(d.problems, []);
    } finally {
      await d.page.context().close();
    }
  });

  it('shows the custom head detector and the step scrubber in Chinese with the zh-cn bundle', async () => {
    const W = 16;
    const w = attentionWindow(W);
    const d = await openDashboard(browser, { language: 'zh-cn', strings: ZH });
    try {
      const { steps, evals } = trainingRun(200);
      const snapshots: RunSnapshots = {
        layers: w.L,
        heads: w.H,
        every: 100,
        probe: {
          ids: Int32Array.from(w.ids),
          labels: w.labels,
          text: w.labels.join(''),
          starts: Int32Array.from(w.starts),
          ends: Int32Array.from(w.ends),
          textOffset: 0,
        },
        list: [100, 200].map((step) => ({
          step,
          scores: Object.fromEntries(HEAD_KIND_NAMES.map((k) => [k, new Float32Array(w.L * w.H).fill(step / 400)])) as Record<HeadKindName, Float32Array>,
          entropy: new Float32Array(w.L * w.H).fill(0.5),
          attention: w.weights,
        })),
      };
      await d.send(init({ steps, evals, status: 'completed', attention: queryAttention(w, 9) }), { type: 'snapshots', snapshots, step: null });

      const card = d.page.locator('#custom-heads');
      await expectText(card.locator('h2'), '自定义注意力头检测器');
      await expectText(card.locator('.note'), /^定义你要找的注意力头关注哪里/);
      const kinds = await card.getByRole('combobox', { name: '关注' }).locator('option').allInnerTexts();
      assert.ok(kinds.length === 4 && kinds.every((k) => CJK.test(k)), kinds.join(' | '));
      await card.getByRole('combobox', { name: '关注' }).selectOption('match');
      const regex = card.getByRole('textbox', { name: '正则表达式' });
      await regex.fill('(a+)+$');
      await card.getByRole('button', { name: '为注意力头打分' }).click();
      await expectText(card.getByRole('alert'), /^无法使用此规则：此正则表达式的匹配可能耗费指数级时间：nested quantifier/);
      await card.getByRole('combobox', { name: '关注' }).selectOption('offset');
      await card.getByRole('spinbutton', { name: 'k' }).fill('');
      await card.getByRole('button', { name: '为注意力头打分' }).click();
      await expectText(card.getByRole('alert'), '无法使用此规则：k 必须是 -65536 到 65536 之间的整数');
      await card.getByRole('spinbutton', { name: 'k' }).fill('2');
      await card.getByRole('checkbox', { name: '不计第一个词元' }).check();
      await card.getByRole('button', { name: '为注意力头打分' }).click();
      await expectText(card.locator('.note'), '正在按“关注往前第 2 个词元”为每个注意力头打分…');
      const detector = { rule: { kind: 'offset', offset: 2 }, method: 'mul', excludeBos: true, excludeCurrentToken: false } as const;
      const scores: CustomHeadScores = {
        documentKey: DOCUMENT_KEY,
        version: 1,
        windowStart: 0,
        windowLength: W,
        detector,
        layers: w.L,
        heads: w.H,
        scores: Float32Array.from({ length: w.L * w.H }, (_, i) => i / 10),
        cells: 13,
      };
      await d.send({ type: 'view', view: 'customHeads', payload: scores });
      assert.match(
        await card.locator('.subtitle').innerText(),
        /^关注往前第 2 个词元——"mul"：.*，不计第一个词元；该模式在这个 16 个词元的窗口中标出了 13 个单元格。/,
      );
      await expectText(card.locator('thead th').first(), '层 \\ 头');
      assert.ok(await card.getByRole('button', { name: '第 1 层，第 3 个头：0.700' }).isVisible());
      await card.screenshot({ path: path.join(RESULTS, 'custom-heads-zh-cn.png') });

      const scrubber = d.page.locator('#snapshots');
      await expectText(scrubber.locator('h2'), '注意力头随训练的变化');
      await expectText(scrubber.locator('.note'), /^探测窗口“.*”的 2 个快照，每 100 步一个。/);
      await expectText(scrubber.locator('.step-indicator'), '实时 / 最新：当前的模型');
      const slider = d.page.getByLabel('显示的训练步（最后一个位置是实时模型）');
      await slider.focus();
      await slider.press('ArrowLeft');
      await expectText(scrubber.locator('.step-indicator'), '第 200/200 步（第 2/2 个快照）');
      const measures = await scrubber.locator('.tools button').allInnerTexts();
      assert.deepEqual(measures, ['前一', '重复', '归纳', '首个', '自身', '熵']);
      await scrubber.screenshot({ path: path.join(RESULTS, 'scrubber-zh-cn.png') });
      await expectText(scrubber.locator('.hoverinfo'), /^已选中：第 0 层，第 0 个头 · 第 200 步时归纳 0\.500。/);
      assert.deepEqual(d.problems, []);
    } finally {
      await d.page.context().close();
    }
  });

  it('is English without a bundle', async () => {
    const d = await openDashboard(browser);
    try {
      await d.send(init());
      const s = await shell(d);
      assert.equal(s.lang, 'en');
      assert.ok(s.sections.includes('Attention matrix'), s.sections.join(' | '));
      assert.ok(
        s.sections.every((t) => !CJK.test(t)),
        s.sections.join(' | '),
      );
    } finally {
      await d.page.context().close();
    }
  });

  it('a bundle entry cannot add markup or script to the page', async () => {
    const hostile = '</script><script>document.title="pwned"</script><b>x</b> {0}';
    const d = await openDashboard(browser, { language: 'xx', strings: { 'Attention matrix': hostile } });
    try {
      await d.send(init());
      const s = await shell(d);
      assert.ok(s.sections.includes(hostile), s.sections.join(' | '));
      assert.notEqual(await d.page.title(), 'pwned');
      assert.equal(await d.page.locator('section h2 b').count(), 0);
      assert.deepEqual(d.problems, []);
    } finally {
      await d.page.context().close();
    }
  });
});
