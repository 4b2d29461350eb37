/**
 * The soak run (issue 7), inside the real extension host, never part of `npm test`:
 * `npm run soak` trains a preset (ATTENTION_LENS_SOAK_PRESET, default `small`) for
 * ATTENTION_LENS_SOAK_STEPS steps (default 5,000) while the cursor moves every 100 ms, and
 * reports the host's event-loop lag percentiles and the memory of the extension host's process
 * (its heap, the engine worker's heap and buffers, after full collections of both, and the rss
 * both as the run leaves it and after those collections),
 * sampled through the run, with the growth after warm-up (goal: under 10 %). Warm-up ends after
 * the first evaluation, and no earlier than a tenth of the steps: by then every kind of work
 * (training steps, evaluation, highlights for the cursor) has run and taken the memory it needs.
 * ATTENTION_LENS_SOAK_THREADS=<k> restarts the engine worker on k compute threads first (the
 * setting attentionLens.engine.threads, put back afterwards).
 * ATTENTION_LENS_SOAK_PROFILE=<dir> records a CPU profile of the host's thread from warm-up to the
 * end (host.cpuprofile) and prints the functions that took the most time: where lag comes from.
 * ATTENTION_LENS_SOAK_SNAPSHOTS=<dir> also writes V8 heap snapshots at warm-up and at the end,
 * to compare in Chrome's DevTools (Memory → Comparison) when the figure grows.
 */

import * as assert from 'assert';
import * as path from 'path';
import { monitorEventLoopDelay } from 'perf_hooks';
import * as v8 from 'v8';
import * as vscode from 'vscode';
import type { AttentionLensApi } from '../../../src/host/extension';
import { collectGarbage } from '../../../src/node/collectGarbage';
import type { WorkerReply } from '../../../src/protocol/workerProtocol';
import { CpuProfile } from '../../helpers/cpuProfile';
import { activeExtension, report } from '../../helpers/vscodeTest';

const STEPS = Number(process.env.ATTENTION_LENS_SOAK_STEPS ?? 5000);
const PRESET = process.env.ATTENTION_LENS_SOAK_PRESET ?? 'small';
const SNAPSHOTS = process.env.ATTENTION_LENS_SOAK_SNAPSHOTS;
const THREADS = process.env.ATTENTION_LENS_SOAK_THREADS;
const PROFILE = process.env.ATTENTION_LENS_SOAK_PROFILE;
const SAMPLES = 10;

interface Sample {
  readonly step: number;
  readonly minutes: number;
  /** The process's rss as the run leaves it, before the collections. */
  readonly rssRunning: number;
  readonly host: NodeJS.MemoryUsage;
  readonly worker: Extract<WorkerReply, { type: 'memory' }>;
}

const mb = (n: number): string => (n / 2 ** 20).toFixed(0);

