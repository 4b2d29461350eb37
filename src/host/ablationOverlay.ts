/**
 * The ablation overlay ("Attention Lens: Ablate Heads…", or "ablate these" in the dashboard's
 * ablation table): with chosen heads switched off together, every visible token of the active
 * editor whose surprisal moved is outlined by how much — better (green) or worse (red), strongly
 * or not (presentation/ablationScale.ts) — and the window's loss before and after is kept for
 * the status bar and the hover. The numbers come from the worker's `ablate` call, one per
 * context window on screen, cached by the attention service. "Clear Head Ablation" restores the
 * normal view. Outlines, not underlines or backgrounds, so the surprisal overlay and the
 * attention highlights stay readable beside it.
 */

import * as vscode from 'vscode';
import { commandEditor } from './commandEditor';
import { ABLATION_BUCKETS, ABLATION_COLOR_IDS, ablationBucket } from '../presentation/ablationScale';
import { isQuietFailure } from '../protocol/common';
import type { AblatedWindow, HeadAddress } from '../protocol/workerProtocol';
import type { ActiveModel } from './activeModel';
import type { AttentionService } from './attentionService';
import { documentHead, documentLength, isTextEditorWeWant, looksBinary, MAX_VIEW_CHARS } from './documentText';
import type { Log } from './log';

const EDIT_DEBOUNCE_MS = 300;

/** Which heads are switched off, and how. */
export interface Ablation {
  readonly heads: readonly HeadAddress[];
  readonly mode: 'zero' | 'mean';
}

/** One redraw: the ranges outlined per bucket (much better … much worse) and the windows they came from. */
export interface AblationDrawn extends Ablation {
  readonly editor: vscode.TextEditor;
  readonly version: number;
  readonly ranges: readonly (readonly vscode.Range[])[];
  /** The windows on screen, first to last: their loss before and after. */
  readonly windows: readonly AblatedWindow[];
}

export class AblationOverlay implements vscode.Disposable {
  private readonly types: vscode.TextEditorDecorationType[];
  private readonly subscriptions: vscode.Disposable[] = [];
  private ablation_: Ablation | null = null;
  private timer: NodeJS.Timeout | undefined;
  private generation = 0;
  private drawn = new Set<vscode.TextEditor>();
  private readonly updated = new vscode.EventEmitter<AblationDrawn | null>();
  /** Fires after each redraw with what was drawn (null: nothing, e.g. cleared). */
  readonly onDidUpdate = this.updated.event;
  private readonly changed = new vscode.EventEmitter<Ablation | null>();
  /** Fires when heads are ablated or the ablation is cleared. */
  readonly onDidChange = this.changed.event;
  private shown_: AblationDrawn | null = null;

  constructor(
    private readonly service: AttentionService,
    private readonly model: ActiveModel,
    private readonly log: Log,
  ) {
    this.types = Array.from({ length: ABLATION_BUCKETS }, (_, i) =>
      vscode.window.createTextEditorDecorationType({
        outlineColor: new vscode.ThemeColor(`attentionLens.${ABLATION_COLOR_IDS[i]}`),
        outlineStyle: 'solid',
        outlineWidth: i === 0 || i === ABLATION_BUCKETS - 1 ? '2px' : '1px',
        overviewRulerColor: new vscode.ThemeColor(`attentionLens.${ABLATION_COLOR_IDS[i]}`),
        overviewRulerLane: vscode.OverviewRulerLane.Right,
        rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
      }),
    );
    const soon = (delay = 0): void => this.schedule(delay);
    this.subscriptions.push(
      this.updated,
      this.changed,
      vscode.window.onDidChangeActiveTextEditor(() => soon()),
      vscode.window.onDidChangeTextEditorVisibleRanges((e) => e.textEditor === commandEditor() && soon(50)),
      vscode.workspace.onDidChangeTextDocument((e) => e.document === commandEditor()?.document && soon(EDIT_DEBOUNCE_MS)),
      // Heads of the old model mean nothing in the new one.
      model.onDidChange(() => this.clear()),
    );
  }

  /** The heads switched off now (null: none). */
  get ablation(): Ablation | null {
    return this.ablation_;
  }

