/**
 * The theme as canvas code needs it: concrete colours read from VS Code's `--vscode-*` CSS
 * variables (canvas can't use var()), re-read when the theme changes — VS Code then swaps the
 * body's class and the variables on <html>, which a MutationObserver sees.
 */

import { buildRamp, parseColor, toCss, type Rgb } from '../src/presentation/colorScale';

export interface Theme {
  readonly kind: 'dark' | 'light' | 'high-contrast' | 'high-contrast-light';
  readonly background: string;
  readonly foreground: string;
  readonly muted: string;
  readonly border: string;
  readonly grid: string;
  readonly accent: string;
  readonly train: string;
  readonly validation: string;
  readonly alarm: string;
  readonly query: string;
  readonly series: readonly string[];
  readonly font: string;
  readonly monoFont: string;
  /** 256-step heatmap ramp (RGBA), background → accent → foreground. */
  readonly ramp: Uint8ClampedArray;
}

function cssVar(style: CSSStyleDeclaration, name: string, fallback: string): string {
  const v = style.getPropertyValue(name).trim();
  return v || fallback;
}

export function readTheme(): Theme {
  const style = getComputedStyle(document.documentElement);
  const body = document.body.classList;
  const kind = body.contains('vscode-high-contrast-light')
    ? 'high-contrast-light'
    : body.contains('vscode-high-contrast')
      ? 'high-contrast'
      : body.contains('vscode-light')
        ? 'light'
        : 'dark';
  const dark = kind === 'dark' || kind === 'high-contrast';
  const background = cssVar(style, '--vscode-editor-background', dark ? '#1e1e1e' : '#ffffff');
  const foreground = cssVar(style, '--vscode-editor-foreground', cssVar(style, '--vscode-foreground', dark ? '#cccccc' : '#333333'));
  const blue = cssVar(style, '--vscode-charts-blue', dark ? '#3794ff' : '#1a85ff');
  const rgb = (c: string, fb: Rgb): Rgb => parseColor(c) ?? fb;
  const bg = rgb(background, dark ? [30, 30, 30] : [255, 255, 255]);
  const fg = rgb(foreground, dark ? [204, 204, 204] : [51, 51, 51]);
  return {
    kind,
    background,
    foreground,
    muted: cssVar(style, '--vscode-descriptionForeground', dark ? '#9d9d9d' : '#717171'),
    border: cssVar(style, '--vscode-panel-border', dark ? '#3c3c3c' : '#e5e5e5'),
    grid: toCss(fg, 0.12),
    accent: blue,
    train: blue,
    validation: cssVar(style, '--vscode-charts-orange', '#d18616'),
    alarm: cssVar(style, '--vscode-charts-red', '#f14c4c'),
    query: cssVar(style, '--vscode-charts-yellow', '#cca700'),
    series: ['--vscode-charts-blue', '--vscode-charts-green', '--vscode-charts-purple', '--vscode-charts-orange'].map((v, i) =>
      cssVar(style, v, ['#3794ff', '#89d185', '#b180d7', '#d18616'][i]!),
    ),
    font: `${cssVar(style, '--vscode-font-size', '13px')} ${cssVar(style, '--vscode-font-family', 'system-ui, sans-serif')}`,
    monoFont: `${cssVar(style, '--vscode-editor-font-size', '12px')} ${cssVar(style, '--vscode-editor-font-family', 'monospace')}`,
    ramp: buildRamp([bg, rgb(blue, [55, 148, 255]), fg]),
  };
}

/** Calls `onChange` with the new theme whenever VS Code switches themes. */
export function watchTheme(onChange: (t: Theme) => void): void {
  const observer = new MutationObserver(() => onChange(readTheme()));
  observer.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style'] });
}
