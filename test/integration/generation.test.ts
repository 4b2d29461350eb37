/**
 * Generate from Cursor in a real VS Code, on llama2.c's stories260K, with llama2.c's own
 * outputs as the oracle: greedy tokens written at the cursor are run.c's printed pieces, one
 * undo removes them all, the hover over a generated token gives the probability that llama2.c's
 * logits give it, Stop Generating ends a long run early, and a preview leaves the document as
 * it was.
 */

import * as assert from 'assert';
import * as fs from 'fs';
import * as vscode from 'vscode';
import type { AttentionLensApi } from '../../src/host/extension';
import type { GenerateOutcome } from '../../src/host/generation/generateFromCursor';
import { activeExtension, fixture, fixturesDir, waitFor } from '../helpers/vscodeTest';

interface GreedyCase {
  readonly prompt: string;
  readonly prompt_token_ids: number[];
  readonly generated_token_ids: number[];
  readonly printed_pieces: string[];
}

interface LogitsFixture {
  readonly token_ids: number[];
  readonly logits: number[][];
}

/** softmax(row)[id] in float64. */
function probOf(row: readonly number[], id: number): number {
  const max = Math.max(...row);
  const sum = row.reduce((s, x) => s + Math.exp(x - max), 0);
  return Math.exp((row[id] ?? NaN) - max) / sum;
}

async function openAtEnd(content: string): Promise<vscode.TextEditor> {
  const doc = await vscode.workspace.openTextDocument({ content });
  const editor = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
  const end = doc.positionAt(content.length);
  editor.selection = new vscode.Selection(end, end);
  return editor;
}

function generate(args: Record<string, unknown>): Thenable<GenerateOutcome | undefined> {
  return vscode.commands.executeCommand<GenerateOutcome | undefined>('attentionLens.generateFromCursor', args);
}

describe('Generate from Cursor (stories260K, llama2.c as the oracle)', function () {
  this.timeout(120_000);
  let a: AttentionLensApi;

  before(async function () {
    if (!fixturesDir()) return this.skip();
    a = (await activeExtension()).exports as AttentionLensApi;
    if (a.model.info?.architecture !== 'llama')
      await a.model.load({ path: fixture('stories260K', 'stories260K.bin'), tokenizerPath: fixture('stories260K', 'tok512.bin') });
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it("writes N greedy tokens at the cursor — run.c's pieces — and one undo restores the document", async () => {
    const ref = (JSON.parse(fs.readFileSync(fixture('stories260K', 'greedy_generations.json'), 'utf8')) as { cases: GreedyCase[] }).cases.find(
      (c) => c.prompt === 'Lily and Ben',
    )!;
    const editor = await openAtEnd(ref.prompt);
    const N = 12;
    const outcome = await generate({ maxTokens: N, temperature: 0, into: 'document' });
    assert.deepStrictEqual([outcome?.reason, outcome?.tokens, outcome?.into], ['length', N, 'document']);
    const pieces = ref.printed_pieces.slice(ref.prompt_token_ids.length - 1, ref.prompt_token_ids.length - 1 + N);
    assert.strictEqual(editor.document.getText(), ref.prompt + pieces.join(''));
    await vscode.window.showTextDocument(editor.document, vscode.ViewColumn.One);
    await vscode.commands.executeCommand('undo');
    await waitFor('one undo to restore the prompt', () => editor.document.getText() === ref.prompt, 5000);
  });

  it("the hover over a generated token says generated: p=…, the probability llama2.c's logits give it", async () => {
    const fx = JSON.parse(fs.readFileSync(fixture('stories260K', 'attention_logits_lily_park.json'), 'utf8')) as LogitsFixture;
    // The first 14 tokens of the fixture's prompt, as text (this prefix encodes to exactly those tokens).
    const prompt = 'Once upon a time, there was a little girl named';
    const editor = await openAtEnd(prompt);
    const outcome = await generate({ maxTokens: 3, temperature: 0, into: 'document' });
    assert.strictEqual(outcome?.tokens, 3);
    const row = fx.logits[13]!;
    const next = fx.token_ids[14]!; // greedy = the token the text goes on with (" Lily")
    assert.ok(editor.document.getText().startsWith(`${prompt} Lily`), editor.document.getText());
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
      'vscode.executeHoverProvider',
      editor.document.uri,
      editor.document.positionAt(prompt.length + 2),
    );
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    const m = /generated: p=([0-9.e-]+)/.exec(text);
    assert.ok(m, `no "generated: p=" in the hover:\n${text}`);
    const expected = probOf(row, next);
    assert.ok(Math.abs(Number(m[1]) - expected) < 2e-4, `hover p=${m[1]}, llama2.c's logits give ${expected}`);
    assert.match(text, /alternatives `/);
    // The token's attention is in the attention hover too (the same hover, the attention provider's part).
    assert.match(text, /Top \d+ attended/);
  });

  it('Stop Generating ends a long generation early; what was written stays, and one undo removes it', async () => {
    const prompt = 'Once upon a time';
    const editor = await openAtEnd(prompt);
    const running = generate({ maxTokens: 2000, temperature: 1, into: 'document', seed: 7 });
    await waitFor('the first generated token', () => editor.document.getText().length > prompt.length, 30_000);
    await vscode.commands.executeCommand('attentionLens.stopGenerating');
    const outcome = await running;
    assert.strictEqual(outcome?.reason, 'cancelled');
    assert.ok(outcome.tokens >= 1 && outcome.tokens < 400, `${outcome.tokens} tokens`);
    assert.ok(editor.document.getText().startsWith(prompt) && editor.document.getText().length > prompt.length);
    await vscode.window.showTextDocument(editor.document, vscode.ViewColumn.One);
    await vscode.commands.executeCommand('undo');
    await waitFor('one undo to restore the prompt', () => editor.document.getText() === prompt, 5000);
  });

  it('into a preview: a scratch document beside holds the text and its continuation; the document is untouched', async () => {
    const prompt = 'Lily and Ben';
    const editor = await openAtEnd(prompt);
    const outcome = await generate({ maxTokens: 5, temperature: 0, into: 'preview' });
    assert.strictEqual(outcome?.into, 'preview');
    assert.strictEqual(editor.document.getText(), prompt);
    const preview = vscode.workspace.textDocuments.find((d) => d.uri.toString() === outcome.uri);
    assert.ok(preview && preview.isUntitled);
    assert.ok(preview.getText().startsWith(prompt) && preview.getText().length > prompt.length, preview.getText());
    await vscode.window.showTextDocument(preview);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});
