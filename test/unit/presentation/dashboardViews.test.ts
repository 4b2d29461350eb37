/**
 * The pure parts of the dashboard's views: the theme colour ramp, token labels, the "why"
 * arithmetic, the window's full matrix (from the engine's block or per-query rows), exports and
 * the page's security policy.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildRamp, luminance, parseColor, rampIndex } from '../../../src/presentation/colorScale';
import { contentSecurityPolicy, dashboardHtml } from '../../../src/host/dashboard/html';
import { attentionCsv, csvCell, exportJson, matrixCsv, metricsCsv } from '../../../src/presentation/exportData';
import { checkMatrixSize, MatrixAssembly, MatrixTooLargeError } from '../../../src/host/dashboard/matrixAssembly';
import { evalColumns, stepColumns } from '../../../src/presentation/metricColumns';
import { dotProducts, softmaxSteps, weightedSum } from '../../../src/presentation/softmaxSteps';
import { tokenLabel } from '../../../src/presentation/tokenLabel';
import type { QueryAttention } from '../../../src/protocol/webviewProtocol';
import { assertClose } from '../../helpers/gradCheck';

const WINDOW = { documentKey: 'file:///t.txt', version: 3, windowStart: 10, windowLength: 3 };

describe('presentation: dashboard view-models', () => {
  it('parses the colour forms VS Code puts in --vscode-* variables', () => {
    assert.deepEqual(parseColor('#1e1e1e'), [30, 30, 30]);
    assert.deepEqual(parseColor('#fff'), [255, 255, 255]);
    assert.deepEqual(parseColor('#3794ff80'), [55, 148, 255]);
    assert.deepEqual(parseColor(' rgba(0, 122, 204, 0.5)'), [0, 122, 204]);
    assert.equal(parseColor('var(--x)'), null);
  });

  it('ramps from the background to the foreground: the top of the scale contrasts most, in dark and light themes', () => {
    for (const [bg, fg] of [
      [
        [30, 30, 30],
        [204, 204, 204],
      ],
      [
        [255, 255, 255],
        [30, 30, 30],
      ],
    ] as const) {
      const lut = buildRamp([bg, [55, 148, 255], fg]);
      assert.deepEqual(Array.from(lut.subarray(0, 3)), [...bg]);
      assert.deepEqual(Array.from(lut.subarray(255 * 4, 255 * 4 + 3)), [...fg]);
      const lum = (i: number): number => luminance([lut[i * 4]!, lut[i * 4 + 1]!, lut[i * 4 + 2]!]);
      assert.ok(Math.abs(lum(255) - luminance(bg)) > Math.abs(lum(64) - luminance(bg)));
    }
    assert.equal(rampIndex(0.5, 0, 1), 128);
    assert.equal(rampIndex(2, 0, 1), 255);
    assert.equal(rampIndex(NaN, 0, 1), -1);
    assert.equal(rampIndex(0.3, 0.3, 0.3), 0);
  });

  it('labels tokens with visible whitespace and shortens long ones', () => {
    assert.equal(tokenLabel(' the'), '·the');
    assert.equal(tokenLabel('\n'), '↵');
    assert.equal(tokenLabel(''), '∅');
    assert.equal(tokenLabel('\u0001'), '\\x01');
    assert.equal(tokenLabel('abcdefghijklmnop', 8), 'abcdefg…');
  });

  it('spells out softmax: subtract the max, exponentiate, divide by the sum; masked keys get 0', () => {
    const s = softmaxSteps([1, 2, -Infinity]);
    assert.equal(s.max, 2);
    assertClose(s.exps, [Math.exp(-1), 1, 0], 1e-12);
    assertClose(s.weights, [1 / (1 + Math.E), Math.E / (1 + Math.E), 0], 1e-12);
    assertClose(softmaxSteps([-Infinity, -Infinity]).weights, [0, 0], 0);
    assertClose(dotProducts([1, 2], [3, 4, 5, 6], 2), [11, 17], 1e-12);
    assertClose(weightedSum([0.25, 0.75], [1, 0, 0, 1], 2), [0.25, 0.75], 1e-12);
  });

  it("holds a window's [L, H, W, W] pattern, one head at a time or as thumbnails", () => {
    // Head 0 looks at itself, head 1 at the first token: [L=1, H=2, W=3, W=3].
    const m = new MatrixAssembly(WINDOW, 1, 2, Float32Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 1, 0, 0, 1, 0, 0));
    const h0 = m.headMatrix(0, 0);
    assert.deepEqual(Array.from(h0.weights), [1, 0, 0, 0, 1, 0, 0, 0, 1]);
    assert.deepEqual(Array.from(m.headMatrix(0, 1).weights), [1, 0, 0, 1, 0, 0, 1, 0, 0]);
    assert.equal(m.headMatrix(5, 9).head, 1, 'clamped into the model');
    assert.deepEqual([h0.globalMin, h0.globalMax], [0, 1]);
    const g = m.grid(2);
    assert.equal(g.size, 2);
    assert.deepEqual(Array.from(g.thumbnails.subarray(0, 4)), [1, 0, 0, 1]);
    assert.throws(() => new MatrixAssembly({ ...WINDOW, windowLength: 4096 }, 8, 8, new Float32Array(0)), MatrixTooLargeError);
    assert.throws(() => new MatrixAssembly(WINDOW, 1, 2, new Float32Array(17)), /17 values; 1×2 heads over 3 tokens need 18/);
    assert.throws(() => checkMatrixSize(8, 8, 4096), MatrixTooLargeError);
    checkMatrixSize(5, 8, 512); // stories260K's full window fits

    // The extremes are taken over every head, not only the one shown.
    const spread = new MatrixAssembly(WINDOW, 1, 2, new Float32Array(18).fill(0.5).fill(-1, 12, 13).fill(2, 4, 5));
    assert.deepEqual([spread.headMatrix(0, 0).globalMin, spread.headMatrix(0, 0).globalMax], [-1, 2]);
  });

  it('exports CSV with quoting and defused formulas, JSON with non-finite numbers kept as strings', () => {
    assert.equal(csvCell('a,b'), '"a,b"');
    assert.equal(csvCell('say "hi"'), '"say ""hi"""');
    assert.equal(csvCell('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
    assert.equal(csvCell(-1.5), '-1.5');
    assert.equal(csvCell(NaN), 'NaN');
    assert.equal(exportJson({ a: Float32Array.of(1, NaN), b: -Infinity }), '{\n "a": [\n  1,\n  "NaN"\n ],\n "b": "-Infinity"\n}');
    const steps = stepColumns([1, 2].map((s) => ({ step: s, loss: s === 2 ? NaN : 2, lr: 0.1, gradNorm: 1, tokensPerSecond: 50, elapsedMs: s * 1000 })));
    const text = metricsCsv(
      steps,
      [2, NaN],
      evalColumns([
        { step: 2, valLoss: 1.5, valAccuracy: 0.5, valPerplexity: 4.48 },
        { step: 9, valLoss: 1, valAccuracy: 0.6, valPerplexity: 2.7 },
      ]),
    );
    assert.equal(
      text,
      'step,elapsed_s,loss,loss_smoothed,lr,grad_norm,tokens_per_s,val_loss,val_accuracy,val_perplexity\r\n' +
        '1,1,2,2,0.1,1,50,,,\r\n2,2,NaN,NaN,0.1,1,50,1.5,0.5,4.48\r\n9,,,,,,,1,0.6,2.7\r\n',
    );
  });

  it("exports the query's attention per head and one head's matrix", () => {
    const a: QueryAttention = {
      ...WINDOW,
      documentName: 't.txt',
      from: 12,
      to: 13,
      layers: 1,
      heads: 2,
      tokens: { first: 10, ids: Int32Array.of(1, 2, 3), starts: Int32Array.of(0, 1, 2), ends: Int32Array.of(1, 2, 3), labels: ['a', ',', '='] },
      rows: Float32Array.of(0.5, 0.25, 0.25, 0, 0, 1),
      columns: new Float32Array(6),
      scores: new Float32Array(6),
    };
    assert.equal(attentionCsv(a), 'token_index,token,start,end,L0H0,L0H1\r\n10,a,0,1,0.5,0\r\n11,",",1,2,0.25,0\r\n12,\'=,2,3,0.25,1\r\n');
    const m = { ...WINDOW, layer: 0, head: 1, weights: Float32Array.of(1, 0, 0, 0.5, 0.5, 0, 0, 0, 1), globalMin: 0, globalMax: 1 };
    assert.equal(matrixCsv(m, ['a', 'b', 'c']).split('\r\n')[0], 'query\\key (L0H1),10:a,11:b,12:c');
  });

  it('media/dashboard.css carries every uPlot layout rule of the installed uplot (legend and title aside)', () => {
    const root = path.resolve(__dirname, '../../..');
    const upstream = fs.readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
    const ours = fs.readFileSync(path.join(root, 'media/dashboard.css'), 'utf8').replace(/\s+/g, ' ');
    const selectors = upstream
      .split('}')
      .map((r) => r.split('{')[0]!.trim())
      .filter((sel) => sel && !/u-legend|u-title|u-inline|u-series/.test(sel));
    assert.ok(selectors.length >= 10);
    for (const sel of selectors) assert.ok(ours.includes(`${sel.replace(/\s+/g, ' ')} {`), `media/dashboard.css lacks uPlot's "${sel}" rule`);
  });

  it('the page allows only our nonce-tagged script and local styles', () => {
    const csp = contentSecurityPolicy('https://res.example', 'abcdefghijklmnopqrstuv');
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'nonce-abcdefghijklmnopqrstuv'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
    const html = dashboardHtml({
      cspSource: 'https://res.example',
      nonce: 'abcdefghijklmnopqrstuv',
      scriptUri: 'https://res.example/dist/webview.js',
      styleUris: ['https://res.example/media/dashboard.css'],
    });
    assert.equal((html.match(/<script/g) ?? []).length, 1);
    assert.match(html, /<script nonce="abcdefghijklmnopqrstuv" src="https:\/\/res.example\/dist\/webview.js"><\/script>/);
    assert.doesNotMatch(html, /style="/);
    assert.throws(() => dashboardHtml({ cspSource: 'x', nonce: 'short', scriptUri: '', styleUris: [] }), /nonce/);
  });
});
