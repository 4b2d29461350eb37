/**
 * Colours of the weight buckets and their legend. Besides the theme colours
 * (`attentionLens.weight1…8`, one blue at rising opacity), two palettes that people with any
 * common colour-vision deficiency can read: viridis and cividis (perceptually uniform, lightness
 * rising with the weight; cividis is built to look the same with and without deuteranopia).
 * The legend says what each colour means under the current normalisation and threshold, by the
 * same rule `bucketize` (attentionView.ts) applies.
 */

import type { Normalization, WeightPalette } from '../protocol/settings';
import { BUCKETS } from './attentionView';
import { english, type Translate } from './localize';

/** Eight steps of each map from weak to strong, lightness rising (matplotlib's colormaps, their dark end left out). */
export const PALETTES: Readonly<Record<Exclude<WeightPalette, 'theme'>, readonly string[]>> = {
  viridis: ['#472d7b', '#3b528b', '#2c728e', '#21918c', '#28ae80', '#5ec962', '#addc30', '#fde725'],
  cividis: ['#123570', '#3b496c', '#575d6d', '#707173', '#8a8678', '#a59c74', '#c3b369', '#fee838'],
};

/** Opacity of bucket i (0-based): weak weights stay light enough to read the text through. */
export function bucketAlpha(i: number, buckets = BUCKETS): number {
  return 0.3 + (0.45 * i) / Math.max(1, buckets - 1);
}

/** "#rrggbbaa" for bucket i of a palette, or null for the theme's colours. */
export function paletteColor(palette: WeightPalette, i: number, buckets = BUCKETS): string | null {
  if (palette === 'theme') return null;
  const colors = PALETTES[palette];
  const hex = colors[Math.min(colors.length - 1, Math.max(0, i))]!;
  return `${hex}${Math.round(bucketAlpha(i, buckets) * 255)
    .toString(16)
    .padStart(2, '0')}`;
}

export interface LegendRow {
  readonly bucket: number;
  /** The scaled weights this bucket shows: (from, to], as fractions (of the strongest shown weight with rowMax). */
  readonly from: number;
  readonly to: number;
}

/** One row per bucket that can appear: bucket i holds scaled weights in (i/n, (i+1)/n] that reach the threshold. */
export function legendRows(threshold: number, buckets = BUCKETS): LegendRow[] {
  const rows: LegendRow[] = [];
  for (let i = 0; i < buckets; i++) {
    const lo = i / buckets;
    const hi = (i + 1) / buckets;
    if (hi < threshold) continue;
    rows.push({ bucket: i, from: Math.max(lo, threshold), to: hi });
  }
  return rows;
}

/** "12.5–25 % of the strongest shown weight" / "weight 12.5–25 %". */
export function legendText(row: LegendRow, normalization: Normalization, tr: Translate = english): string {
  const pct = (x: number): string => `${Number((x * 100).toFixed(1))}`;
  const range = `${pct(row.from)}–${pct(row.to)} %`;
  return normalization === 'rowMax' ? tr('{0} of the strongest shown weight', range) : tr('weight {0}', range);
}

/**
 * The hex colour a legend swatch shows for bucket i: the user colour's, the palette's, or for the
 * theme palette `themeColors[i]` (the contributed default for the current theme kind: a hover
 * cannot name a --vscode variable with a digit in it, see legendMarkdown).
 */
export function swatchColor(palette: WeightPalette, userColor: string | null, i: number, themeColors: readonly string[], buckets = BUCKETS): string {
  if (userColor) {
    const h = userColor.slice(1);
    const full = h.length === 3 ? [...h].map((c) => c + c).join('') : h;
    return `#${full}${Math.round(((i + 1) / buckets) * 0.75 * 255)
      .toString(16)
      .padStart(2, '0')}`;
  }
  return paletteColor(palette, i, buckets) ?? themeColors[i] ?? '#808080';
}

/** What VS Code's hover sanitizer keeps of a span's style (markdownRenderer.ts): anything else is dropped. */
export const HOVER_SPAN_STYLE =
  /^(color:(#[0-9a-fA-F]+|var\(--vscode(-[a-zA-Z]+)+\));)?(background-color:(#[0-9a-fA-F]+|var\(--vscode(-[a-zA-Z]+)+\));)?(border-radius:[0-9]+px;)?$/;

/** The legend as Markdown with HTML swatches (for a MarkdownString with supportHtml; styles as HOVER_SPAN_STYLE allows). */
export function legendMarkdown(
  s: { normalization: Normalization; threshold: number; palette: WeightPalette; color: string | null },
  themeColors: readonly string[],
  buckets = BUCKETS,
  tr: Translate = english,
): string {
  const rows = legendRows(s.threshold, buckets).reverse();
  const lines = rows.map(
    (r) =>
      `<span style="background-color:${swatchColor(s.palette, s.color, r.bucket, themeColors, buckets)};border-radius:3px;">&nbsp;&nbsp;&nbsp;&nbsp;</span> ${legendText(r, s.normalization, tr)}`,
  );
  const rowMax = s.normalization === 'rowMax';
  const what = rowMax ? tr('the strongest weight shown gets the strongest colour') : tr('colours follow the weight itself');
  const threshold = Number((s.threshold * 100).toFixed(1));
  const title =
    s.threshold <= 0
      ? tr('**Colours** ({0}):', what)
      : rowMax
        ? tr('**Colours** ({0}; below {1} % of the strongest: not highlighted):', what, threshold)
        : tr('**Colours** ({0}; below {1} %: not highlighted):', what, threshold);
  return `${title}\n\n${lines.join('<br>\n')}`;
}
