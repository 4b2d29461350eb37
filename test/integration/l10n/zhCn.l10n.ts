/**
 * The extension as a reader of the Chinese tutorial sees it: VS Code started in Simplified
 * Chinese (scripts/test.mjs runs this suite in a second extension host with the display language
 * zh-cn; design: the driver's `locale` option). What VS Code shows must be Chinese: the command
 * titles and view names it read from package.nls.zh-cn.json, the host's own strings (status bar,
 * the hover from the real hover provider, a sidebar row) from l10n/bundle.l10n.zh-cn.json, and
 * the dashboard page, whose HTML carries the bundle to its t().
 */

import * as assert from 'assert';
import * as vscode from 'vscode';
import type { AttentionLensApi } from '../../../src/host/extension';
import { activeExtension, waitFor, workspaceRoot } from '../../helpers/vscodeTest';

const CJK = /[\u4e00-\u9fff]/;

/** A manifest string as VS Code resolved it: a localized title is { value, original }. */
type Localized = string | { readonly value: string; readonly original: string };
const shown = (s: Localized): string => (typeof s === 'string' ? s : s.value);

describe('the extension in Simplified Chinese (zh-cn)', function () {
  this.timeout(120_000);

  it('runs in the zh-cn display language', () => {
    assert.strictEqual(vscode.env.language, 'zh-cn');
  });

  it('command titles, settings and views are the Chinese of package.nls.zh-cn.json, as VS Code resolved them', async () => {
    const ext = await activeExtension();
    const c = ext.packageJSON.contributes as {
      commands: { command: string; title: Localized; category: Localized }[];
      views: Record<string, { id: string; name: Localized }[]>;
      configuration: { properties: Record<string, { description: string }> };
    };
    const train = c.commands.find((x) => x.command === 'attentionLens.trainOnCurrentFile')!;
    assert.strictEqual(shown(train.title), '在当前文件上训练');
    assert.deepStrictEqual(train.title, { value: '在当前文件上训练', original: 'Train on Current File' });
    const english = c.commands.filter((x) => !CJK.test(shown(x.title))).map((x) => x.command);
    assert.deepStrictEqual(english, [], 'commands whose title is not Chinese');
    assert.strictEqual(shown(c.views.attentionLens!.find((v) => v.id === 'attentionLens.heads')!.name), '层与注意力头');
    assert.match(c.configuration.properties['attentionLens.hover.topK']!.description, /悬停提示中列出多少个被关注的词元/);
  });

  it('the status bar, the hover from the real hover provider, the sidebar and the dashboard page speak Chinese', async () => {
    const api = (await activeExtension()).exports as AttentionLensApi;
    assert.strictEqual(vscode.l10n.t('Show Dashboard'), '显示仪表板');
    if (!api.model.info) assert.match(api.statusBar.tooltipText, /还没有模型/);

    const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(workspaceRoot(), 'training.txt'));
    const editor = await vscode.window.showTextDocument(doc);
    const outcome = (await vscode.commands.executeCommand('attentionLens.trainOnCurrentFile', { preset: 'tiny', steps: 4, evalInterval: 2 })) as {
      said: string;
    };
    assert.match(outcome.said, /^已在 training\.txt 上训练 4 步，验证损失 [\d.]+（准确率 [\d.]+ %）；已保存到 .+。移动光标即可查看注意力。$/);

    const offset = doc.getText().indexOf('sat on') + 4;
    editor.selection = new vscode.Selection(doc.positionAt(offset), doc.positionAt(offset));
    const hovers = await waitFor(
      'a hover',
      async () => {
        const h = (await vscode.commands.executeCommand('vscode.executeHoverProvider', doc.uri, doc.positionAt(offset))) as vscode.Hover[];
        return h.length > 0 ? h : null;
      },
      30_000,
    );
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    assert.match(text, /\*\*Attention Lens\*\* · 词元 `[^`]+` · id \d+ · #\d+/, text);
    assert.match(text, /最受关注的 \d+ 个词元，按第 0 层，第 0 个头排序：/, text);
    assert.match(text, /\| # \| 词元 \| 位置 \|/, text);
    assert.match(text, /此词元的\*\*惊奇度\*\*/, text);

    await waitFor('the status bar with the model', () => /层 × \d+ 个头/.test(api.statusBar.tooltipText));

    await waitFor('the sidebar model rows in Chinese', () => api.sidebar.model.getChildren().some((r) => r.label === '架构' && r.value.length > 0));

    await vscode.commands.executeCommand('attentionLens.showDashboard');
    const panel = await waitFor('the dashboard', () => api.dashboard());
    const html = panel.panel.webview.html;
    assert.match(html, /<html lang="zh-cn">/);
    assert.match(html, /正在加载仪表板…/);
    assert.match(html, /<meta name="attention-lens-l10n" content="[^"]*注意力矩阵/);
  });
});
