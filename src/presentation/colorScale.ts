/**
 * Colours for heatmaps that follow the theme: a 256-step ramp from the editor background
 * through a chart colour to the foreground, so the strongest weight has the most contrast
 * against the page in dark, light and high-contrast themes alike. CSS colour strings come from
 * `--vscode-*` variables, so they are parsed here (hex and rgb()/rgba() — what VS Code emits).
 */

export type Rgb = readonly [number, number, number];

/** #rgb, #rgba, #rrggbb, #rrggbbaa, rgb(…), rgba(…); null when unreadable. Alpha is dropped. */
export function parseColor(text: string): Rgb | null {
  const s = text.trim().toLowerCase();
  const hex = /^#([0-9a-f]{3,8})$/.exec(s);
  if (hex) {
    const h = hex[1]!;
    if (h.length === 3 || h.length === 4) return [0, 1, 2].map((i) => parseInt(h[i]! + h[i]!, 16)) as unknown as Rgb;
    if (h.length === 6 || h.length === 8) return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16)) as unknown as Rgb;
    return null;
  }
  const fn = /^rgba?\(\s*([\d.]+)[\s,]+([\d.]+)[\s,]+([\d.]+)/.exec(s);
  if (fn) return [fn[1], fn[2], fn[3]].map((v) => Math.min(255, Math.round(Number(v)))) as unknown as Rgb;
  return null;
}

export function toCss([r, g, b]: Rgb, alpha = 1): string {
  return alpha >= 1 ? `rgb(${r}, ${g}, ${b})` : `rgba(${r}, ${g}, ${b}, ${alpha})`;
}

/** Relative luminance (WCAG), 0 black … 1 white. */
export function luminance([r, g, b]: Rgb): number {
  const lin = (c: number): number => {
    const x = c / 255;
    return x <= 0.04045 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** RGBA lookup table of `steps` colours interpolated through `stops` (evenly spaced). */
export function buildRamp(stops: readonly Rgb[], steps = 256): Uint8ClampedArray {
  if (stops.length === 0) throw new RangeError('a colour ramp needs at least one stop');
  const lut = new Uint8ClampedArray(steps * 4);
  for (let i = 0; i < steps; i++) {
    const t = steps === 1 ? 0 : (i / (steps - 1)) * (stops.length - 1);
    const a = stops[Math.floor(t)]!;
    const b = stops[Math.min(stops.length - 1, Math.floor(t) + 1)]!;
    const f = t - Math.floor(t);
    for (let c = 0; c < 3; c++) lut[i * 4 + c] = Math.round(a[c]! + (b[c]! - a[c]!) * f);
    lut[i * 4 + 3] = 255;
  }
  return lut;
}

/** Index into a ramp of `steps` for value v scaled to [lo, hi]; NaN → −1 (not drawn). */
export function rampIndex(v: number, lo: number, hi: number, steps = 256): number {
  if (Number.isNaN(v)) return -1;
  const t = hi > lo ? (v - lo) / (hi - lo) : v > lo ? 1 : 0;
  return Math.min(steps - 1, Math.max(0, Math.round(t * (steps - 1))));
}
