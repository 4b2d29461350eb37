/**
 * How far the loading of a large model is, on one line of stderr: "loading stories15M.bin:
 * reading 24 MB of 61 MB (30%)", redrawn in place (\r) and cleared when the load ends. Only on a
 * terminal, only without --json, and only for weights of LARGE_MODEL_BYTES or more (known from
 * the read's first report), so pipes, logs and tests see exactly what they saw before.
 */

import * as path from 'node:path';
import { formatBytes } from '../protocol/hubModels';
import { LARGE_MODEL_BYTES, loadFraction, type LoadProgress } from '../protocol/loadProgress';
import { throttleProgress, type ProgressCallback } from '../node/loadProgress';

/** The stream the line goes to: process.stderr, or a fake one in tests. */
export interface LineStream {
  readonly isTTY?: boolean;
  /** The terminal's width, when known: the line is cut to fit, or \r would not return to its start. */
  readonly columns?: number;
  write(text: string): unknown;
}

/** The line for `p` while loading `name` (cut to `columns` − 1 characters when given). */
export function formatLoadLine(name: string, p: LoadProgress, columns?: number): string {
  const what =
    p.phase === 'read'
      ? `reading ${formatBytes(p.done)} of ${formatBytes(p.total)}`
      : p.phase === 'check'
        ? 'checking the weights for non-finite values'
        : 'building the model';
  const line = `loading ${name}: ${what} (${Math.floor(100 * loadFraction(p))}%)`;
  if (columns === undefined || columns < 2 || line.length < columns) return line;
  return `${line.slice(0, Math.max(0, columns - 2))}…`;
}

export interface LoadLine {
  /** The callback for loadModel's onProgress; undefined when no line is ever drawn (not a terminal, or --json). */
  readonly onProgress: ProgressCallback | undefined;
  /** Clears the line if one was drawn. */
  end(): void;
}

/** `now`: the throttle's clock (tests give a fixed one). */
export function loadLine(checkpointPath: string, stream: LineStream, json: boolean, now: () => number = Date.now): LoadLine {
  if (json || !stream.isTTY) return { onProgress: undefined, end: () => undefined };
  const name = path.basename(checkpointPath.replace(/[/\\]+$/, '')) || checkpointPath;
  let large: boolean | null = null;
  let drawn = false;
  const draw = throttleProgress(
    (p) => {
      stream.write(`\r${formatLoadLine(name, p, stream.columns)}\x1b[K`);
      drawn = true;
    },
    { now },
  );
  return {
    onProgress: (p) => {
      // The weights' size is the read's total, known from its first report.
      if (large === null && p.phase === 'read') large = p.total >= LARGE_MODEL_BYTES;
      if (large) draw(p);
    },
    end: () => {
      if (drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}
