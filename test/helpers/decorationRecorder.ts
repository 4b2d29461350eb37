/**
 * Observes what the extension hands to VS Code's `TextEditor.setDecorations`, for in-host
 * tests that must check the highlights themselves rather than the extension's own record of
 * them. Two public seams are used:
 * - `vscode.window.createTextEditorDecorationType` is wrapped, and the extension made to
 *   recreate its types (a colour-setting round trip), so each type object is known by the
 *   options it was created with: the theme colour `attentionLens.weightN` (bucket N−1) or the
 *   query outline (`attentionLens.queryBorder`);
 * - the editor passed to the extension's decoration step is replaced by a view of the real
 *   editor whose `setDecorations` records its arguments and then calls the real one (VS Code's
 *   editor objects are frozen, so the method cannot be patched in place).
 * The second needs one hook in the extension: its highlighter's `decorations.apply(editor, …)`
 * (the only caller of setDecorations); everything recorded is what setDecorations received.
 */

import * as vscode from 'vscode';

/** One setDecorations call: the type's role and the document offsets of its ranges. */
export interface DecorationCall {
  readonly role: { kind: 'bucket'; index: number } | { kind: 'query' } | { kind: 'windowStart' } | { kind: 'windowEnd' } | { kind: 'unknown' };
  readonly ranges: readonly { start: number; end: number }[];
}

/** The latest ranges per role on one editor, as setDecorations last set them. */
export interface Observed {
  /** bucket index → [start, end) offsets of the ranges it colours. */
  readonly buckets: Map<number, { start: number; end: number }[]>;
  readonly query: { start: number; end: number }[];
  /** The marks on the first and last token of the query's context window. */
  readonly windowStart: { start: number; end: number }[];
  readonly windowEnd: { start: number; end: number }[];
  readonly calls: number;
}

type Apply = (editor: vscode.TextEditor, ...rest: unknown[]) => unknown;

export class DecorationRecorder implements vscode.Disposable {
  private readonly roles = new Map<vscode.TextEditorDecorationType, DecorationCall['role']>();
  private latest = new Map<string, { start: number; end: number }[]>();
  private calls = 0;
  private readonly restore: (() => void)[] = [];
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidRecord = this.changed.event;

  /**
   * `decorations` is the extension's decoration step (an object with `apply(editor, …)`);
   * the colour round trip makes it recreate its types through the wrapped factory.
   */
  static async install(decorations: { apply: Apply }): Promise<DecorationRecorder> {
    const r = new DecorationRecorder();
    const win = vscode.window as { createTextEditorDecorationType: typeof vscode.window.createTextEditorDecorationType };
    const realCreate = win.createTextEditorDecorationType;
    win.createTextEditorDecorationType = (options: vscode.DecorationRenderOptions) => {
      const type = realCreate.call(vscode.window, options);
      r.roles.set(type, roleOf(options));
      return type;
    };
    r.restore.push(() => {
      win.createTextEditorDecorationType = realCreate;
    });
    const realApply = decorations.apply;
    decorations.apply = function (this: unknown, editor: vscode.TextEditor, ...rest: unknown[]) {
      return realApply.call(this, r.view(editor), ...rest);
    };
    r.restore.push(() => {
      decorations.apply = realApply;
    });
    // Recreate the types (user colour on, then back to the theme colours).
    const config = vscode.workspace.getConfiguration('attentionLens.decorations');
    const before = config.inspect<string>('color')?.globalValue;
    await config.update('color', '#336699', vscode.ConfigurationTarget.Global);
    await config.update('color', before, vscode.ConfigurationTarget.Global);
    const deadline = Date.now() + 10_000;
    const roles = (): DecorationCall['role'][] => [...r.roles.values()];
    while (roles().filter((x) => x.kind === 'bucket').length < 8 || !roles().some((x) => x.kind === 'query')) {
      if (Date.now() > deadline) {
        r.dispose();
        throw new Error(
          `after a colour change the extension created ${roles().length} decoration types through vscode.window.createTextEditorDecorationType, not the 8 buckets and the query outline`,
        );
      }
      await new Promise((res) => setTimeout(res, 50));
    }
    // Only what is set from now on, with the theme-coloured types, counts.
    r.latest.clear();
    r.calls = 0;
    return r;
  }

  private view(editor: vscode.TextEditor): vscode.TextEditor {
    const recorder = this;
    return Object.create(editor, {
      setDecorations: {
        value(type: vscode.TextEditorDecorationType, ranges: readonly vscode.Range[] | readonly vscode.DecorationOptions[]) {
          const role = recorder.roles.get(type) ?? { kind: 'unknown' as const };
          const doc = editor.document;
          const offsets = ranges.map((x) => {
            const range = 'range' in x ? x.range : x;
            return { start: doc.offsetAt(range.start), end: doc.offsetAt(range.end) };
          });
          recorder.latest.set(key(role), offsets);
          recorder.calls++;
          recorder.changed.fire();
          return editor.setDecorations(type, ranges);
        },
      },
    }) as vscode.TextEditor;
  }

  /** What setDecorations was last given, per bucket and for the query outline. */
  observed(): Observed {
    const buckets = new Map<number, { start: number; end: number }[]>();
    for (const [k, ranges] of this.latest) if (k.startsWith('bucket')) buckets.set(Number(k.slice(6)), ranges);
    if (this.latest.has('unknown')) throw new Error('setDecorations received a decoration type the recorder did not see created');
    return {
      buckets,
      query: this.latest.get('query') ?? [],
      windowStart: this.latest.get('windowStart') ?? [],
      windowEnd: this.latest.get('windowEnd') ?? [],
      calls: this.calls,
    };
  }

  /** Offset of each decorated range's start → its bucket (query ranges: 'query'). */
  byStart(): Map<number, number | 'query'> {
    const o = this.observed();
    const out = new Map<number, number | 'query'>();
    for (const [b, ranges] of o.buckets) for (const r of ranges) out.set(r.start, b);
    for (const r of o.query) out.set(r.start, 'query');
    // (window marks sit on tokens that also have a bucket or none: they are not highlights)
    return out;
  }

  dispose(): void {
    for (const f of this.restore.splice(0).reverse()) f();
    this.changed.dispose();
  }
}

function key(role: DecorationCall['role']): string {
  return role.kind === 'bucket' ? `bucket${role.index}` : role.kind;
}

function roleOf(options: vscode.DecorationRenderOptions): DecorationCall['role'] {
  const bg = options.backgroundColor;
  if (bg instanceof vscode.ThemeColor) {
    const id = (bg as unknown as { id: string }).id;
    const m = /^attentionLens\.weight(\d+)$/.exec(id);
    if (m) return { kind: 'bucket', index: Number(m[1]) - 1 };
  }
  const border = options.borderColor;
  const borderId = border instanceof vscode.ThemeColor ? (border as unknown as { id: string }).id : '';
  if (borderId === 'attentionLens.queryBorder') return { kind: 'query' };
  if (borderId === 'attentionLens.windowBorder') return { kind: options.borderWidth === '0 0 0 2px' ? 'windowStart' : 'windowEnd' };
  return { kind: 'unknown' };
}
