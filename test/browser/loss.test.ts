/**
 * The dashboard's training views in real Chromium: the built page loads under its CSP and
 * shakes hands, draws 10,000 loss points with smoothing, validation points and markers for
 * non-finite steps, keeps up with a live stream, and its controls change the chart and are
 * kept (page state and a `persist` message the host's validator accepts). Screenshots go to
 * test-results/.
 */

import assert from 'node:assert/strict';
import { stepColumns, evalColumns } from '../../src/presentation/metricColumns';
import { DEFAULT_UI_STATE, WEBVIEW_PROTOCOL_VERSION, type HostToWebview } from '../../src/protocol/webviewProtocol';
import type { KeptRun } from '../../src/protocol/runs';
import { init, MODEL, trainingRun } from './fixtures';
import { dashboardSuite, countPixels, waitForPosted, type DashboardPage, expectText } from './harness';

const BLUE = '#3794ff'; // --vscode-charts-blue in the dark test theme: the train loss
const RED = '#f14c4c'; // --vscode-charts-red: non-finite markers
const ORANGE = '#d18616'; // --vscode-charts-orange: validation

describe('dashboard webview: training views (Chromium)', function () {
  this.timeout(60_000);
  const open = dashboardSuite();
  let d: DashboardPage;

  it('loads under its CSP, loads nothing from elsewhere, and opens with the handshake', async () => {
    d = await open();
    const posted = await d.posted();
    assert.deepEqual(posted[0], { type: 'ready', protocolVersion: WEBVIEW_PROTOCOL_VERSION });
    const csp = await d.page.evaluate(() => document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.getAttribute('content'));
    assert.match(csp ?? '', /default-src 'none'/);
    await expectText(d.page.locator('#loss .note'), /No training run yet/);
  });

  it('draws 10,000 loss points: raw + smoothed train loss, validation points, NaN/Inf marked; the readout follows the cursor', async () => {
    d = await open();
    const run = trainingRun(10_000);
    await d.send(init(run)); // returns after the next animation frame: what follows is drawn in that frame
    const canvas = '#loss canvas';
    assert.ok((await countPixels(d.page, canvas, BLUE)) > 2000, 'the train loss line is drawn');
    assert.ok((await countPixels(d.page, canvas, ORANGE)) > 50, 'validation points are drawn');
    assert.ok((await countPixels(d.page, canvas, RED)) > 50, 'non-finite steps are marked');
    await expectText(d.page.locator('#loss .series-legend'), /2 non-finite steps/);
    await expectText(d.page.locator('#loss .readout'), /^last step 10000 ·/);
    const over = d.page.locator('#loss .u-over');
    const box = (await over.boundingBox())!;
    await d.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const readout = await d.page.locator('#loss .readout').innerText();
    const step = Number(/^step (\d+)/.exec(readout)?.[1]);
    assert.ok(step > 4000 && step < 6000, `hovering the middle reads out step ${step}: ${readout}`);
    assert.match(readout, /loss [\d.]+\s*·\s*smoothed [\d.]+/);
    await d.screenshot('loss-10k-dark.png');
  });

  it('keeps up with a live run: 40 appends of 250 steps, each drawn in the frame after it arrives', async () => {
    d = await open();
    const run = trainingRun(10_000);
    await d.send(init({ status: 'running' }));
    const image = (): Promise<string> => d!.page.evaluate(() => (document.querySelector('#loss canvas') as HTMLCanvasElement | null)?.toDataURL() ?? '');
    let previous = await image();
    for (let i = 0; i < 40; i++) {
      const steps = run.steps.slice(i * 250, (i + 1) * 250);
      const evals = run.evals.filter((e) => e.step > i * 250 && e.step <= (i + 1) * 250);
      await d.send({ type: 'runAppend', steps: stepColumns(steps), evals: evalColumns(evals) }); // returns after one frame
      // Counted in frames, not milliseconds: one frame after each append its steps are on the chart.
      assert.match(await d.page.locator('#loss .readout').innerText(), new RegExp(`^last step ${(i + 1) * 250} ·`), `append ${i + 1}`);
      const now = await image();
      assert.notEqual(now, previous, `append ${i + 1} was not drawn in the frame after it arrived`);
      previous = now;
    }
    assert.ok((await countPixels(d.page, '#loss canvas', BLUE)) > 2000, 'the whole train loss line is drawn');
    await expectText(d.page.locator('#loss .readout'), /^last step 10000 ·/);
    await expectText(d.page.locator('header.top .run'), /running · step 10000/);
    await d.send({ type: 'runStatus', run: { status: 'diverged', label: 'story.txt', totalSteps: 10_000, message: 'loss became NaN at step 7000' } });
    await expectText(d.page.locator('header.top .run'), /diverged.*NaN at step 7000/);
    await d.send({
      type: 'runReset',
      run: { status: 'running', label: 'again', totalSteps: 5, message: null },
      steps: stepColumns([]),
      evals: evalColumns([]),
    });
    await expectText(d.page.locator('#loss .note'), /Waiting for the first step/);
  });

  it('log y, y from 0, outliers, smoothing and the time axis redraw the chart and are kept for the panel', async () => {
    d = await open();
    await d.send(init(trainingRun(3000, {})));
    const plot = d.page.locator('#loss .plot');
    assert.equal(await plot.getAttribute('aria-label'), 'Loss by step, linear y axis');
    const image = (): Promise<string> => d!.page.evaluate(() => (document.querySelector('#loss canvas') as HTMLCanvasElement).toDataURL());
    const linear = await image();
    await d.page.getByLabel('Log y').check();
    await d.page.waitForTimeout(50);
    assert.equal(await plot.getAttribute('aria-label'), 'Loss by step, logarithmic y axis');
    assert.notEqual(await image(), linear, 'the chart was redrawn on a log axis');
    await d.page.locator('#loss input.slider').fill('0.95');
    await d.page.getByRole('button', { name: 'Time' }).click();
    const persisted = await waitForPosted(d, 'persist', (m) => (m.ui as { xAxis: string }).xAxis === 'time');
    assert.deepEqual(persisted.ui, { ...DEFAULT_UI_STATE, logY: true, smoothing: 0.95, xAxis: 'time' });
    assert.deepEqual(await d.page.evaluate(() => (window as unknown as { __state: unknown }).__state), { ui: persisted.ui });
    assert.equal(await plot.getAttribute('aria-label'), 'Loss by time since the start, logarithmic y axis');
    await expectText(d.page.locator('#loss .readout'), /^last step 3000 · 1m 42s ·/);
    assert.ok(await d.page.getByLabel('y from 0').isDisabled(), 'y from 0 has no meaning on a log axis');
  });

  it('an active model without a training history says so, instead of asking to train or load a model', async () => {
    d = await open();
    const earlier = trainingRun(50);
    const run: KeptRun = {
      id: 'run-earlier',
      label: 'tiny on story.txt',
      origin: 'trained',
      status: 'completed',
      message: null,
      totalSteps: 50,
      startedAt: 0,
      finishedAt: 1,
      config: { preset: 'tiny', steps: 50, batchSize: null, learningRate: null, seed: 1, evalInterval: 50 },
      checkpointPath: null,
      best: null,
      steps: stepColumns(earlier.steps),
      evals: evalColumns(earlier.evals),
      samples: [],
    };
    // No model yet, earlier runs listed: training or loading one would add the current run.
    const noModel: HostToWebview = { ...(init() as Extract<HostToWebview, { type: 'init' }>), model: null };
    await d.send(noModel, { type: 'runs', runs: [run] });
    await expectText(d.page.locator('#loss .note'), /train or load a model to add the current one/);
    // A model loaded from a checkpoint without history: the note must not ask for a model.
    await d.send({ type: 'model', info: MODEL });
    const note = await expectText(d.page.locator('#loss .note'), /the active model has no training history to show/);
    assert.doesNotMatch(note, /train or load a model/);
    // Without earlier runs either.
    await d.send({ type: 'runs', runs: [] });
    await expectText(d.page.locator('#loss .note'), /^The active model has no training history to show\./);
  });

  it('restores its UI state after a reload from getState, before the host answers', async () => {
    const ui = { ...DEFAULT_UI_STATE, smoothing: 0.9, logY: true, normalization: 'global' as const };
    d = await open({ state: { ui } });
    await d.send(init(trainingRun(100, {})));
    assert.equal(await d.page.locator('#loss input.slider').inputValue(), '0.9');
    assert.equal(await d.page.getByLabel('Log y').isChecked(), true);
  });

  it('says when the page and the extension speak different protocol versions; reports unknown messages', async () => {
    d = await open();
    await d.send({ type: 'versionMismatch', expected: WEBVIEW_PROTOCOL_VERSION + 1 });
    await expectText(d.page.locator('.banner'), /out of date.*Close and reopen/);
    await d.page.evaluate(() => window.postMessage('not a host message', '*'));
    await d.page.evaluate(() => window.postMessage({ nonsense: true }, '*'));
    // A message type the page does not know is a bug on one side: the host's log hears of it.
    await d.page.evaluate(() => window.postMessage({ type: 'fromTheFuture' }, '*'));
    const error = await waitForPosted(d, 'error');
    assert.match(String(error.message), /unexpected host message: \{"type":"fromTheFuture"\}/);
  });
});
