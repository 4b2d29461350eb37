/**
 * The fixed set of decoration types attention is drawn with: BUCKETS background colours
 * from weak to strong (theme colours contributed in package.json, with dark, light and
 * high-contrast defaults — or one user colour at rising opacity) and a distinct outline
 * for the query token(s), and two marks for the bounds of the context window the query is
 * read in (a thin bar before its first token and after its last, also on the overview ruler).
 * Types are created once and replaced only when the colour setting changes; ranges are
 * recomputed on every update.
 */

import * as vscode from 'vscode';
import { BUCKETS } from '../presentation/attentionView';
import { paletteColor } from '../presentation/weightPalette';
import type { WeightPalette } from '../protocol/settings';

export class AttentionDecorations implements vscode.Disposable {
  private buckets: vscode.TextEditorDecorationType[] = [];
  private query!: vscode.TextEditorDecorationType;
  private windowStart!: vscode.TextEditorDecorationType;
  private windowEnd!: vscode.TextEditorDecorationType;
  private color: string | null = null;
  private palette: WeightPalette = 'theme';

  constructor(color: string | null, palette: WeightPalette = 'theme') {
    this.create(color, palette);
  }

  /** Recreates the types when the user colour or the palette changed (types are immutable in VS Code). */
  setColor(color: string | null, palette: WeightPalette = this.palette): void {
    if (color === this.color && palette === this.palette) return;
    this.disposeTypes();
    this.create(color, palette);
  }

  private create(color: string | null, palette: WeightPalette): void {
    this.color = color;
    this.palette = palette;
    this.buckets = Array.from({ length: BUCKETS }, (_, i) =>
      vscode.window.createTextEditorDecorationType({
        backgroundColor: color
          ? withAlpha(color, ((i + 1) / BUCKETS) * 0.75)
          : (paletteColor(palette, i) ?? new vscode.ThemeColor(`attentionLens.weight${i + 1}`)),
        rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
      }),
    );
    this.query = vscode.window.createTextEditorDecorationType({
      border: '1px solid',
      borderColor: new vscode.ThemeColor('attentionLens.queryBorder'),
      backgroundColor: new vscode.ThemeColor('attentionLens.queryBackground'),
      rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
    });
    const bound = (borderWidth: string): vscode.TextEditorDecorationType =>
      vscode.window.createTextEditorDecorationType({
        borderStyle: 'solid',
        borderWidth,
        borderColor: new vscode.ThemeColor('attentionLens.windowBorder'),
        overviewRulerColor: new vscode.ThemeColor('attentionLens.windowBorder'),
        overviewRulerLane: vscode.OverviewRulerLane.Left,
        rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
      });
    this.windowStart = bound('0 0 0 2px');
    this.windowEnd = bound('0 2px 0 0');
  }

  /** Applies one range list per bucket, the query ranges and the window's bound marks; empty lists clear. */
  apply(editor: vscode.TextEditor, perBucket: readonly vscode.Range[][], query: readonly vscode.Range[], bounds: WindowBoundRanges = NO_BOUNDS): void {
    this.buckets.forEach((t, i) => editor.setDecorations(t, perBucket[i] ?? []));
    editor.setDecorations(this.query, query);
    editor.setDecorations(this.windowStart, bounds.start);
    editor.setDecorations(this.windowEnd, bounds.end);
  }

  clear(editor: vscode.TextEditor): void {
    this.apply(editor, [], []);
  }

  private disposeTypes(): void {
    for (const t of this.buckets) t.dispose();
    this.query?.dispose();
    this.windowStart?.dispose();
    this.windowEnd?.dispose();
  }

  dispose(): void {
    this.disposeTypes();
  }
}

/** The first token of the query's window (unless the document starts there) and its last (unless the document ends there). */
export interface WindowBoundRanges {
  readonly start: readonly vscode.Range[];
  readonly end: readonly vscode.Range[];
}

const NO_BOUNDS: WindowBoundRanges = { start: [], end: [] };

function withAlpha(hex: string, alpha: number): string {
  const h = hex.slice(1);
  const full = h.length === 3 ? [...h].map((c) => c + c).join('') : h;
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(full.slice(i, i + 2), 16));
  return `rgba(${r}, ${g}, ${b}, ${alpha.toFixed(3)})`;
}
