/**
 * Jupyter notebooks: with stories260K loaded, a cell of a .ipynb whose text is llama2.c's
 * fixture prompt gets highlights and hovers as any editor does — the attention drawn for the
 * cursor token is llama2.c's own (run.c's weights from the fixture), and the hover lists it.
 */

import * as assert from 'assert';
import * as fs from 'fs';
import * as vscode from 'vscode';
import type { AttentionLensApi } from '../../src/host/extension';
import { readLlama2cAttention, tokenSpans } from '../helpers/llama2cAttention';
import { activeExtension, fixture, fixturesDir, waitFor, workspaceRoot } from '../helpers/vscodeTest';

describe('Notebook cells', function () {
  this.timeout(120_000);

  it("highlight and hover a .ipynb cell with llama2.c's attention", async function () {
    if (!fixturesDir()) this.skip();
    const a = (await activeExtension()).exports as AttentionLensApi;
    await a.model.load({ path: fixture('stories260K', 'stories260K.bin'), tokenizerPath: fixture('stories260K', 'tok512.bin') });
    const fx = readLlama2cAttention(fixture('stories260K', 'attention_logits_lily_park.json'));
    const spans = tokenSpans(fx);
    const uri = vscode.Uri.joinPath(workspaceRoot(), 'story.ipynb');
    const notebook = {
      cells: [
        { cell_type: 'markdown', metadata: {}, source: ['# A story'] },
        { cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source: [fx.prompt] },
      ],
      metadata: { language_info: { name: 'python' } },
      nbformat: 4,
      nbformat_minor: 5,
    };
    fs.writeFileSync(uri.fsPath, JSON.stringify(notebook));
    try {
      const nb = await vscode.workspace.openNotebookDocument(uri);
      await vscode.window.showNotebookDocument(nb);
      const cell = nb.cellAt(1).document;
      assert.equal(cell.getText(), fx.prompt);
      assert.equal(cell.uri.scheme, 'vscode-notebook-cell');
      const editor = await vscode.window.showTextDocument(cell);
      const layer = fx.attention.length - 1;
      const head = 1;
      a.view.select(layer, head);
      const q = 12;
      const cursor = cell.positionAt(spans[q]!.start); // a token's first character (one after it may be the next token)
      editor.selection = new vscode.Selection(cursor, cursor);
      const state = (): string => {
        const sh = a.highlighter.shown;
        const act = vscode.window.activeTextEditor;
        return `active editor ${act ? `${act.document.uri.scheme} visible ${JSON.stringify(act.visibleRanges)}` : 'none'}; shown ${sh ? `${sh.editor.document.uri.toString()} from ${sh.result.from} decorated ${sh.decorated}` : 'nothing'}`;
      };
      const shown = await waitFor(
        'attention drawn in the notebook cell',
        () => {
          const sh = a.highlighter.shown;
          return sh?.editor.document === cell && sh.result.from === q && sh.decorated > 0 ? sh : null;
        },
        30_000,
      ).catch((e: Error) => {
        throw new Error(`${e.message}: ${state()}`);
      });
      const r = shown.result;
      assert.deepStrictEqual([r.windowStart, r.windowLength], [0, fx.T]);
      const want = fx.attention[layer]![head]![q]!;
      const base = (layer * r.heads + head) * r.windowLength;
      const diffs = want.map((w, k) => Math.abs(r.rows[base + k]! - w)).filter((d) => d > 1e-4);
      assert.deepStrictEqual(diffs, [], 'the cell shows llama2.c’s attention row');

      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', cell.uri, cursor);
      const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
      const top = want.slice(0, q + 1).reduce((best, w, k) => (w > want[best]! ? k : best), 0);
      assert.match(text, /%/, 'the hover lists weights');
      assert.ok(text.includes((want[top]! * 100).toFixed(1)), `the hover names the strongest weight ${(want[top]! * 100).toFixed(1)} %:\n${text}`);
    } finally {
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor').then(undefined, () => undefined);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      fs.rmSync(uri.fsPath, { force: true });
    }
  });
});
