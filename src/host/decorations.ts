/**
 * The fixed set of decoration types attention is drawn with: BUCKETS background colours
 * from weak to strong (theme colours contributed in package.json, with dark, light and
 * high-contrast defaults — or one user colour at rising opacity) and a distinct outline
 * for the query token(s). Types are created once and replaced only when the colour
 * setting changes; ranges are recomputed on every update.
 */

import * as vscode from 'vscode';
import { BUCKETS } from '../presentation/attentionView';
import { paletteColor } from '../presentation/weightPalette';
import type { WeightPalette } from '../protocol/settings';

export class AttentionDecorations implements vscode.Disposable {
  private buckets: vscode.TextEditorDecorationType[] = [];
  private query!: vscode.TextEditorDecorationType;
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
  }

  /** Applies one range list per bucket plus the query ranges; empty lists clear. */
  apply(editor: vscode.TextEditor, perBucket: readonly vscode.Range[][], query: readonly vscode.Range[]): void {
    this.buckets.forEach((t, i) => editor.setDecorations(t, perBucket[i] ?? []));
    editor.setDecorations(this.query, query);
  }

  clear(editor: vscode.TextEditor): void {
    this.apply(editor, [], []);
  }

  private disposeTypes(): void {
    for (const t of this.buckets) t.dispose();
    this.query?.dispose();
  }

  dispose(): void {
    this.disposeTypes();
  }
}

function withAlpha(hex: string, alpha: number): string {
  const h = hex.slice(1);
  const full = h.length === 3 ? [...h].map((c) => c + c).join('') : h;
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(full.slice(i, i + 2), 16));
  return `rgba(${r}, ${g}, ${b}, ${alpha.toFixed(3)})`;
}
