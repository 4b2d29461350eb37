/**
 * The Attention Lens sidebar inside VS Code, with stories260K loaded: the Model view shows the
 * shape read independently from the llama2.c file header; Layers and Heads lists every layer
 * and head, and for llama2.c's own prompt each head's kind and score are those of llama2.c's
 * attention analysed by the definitions (ANALYSIS.md, test/helpers/llama2cAttention.ts);
 * clicking a head selects it for the editor; "Show in Dashboard" selects it and opens the
 * dashboard; Runs and Checkpoints offers downloaded models and workspace checkpoints.
 */

import * as assert from 'assert';
import * as fs from 'fs';
import * as vscode from 'vscode';
import type { AttentionLensApi } from '../../src/host/extension';
import type { HeadNode } from '../../src/host/sidebar/headsTree';
import { readLlama2cAttention, referenceHeadStats } from '../helpers/llama2cAttention';
import { activeExtension, fixture, fixturesDir, waitFor } from '../helpers/vscodeTest';

const KIND_LABELS: Record<string, string> = {
  previous_token: 'previous token',
  duplicate_token: 'duplicate token',
  induction: 'induction',
  first_token: 'first token',
  current_token: 'current token',
};

describe('Sidebar (model, layers and heads, runs and checkpoints)', function () {
  this.timeout(120_000);

  it("shows stories260K's shape, llama2.c's head kinds, selects heads and opens them in the dashboard", async function () {
    if (!fixturesDir()) this.skip();
    const a = (await activeExtension()).exports as AttentionLensApi;
    await a.model.load({ path: fixture('stories260K', 'stories260K.bin'), tokenizerPath: fixture('stories260K', 'tok512.bin') });
    // llama2.c's header: seven int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len).
    const header = new Int32Array(fs.readFileSync(fixture('stories260K', 'stories260K.bin')).buffer.slice(0, 28));
    const [dim, hidden, layers, heads, kvHeads, vocab, seqLen] = Array.from(header) as number[];

    await a.sidebar.model.refresh();
    const rows = Object.fromEntries(a.sidebar.model.getChildren().map((r) => [r.label, r.value]));
    assert.equal(rows['Layers × heads'], `${layers} × ${heads} (${kvHeads} key/value heads)`);
    assert.equal(rows['Width'], `d_model ${dim}, context ${seqLen}`);
    assert.equal(rows['Vocabulary'], `${Math.abs(vocab!)} tokens`);
    assert.equal(rows['Source'], 'stories260K.bin');
    // The weights llama2.c's layout holds (the classifier shares the embedding: vocab > 0), float32.
    const kvDim = (dim! * kvHeads!) / heads!;
    const perLayer = 2 * dim! + 2 * dim! * dim! + 2 * dim! * kvDim + 3 * dim! * hidden!;
    const floats = Math.abs(vocab!) * dim! + layers! * perLayer + dim!;
    assert.equal(rows['Weights in memory'], `f32, taking ${((4 * floats) / 1e6).toFixed(1)} MB`);

    await vscode.commands.executeCommand('attentionLens.heads.focus');
    const top = a.sidebar.heads.getChildren();
    assert.equal(top.length, layers);
    assert.equal(a.sidebar.heads.getChildren(top[0]).length, heads);

    const fx = readLlama2cAttention(fixture('stories260K', 'attention_logits_lily_park.json'));
    const doc = await vscode.workspace.openTextDocument({ content: fx.prompt });
    const editor = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
    const end = doc.positionAt(fx.prompt.length - 1);
    editor.selection = new vscode.Selection(end, end);
    await waitFor(
      'head scores for the prompt',
      () => a.sidebar.heads.stats?.documentKey === doc.uri.toString() && a.sidebar.heads.stats.version === doc.version,
      60_000,
    );

    const ref = referenceHeadStats(fx);
    const problems: string[] = [];
    let described = 0;
    for (let l = 0; l < layers!; l++) {
      for (let h = 0; h < heads!; h++) {
        const i = l * heads! + h;
        const ranked = Object.entries(ref.scores)
          .map(([k, s]) => ({ k, s: s[i]! }))
          .sort((x, y) => y.s - x.s);
        const best = ranked[0]!;
        // A near tie, or a score at the 0.3 line, may go either way in float32; those heads are not judged.
        if (best.s - ranked[1]!.s < 1e-3 || Math.abs(best.s - 0.3) < 1e-3) continue;
        const item = a.sidebar.heads.getTreeItem({ kind: 'head', layer: l, head: h });
        const text = String(item.description ?? '');
        const want = best.s >= 0.3 ? `${KIND_LABELS[best.k]} ${best.s.toFixed(2)}` : 'no clear pattern';
        if (!text.startsWith(want)) problems.push(`head ${l}.${h}: "${text}", expected "${want}"`);
        if (best.s >= 0.3) described++;
      }
    }
    assert.deepStrictEqual(problems, []);
    assert.ok(described > 0, 'at least one head has a clear kind on this prompt');

    const item = a.sidebar.heads.getTreeItem({ kind: 'head', layer: layers! - 1, head: 1 });
    assert.ok(item.command);
    await vscode.commands.executeCommand(item.command.command, ...(item.command.arguments ?? []));
    assert.deepStrictEqual(a.view.selection, { layer: layers! - 1, head: 1 });

    const node: HeadNode = { kind: 'head', layer: 1, head: 2 };
    await vscode.commands.executeCommand('attentionLens.showHeadInDashboard', node);
    assert.deepStrictEqual(a.view.selection, { layer: 1, head: 2 });
    await waitFor(
      'the dashboard tab',
      () => vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => t.input instanceof vscode.TabInputWebview && /attentionLens/.test(t.input.viewType))),
      20_000,
    );

    const groups = await a.sidebar.runs.getChildren();
    assert.deepStrictEqual(
      groups.map((g) => g.kind === 'group' && g.id),
      ['run', 'trained', 'workspace', 'hub'],
    );
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});
