/**
 * Sanity of the real extension host: our extension loads and activates in the pinned VS Code,
 * every command it contributes is registered, and the log command works. If these fail, every
 * other in-host test is meaningless, so they run first (alphabetical order).
 */
import * as assert from 'assert';
import * as vscode from 'vscode';
import { activeExtension, EXTENSION_ID, waitFor, workspaceRoot } from '../helpers/vscodeTest';

/** Sign of a − b for dotted versions ("1.100.3"), missing parts counting as 0. */
function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number),
    pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

interface CommandContribution {
  command: string;
  title: string;
  category?: string;
}

// The environment is in the suite title so a run's output shows it at a glance.
describe(
  `extension in the extension host (VS Code ${vscode.version}, Node ${process.versions.node}, ` +
    `${vscode.env.appHost}, uiKind ${vscode.UIKind[vscode.env.uiKind]})`,
  () => {
    // First, so that nothing has called activate() yet.
    it('activates on startup without being asked (onStartupFinished)', async () => {
      const ext = vscode.extensions.getExtension(EXTENSION_ID);
      assert.ok(ext, `extension ${EXTENSION_ID} is not loaded (check engines.vscode and the server log)`);
      await waitFor('activation on startup finished', () => ext.isActive, 15_000);
    });

    it('is present and activates', async () => {
      const ext = await activeExtension();
      assert.strictEqual(ext.id, EXTENSION_ID);
      assert.strictEqual(ext.isActive, true);
      assert.strictEqual(ext.extensionKind, vscode.ExtensionKind.Workspace);
    });

    it('runs in the pinned VS Code version, which satisfies engines.vscode', async function () {
      const pinned = process.env.ATTENTION_LENS_EXPECTED_VSCODE;
      const ext = await activeExtension();
      const min = String(ext.packageJSON.engines.vscode).replace(/^\^/, '');
      assert.ok(compareVersions(vscode.version, min) >= 0, `VS Code ${vscode.version} is older than engines.vscode ${min}`);
      if (!pinned) this.skip(); // not started by our driver (e.g. desktop VS Code)
      assert.strictEqual(vscode.version, pinned);
    });

    it('registers every command it contributes', async () => {
      const ext = await activeExtension();
      const contributed = (ext.packageJSON.contributes?.commands ?? []) as CommandContribution[];
      assert.ok(contributed.length > 0, 'package.json contributes no commands');
      const registered = new Set(await vscode.commands.getCommands(true));
      const missing = contributed.map((c) => c.command).filter((c) => !registered.has(c));
      assert.deepStrictEqual(missing, [], `contributed but not registered: ${missing.join(', ')}`);
      for (const c of contributed) assert.strictEqual(c.category, 'Attention Lens', `${c.command} category`);
    });

    it('"Attention Lens: Show Log" runs without error', async () => {
      await activeExtension();
      await vscode.commands.executeCommand('attentionLens.showLog');
    });

    it('opens the fixture workspace', async () => {
      const files = await vscode.workspace.findFiles('**/*.txt');
      assert.ok(files.length >= 1, `no .txt files in ${workspaceRoot().fsPath}`);
      const first = files[0];
      assert.ok(first, `no .txt files in ${workspaceRoot().fsPath}`);
      const doc = await vscode.workspace.openTextDocument(first);
      assert.ok(doc.getText().length > 0);
    });
  },
);
