/**
 * What-if in a real VS Code. Compare with Edit on stories260K: the window is copied into a
 * scratch document beside it; editing the copy back into the fixture's prompt makes the
 * dashboard's What-if panel show llama2.c's surprisal for it (the oracle), the original's equal
 * to it before the edit, and exactly the edited tokens as new. Compare with Checkpoint… on two
 * tiny models written here: the per-head distances and the second model's surprisal equal
 * those computed in the test from full forwards of both models.
 */

import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { serializeCheckpoint } from '../../src/engine/checkpoint/native';
import { presetConfig } from '../../src/engine/models/presets';
import { Transformer } from '../../src/engine/nn/transformer';
import { Rng } from '../../src/engine/random';
import { CharTokenizer } from '../../src/engine/tokenizer/charTokenizer';
import type { AttentionLensApi } from '../../src/host/extension';
import type { ComparisonView, WhatIf } from '../../src/protocol/dashboardViews';
import type { HostToWebview } from '../../src/protocol/webviewProtocol';
import { logProb } from '../helpers/llama2cAttention';
import { activeExtension, fixture, fixturesDir, waitFor } from '../helpers/vscodeTest';

interface LogitsFixture {
  readonly prompt: string;
  readonly token_ids: number[];
  readonly logits: number[][];
}

async function openFile(dir: string, name: string, content: string): Promise<vscode.TextDocument> {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return vscode.workspace.openTextDocument(vscode.Uri.file(file));
}

/** The dashboard's posts, from now on. */
async function dashboardPosts(a: AttentionLensApi): Promise<HostToWebview[]> {
  await vscode.commands.executeCommand('attentionLens.showDashboard');
  const panel = await waitFor('the dashboard', () => a.dashboard());
  const posted: HostToWebview[] = [];
  panel.onDidPostMessage((m) => posted.push(m));
  return posted;
}

/**
 * The latest What-if payload posted for a document version with a comparison in it (for query
 * token `query` if given: one for where the cursor was before it moved can come first).
 */
function comparisonFor(
  posted: readonly HostToWebview[],
  doc: vscode.TextDocument,
  query?: number,
): () => (ComparisonView & { comparison: WhatIf }) | undefined {
  return () => {
    for (let i = posted.length - 1; i >= 0; i--) {
      const m = posted[i]!;
      if (m.type !== 'view' || m.view !== 'compare') continue;
      const p = m.payload as ComparisonView;
      if (p.documentKey === doc.uri.toString() && p.version === doc.version && p.comparison && (query === undefined || p.query === query))
        return p as ComparisonView & { comparison: WhatIf };
    }
    return undefined;
  };
}

/** The cursor at `offset` in `doc`, shown where it already is (showing it in the dashboard's group would hide the dashboard). */
async function cursorAt(doc: vscode.TextDocument, offset: number): Promise<vscode.TextEditor> {
  const column = vscode.window.visibleTextEditors.find((e) => e.document === doc)?.viewColumn ?? vscode.ViewColumn.One;
  const editor = await vscode.window.showTextDocument(doc, column);
  editor.selection = new vscode.Selection(doc.positionAt(offset), doc.positionAt(offset));
  return editor;
}

