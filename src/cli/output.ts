/**
 * How the CLI talks: JSON lines on stdout for machines (--json), and for people a
 * progress bar on stderr (redrawn in place on a terminal, plain lines otherwise) and
 * aligned tables on stdout.
 */

export interface Output {
  readonly json: boolean;
  /** One JSON object on its own line (machine mode). */
  jsonLine(value: unknown): void;
  /** A line for people on stdout. */
  line(text?: string): void;
  /** Text on stdout as is (pieces of one large JSON line written as they are made). */
  raw(text: string): void;
  /** Progress for people on stderr: nothing in JSON mode. */
  progress(done: number, total: number, detail: string): void;
  /** Ends a progress display so the next line starts clean. */
  endProgress(): void;
}

export function createOutput(json: boolean, stdout = process.stdout, stderr = process.stderr): Output {
  const tty = Boolean(stderr.isTTY);
  let lastPlain = -1;
  let drawing = false;
  let lastDraw = 0;
  return {
    json,
    jsonLine: (value) => stdout.write(JSON.stringify(value) + '\n'),
    line: (text = '') => stdout.write(text + '\n'),
    raw: (text) => stdout.write(text),
    progress(done, total, detail) {
      if (json) return;
      const frac = total > 0 ? Math.min(1, done / total) : 0;
      if (tty) {
        // Redrawn at most every 100 ms (and at the end): a window or step can take a millisecond.
        const t = Date.now();
        if (drawing && done < total && t - lastDraw < 100) return;
        lastDraw = t;
        const width = 24;
        const filled = Math.round(frac * width);
        stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${detail}\x1b[K`);
        drawing = true;
      } else {
        // Without a terminal, a line per 10 % keeps logs readable.
        const decile = Math.floor(frac * 10);
        if (decile !== lastPlain) {
          lastPlain = decile;
          stderr.write(`${done}/${total} ${detail}\n`);
        }
      }
    },
    endProgress() {
      if (drawing) stderr.write('\n');
      drawing = false;
    },
  };
}

/** Left-aligned text columns, right-aligned numbers. */
export function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => [...(r[i] ?? '')].length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'));
  return cells
    .map((r) =>
      r
        .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function formatNumber(x: number): string {
  if (Number.isInteger(x)) return String(x);
  if (!Number.isFinite(x)) return String(x);
  return Math.abs(x) >= 1000 ? x.toFixed(0) : x.toPrecision(4);
}

/** A token's text made visible on one line (newlines, tabs and spaces shown). */
export function visibleToken(text: string): string {
  return printable(JSON.stringify(text).slice(1, -1).replace(/ /g, '␣'));
}

/**
 * Text safe to print on one terminal line: C0 and C1 control characters and DEL (ESC sequences
 * that set the title or move the cursor, BEL, a newline that splits an error line) are shown as
 * escapes (`\n`, `\x1b`, `\u009b`).
 */
export function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    if (c === '\r') return '\\r';
    const code = c.charCodeAt(0);
    return code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** JSON text with DEL and the C1 controls (which JSON.stringify leaves raw) written as \\u escapes. */
export function jsonAscii(json: string): string {
  return json.replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Generated text for a terminal: newlines and tabs kept, every other control character escaped. */
export function printableText(text: string): string {
  return text
    .split(/(\n|\t)/)
    .map((part) => (part === '\n' || part === '\t' ? part : printable(part)))
    .join('');
}

/**
 * What happens when stdout cannot be written (a reader that left, `| head`; a full disk): by
 * default the process ends at once (main.ts). A command with work that must not be lost (a
 * training run) takes it over while it runs: it stops, saves, and says so on stderr.
 */
let outputLostHandler: ((e: NodeJS.ErrnoException) => void) | null = null;

/** Sets (or clears, with null) the handler; returns the one it replaced. */
export function onOutputLost(handler: ((e: NodeJS.ErrnoException) => void) | null): ((e: NodeJS.ErrnoException) => void) | null {
  const before = outputLostHandler;
  outputLostHandler = handler;
  return before;
}

/** The handler in force, if a command set one. */
export function outputLostHandlerNow(): ((e: NodeJS.ErrnoException) => void) | null {
  return outputLostHandler;
}
