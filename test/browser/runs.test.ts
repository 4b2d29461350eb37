/**
 * Runs compared on the dashboard's loss panel, in real Chromium: earlier runs of the
 * workspace drawn beside the current one in their own colours, a run list that shows and
 * hides each, the step table's values, changes and % changes (checked against the fixture's
 * own numbers with smoothing off), the time axis, a click picking a step, the samples listed
 * per run, and an overfitting run marked with a note. Screenshots go to test-results/.
 */

import assert from 'node:assert/strict';
import { evalColumns, stepColumns } from '../../src/presentation/metricColumns';
import type { EvalPoint, StepPoint } from '../../src/protocol/common';
import type { KeptRun, RunSample } from '../../src/protocol/runs';
import { DEFAULT_UI_STATE, WEBVIEW_PROTOCOL_VERSION, type HostToWebview } from '../../src/protocol/webviewProtocol';
import { MODEL } from './fixtures';
import { dashboardSuite, countPixels, waitForPosted, type DashboardPage, expectText } from './harness';
import { validateWebviewMessage } from '../../src/presentation/webviewValidation';

const BLUE = '#3794ff'; // the current run's train loss
const GREEN = '#89d185'; // the first earlier run
const PURPLE = '#b180d7'; // the second earlier run

/**
 * A run whose training loss falls as exp; its validation loss follows it until `turn`, then
 * rises (overfitting) — or keeps falling when `turn` is Infinity. Deterministic, no noise.
 */
function synthRun(n: number, every: number, turn: number, scale = 1, msPerStep = 20): { steps: StepPoint[]; evals: EvalPoint[]; samples: RunSample[] } {
  const steps: StepPoint[] = [];
  const evals: EvalPoint[] = [];
  const samples: RunSample[] = [];
  for (let i = 1; i <= n; i++) {
    const loss = scale * (1 + 2.5 * Math.exp(-i / 120));
    steps.push({ step: i, loss, lr: 1e-3, gradNorm: 1, tokensPerSecond: 5000, elapsedMs: i * msPerStep });
    if (i % every === 0) {
      const val = i <= turn ? loss + 0.3 : scale * (1 + 2.5 * Math.exp(-turn / 120)) + 0.3 + (i - turn) * 0.004;
      evals.push({ step: i, valLoss: val, valAccuracy: 0.3, valPerplexity: Math.exp(val) });
      samples.push({ step: i, prompt: 'Once upon', text: ` a time #${i}` });
    }
  }
  return { steps, evals, samples };
}

function kept(id: string, label: string, r: ReturnType<typeof synthRun>, origin: KeptRun['origin'] = 'trained'): KeptRun {
  return {
    id,
    label,
    origin,
    status: 'completed',
    message: null,
    totalSteps: r.steps.length,
    startedAt: Date.UTC(2026, 11, 6, 7, 0),
    finishedAt: Date.UTC(2026, 11, 6, 7, 2),
    config: { preset: 'tiny', steps: r.steps.length, batchSize: null, learningRate: null, seed: 1, evalInterval: 50 },
    checkpointPath: `/tmp/${id}.safetensors`,
    best: null,
    steps: stepColumns(r.steps),
    evals: evalColumns(r.evals),
    samples: r.samples,
  };
}

