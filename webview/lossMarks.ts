/**
 * What the loss chart draws over its lines: a red dashed line at every step whose loss was
 * not a finite number, and, when the current run overfits (presentation/overfitting.ts), the
 * stretch after its best evaluation shaded, with a line at the best step (the validation-best
 * checkpoint) labelled.
 */

import type { OverfitFinding } from '../src/presentation/overfitting';
import type { Plot } from './charts';
import type { Theme } from './theme';
import { withAlpha } from './colors';
import { t } from './l10n';

/** A red dashed line and label at every x whose loss was not a finite number. */
export function drawNonFinite(u: Plot, theme: Theme, marks: readonly { readonly x: number; readonly value: number }[]): void {
  if (marks.length === 0) return;
  const ctx = u.ctx;
  const dpr = window.devicePixelRatio || 1;
  const { top, height } = u.bbox;
  ctx.save();
  ctx.strokeStyle = theme.alarm;
  ctx.fillStyle = theme.alarm;
  ctx.lineWidth = dpr;
  ctx.setLineDash([4 * dpr, 3 * dpr]);
  ctx.font = `${Math.round(10 * dpr)}px sans-serif`;
  ctx.textAlign = 'center';
  let lastLabel = -Infinity;
  for (const { x: value, value: loss } of marks) {
    const x = u.valToPos(value, 'x', true);
    if (!(x >= u.bbox.left && x <= u.bbox.left + u.bbox.width)) continue;
    ctx.beginPath();
    ctx.moveTo(x, top);
    ctx.lineTo(x, top + height);
    ctx.stroke();
    if (x - lastLabel > 40 * dpr) {
      ctx.fillText(Number.isNaN(loss) ? 'NaN' : loss > 0 ? '+∞' : '−∞', x, top + 11 * dpr);
      lastLabel = x;
    }
  }
  ctx.restore();
}

/** Shades [best, last] and marks the best step; xs are on the chart's x axis. */
export function drawOverfitting(u: Plot, theme: Theme, f: OverfitFinding, bestX: number, lastX: number): void {
  const ctx = u.ctx;
  const dpr = window.devicePixelRatio || 1;
  const { top, height, left, width } = u.bbox;
  const x0 = Math.max(left, u.valToPos(bestX, 'x', true));
  const x1 = Math.min(left + width, u.valToPos(lastX, 'x', true));
  if (!(x1 > x0)) return;
  ctx.save();
  ctx.fillStyle = withAlpha(theme.alarm, 0.1);
  ctx.fillRect(x0, top, x1 - x0, height);
  ctx.strokeStyle = theme.validation;
  ctx.lineWidth = 1.5 * dpr;
  ctx.setLineDash([6 * dpr, 4 * dpr]);
  ctx.beginPath();
  ctx.moveTo(x0, top);
  ctx.lineTo(x0, top + height);
  ctx.stroke();
  ctx.font = `${Math.round(11 * dpr)}px sans-serif`;
  ctx.fillStyle = theme.foreground;
  ctx.textAlign = 'left';
  ctx.fillText(t('best val · step {0}', f.bestStep), x0 + 4 * dpr, top + 24 * dpr);
  ctx.fillStyle = theme.alarm;
  ctx.fillText(t('overfitting'), x0 + 4 * dpr, top + 38 * dpr);
  ctx.restore();
}
