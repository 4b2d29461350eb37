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
import type { AttentionLensApi } from '../../src/host/extension';
import { DashboardPanel } from '../../src/host/dashboard/panel';
import type { DashboardDeps } from '../../src/host/dashboard/deps';
import type { PagePayload, ViewName } from '../../src/protocol/dashboardViews';
import { DASHBOARD_VIEW_TYPE, DEFAULT_UI_STATE, type DashboardUiState, type HostToWebview, type WebviewToHost } from '../../src/protocol/webviewProtocol';
import { readLlama2cAttention, referenceHeadStats, referenceRolloutRows, tokenSpans } from '../helpers/llama2cAttention';
import { activeExtension, fixture, fixturesDir, report, waitFor, workspaceRoot } from '../helpers/vscodeTest';

function dashboardTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('attentionLens.dashboard'));
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
  this.timeout(120_000);
  let log: vscode.LogOutputChannel;
  let panel: DashboardPanel | undefined;
  const received: WebviewToHost[] = [];
  const posted: HostToWebview[] = [];

  /** This test bundle's own DashboardPanel's dependencies, wired to the running extension's objects. */
  async function panelDeps(): Promise<DashboardDeps> {
    const ext = await activeExtension();
    const a = ext.exports as AttentionLensApi;
    log ??= vscode.window.createOutputChannel('Attention Lens dashboard test', { log: true });
    return {
      extensionUri: ext.extensionUri,
      log,
      client: a.client,
      run: a.run,
      model: a.model,
      view: a.view,
      highlighter: a.highlighter,
      attention: a.attention,
      memento: new MemoryMemento(),
      runs: a.runs,
    };
  }

  function listen(p: DashboardPanel): DashboardPanel {
    p.onDidReceiveMessage((m) => received.push(m));
    p.onDidPostMessage((m) => posted.push(m));
    return p;
  }

  async function openPanel(): Promise<DashboardPanel> {
    return listen(DashboardPanel.createOrShow(await panelDeps()));
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

  it('a panel VS Code brings back after a reload is taken over: the page\'s saved UI state is kept (a malformed one ignored), the page says ready, and "Show Dashboard" reveals it', async () => {
    const deps = await panelDeps();
    // What VS Code hands the serializer: a bare panel (no scripts yet) and the page's last setState.
    const bare = (): vscode.WebviewPanel =>
      vscode.window.createWebviewPanel(DASHBOARD_VIEW_TYPE, 'Attention Lens', { viewColumn: vscode.ViewColumn.Two, preserveFocus: true }, {});
    const ui: DashboardUiState = { ...DEFAULT_UI_STATE, smoothing: 0.9, logY: true, sortKey: 'induction', sortDescending: true };
    const first = bare();
    panel = listen(await DashboardPanel.restore(first, { ui }, deps));
    assert.strictEqual(panel.panel, first);
    assert.ok(first.webview.options.enableScripts && first.webview.options.localResourceRoots?.length, "the panel's webview options are set again");
    await waitFor("the restored page's ready message", () => received.some((m) => m.type === 'ready'), 60_000);
    const init = posted.find((m) => m.type === 'init');
    assert.ok(init?.type === 'init');
    assert.deepStrictEqual(init.ui, ui);
    assert.strictEqual(DashboardPanel.createOrShow(deps), panel, 'the restored panel is the dashboard');

    // A state that is not ours changes nothing; the new panel replaces the old one.
    received.length = 0;
    posted.length = 0;
    const second = bare();
    let firstClosed = false;
    first.onDidDispose(() => (firstClosed = true));
    panel = listen(await DashboardPanel.restore(second, { ui: { ...ui, smoothing: 'high', xAxis: '<script>' } }, deps));
    assert.ok(firstClosed, 'only one dashboard stays open');
    await waitFor("the second page's ready message", () => received.some((m) => m.type === 'ready'), 60_000);
    const again = posted.find((m) => m.type === 'init');
    assert.ok(again?.type === 'init');
    assert.deepStrictEqual(again.ui, ui, 'the malformed state was ignored; the last good one is used');
    assert.strictEqual(dashboardTabs().length, 1);
  });

  it("turning the editor highlights off (Ctrl+Alt+A) keeps the dashboard showing the cursor's attention, with nothing drawn in the editor", async function () {
    if (!fixturesDir()) return this.skip();
    const a = (await activeExtension()).exports as AttentionLensApi;
    if (a.model.info?.architecture !== 'llama')
      await a.model.load({ path: fixture('stories260K', 'stories260K.bin'), tokenizerPath: fixture('stories260K', 'tok512.bin') });
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(workspaceRoot(), 'training.txt'));
    const editor = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
    editor.selection = new vscode.Selection(doc.positionAt(30), doc.positionAt(30));
    await waitFor('attention for the cursor token', () => (a.highlighter.shown?.editor.document === doc ? a.highlighter.shown : null), 20_000);
    panel = await openPanel();
    await waitFor("the page's ready message", () => received.some((m) => m.type === 'ready'), 60_000);
    await vscode.commands.executeCommand('attentionLens.toggleHighlights');
    try {
      await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
      editor.selection = new vscode.Selection(doc.positionAt(55), doc.positionAt(55));
      const token = await waitFor(
        'the new cursor token under highlights turned off',
        () => {
          const shown = a.highlighter.shown;
          return shown &&
            shown.result.from !== undefined &&
            doc.offsetAt(editor.selection.active) === 55 &&
            shown.result.window.starts[shown.result.from - shown.result.windowStart]! <= 55 &&
            shown.result.window.ends[shown.result.from - shown.result.windowStart]! > 55
            ? shown
            : null;
        },
        20_000,
      );
      assert.strictEqual(token.decorated, 0, 'nothing is drawn in the editor');
      const sent = await waitFor(
        "the dashboard's attention for that token",
        () => posted.find((m) => m.type === 'attention' && m.attention?.from === token.result.from),
        20_000,
      );
      assert.ok(sent.type === 'attention' && sent.attention && sent.attention.rows.length > 0);
    } finally {
      await vscode.commands.executeCommand('attentionLens.toggleHighlights');
    }
  });

  it("the curves shown are the active model's: loading a model trained elsewhere clears the previous run from the dashboard", async function () {
    if (!fixturesDir()) return this.skip();
    const a = (await activeExtension()).exports as AttentionLensApi;
    panel = await openPanel();
    await waitFor("the page's ready message", () => received.some((m) => m.type === 'ready'), 60_000);
    assert.ok(!a.run.running, 'another test left a training run going');
    a.run.start('tiny on seed_article.txt', 3);
    for (let i = 1; i <= 3; i++) a.run.addStep({ step: i, loss: 3 - i / 2, lr: 1e-3, gradNorm: 1, tokensPerSecond: 5000, elapsedMs: i * 10 });
    a.run.finish('completed', null);
    posted.length = 0;
    await a.model.load({ path: fixture('stories260K', 'stories260K.bin'), tokenizerPath: fixture('stories260K', 'tok512.bin') });
    assert.deepStrictEqual([a.run.info().status, a.run.info().label, a.run.stepCount], ['idle', '', 0]);
    const reset = await waitFor('the run reset posted to the page', () => posted.find((m) => m.type === 'runReset'), 10_000);
    assert.ok(reset.type === 'runReset' && reset.run.status === 'idle' && reset.steps.loss.length === 0);
  });

  it('the page loads under its CSP, says ready, and draws a stream of training points without an error', async () => {
    const a = (await activeExtension()).exports as AttentionLensApi;
    panel = await openPanel();
    await waitFor("the page's ready message", () => received.some((m) => m.type === 'ready'), 60_000);
    assert.ok(!a.run.running, 'another test left a training run going');
    a.run.start('dashboard test', 1000);
    for (let i = 1; i <= 1000; i++)
      a.run.addStep({ step: i, loss: i === 700 ? NaN : 3 * Math.exp(-i / 300) + 1, lr: 1e-3, gradNorm: 1, tokensPerSecond: 5000, elapsedMs: i * 10 });
    a.run.addEval({ step: 1000, valLoss: 1.2, valAccuracy: 0.5, valPerplexity: 3.3 });
    a.run.finish('completed', null);
    await new Promise((r) => setTimeout(r, 1000));
    const errors = received.filter((m) => m.type === 'error');
    assert.deepStrictEqual(errors, [], 'the page reported errors');
  });

  it('a token click in the page selects those tokens in the editor; a head click selects the head', async function () {
    if (!fixturesDir()) this.skip();
    const a = (await activeExtension()).exports as AttentionLensApi;
    if (a.model.info?.architecture !== 'llama')
      await a.model.load({ path: fixture('stories260K', 'stories260K.bin'), tokenizerPath: fixture('stories260K', 'tok512.bin') });
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(workspaceRoot(), 'training.txt'));
    const editor = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
    editor.selection = new vscode.Selection(doc.positionAt(40), doc.positionAt(40));
    const shown = await waitFor('attention for the cursor token', () => (a.highlighter.shown?.editor.document === doc ? a.highlighter.shown : null), 20_000);
    const opened = Date.now();
    panel = await openPanel();
    await waitFor("the page's ready message", () => received.some((m) => m.type === 'ready'), 60_000);
    // One worker request brings the window's whole matrix.
    await waitFor(
      "the window's attention matrix",
      () => posted.some((m) => m.type === 'view' && m.view === 'matrix' && m.payload.windowStart === shown.result.windowStart),
      30_000,
    );
    report(
      `    dashboard: ${shown.result.layers}×${shown.result.heads} heads × ${shown.result.windowLength}² matrix shown ${Date.now() - opened} ms after opening`,
    );
    // The page's click on key token 2 of the window: its [start, end) in the document.
    const w = shown.result.window;
    const [start, end] = [w.starts[2]!, w.ends[2]!];
    panel.handleMessage({ type: 'selectTokens', documentKey: doc.uri.toString(), start, end });
    // The cursor at the token's start, nothing selected (a selection would set off VS Code's occurrence highlighting).
    await waitFor('the editor cursor on the clicked token', () => {
      const e = vscode.window.visibleTextEditors.find((x) => x.document === doc);
      return e && e.selection.isEmpty && doc.offsetAt(e.selection.start) === start;
    });
    await waitFor('the clicked token as the query', () => {
      const s = a.highlighter.shown;
      return s?.editor.document === doc && s.result.window.starts[s.result.from - s.result.windowStart] === start && s.result.to === s.result.from + 1;
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

  it("stories260K: the head statistics and the rollout the dashboard receives are those of llama2.c's attention, analysed by the definitions (ANALYSIS.md)", async function () {
    if (!fixturesDir()) this.skip();
    const a = (await activeExtension()).exports as AttentionLensApi;
    if (a.model.info?.architecture !== 'llama' || a.model.info.layers !== 5)
      await a.model.load({ path: fixture('stories260K', 'stories260K.bin'), tokenizerPath: fixture('stories260K', 'tok512.bin') });
    const fx = readLlama2cAttention(fixture('stories260K', 'attention_logits_lily_park.json'));
    const spans = tokenSpans(fx);
    const q = 14;
    const doc = await vscode.workspace.openTextDocument({ content: fx.prompt });
    const editor = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
    try {
      const cursor = doc.positionAt(spans[q]!.start + 1);
      editor.selection = new vscode.Selection(cursor, cursor);
      const shown = await waitFor(
        'attention for the fixture prompt',
        () => {
          const sh = a.highlighter.shown;
          return sh?.editor.document === doc && sh.result.from === q ? sh : null;
        },
        30_000,
      );
      const r = shown.result;
      assert.deepStrictEqual([r.windowStart, r.windowLength], [0, fx.T], 'the whole prompt is one window');
      const here = (w: { documentKey: string; version: number; windowStart: number; windowLength: number }): boolean =>
        w.documentKey === r.documentKey && w.version === r.version && w.windowStart === 0 && w.windowLength === fx.T;
      panel = await openPanel();
      await waitFor("the page's ready message", () => received.some((m) => m.type === 'ready'), 60_000);
      /** The payload of the first view message of view `name` that `ok` accepts, once it was posted. */
      const find =
        <N extends ViewName>(name: N, ok: (p: PagePayload<N>) => boolean) =>
        (): PagePayload<N> | undefined => {
          for (const m of posted) if (m.type === 'view' && m.view === name && ok(m.payload as PagePayload<N>)) return m.payload as PagePayload<N>;
          return undefined;
        };
      const stats = await waitFor('the head statistics', find('headStats', here), 30_000);
      const rollout = await waitFor(
        'the rollout of the query',
        find('rollout', (p) => here(p) && p.query === q),
        30_000,
      );

      const ref = referenceHeadStats(fx);
      const L = fx.attention.length,
        H = fx.attention[0]!.length;
      assert.deepStrictEqual([stats.layers, stats.heads], [L, H]);
      const problems: string[] = [];
      const near = (what: string, got: number | undefined, want: number, tol: number): void => {
        if (!(got !== undefined && Math.abs(got - want) <= tol)) problems.push(`${what}: dashboard ${got}, reference ${want}`);
      };
      for (const [kind, want] of Object.entries(ref.scores)) {
        const got = (stats.scores as Record<string, Float32Array | undefined>)[kind];
        if (!got) problems.push(`no ${kind} score`);
        else want.forEach((w, i) => near(`${kind} of head ${Math.floor(i / H)}.${i % H}`, got[i], w, 1e-4));
      }
      ref.entropy.forEach((w, i) => near(`entropy of head ${Math.floor(i / H)}.${i % H}`, stats.entropy[i], w, 1e-4));
      for (const [name, got, want] of [
        ['keys50', stats.keys50, ref.keys50],
        ['keys90', stats.keys90, ref.keys90],
      ] as const) {
        want.forEach((w, i) => {
          const g = got[i]!;
          if (!(g >= w.min - 1e-6 && g <= w.max + 1e-6))
            problems.push(`${name} of head ${Math.floor(i / H)}.${i % H}: dashboard ${g}, reference ${w.min === w.max ? w.min : `${w.min}…${w.max}`}`);
        });
      }
      const rows = referenceRolloutRows(fx, q);
      assert.deepStrictEqual([rollout.layers, rollout.relevance.length], [L, L * fx.T]);
      rows.forEach((row, l) => row.forEach((w, k) => near(`rollout after layer ${l + 1}, key ${k}`, rollout.relevance[l * fx.T + k], w, 1e-4)));
      assert.deepStrictEqual(problems, [], `${problems.length} values differ from the reference:\n  ${problems.slice(0, 12).join('\n  ')}`);
      // Not vacuous: the heads differ, and the rollout moves relevance off the query.
      assert.ok(Math.max(...ref.scores.previous_token!) - Math.min(...ref.scores.previous_token!) > 0.1, 'the reference scores tell heads apart');
      assert.ok(rows[L - 1]![q]! < 0.9, 'the reference rollout spreads relevance');
    } finally {
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    }
  });

  it("the engine's window views arrive for the cursor's window and agree with the editor's attention; a head click brings that head's matrix and \"why\"", async function () {
    const a = (await activeExtension()).exports as AttentionLensApi;
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(workspaceRoot(), 'training.txt'));
    const editor = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
    if (fixturesDir()) {
      if (a.model.info?.architecture !== 'llama')
        await a.model.load({ path: fixture('stories260K', 'stories260K.bin'), tokenizerPath: fixture('stories260K', 'tok512.bin') });
    } else if (!a.model.info) {
      const outcome = (await vscode.commands.executeCommand('attentionLens.trainOnCurrentFile', {
        preset: 'tiny',
        steps: 20,
        batchSize: 4,
        evalInterval: 20,
      })) as { reason: string } | undefined;
      assert.strictEqual(outcome?.reason, 'completed');
    }
    const info = a.model.info!;
    a.view.select(Math.min(1, info.layers - 1), Math.min(1, info.heads - 1));
    // A cursor well into the file, so the window usually does not start at token 0.
    const offset = Math.floor(doc.getText().length * 0.7);
    editor.selection = new vscode.Selection(doc.positionAt(offset), doc.positionAt(offset));
    editor.revealRange(editor.selection, vscode.TextEditorRevealType.InCenter);
    const shown = await waitFor(
      'attention for the cursor token',
      () => {
        const s = a.highlighter.shown;
        if (s?.editor.document !== doc) return null;
        const i = s.result.from - s.result.windowStart;
        return s.result.window.starts[i]! <= offset && offset <= s.result.window.ends[i]! ? s : null;
      },
      30_000,
    );
    const r = shown.result;
    const [L, H, W, q] = [r.layers, r.heads, r.windowLength, r.from - r.windowStart];
    assert.strictEqual(r.to - r.from, 1, 'a cursor queries one token');
    const here = (w: { documentKey: string; version: number; windowStart: number; windowLength: number }): boolean =>
      w.documentKey === r.documentKey && w.version === r.version && w.windowStart === r.windowStart && w.windowLength === r.windowLength;

    panel = await openPanel();
    await waitFor("the page's ready message", () => received.some((m) => m.type === 'ready'), 60_000);
    const init = posted.find((m) => m.type === 'init');
    assert.ok(init?.type === 'init');

    const sel = a.view.selection;
    /** The payload of the first `view` message of view `name` that `ok` accepts, once it was posted. */
    const find =
      <N extends ViewName>(name: N, ok: (p: PagePayload<N>) => boolean) =>
      (): PagePayload<N> | undefined => {
        for (const m of posted) if (m.type === 'view' && m.view === name && ok(m.payload as PagePayload<N>)) return m.payload as PagePayload<N>;
        return undefined;
      };
    const started = Date.now();
    const { matrix, grid } = await waitFor(
      'the matrix of the selected head',
      find('matrix', (p) => here(p) && p.matrix.layer === sel.layer && p.matrix.head === sel.head),
      30_000,
    );
    const stats = await waitFor('the head statistics', find('headStats', here), 30_000);
    const rollout = await waitFor(
      'the rollout of the query',
      find('rollout', (p) => here(p) && p.query === q),
      30_000,
    );
    const why = await waitFor(
      'the "why" of the selected head',
      find('why', (p) => here(p) && p.layer === sel.layer && p.head === sel.head && p.query === q),
      60_000,
    );
    report(
      `    dashboard: matrix, grid, head stats, rollout and "why" for ${L}×${H} heads over ${W} tokens (window at ${r.windowStart}) within ${Date.now() - started} ms of the handshake`,
    );
    assert.deepStrictEqual(
      posted.filter((m) => m.type === 'viewUnavailable'),
      [],
    );

    /** The editor's row for the query (one token: exactly one row of the matrix) of head (l, h). */
    const shownRow = (l: number, h: number): Float32Array => r.rows.subarray((l * H + h) * W, (l * H + h + 1) * W);
    const close = (x: number, y: number, tol: number, what: string): void => assert.ok(Math.abs(x - y) <= tol, `${what}: ${x} vs ${y}`);

    // Matrix: the query's row is the editor's row for that head; rows are causal distributions.
    assert.strictEqual(matrix.weights.length, W * W);
    const row = matrix.weights.subarray(q * W, (q + 1) * W);
    shownRow(sel.layer, sel.head).forEach((v, k) => close(row[k]!, v, 1e-6, `matrix row ${q}, key ${k}`));
    close(
      row.reduce((s, v) => s + v, 0),
      1,
      1e-4,
      'the query row sums to 1',
    );
    for (let k = q + 1; k < W; k++) assert.strictEqual(row[k], 0, `key ${k} is after the query`);
    let [min, max] = [Infinity, -Infinity];
    for (const v of matrix.weights) [min, max] = [Math.min(min, v), Math.max(max, v)];
    assert.ok(matrix.globalMin <= min && matrix.globalMax >= max && matrix.globalMax <= 1 + 1e-6 && matrix.globalMin >= 0);

    // Grid: every head's thumbnail cell holds at least the editor's weight pooled into it.
    const size = Math.min(W, 48);
    assert.deepStrictEqual([grid.layers, grid.heads, grid.size, grid.thumbnails.length], [L, H, size, L * H * size * size]);
    const gr = Math.floor((q * size) / W);
    for (let lh = 0; lh < L * H; lh++) {
      const editorRow = shownRow(Math.floor(lh / H), lh % H);
      for (let k = 0; k < W; k++)
        assert.ok(grid.thumbnails[(lh * size + gr) * size + Math.floor((k * size) / W)]! >= editorRow[k]!, `grid head ${lh}, key ${k}`);
    }

    // Head stats: L·H finite entries per statistic; entropy normalised; 90 % needs at least the keys 50 % does.
    for (const [name, values] of [...Object.entries(stats.scores), ['entropy', stats.entropy], ['keys50', stats.keys50], ['keys90', stats.keys90]] as [
      string,
      Float32Array,
    ][]) {
      assert.strictEqual(values.length, L * H, name);
      assert.ok(values.every(Number.isFinite), `${name} is finite`);
    }
    assert.deepStrictEqual([stats.layers, stats.heads], [L, H]);
    assert.ok(stats.entropy.every((e) => e >= -1e-6 && e <= 1 + 1e-5));
    assert.ok(stats.keys90.every((k, i) => k >= stats.keys50[i]! - 1e-6 && stats.keys50[i]! >= 1 - 1e-6));

    // Rollout: after every layer, a causal distribution over the window for the query token.
    assert.deepStrictEqual([rollout.layers, rollout.relevance.length], [L, L * W]);
    for (let l = 0; l < L; l++) {
      const rel = rollout.relevance.subarray(l * W, (l + 1) * W);
      close(
        rel.reduce((s, v) => s + v, 0),
        1,
        1e-4,
        `rollout after layer ${l} sums to 1`,
      );
      for (let k = q + 1; k < W; k++) close(rel[k]!, 0, 1e-6, `rollout key ${k} after the query`);
    }

    // "Why": softmax(q·k/√hs) gives the matrix row, q·k/√hs the editor's scores, Σ w·v the output.
    const hs = why.headSize;
    assert.deepStrictEqual([why.q.length, why.k.length, why.v.length, why.output.length], [hs, W * hs, W * hs, hs]);
    const scores = Array.from({ length: q + 1 }, (_, k) => {
      let dot = 0;
      for (let d = 0; d < hs; d++) dot += why.q[d]! * why.k[k * hs + d]!;
      return dot / Math.sqrt(hs);
    });
    const shownScores = r.scores.subarray((sel.layer * H + sel.head) * W, (sel.layer * H + sel.head + 1) * W);
    scores.forEach((s, k) => close(s, shownScores[k]!, 1e-3 * (1 + Math.abs(s)), `score of key ${k}`));
    const top = Math.max(...scores);
    const exps = scores.map((s) => Math.exp(s - top));
    const total = exps.reduce((s, e) => s + e, 0);
    exps.forEach((e, k) => close(e / total, row[k]!, 1e-4, `softmax weight of key ${k}`));
    for (let d = 0; d < hs; d++) {
      let o = 0;
      for (let k = 0; k <= q; k++) o += row[k]! * why.v[k * hs + d]!;
      close(why.output[d]!, o, 1e-4 * (1 + Math.abs(o)), `output dim ${d}`);
    }

    // A head click in the page: that head's matrix, cut from the same block (and the same grid), and its "why".
    const next = { layer: L - 1, head: 0 };
    panel.handleMessage({ type: 'selectHead', ...next });
    const clicked = await waitFor(
      "the clicked head's matrix",
      find('matrix', (p) => here(p) && p.matrix.layer === next.layer && p.matrix.head === next.head),
      10_000,
    );
    assert.deepStrictEqual(clicked.grid.thumbnails, grid.thumbnails, 'the grid of the same block');
    const m2 = clicked.matrix;
    m2.weights.subarray(q * W, (q + 1) * W).forEach((v, k) => close(v, shownRow(next.layer, next.head)[k]!, 1e-6, `clicked head's row, key ${k}`));
    assert.deepStrictEqual([m2.globalMin, m2.globalMax], [matrix.globalMin, matrix.globalMax]);
    const why2 = await waitFor(
      'the clicked head\'s "why"',
      find('why', (p) => here(p) && p.layer === next.layer && p.head === next.head && p.query === q),
      60_000,
    );
    assert.strictEqual(why2.headSize, hs);
    await new Promise((res) => setTimeout(res, 300));
    assert.deepStrictEqual(
      received.filter((m) => m.type === 'error'),
      [],
      'the page reported errors',
    );
  });
});