describe('dashboard webview: runs compared on the loss panel (Chromium)', function () {
  this.timeout(60_000);
  const open = dashboardSuite();
  let d: DashboardPage;

  // The current run overfits after step 200; an earlier run of 400 steps; a checkpoint's history.
  const current = synthRun(600, 50, 200);
  const earlier = synthRun(400, 50, Infinity, 1.15, 35);
  const fromCheckpoint = synthRun(300, 100, Infinity, 1.3, 10);

  function messages(): HostToWebview[] {
    const mine = kept('run-current', 'tiny on story.txt', current);
    return [
      {
        type: 'init',
        protocolVersion: WEBVIEW_PROTOCOL_VERSION,
        ui: { ...DEFAULT_UI_STATE, smoothing: 0 },
        model: MODEL,
        selection: { layer: 0, head: 0 },
        run: { status: 'completed', label: 'tiny on story.txt', totalSteps: 600, message: null, id: 'run-current', samples: current.samples },
        steps: stepColumns(current.steps),
        evals: evalColumns(current.evals),
        attention: null,
      },
      {
        type: 'runs',
        runs: [
          { ...mine, best: { path: '/tmp/run-current.best.safetensors', step: 200, valLoss: current.evals[3]!.valLoss } },
          kept('run-earlier', 'small on story.txt', earlier),
          kept('checkpoint:/m/old.safetensors', 'history of old.safetensors', fromCheckpoint, 'checkpoint'),
        ],
      },
    ];
  }

  it('draws the earlier runs beside the current one, lists them, and shows or hides each', async () => {
    d = await open({ state: { ui: { ...DEFAULT_UI_STATE, smoothing: 0 } } });
    await d.send(...messages());
    const canvas = '#loss canvas';
    const rows = d.page.locator('#loss ul.run-list li.run');
    assert.equal(await rows.count(), 3, 'the current run is listed once, with the two earlier ones');
    await expectText(rows.nth(0), /tiny on story\.txt[\s\S]*completed \(current\)[\s\S]*600 of 600 steps/);
    await expectText(rows.nth(1), /small on story\.txt[\s\S]*400 of 400 steps/);
    await expectText(rows.nth(2), /history of old\.safetensors[\s\S]*from a checkpoint/);
    assert.ok((await countPixels(d.page, canvas, BLUE)) > 500, 'the current run is drawn');
    assert.ok((await countPixels(d.page, canvas, GREEN)) > 300, 'the earlier run is drawn in green');
    assert.ok((await countPixels(d.page, canvas, PURPLE)) > 200, "the checkpoint's history is drawn in purple");
    await expectText(d.page.locator('#loss .series-legend'), /small on story\.txt[\s\S]*history of old\.safetensors/);
    await d.screenshot('runs-compared-dark.png');

    await d.page.getByLabel('Show small on story.txt').uncheck();
    await d.frame();
    assert.ok((await countPixels(d.page, canvas, GREEN)) < 20, 'a hidden run is not drawn');
    assert.ok((await countPixels(d.page, canvas, PURPLE)) > 200, 'the others still are');
    assert.equal(await d.page.locator('#loss table.compare tbody tr[data-run="run-earlier"]').count(), 0, 'nor is it in the step table');
    await d.page.getByLabel('Show small on story.txt').check();
    await d.frame();
    assert.ok((await countPixels(d.page, canvas, GREEN)) > 300, 'shown again');

    // An earlier run can be forgotten: the page asks the host (which drops it and sends the list again).
    assert.equal(await d.page.locator('#loss li.run.current button').count(), 0, 'the current run cannot be forgotten');
    await d.page.locator('#loss li.run[data-run="run-earlier"]').getByRole('button', { name: 'Forget' }).click();
    const forget = await waitForPosted(d, 'forgetRun');
    assert.deepEqual(validateWebviewMessage(forget), { ok: true, message: { type: 'forgetRun', id: 'run-earlier' } });

    await d.page.getByLabel('Show tiny on story.txt').uncheck();
    await d.frame();
    assert.ok((await countPixels(d.page, canvas, BLUE)) < 20, 'the current run can be hidden too');
  });

  it('the step table gives each run its value at two steps, the change and the % change', async () => {
    d = await open({ state: { ui: { ...DEFAULT_UI_STATE, smoothing: 0 } } });
    await d.send(...messages());
    const table = d.page.locator('#loss table.compare');
    await d.page.getByLabel('Step A').fill('100');
    await d.page.getByLabel('Step A').press('Enter');
    await d.page.getByLabel('Step B').fill('350');
    await d.page.getByLabel('Step B').press('Enter');
    await d.frame();
    assert.deepEqual(await table.locator('thead th').allInnerTexts(), ['run', 'series', 'step 100', 'step 350', 'change', '% change']);
    const cells = async (run: string, series: string): Promise<string[]> =>
      table.locator(`tbody tr[data-run="${run}"]`).filter({ hasText: series }).locator('td').allInnerTexts();
    // With smoothing 0 the smoothed loss is the loss itself: read it from the fixture.
    const check = async (run: string, series: string, a: number, b: number, readA = '', readB = ''): Promise<void> => {
      const row = await cells(run, series);
      const fmt = (v: number): string => String(Number(v.toPrecision(4)));
      const change = b - a;
      const pct = (change / Math.abs(a)) * 100;
      assert.equal(row[2], `${fmt(a)}${readA}`, `${run} ${series} at A`);
      assert.equal(row[3], `${fmt(b)}${readB}`, `${run} ${series} at B`);
      assert.equal(row[4], `${change < 0 ? '−' : '+'}${fmt(Math.abs(change))}`, `${run} ${series} change`);
      assert.equal(row[5], `${pct < 0 ? '−' : '+'}${Math.abs(pct).toFixed(1)} %`, `${run} ${series} % change`);
    };
    await check('run-current', 'loss (smoothed)', current.steps[99]!.loss, current.steps[349]!.loss);
    await check('run-earlier', 'loss (smoothed)', earlier.steps[99]!.loss, earlier.steps[349]!.loss);
    // Validation every 50 steps: step 350 has its own evaluation, and so does 100.
    await check('run-current', 'validation loss', current.evals[1]!.valLoss, current.evals[6]!.valLoss);
    // The checkpoint's run evaluated every 100 steps and has 300: step 350 reads step 300's.
    await check('checkpoint:/m/old.safetensors', 'validation loss', fromCheckpoint.evals[0]!.valLoss, fromCheckpoint.evals[2]!.valLoss, '', ' (@300)');
    await check('checkpoint:/m/old.safetensors', 'loss (smoothed)', fromCheckpoint.steps[99]!.loss, fromCheckpoint.steps[299]!.loss, '', ' (@300)');

    // A click on the chart picks step B, at the step under the cursor.
    const over = d.page.locator('#loss .u-over');
    const box = (await over.boundingBox())!;
    await d.page.mouse.click(box.x + box.width * 0.5, box.y + box.height / 2);
    const picked = Number(await d.page.getByLabel('Step B').inputValue());
    assert.ok(picked > 200 && picked < 400, `the middle of a 1..600 axis picks a step near 300, got ${picked}`);
    assert.deepEqual((await table.locator('thead th').allInnerTexts()).slice(2, 4), ['step 100', `step ${picked}`]);
  });

  it('marks an overfitting run, lists each run’s samples, and compares runs by time', async () => {
    d = await open({ state: { ui: { ...DEFAULT_UI_STATE, smoothing: 0 } } });
    await d.send(...messages());
    const note = await d.page.locator('#loss .overfit-note').innerText();
    assert.match(note, /Overfitting: validation loss has not improved since step 200 .* while training loss kept falling/);
    assert.match(note, /validation-best model \(step 200\) is kept/);
    await expectText(d.page.locator('#loss li.run[data-run="run-current"] .badge.overfit'), /overfits after step 200/);
    assert.equal(await d.page.locator('#loss li.run[data-run="run-earlier"] .badge').count(), 0, 'a run whose validation keeps falling is not marked');

    const samples = d.page.locator('#loss .run-samples details');
    assert.equal(await samples.count(), 3);
    const currentRows = await d.page.locator('#loss .run-samples details[data-run="run-current"] tbody tr').allInnerTexts();
    assert.equal(currentRows.length, current.samples.length);
    assert.match(currentRows[0]!, /^50\s+a time #50$/);
    await expectText(d.page.locator('#loss .run-samples details[data-run="run-current"] summary'), /continuing “Once upon”/);
    await d.screenshot('runs-overfitting-samples-dark.png');

    await d.page.getByRole('button', { name: 'Time' }).click();
    await d.frame();
    assert.equal(await d.page.locator('#loss .plot').getAttribute('aria-label'), 'Loss by time since the start, linear y axis');
    assert.match(await d.page.locator('#loss .readout').innerText(), /^last step 600 · 12s ·/, 'the current run read out by its own elapsed time');
    assert.ok((await countPixels(d.page, '#loss canvas', GREEN)) > 300, 'the earlier run is drawn on the time axis');
    await d.screenshot('runs-time-axis-dark.png');
  });

  it('the metric panels and the export cover the runs shown: each in its colour, a hidden one left out', async () => {
    d = await open({ state: { ui: { ...DEFAULT_UI_STATE, smoothing: 0 } } });
    // The runs' other metrics apart, so each line can be seen: the earlier run's gradient norm higher, the checkpoint's learning rate lower.
    const [init, runsMessage] = messages() as [HostToWebview, Extract<HostToWebview, { type: 'runs' }>];
    const apart = runsMessage.runs.map((r, i) =>
      i === 0
        ? r
        : {
            ...r,
            steps: {
              ...r.steps,
              gradNorm: r.steps.gradNorm.map(() => (i === 1 ? 3 : 1)),
              lr: r.steps.lr.map(() => (i === 2 ? 2e-4 : 1e-3)),
            },
          },
    );
    await d.send(init, { type: 'runs', runs: apart });
    const lr = '#metrics figure:nth-of-type(1) canvas';
    const grad = '#metrics figure:nth-of-type(2) canvas';
    await expectText(d.page.locator('#metrics .note'), /The 3 runs shown on the loss panel/);
    assert.ok((await countPixels(d.page, grad, GREEN)) > 50, 'the earlier run’s gradient norm in its colour');
    assert.ok((await countPixels(d.page, lr, PURPLE)) > 50, 'the checkpoint’s learning rate in its colour');
    assert.ok((await countPixels(d.page, lr, BLUE)) > 50, 'the current run too');
    await d.screenshot('runs-metrics-dark.png');

    const exported = async (): Promise<{ name: string; data: string }> => {
      const before = (await d!.posted()).filter((m) => m.type === 'save').length;
      await d!.page.locator('#loss').getByRole('button', { name: 'CSV', exact: true }).click();
      const m = await waitForPosted(d!, 'save', () => true);
      const all = (await d!.posted()).filter((x) => x.type === 'save');
      assert.equal(all.length, before + 1);
      const v = validateWebviewMessage(m);
      assert.ok(v.ok, v.ok ? '' : v.reason);
      return { name: m.suggestedName as string, data: m.data as string };
    };
    const csv = await exported();
    assert.equal(csv.name, 'runs-metrics.csv');
    const rows = csv.data.trimEnd().split('\r\n');
    const count = (id: string): number => rows.filter((r) => r.startsWith(`${id},`) || r.startsWith(`"${id}",`)).length;
    assert.deepEqual([count('run-current'), count('run-earlier'), count('checkpoint:/m/old.safetensors')], [600, 400, 300]);

    await d.page.getByLabel('Show small on story.txt').uncheck();
    await d.frame();
    assert.ok((await countPixels(d.page, grad, GREEN)) < 10, 'a hidden run leaves the metric panels');
    await expectText(d.page.locator('#metrics .note'), /The 2 runs shown/);
    const fewer = await exported();
    assert.equal(
      fewer.data
        .trimEnd()
        .split('\r\n')
        .filter((r) => r.startsWith('run-earlier,')).length,
      0,
      'and the export',
    );

    // Only the current run shown: the panels and the export are the single run's, as before.
    await d.page.getByLabel('Show history of old.safetensors').uncheck();
    await d.frame();
    assert.equal(await d.page.locator('#metrics .note').isHidden(), true);
    const single = await exported();
    assert.equal(single.name, 'metrics.csv');
    assert.match(single.data, /^step,elapsed_s,loss,/);
  });
});
