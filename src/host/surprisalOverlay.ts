/**
 * The surprisal overlay: with `attentionLens.surprisal.overlay` on ("Attention Lens: Toggle
 * Surprisal Overlay"), every visible token of the active editor is underlined in one of five
 * theme colours by how surprised the model is by it, −ln p(token | the tokens before it in its
 * context window) (presentation/surprisalScale.ts). Where the model fails is where attention is
 * worth reading. The numbers come from the worker's `surprisal` view, one request per context
 * window on screen, cached by the attention service; this file only draws.
 */

import * as vscode from 'vscode';
import { commandEditor } from './commandEditor';
import { SURPRISAL_BUCKETS, surprisalBucket } from '../presentation/surprisalScale';
import { isQuietFailure } from '../protocol/common';
import type { ActiveModel } from './activeModel';
import type { AttentionService } from './attentionService';
import { onDidChangeSettings, readSettings } from './config';
import { documentLength, isTextEditorWeWant, looksBinary, documentHead, MAX_VIEW_CHARS } from './documentText';
import type { Log } from './log';

const EDIT_DEBOUNCE_MS = 300;

/** One redraw: the ranges underlined in each bucket, weak to strong, for a document version. */
export interface SurprisalDrawn {
  readonly editor: vscode.TextEditor;
  readonly version: number;
  readonly ranges: readonly (readonly vscode.Range[])[];
}

export class SurprisalOverlay implements vscode.Disposable {
  private readonly types: vscode.TextEditorDecorationType[];
  private readonly subscriptions: vscode.Disposable[] = [];
  private enabled = readSettings().surprisal.overlay;
  private timer: NodeJS.Timeout | undefined;
  private generation = 0;
  private drawn = new Set<vscode.TextEditor>();
  private readonly updated = new vscode.EventEmitter<SurprisalDrawn | null>();
  /** Fires after each redraw with what was drawn (null: nothing). */
  readonly onDidUpdate = this.updated.event;
  private shown_: SurprisalDrawn | null = null;

  constructor(
    private readonly service: AttentionService,
    private readonly model: ActiveModel,
    private readonly log: Log,
  ) {
    this.types = Array.from({ length: SURPRISAL_BUCKETS }, (_, i) =>
      vscode.window.createTextEditorDecorationType({
        borderStyle: 'solid',
        borderWidth: '0 0 2px 0',
        borderColor: new vscode.ThemeColor(`attentionLens.surprisal${i + 1}`),
        rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
      }),
    );
    const soon = (delay = 0): void => this.schedule(delay);
    this.subscriptions.push(
      this.updated,
      vscode.window.onDidChangeActiveTextEditor(() => soon()),
      vscode.window.onDidChangeTextEditorVisibleRanges((e) => e.textEditor === commandEditor() && soon(50)),
      vscode.workspace.onDidChangeTextDocument((e) => e.document === commandEditor()?.document && soon(EDIT_DEBOUNCE_MS)),
      model.onDidChange(() => soon()),
      onDidChangeSettings((s) => {
        this.enabled = s.surprisal.overlay;
        soon();
      }),
    );
    soon();
  }

  get isEnabled(): boolean {
    return this.enabled;
  }

  /** What the overlay draws now (null: nothing). */
  get shown(): SurprisalDrawn | null {
    return this.shown_;
  }

  private report(drawn: SurprisalDrawn | null): void {
    this.shown_ = drawn;
    this.updated.fire(drawn);
  }

  private schedule(delay: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.update(), delay);
  }

  /** Clears every editor drawn on but `keep` (whose underlines are replaced when the new ones are ready, without a flicker). */
  private clearAll(keep?: vscode.TextEditor): void {
    for (const e of this.drawn) if (e !== keep) for (const t of this.types) e.setDecorations(t, []);
    this.drawn = new Set(keep && this.drawn.has(keep) ? [keep] : []);
  }

  private async update(): Promise<void> {
    const generation = ++this.generation;
    // The file beside a focused dashboard or sidebar too (commandEditor.ts).
    const editor = commandEditor();
    if (!this.enabled || !this.model.info || !isTextEditorWeWant(editor)) {
      this.clearAll();
      this.report(null);
      return;
    }
    this.clearAll(editor);
    const doc = editor.document;
    const length = documentLength(doc);
    if (length === 0 || length > MAX_VIEW_CHARS || looksBinary(documentHead(doc))) {
      this.clearAll();
      this.report(null);
      return;
    }
    const version = doc.version;
    const visible = editor.visibleRanges.map((r) => ({ start: doc.offsetAt(r.start), end: doc.offsetAt(r.end) }));
    try {
      const tokens = await this.service.tokensFor(doc, visible);
      if (!tokens || generation !== this.generation) return;
      const perBucket: vscode.Range[][] = Array.from({ length: SURPRISAL_BUCKETS }, () => []);
      for (const v of visible) {
        const first = tokens.tokenAt(v.start);
        const last = tokens.tokenAt(Math.max(v.start, v.end - 1));
        if (first < 0 || last < 0) continue;
        // One request per context window the visible range's tokens are read in (each token's
        // surprisal comes from its own window, the one with the most tokens before it).
        for (let t = first; t <= last;) {
          const s = await this.service.surprisal(doc, version, t);
          if (!s || generation !== this.generation) return;
          const end = Math.max(t + 1, Math.min(last + 1, tokens.queriesWith(t).to, s.windowStart + s.windowLength));
          for (let i = t; i < end; i++) {
            const range = tokens.rangeOf(i);
            const bucket = surprisalBucket(s.surprisal[i - s.windowStart] ?? NaN);
            if (range && bucket >= 0 && range.end > range.start)
              perBucket[bucket]?.push(new vscode.Range(doc.positionAt(range.start), doc.positionAt(range.end)));
          }
          t = end;
        }
      }
      if (generation !== this.generation || doc.version !== version) return;
      this.types.forEach((type, i) => editor.setDecorations(type, perBucket[i] ?? []));
      this.drawn.add(editor);
      this.report({ editor, version, ranges: perBucket });
    } catch (e) {
      if (isQuietFailure(e) || generation !== this.generation) return;
      this.log.warn(`surprisal overlay for ${doc.uri.toString()}: ${(e as Error).message}`);
      this.clearAll();
      this.report(null);
    }
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.clearAll();
    for (const t of this.types) t.dispose();
    for (const d of this.subscriptions) d.dispose();
  }
}
