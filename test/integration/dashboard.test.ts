/**
 * The dashboard inside a real VS Code extension host: the command opens it (once), the built
 * page loads under its CSP and shakes hands, training points and attention stream to it
 * without the page reporting an error, what a click in the page sends — a token, a head —
 * moves the editor selection and the selected head, and the engine's window views (matrix,
 * grid, head stats, rollout, "why") arrive and agree with what the editor shows. A webview
 * cannot be clicked from the extension host, so the page's messages are played through the
 * panel's own entry point, and what the panel posts is read from its onDidPostMessage.
 */

import * as assert from 'assert';
import * as vscode from 'vscode';
import type { AttentionLensApi } from '../../src/extension';
import { DashboardPanel } from '../../src/host/dashboardPanel';
import type { DashboardDeps } from '../../src/host/dashboardDeps';
import type { HostToWebview, WebviewToHost } from '../../src/protocol/webviewProtocol';
import { activeExtension, fixture, fixturesDir, report, waitFor, workspaceRoot } from '../helpers/vscodeTest';

function dashboardTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('attentionLens.dashboard'));
}

class MemoryMemento implements vscode.Memento {
  private readonly values = new Map<string, unknown>();
  keys(): readonly string[] {
    return [...this.values.keys()];
  }
  get<T>(key: string, fallback?: T): T | undefined {
    return (this.values.has(key) ? this.values.get(key) : fallback) as T | undefined;
  }
  async update(key: string, value: unknown): Promise<void> {
    this.values.set(key, value);
  }
}

describe('the dashboard panel in the extension host', function () {
  this.timeout(60_000);
  let log: vscode.LogOutputChannel;
  let panel: DashboardPanel | undefined;
  const received: WebviewToHost[] = [];
  const posted: HostToWebview[] = [];

  /** A panel of this test bundle's own DashboardPanel, wired to the running extension's objects. */
  async function openPanel(): Promise<DashboardPanel> {
    const ext = await activeExtension();
    const a = ext.exports as AttentionLensApi;
    log ??= vscode.window.createOutputChannel('Attention Lens dashboard test', { log: true });
    const deps: DashboardDeps = { extensionUri: ext.extensionUri, log, client: a.client, run: a.run, model: a.model, view: a.view, highlighter: a.highlighter, attention: a.attention, memento: new MemoryMemento() };
    const p = DashboardPanel.createOrShow(deps);
    p.onDidReceiveMessage((m) => received.push(m));
    p.onDidPostMessage((m) => posted.push(m));
    return p;
  }

  afterEach(async () => {
    panel?.dispose();
    panel = undefined;
    received.length = 0;
    posted.length = 0;
    await vscode.window.tabGroups.close(dashboardTabs());
  });
  after(() => log?.dispose());

  it('"Show Dashboard" opens the dashboard beside the editor, and a second call reveals the same one', async () => {
    await activeExtension();
    await vscode.commands.executeCommand('attentionLens.showDashboard');
    await waitFor('the dashboard tab', () => dashboardTabs().length === 1);
    await vscode.commands.executeCommand('attentionLens.showDashboard');
    await new Promise((r) => setTimeout(r, 300));
    assert.strictEqual(dashboardTabs().length, 1);
  });

  it('the page loads under its CSP, says ready, and draws a stream of training points without an error', async () => {
    const a = (await activeExtension()).exports as AttentionLensApi;
    panel = await openPanel();
    await waitFor('the page\'s ready message', () => received.some((m) => m.type === 'ready'), 20_000);
    assert.ok(!a.run.running, 'another test left a training run going');
    a.run.start('dashboard test', 1000);
    for (let i = 1; i <= 1000; i++) a.run.addStep({ step: i, loss: i === 700 ? NaN : 3 * Math.exp(-i / 300) + 1, lr: 1e-3, gradNorm: 1, tokensPerSecond: 5000, elapsedMs: i * 10 });
    a.run.addEval({ step: 1000, valLoss: 1.2, valAccuracy: 0.5, valPerplexity: 3.3 });
    a.run.finish('completed', null);
    await new Promise((r) => setTimeout(r, 1000));
    const errors = received.filter((m) => m.type === 'error');
    assert.deepStrictEqual(errors, [], 'the page reported errors');
  });

  it('a token click in the page selects those tokens in the editor; a head click selects the head', async function () {
    if (!fixturesDir()) this.skip();
    const a = (await activeExtension()).exports as AttentionLensApi;
    if (a.model.info?.architecture !== 'llama') await a.model.load({ path: fixture('stories260K', 'stories260K.bin'), tokenizerPath: fixture('stories260K', 'tok512.bin') });
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(workspaceRoot(), 'training.txt'));
    const editor = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
    editor.selection = new vscode.Selection(doc.positionAt(40), doc.positionAt(40));
    const shown = await waitFor('attention for the cursor token', () => a.highlighter.shown?.editor.document === doc ? a.highlighter.shown : null, 20_000);
    const opened = Date.now();
    panel = await openPanel();
    await waitFor('the page\'s ready message', () => received.some((m) => m.type === 'ready'), 20_000);
    // One worker request brings the window's whole matrix.
    await waitFor('the window\'s attention matrix', () => posted.some((m) => m.type === 'matrix' && m.matrix.windowStart === shown.result.windowStart), 30_000);
    report(`    dashboard: ${shown.result.layers}×${shown.result.heads} heads × ${shown.result.windowLength}² matrix shown ${Date.now() - opened} ms after opening`);
    // The page's click on key token 2 of the window: its [start, end) in the document.
    const w = shown.result.window;
    const [start, end] = [w.starts[2]!, w.ends[2]!];
    panel.handleMessage({ type: 'selectTokens', documentKey: doc.uri.toString(), start, end });
    await waitFor('the editor selection on the clicked token', () => {
      const e = vscode.window.visibleTextEditors.find((x) => x.document === doc);
      return e && doc.offsetAt(e.selection.start) === start && doc.offsetAt(e.selection.end) === end;
    });
    // A document the dashboard is not showing, and a malformed message, change nothing.
    panel.handleMessage({ type: 'selectTokens', documentKey: 'file:///etc/passwd', start: 0, end: 4 });
    panel.handleMessage({ type: 'selectTokens', documentKey: doc.uri.toString(), start: 9, end: 2 });
    await new Promise((r) => setTimeout(r, 200));
    const e = vscode.window.visibleTextEditors.find((x) => x.document === doc)!;
    assert.strictEqual(doc.offsetAt(e.selection.start), start);
    const target = { layer: a.model.info!.layers - 1, head: a.model.info!.heads - 1 };
    panel.handleMessage({ type: 'selectHead', ...target });
    assert.deepStrictEqual(a.view.selection, target);
  });

});
