/**
 * The soak run (issue 7), inside the real extension host, never part of `npm test`:
 * `npm run soak` trains the `small` preset for ATTENTION_LENS_SOAK_STEPS steps (default
 * 5,000) while the cursor moves every 100 ms, and reports the host's event-loop lag
 * percentiles and its memory growth after warm-up (goal: under 10 %).
 */

import * as assert from 'assert';
import { monitorEventLoopDelay } from 'perf_hooks';
import * as vscode from 'vscode';
import type { AttentionLensApi } from '../../../src/host/extension';
import { activeExtension, report } from '../../helpers/vscodeTest';

const STEPS = Number(process.env.ATTENTION_LENS_SOAK_STEPS ?? 5000);

describe('soak', function () {
  this.timeout(0);

  it(`trains small for ${STEPS} steps while the cursor moves every 100 ms`, async () => {
    const api = (await activeExtension()).exports as AttentionLensApi;
    const words = ['attention', 'is', 'what', 'the', 'model', 'reads', 'from', 'earlier', 'tokens', 'when', 'it', 'writes', 'the', 'next', 'one.'];
    let text = '';
    for (let i = 0; text.length < 200_000; i++) text += words[(i * 7 + (i >> 3)) % words.length] + (i % 13 === 12 ? '\n' : ' ');
    const doc = await vscode.workspace.openTextDocument({ content: text });
    const editor = await vscode.window.showTextDocument(doc);
    // A first model, so the highlights have something to show while the soak trains.
    await vscode.commands.executeCommand('attentionLens.trainOnCurrentFile', { preset: 'tiny', steps: 2, batchSize: 2 });

    const lag = monitorEventLoopDelay({ resolution: 5 });
    let warm: NodeJS.MemoryUsage | null = null;
    let steps = 0;
    let moves = 0;
    const sub = api.run.onDidChange((e) => {
      if (e.kind !== 'step') return;
      steps = e.point.step;
      if (steps === Math.min(200, Math.floor(STEPS / 10))) {
        (globalThis as { gc?: () => void }).gc?.();
        warm = process.memoryUsage();
        lag.enable();
      }
    });
    const mover = setInterval(() => {
      const p = doc.positionAt((moves++ * 37) % 5000);
      editor.selection = new vscode.Selection(p, p);
    }, 100);
    const started = Date.now();
    const outcome = await vscode.commands.executeCommand('attentionLens.trainOnCurrentFile', { preset: 'small', steps: STEPS, evalInterval: 500 });
    clearInterval(mover);
    lag.disable();
    sub.dispose();
    assert.ok(outcome, 'training did not finish');
    (globalThis as { gc?: () => void }).gc?.();
    const end = process.memoryUsage();
    const w = warm ?? end;
    const pct = (a: number, b: number): string => `${(((b - a) / a) * 100).toFixed(1)} %`;
    const ms = (ns: number): string => Math.max(0, ns / 1e6 - 5).toFixed(1);
    report(`    SOAK ${steps} steps of small in ${((Date.now() - started) / 60000).toFixed(1)} min, ${moves} cursor moves`);
    report(`    SOAK host lag after warm-up: p50 ${ms(lag.percentile(50))} ms, p90 ${ms(lag.percentile(90))} ms, p99 ${ms(lag.percentile(99))} ms, max ${ms(lag.max)} ms`);
    report(`    SOAK host memory after warm-up → end: heap ${(w.heapUsed / 2 ** 20).toFixed(0)} → ${(end.heapUsed / 2 ** 20).toFixed(0)} MB (${pct(w.heapUsed, end.heapUsed)}), rss ${(w.rss / 2 ** 20).toFixed(0)} → ${(end.rss / 2 ** 20).toFixed(0)} MB (${pct(w.rss, end.rss)}) (goal: under 10 %)`);
  });
});