describe('soak', function () {
  this.timeout(0);

  it(`trains ${PRESET} for ${STEPS} steps while the cursor moves every 100 ms`, async () => {
    const api = (await activeExtension()).exports as AttentionLensApi;
    const engine = vscode.workspace.getConfiguration('attentionLens.engine');
    if (THREADS !== undefined) {
      await engine.update('threads', Number(THREADS), vscode.ConfigurationTarget.Global);
      await api.client.terminateForTesting(); // the client starts a new worker, which reads the setting
    }
    const words = ['attention', 'is', 'what', 'the', 'model', 'reads', 'from', 'earlier', 'tokens', 'when', 'it', 'writes', 'the', 'next', 'one.'];
    let text = '';
    for (let i = 0; text.length < 200_000; i++) text += words[(i * 7 + (i >> 3)) % words.length] + (i % 13 === 12 ? '\n' : ' ');
    const doc = await vscode.workspace.openTextDocument({ content: text });
    const editor = await vscode.window.showTextDocument(doc);
    // A first model, so the highlights have something to show while the soak trains.
    await vscode.commands.executeCommand('attentionLens.trainOnCurrentFile', { preset: 'tiny', steps: 2, batchSize: 2 });

    // Enabled once, at warm-up: a monitor disabled and enabled again counts the pause as one long
    // delay. So the samples' own full collections (host heap ~35 MB) are inside the figures.
    const lag = monitorEventLoopDelay({ resolution: 5 });
    const samples: Promise<Sample>[] = [];
    const started = Date.now();
    let lagOn = false;
    let sampling = 0;
    /** Memory after full collections of both threads. */
    const sample = async (step: number, snapshotName?: string): Promise<Sample> => {
      sampling++;
      const minutes = (Date.now() - started) / 60000;
      const rssRunning = process.memoryUsage.rss();
      const worker = await api.client.call({ type: 'memory', collectGarbage: true });
      collectGarbage();
      const host = process.memoryUsage();
      if (SNAPSHOTS && snapshotName) v8.writeHeapSnapshot(path.join(SNAPSHOTS, `${snapshotName}.heapsnapshot`));
      sampling--;
      tick = Date.now();
      return { step, minutes, rssRunning, host, worker };
    };
    let steps = 0;
    let moves = 0;
    let tick = Date.now();
    let warmStep = 0;
    let evaluated = false;
    let every = 1;
    const profile = PROFILE ? new CpuProfile() : null;
    const sub = api.run.onDidChange((e) => {
      if (e.kind === 'eval') evaluated = true;
      if (e.kind !== 'step') return;
      steps = e.point.step;
      if (!warmStep && evaluated && steps >= STEPS / 10) {
        warmStep = steps;
        every = Math.max(1, Math.floor((STEPS - warmStep) / SAMPLES));
        lagOn = true;
        samples.push(sample(steps, 'warm').finally(() => lag.enable()));
        if (profile) void profile.start();
      } else if (warmStep && steps > warmStep && (steps - warmStep) % every === 0 && steps < STEPS) {
        samples.push(sample(steps));
      }
    });
    // Stalls of the host's event loop over 100 ms, with the step they happened at: where to look.
    const stalls: string[] = [];
    const watchdog = setInterval(() => {
      const now = Date.now();
      if (lagOn && !sampling && now - tick > 120) stalls.push(`${now - tick - 20} ms at step ${steps} (${((now - started) / 60000).toFixed(1)} min)`);
      tick = now;
    }, 20);
    const mover = setInterval(() => {
      const p = doc.positionAt((moves++ * 37) % 5000);
      editor.selection = new vscode.Selection(p, p);
    }, 100);
    const outcome = await vscode.commands.executeCommand('attentionLens.trainOnCurrentFile', { preset: PRESET, steps: STEPS, evalInterval: 500 });
    clearInterval(mover);
    clearInterval(watchdog);
    lagOn = false;
    lag.disable();
    sub.dispose();
    assert.ok(outcome, 'training did not finish');
    assert.ok(warmStep, 'warm-up never ended: the run had no evaluation');
    samples.push(sample(steps, 'end'));
    const curve = await Promise.all(samples);
    const hot = profile ? await profile.stop(path.join(PROFILE!, 'host.cpuprofile')) : [];

    const ms = (ns: number): string => Math.max(0, ns / 1e6 - 5).toFixed(1);
    if (THREADS !== undefined) await engine.update('threads', undefined, vscode.ConfigurationTarget.Global);
    report(
      `    SOAK ${steps} steps of ${PRESET} in ${((Date.now() - started) / 60000).toFixed(1)} min, ${moves} cursor moves, compute threads: ${THREADS ?? 'automatic'}`,
    );
    report(
      `    SOAK host lag after warm-up: p50 ${ms(lag.percentile(50))} ms, p90 ${ms(lag.percentile(90))} ms, p99 ${ms(lag.percentile(99))} ms, max ${ms(lag.max)} ms`,
    );
    report(`    SOAK host stalls over 100 ms after warm-up: ${stalls.length ? stalls.join('; ') : 'none'}`);
    report(
      '    SOAK memory in MB after full collections: step, minutes | host heap, buffers | worker heap, buffers, kernels, attention cache (windows) | process rss running, collected',
    );
    const col = (n: number): string => mb(n).padStart(6);
    for (const { step, minutes, rssRunning, host, worker: w } of curve) {
      report(
        `    SOAK   ${String(step).padStart(6)} ${minutes.toFixed(1).padStart(6)} |${col(host.heapUsed)}${col(host.arrayBuffers)} |${col(w.heapUsed)}${col(w.arrayBuffers)}${col(w.kernelBytes)}${col(w.attentionCacheBytes)} (${w.attentionWindows}) |${col(rssRunning)}${col(host.rss)}`,
      );
    }
    if (hot.length)
      report(
        `    SOAK host thread, most time by function after warm-up (${path.join(PROFILE!, 'host.cpuprofile')}):\n${hot.map((l) => `    SOAK   ${l}`).join('\n')}`,
      );
    // Growth is judged on the last sample taken while training; the one after it shows what the run let go.
    const first = curve[0]!;
    const last = curve[Math.max(0, curve.length - 2)]!;
    const change = (what: string, a: number, b: number): string => `${what} ${mb(a)} → ${mb(b)} MB (${(((b - a) / a) * 100).toFixed(1)} %)`;
    report(
      `    SOAK memory from warm-up (step ${first.step}) to the last sample of the run (step ${last.step}): ${change('host heap', first.host.heapUsed, last.host.heapUsed)}, ${change('worker heap', first.worker.heapUsed, last.worker.heapUsed)}, ${change('rss collected', first.host.rss, last.host.rss)}, ${change('rss running', first.rssRunning, last.rssRunning)} (goal: under 10 %)`,
    );
  });
});
