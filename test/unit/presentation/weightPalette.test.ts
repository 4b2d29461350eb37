/**
 * The weight colours and their legend: the legend's ranges are exactly the weights bucketize
 * puts in each bucket (checked with weights inside, at the edges of, and just outside every
 * range, for both normalisations and several thresholds); the colour-blind-safe palettes get
 * lighter (WCAG relative luminance, computed here) and more opaque from weak to strong, so they
 * read as an order without hue; the legend's swatch styles are ones VS Code's hover keeps.
 */

import assert from 'node:assert/strict';
import { bucketize, BUCKETS } from '../../../src/presentation/attentionView';
import { bucketAlpha, HOVER_SPAN_STYLE, legendMarkdown, legendRows, paletteColor, PALETTES } from '../../../src/presentation/weightPalette';

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

describe('presentation/weightPalette: colour-blind-safe palettes and the legend', () => {
  for (const normalization of ['rowMax', 'absolute'] as const) {
    for (const threshold of [0, 0.05, 0.3, 0.5, 0.99]) {
      it(`the legend says which weights each colour holds (${normalization}, threshold ${threshold})`, () => {
        const rows = legendRows(threshold);
        // With rowMax the strongest weight (the first) sets the scale.
        const max = 0.5; // a power of two: scaling by 1/max is exact, so edges stay edges
        const scale = normalization === 'rowMax' ? max : 1;
        const probe = (s: number): number => {
          const b = bucketize([max, s * scale], { threshold, normalization, exclude: -1 });
          return b[1]!;
        };
        for (const r of rows) {
          assert.equal(probe((r.from + r.to) / 2), r.bucket, `middle of bucket ${r.bucket}`);
          assert.equal(probe(r.to), r.bucket, `top edge of bucket ${r.bucket}`);
        }
        const seen = new Set(rows.map((r) => r.bucket));
        for (let k = 1; k <= 1000; k++) {
          const b = probe(k / 1000);
          if (b >= 0) assert.ok(seen.has(b), `weight ${k / 1000} fell in bucket ${b}, which the legend does not list`);
          const listed = rows.find((r) => k / 1000 > r.from && k / 1000 <= r.to) ?? rows.find((r) => k / 1000 === r.from && r.from === threshold);
          assert.equal(b, listed ? listed.bucket : -1, `weight ${k / 1000}`);
        }
      });
    }
  }

  for (const [name, colors] of Object.entries(PALETTES)) {
    it(`${name}: ${BUCKETS} colours, lighter and more opaque from weak to strong`, () => {
      assert.equal(colors.length, BUCKETS);
      for (let i = 1; i < BUCKETS; i++) {
        assert.ok(luminance(colors[i]!) > luminance(colors[i - 1]!), `${name} ${i - 1} → ${i} does not get lighter`);
        assert.ok(bucketAlpha(i) > bucketAlpha(i - 1));
        assert.match(paletteColor(name as 'viridis', i)!, /^#[0-9a-f]{8}$/);
      }
      assert.equal(paletteColor('theme', 0), null);
    });
  }

  it("the legend's swatches use styles a VS Code hover keeps, one per shown bucket", () => {
    const theme = Array.from({ length: BUCKETS }, (_, i) => `#4493f8${(0x26 + 16 * i).toString(16)}`);
    for (const palette of ['theme', 'viridis', 'cividis'] as const) {
      for (const color of [null, '#f80', '#ff8800']) {
        const md = legendMarkdown({ normalization: 'rowMax', threshold: 0.3, palette, color }, theme);
        const styles = [...md.matchAll(/style="([^"]*)"/g)].map((m) => m[1]!);
        assert.equal(styles.length, legendRows(0.3).length);
        for (const s of styles) assert.match(s, HOVER_SPAN_STYLE);
        assert.match(md, /below 30 % of the strongest: not highlighted/);
        assert.match(md, /87\.5–100 % of the strongest shown weight/);
      }
    }
    assert.match(legendMarkdown({ normalization: 'absolute', threshold: 0, palette: 'viridis', color: null }, theme), /weight 0–12\.5 %/);
  });
});