  /** What the overlay draws now (null: nothing). */
  get shown(): AblationDrawn | null {
    return this.shown_;
  }

  /** Switches `heads` off together and redraws; an empty list clears. */
  ablate(heads: readonly HeadAddress[], mode: 'zero' | 'mean' = 'zero'): void {
    if (heads.length === 0) return this.clear();
    this.ablation_ = { heads: [...heads], mode };
    this.changed.fire(this.ablation_);
    this.schedule(0);
  }

  /** Back to the normal view. */
  clear(): void {
    if (!this.ablation_ && !this.shown_) return;
    this.ablation_ = null;
    this.changed.fire(null);
    this.schedule(0);
  }

  private report(drawn: AblationDrawn | null): void {
    this.shown_ = drawn;
    this.updated.fire(drawn);
  }

  private schedule(delay: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.update(), delay);
  }

  private clearAll(keep?: vscode.TextEditor): void {
    for (const e of this.drawn) if (e !== keep) for (const t of this.types) e.setDecorations(t, []);
    this.drawn = new Set(keep && this.drawn.has(keep) ? [keep] : []);
  }

  private nothing(): void {
    this.clearAll();
    this.report(null);
  }

  private async update(): Promise<void> {
    const generation = ++this.generation;
    // The file beside a focused dashboard or sidebar too (commandEditor.ts).
    const editor = commandEditor();
    const ablation = this.ablation_;
    if (!ablation || !this.model.info || !isTextEditorWeWant(editor)) return this.nothing();
    this.clearAll(editor);
    const doc = editor.document;
    const length = documentLength(doc);
    if (length === 0 || length > MAX_VIEW_CHARS || looksBinary(documentHead(doc))) return this.nothing();
    const version = doc.version;
    const visible = editor.visibleRanges.map((r) => ({ start: doc.offsetAt(r.start), end: doc.offsetAt(r.end) }));
    try {
      const tokens = await this.service.tokensFor(doc, visible);
      if (!tokens || generation !== this.generation) return;
      const perBucket: vscode.Range[][] = Array.from({ length: ABLATION_BUCKETS }, () => []);
      const windows: AblatedWindow[] = [];
      for (const v of visible) {
        const first = tokens.tokenAt(v.start);
        const last = tokens.tokenAt(Math.max(v.start, v.end - 1));
        if (first < 0 || last < 0) continue;
        // One request per context window the visible range's tokens are read in (each token's
        // change comes from its own window, the one with the most tokens before it).
        for (let t = first; t <= last;) {
          const a = await this.service.ablated(doc, version, t, ablation.heads, ablation.mode);
          if (!a || generation !== this.generation) return;
          if (!windows.some((w) => w.windowStart === a.windowStart)) windows.push(a);
          const end = Math.max(t + 1, Math.min(last + 1, tokens.queriesWith(t).to, a.windowStart + a.windowLength));
          for (let i = t; i < end; i++) {
            const range = tokens.rangeOf(i);
            const k = i - a.windowStart;
            const bucket = ablationBucket((a.surprisalAfter[k] ?? NaN) - (a.surprisalBefore[k] ?? NaN));
            if (range && bucket >= 0 && range.end > range.start)
              perBucket[bucket]?.push(new vscode.Range(doc.positionAt(range.start), doc.positionAt(range.end)));
          }
          t = end;
        }
      }
      if (generation !== this.generation || doc.version !== version) return;
      this.types.forEach((type, i) => editor.setDecorations(type, perBucket[i] ?? []));
      this.drawn.add(editor);
      windows.sort((x, y) => x.windowStart - y.windowStart);
      this.report({ ...ablation, editor, version, ranges: perBucket, windows });
    } catch (e) {
      if (isQuietFailure(e) || generation !== this.generation) return;
      this.log.warn(`ablation overlay for ${doc.uri.toString()}: ${(e as Error).message}`);
      void vscode.window.showWarningMessage(vscode.l10n.t('Attention Lens: could not ablate heads: {0}', (e as Error).message));
      this.ablation_ = null;
      this.changed.fire(null);
      this.nothing();
    }
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.clearAll();
    for (const t of this.types) t.dispose();
    for (const d of this.subscriptions) d.dispose();
  }
}
