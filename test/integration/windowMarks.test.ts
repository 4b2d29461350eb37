/**
 * The context window in the editor (issue 18): on a document longer than the model's context,
 * the bounds of the sliding window the cursor's query is read in are marked — what
 * setDecorations receives for the window's first and last token — and the status bar item's
 * tooltip says which tokens and characters it covers. stories260K (context 512) on a text of
 * ~1,100 tokens; the expected window is worked out here from the stride (half the context) and
 * the tokens' spans under the fixture's tokenizer (checked against run.c in the unit tests).
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as vscode from 'vscode';
import { Llama2cTokenizer } from '../../src/engine/tokenizer/llama2cTokenizer';
import type { AttentionLensApi } from '../../src/host/extension';
import { DecorationRecorder } from '../helpers/decorationRecorder';
import { activeExtension, fixture, fixturesDir, waitFor } from '../helpers/vscodeTest';

const CONTEXT = 512;
const STRIDE = 256;

/** The earliest window [s, s + C) (s = 0, S, 2S, …) that holds token q: the one with the most tokens before q. */
function windowOf(q: number, count: number): { first: number; last: number } {
  let s = 0;
  while (s + CONTEXT <= q) s += STRIDE;
  return { first: s, last: Math.min(s + CONTEXT, count) - 1 };
}

describe('Attention Lens: the context window in the editor', function () {
  this.timeout(180_000);

  it('marks the first and last token of the window the query is read in, and the status bar tooltip names its tokens and characters', async function () {
    if (!fixturesDir()) this.skip();
    const a = (await activeExtension()).exports as AttentionLensApi;
    const ok = await vscode.commands.executeCommand('attentionLens.loadCheckpoint', {
      path: fixture('stories260K', 'stories260K.bin'),
      tokenizerPath: fixture('stories260K', 'tok512.bin'),
    });
    assert.strictEqual(ok, true);
    const text = 'Lily saw a big red ball in the park. '.repeat(80);
    const tok = Llama2cTokenizer.fromBytes(new Uint8Array(fs.readFileSync(fixture('stories260K', 'tok512.bin'))), 512);
    const spans = tok.encode(text).tokens;
    const count = spans.length;
    assert.ok(count > 2 * CONTEXT, `${count} tokens`);
    const recorder = await DecorationRecorder.install(
      (a.highlighter as unknown as { decorations: { apply: (e: vscode.TextEditor, ...rest: unknown[]) => unknown } }).decorations,
    );
    try {
      const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument({ content: text }));
      for (let q of [700, 10, count - 6]) {
        while (spans[q]!.end - spans[q]!.start < 2) q++; // a cursor inside the token, not at its end
        const w = windowOf(q, count);
        const cursor = editor.document.positionAt(spans[q]!.start + 1);
        editor.selection = new vscode.Selection(cursor, cursor);
        editor.revealRange(new vscode.Range(cursor, cursor));
        const startMark = w.first > 0 ? [{ start: spans[w.first]!.start, end: spans[w.first]!.end }] : [];
        const endMark = w.last < count - 1 ? [{ start: spans[w.last]!.start, end: spans[w.last]!.end }] : [];
        let seen = '';
        await waitFor(
          `window marks for query ${q}`,
          () => {
            const o = recorder.observed();
            const shown = a.highlighter.shown;
            seen = JSON.stringify({ start: o.windowStart, end: o.windowEnd, from: shown?.result.from });
            return (
              shown?.result.from === q && JSON.stringify(o.windowStart) === JSON.stringify(startMark) && JSON.stringify(o.windowEnd) === JSON.stringify(endMark)
            );
          },
          60_000,
        ).catch((e: Error) => {
          throw new Error(`${e.message}: saw ${seen}, expected start ${JSON.stringify(startMark)} end ${JSON.stringify(endMark)}`);
        });
        const tooltip = a.statusBar.tooltipText;
        const chars = `characters ${spans[w.first]!.start}–${spans[w.last]!.end}`;
        assert.ok(tooltip.includes(`tokens ${w.first}–${w.last} of ${count}, ${chars}`), `tooltip for query ${q}: ${tooltip}`);
        assert.ok(tooltip.includes(`Windows are ${CONTEXT} tokens, ${STRIDE} apart`), tooltip);
      }
    } finally {
      recorder.dispose();
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    }
  });
});
