/**
 * The dashboard in VS Code's display language: the host puts the language's l10n bundle into the
 * page's HTML (host/dashboard/html.ts) and the page's t() (webview/l10n.ts) reads it. With the
 * Simplified Chinese bundle the page's shell (title, header, section names, run status) is
 * Chinese; without a bundle it is the English source; a bundle cannot inject markup.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { init, trainingRun } from './fixtures';
import { launch, openDashboard, ROOT } from './harness';

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
