/**
 * Generate from Cursor into a read-only editor (files.readonlyInclude): nothing is inserted, the
 * outcome says read-only with no tokens, and the document is as it was — never "generated N
 * tokens" into a file that took none.
 */

import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { AttentionLensApi } from '../../src/host/extension';
import type { GenerateOutcome } from '../../src/host/generation/generateFromCursor';
import { activeExtension, fixture, fixturesDir } from '../helpers/vscodeTest';

describe('Generate from Cursor into a read-only editor', function () {
  this.timeout(120_000);
  const files = vscode.workspace.getConfiguration('files');

  before(async function () {
    if (!fixturesDir()) return this.skip();
    const a = (await activeExtension()).exports as AttentionLensApi;
    if (a.model.info?.architecture !== 'llama')
      await a.model.load({ path: fixture('stories260K', 'stories260K.bin'), tokenizerPath: fixture('stories260K', 'tok512.bin') });
    await files.update('readonlyInclude', { '**/al-readonly-*.txt': true }, vscode.ConfigurationTarget.Global);
  });

  after(async () => {
    await files.update('readonlyInclude', undefined, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('inserts nothing and reports the document as read-only', async () => {
    const file = path.join(os.tmpdir(), `al-readonly-${process.pid}.txt`);
    fs.writeFileSync(file, 'Lily and Ben');
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(vscode.Uri.file(file)), vscode.ViewColumn.One);
    const end = editor.document.positionAt(editor.document.getText().length);
    editor.selection = new vscode.Selection(end, end);
    const outcome = await vscode.commands.executeCommand<GenerateOutcome | undefined>('attentionLens.generateFromCursor', {
      into: 'document',
      maxTokens: 8,
      temperature: 0,
    });
    assert.strictEqual(editor.document.getText(), 'Lily and Ben', 'the read-only document changed');
    assert.ok(outcome);
    assert.deepStrictEqual([outcome.reason, outcome.tokens], ['read-only', 0]);
    assert.strictEqual(fs.readFileSync(file, 'utf8'), 'Lily and Ben');
  });
});