describe('What-if: Compare with Edit and Compare with Checkpoint…', function () {
  this.timeout(120_000);
  let a: AttentionLensApi;
  let dir: string;

  before(async () => {
    a = (await activeExtension()).exports as AttentionLensApi;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'al-whatif-'));
  });
  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("Compare with Edit: the edited copy reads as llama2.c reads it; the original's loss equals it before the edit; the edited tokens are new", async function () {
    if (!fixturesDir()) return this.skip();
    const fx = JSON.parse(fs.readFileSync(fixture('stories260K', 'attention_logits_lily_park.json'), 'utf8')) as LogitsFixture;
    if (a.model.info?.architecture !== 'llama')
      await a.model.load({ path: fixture('stories260K', 'stories260K.bin'), tokenizerPath: fixture('stories260K', 'tok512.bin') });
    // The original says "green ball"; the copy is edited back to the fixture's "red ball".
    const original = fx.prompt.replace(' red ball', ' green ball');
    assert.notStrictEqual(original, fx.prompt);
    const doc = await openFile(dir, 'original.txt', original);
    await cursorAt(doc, original.length);
    const posted = await dashboardPosts(a);
    await cursorAt(doc, original.length);
    const copyUri = await vscode.commands.executeCommand<string | undefined>('attentionLens.compareWithEdit');
    assert.ok(copyUri, 'the command returns the copy');
    const copy = vscode.workspace.textDocuments.find((d) => d.uri.toString() === copyUri)!;
    assert.strictEqual(copy.getText(), original, 'the copy holds the window (here the whole text)');
    const at = original.indexOf(' green');
    const edit = new vscode.WorkspaceEdit();
    edit.replace(copy.uri, new vscode.Range(copy.positionAt(at), copy.positionAt(at + ' green'.length)), ' red');
    assert.ok(await vscode.workspace.applyEdit(edit));
    assert.strictEqual(copy.getText(), fx.prompt);
    await cursorAt(copy, fx.prompt.length - 1); // the final "."
    const T = fx.token_ids.length;
    const c = (await waitFor('the What-if panel for the edited copy', comparisonFor(posted, copy, T - 1), 60_000)).comparison;
    assert.strictEqual(c.kind, 'edit');
    assert.strictEqual(c.surprisal.length, T);
    // The token where the texts differ: the first whose text is not a common prefix.
    const tokens = (await a.attention.tokensFor(copy, [{ start: 0, end: fx.prompt.length }]))!;
    const firstNew = Array.from({ length: T }, (_, i) => i).find((i) => (tokens.rangeOf(i)?.end ?? 0) > at)!;
    for (let i = 1; i < T; i++) {
      const oracle = -logProb(fx.logits[i - 1]!, fx.token_ids[i]!);
      assert.ok(Math.abs(c.surprisal[i]! - oracle) < 2e-3, `token ${i}: surprisal ${c.surprisal[i]} here, llama2.c ${oracle}`);
      if (i < firstNew) assert.ok(Math.abs(c.otherSurprisal[i]! - oracle) < 2e-3, `token ${i} before the edit reads the same in the original`);
    }
    const news = Array.from(c.aligned, (j, i) => (j < 0 ? i : -1)).filter((i) => i >= 0);
    assert.ok(
      news.length >= 1 && news.every((i) => (tokens.rangeOf(i)?.start ?? -1) >= at && (tokens.rangeOf(i)?.end ?? 0) <= at + ' red'.length),
      `new tokens ${news}`,
    );
    assert.strictEqual(c.otherQuery, c.aligned[T - 1], 'the final "." has its counterpart');
    assert.ok(c.headDelta.every((d) => d >= 0 && d <= 1));
  });

  it('Compare with Checkpoint…: per-head distances and the second model’s surprisal equal full forwards of both models', async () => {
    const text = 'the cat sat on the mat. the dog sat on the log.';
    const tokenizer = CharTokenizer.fromText(text);
    const write = (name: string, seed: number): { file: string; model: Transformer } => {
      const model = Transformer.create(presetConfig('tiny', tokenizer.vocabSize), new Rng(seed));
      const file = path.join(dir, name);
      fs.writeFileSync(file, serializeCheckpoint(model, tokenizer.toJSON(), null));
      return { file, model };
    };
    const first = write('first.safetensors', 1);
    const second = write('second.safetensors', 2);
    await a.model.load({ path: first.file, tokenizerPath: null });
    const doc = await openFile(dir, 'text.txt', text);
    const q = 20;
    await cursorAt(doc, q);
    const posted = await dashboardPosts(a);
    await cursorAt(doc, q);
    const label = await vscode.commands.executeCommand<string | undefined>('attentionLens.compareWithCheckpoint', { path: second.file });
    assert.strictEqual(label, 'checkpoint second.safetensors');
    await cursorAt(doc, q);
    const c = (await waitFor('the What-if panel for the second model', comparisonFor(posted, doc), 60_000)).comparison;
    assert.strictEqual(c.kind, 'checkpoint');
    const ids = Int32Array.from(tokenizer.encode(text).tokens.map((t) => t.id));
    const T = ids.length;
    const V = tokenizer.vocabSize;
    const run = (m: Transformer): { att: Float32Array[]; logits: Float32Array } => {
      const r = m.forward(null, ids, 1, T, { capture: { attention: true } });
      return { att: r.layers.map((l) => l.attention!), logits: r.logits.data };
    };
    const x = run(first.model);
    const y = run(second.model);
    const { nLayers: L, nHeads: H } = first.model.config;
    for (let l = 0; l < L; l++) {
      for (let h = 0; h < H; h++) {
        let tv = 0;
        for (let k = 0; k < T; k++) tv += Math.abs(x.att[l]![(h * T + q) * T + k]! - y.att[l]![(h * T + q) * T + k]!);
        assert.ok(Math.abs(c.headDelta[l * H + h]! - tv / 2) < 1e-5, `head ${l}.${h}: ${c.headDelta[l * H + h]} vs ${tv / 2}`);
      }
    }
    for (let i = 1; i < T; i++) {
      const expected = -logProb(Array.from(y.logits.subarray((i - 1) * V, i * V)), ids[i]!);
      assert.ok(Math.abs(c.otherSurprisal[i]! - expected) < 1e-4, `token ${i} under the second model`);
    }
  });
});
