/**
 * Attention in the editor: the token under the cursor (or the selected tokens) is the
 * query, and every token of its context window that the query attends to — or, in the
 * other direction, that attends to it — gets a background in one of the weight buckets.
 * Only visible tokens are decorated. Cursor moves are handled at once (cached attention
 * costs no worker round trip); edits are debounced; results for an old version or an
 * older request are dropped. One update runs at a time: moves during it make it run once
 * more, for the latest cursor, so a busy worker (training a step of `small` takes ~0.4 s)
 * never has more than one of our requests waiting however fast the cursor moves.
 */

import * as vscode from 'vscode';
import { bucketize, BUCKETS, selectWeights } from '../presentation/attentionView';
import { normalizedEntropy, uniformFade } from '../presentation/rowEntropy';
import { isQuietFailure } from '../protocol/common';
import type { AttributionView } from '../protocol/dashboardViews';
import type { HighlightMode, Settings } from '../protocol/settings';
import type { ActiveModel } from './activeModel';
import type { AttentionRows, AttentionService } from './attentionService';
import { onDidChangeSettings, readSettings } from './config';
import { AttentionDecorations } from './decorations';
import { documentHead, documentLength, isTextEditorWeWant, looksBinary, MAX_VIEW_CHARS } from './documentText';
import type { DocumentTokens } from './documentTokens';
import { attributionWeights, encoderDefault, modeName, queryTokens } from './highlightQuery';
import type { RunSnapshotStore } from './runSnapshots';
import { locateProbe, snapshotRows } from './snapshotHighlights';
import { firstTextEnd, lastTextStart, shownWindow, type ShownWindow } from './windowBounds';
import { EngineError } from './engineClient';
import type { Log } from './log';
import type { ViewState } from './viewState';

const EDIT_DEBOUNCE_MS = 250;

/** A query held in place while the cursor moves ("Pin the Query Token"): document tokens [from, to) of one version. */
export interface PinnedQuery {
  readonly documentKey: string;
  readonly version: number;
  readonly from: number;
  readonly to: number;
}

/** What is shown right now, for the hover, the status bar and the dashboard. */
export interface ShownAttention {
  readonly editor: vscode.TextEditor;
  readonly result: AttentionRows;
  /** What the colours show: attention (weighed as result.weighting says) or an attribution of the query's prediction. */
  readonly mode: HighlightMode;
  /** In an attribution mode: the attribution of the prediction at the query's last token. */
  readonly attribution: AttributionView | null;
  /** Whether the query is pinned (the cursor does not move it). */
  readonly pinned: boolean;
  /** The weight per window token that the colours show. */
  readonly weights: Float32Array;
  readonly buckets: Int8Array;
  /** Ranges decorated (only tokens in the visible ranges are; none with highlights turned off). */
  readonly decorated: number;
  /** The context window the query is read in, for the status bar's tooltip. */
  readonly window: ShownWindow;
  /** Normalised entropy of the query's row as shown (rowEntropy.ts; NaN for "looked at by" or a single key). */
  readonly entropy: number;
  /** What the colours were multiplied by (below 1: a near-uniform row, drawn faded). */
  readonly fade: number;
  /** The training step whose snapshot is shown (the dashboard's scrubber), absent for the live model. */
  readonly snapshotStep?: number;
}

export class AttentionHighlighter implements vscode.Disposable {
  private settings: Settings = readSettings();
  private readonly decorations: AttentionDecorations;
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly updated = new vscode.EventEmitter<ShownAttention | null>();
  /** Fires after each update of what the editor shows. */
  readonly onDidUpdate = this.updated.event;
  private shown_: ShownAttention | null = null;
  private generation = 0;
  private editTimer: NodeJS.Timeout | undefined;
  private updating = false;
  private updateAgain = false;
  private decorated = new Set<vscode.TextEditor>();
  private warnedFor = new Set<string>();
  /** Bumped when the model, the selected head or a setting changes; what `shown_` was drawn with. */
  private state = 0;
  private shownState = -1;
  private pinned_: PinnedQuery | null = null;
  /** The document version whose text was sent again after the worker said it lost it. */
  private resentFor = '';
  /** Withdraws the attribution request of an update that was superseded. */
  private cancelPending: (() => void) | null = null;
  /** The editor a scrubbed snapshot was last drawn in (the dashboard has the focus while scrubbing). */
  private snapshotEditor: vscode.TextEditor | null = null;

  constructor(
    private readonly service: AttentionService,
    private readonly model: ActiveModel,
    private readonly view: ViewState,
    private readonly log: Log,
    private readonly snapshots: RunSnapshotStore | null = null,
  ) {
    this.decorations = new AttentionDecorations(this.settings.decorations.color, this.settings.decorations.palette);
    const now = (): void => this.schedule(0);
    this.subscriptions.push(
      this.decorations,
      vscode.window.onDidChangeTextEditorSelection((e) => {
        if (e.textEditor !== vscode.window.activeTextEditor) return;
        // A new query: an attribution still computing for the old one is withdrawn (pinned, the query stays).
        if (!this.pinned_) this.cancelPending?.();
        now();
      }),
      vscode.window.onDidChangeActiveTextEditor(now),
      vscode.window.onDidChangeTextEditorVisibleRanges((e) => e.textEditor === vscode.window.activeTextEditor && now()),
      vscode.workspace.onDidChangeTextDocument(
        (e) => e.document === vscode.window.activeTextEditor?.document && e.contentChanges.length > 0 && this.schedule(EDIT_DEBOUNCE_MS),
      ),
      onDidChangeSettings((s) => {
        this.state++;
        this.settings = s;
        this.decorations.setColor(s.decorations.color, s.decorations.palette);
        now();
      }),
      view.onDidChange(() => {
        this.state++;
        now();
      }),
      model.onDidChange(() => {
        this.state++;
        this.service.reset();
        now();
      }),
    );
    if (snapshots) {
      const sub = snapshots.onDidChange((change) => {
        if (change === 'added' && snapshots.step === null) return;
        this.state++;
        now();
      });
      this.subscriptions.push({ dispose: () => sub.dispose() });
    }
    now();
  }

  get shown(): ShownAttention | null {
    return this.shown_;
  }

  /** The pinned query, if any. */
  get pinned(): PinnedQuery | null {
    return this.pinned_;
  }

  /** Pins the query shown now (false when nothing is shown); the highlights and the dashboard stay on it until unpinned. */
  pin(): boolean {
    const r = this.shown_?.result;
    if (!r) return false;
    this.pinned_ = { documentKey: r.documentKey, version: r.version, from: r.from, to: r.to };
    this.markPinned(true);
    return true;
  }

  /** Back to following the cursor (at once if an editor has the focus, else when one has it again). */
  unpin(): void {
    if (!this.pinned_) return;
    this.pinned_ = null;
    this.markPinned(false);
  }

  /** What is shown is the same query, now (un)pinned: say so without recomputing (the dashboard may have the focus). */
  private markPinned(pinned: boolean): void {
    if (this.shown_) {
      this.shown_ = { ...this.shown_, pinned };
      this.updated.fire(this.shown_);
    }
    this.schedule(0);
  }

  /** Re-runs the update after `delay` ms; a newer call supersedes an older one. */
  schedule(delay: number): void {
    clearTimeout(this.editTimer);
    if (delay > 0) this.editTimer = setTimeout(() => void this.updateOnce(), delay);
    else void this.updateOnce();
  }

  /** update(), unless one is running: then that one runs again when it ends. */
  private async updateOnce(): Promise<void> {
    if (this.updating) {
      this.updateAgain = true;
      return;
    }
    this.updating = true;
    try {
      do {
        this.updateAgain = false;
        await this.update();
      } while (this.updateAgain);
    } finally {
      this.updating = false;
    }
  }

  /** Computes and applies the decorations for the active editor. Resolves when applied (or skipped). */
  private async update(): Promise<void> {
    // A webview or panel taking focus leaves no active text editor: keep what the editor
    // shows while it is still on screen (the dashboard is usually beside it).
    // (Unless what is shown is out of date: another model, head or setting.)
    if (!vscode.window.activeTextEditor && this.shown_ && this.shownState === this.state && vscode.window.visibleTextEditors.includes(this.shown_.editor))
      return;
    const generation = ++this.generation;
    // Scrubbing (or leaving a step) happens in the dashboard: the editor beside it follows.
    const scrubbing = this.snapshots !== null && (this.snapshots.step !== null || this.snapshotEditor !== null);
    const last = this.snapshotEditor ?? this.shown_?.editor ?? null;
    const beside = scrubbing && last && vscode.window.visibleTextEditors.includes(last) ? last : undefined;
    const editor = vscode.window.activeTextEditor ?? beside;
    this.snapshotEditor = null;
    for (const e of this.decorated) if (e !== editor) this.decorations.clear(e);
    this.decorated = new Set(editor ? [...this.decorated].filter((e) => e === editor) : []);
    // With highlights off the query's attention is still computed: the dashboard shows it.
    if (!isTextEditorWeWant(editor) || !this.model.info) return this.show(null, editor);
    const doc = editor.document;
    // Checked without copying the text: every cursor move passes here.
    const length = documentLength(doc);
    if (length === 0 || looksBinary(documentHead(doc))) return this.show(null, editor);
    if (length > MAX_VIEW_CHARS) {
      this.warnOnce(
        doc,
        vscode.l10n.t(
          'this document has {0} M characters; attention is shown for documents up to {1} M',
          (length / 1e6).toFixed(1),
          MAX_VIEW_CHARS / 1024 / 1024,
        ),
      );
      return this.show(null, editor);
    }
    const version = doc.version;
    // An edit moves tokens: a pin on the old text no longer names the same ones.
    if (this.pinned_ && this.pinned_.documentKey === doc.uri.toString() && this.pinned_.version !== version) this.pinned_ = null;
    const pin = this.pinned_ && this.pinned_.documentKey === doc.uri.toString() ? this.pinned_ : null;
    const visible = editor.visibleRanges.map((r) => ({ start: doc.offsetAt(r.start), end: doc.offsetAt(r.end) }));
    const sel = editor.selection;
    const selRange = { start: doc.offsetAt(sel.start), end: doc.offsetAt(sel.end) };
    this.cancelPending?.();
    this.cancelPending = null;
    const probe = this.snapshots ? locateProbe(this.snapshots, doc.uri.toString(), () => doc.getText()) : null;
    try {
      const tokens = await this.service.tokensFor(doc, [
        ...visible,
        { start: selRange.start, end: Math.max(selRange.end, selRange.start + 1) },
        ...(probe ? [probe.range] : []),
      ]);
      if (!tokens || generation !== this.generation) return;
      const query = pin ?? queryTokens(tokens, sel.isEmpty, selRange) ?? (this.model.info?.causal === false ? encoderDefault(tokens, selRange.start) : null);
      if (probe) {
        const rows = snapshotRows(probe, doc.uri.toString(), version, tokens.tokenAt(probe.at), query?.from ?? -1);
        if (rows) {
          this.snapshotEditor = editor;
          return this.render(editor, rows, visible, null, false, tokens, probe.snapshot.step);
        }
      }
      if (!query) return this.show(null, editor);
      // A query range must stay inside one context window: the one its first token is read in.
      const win = tokens.windowOf(query.from);
      const windowEnd = win.start + win.length;
      const a = this.settings.attention;
      const result = await this.service.attention(doc, version, query.from, Math.min(query.to, windowEnd), a.weighting);
      if (!result || generation !== this.generation || doc.version !== version) return;
      let attribution: AttributionView | null = null;
      if (a.highlight !== 'attention') {
        // The prediction made at the query's last token (of the token after it).
        const asked = this.service.attribution(doc, version, result.to - 1, a.highlight === 'integratedGradients' ? 'ig' : 'grad', (p) =>
          this.progress(a.highlight, p.done, p.total),
        );
        this.cancelPending = asked.cancel;
        attribution = await asked.reply.finally(() => this.progress(a.highlight, 0, 0));
        if (!attribution || generation !== this.generation || doc.version !== version) return;
      }
      this.render(editor, result, visible, attribution, pin !== null, tokens);
    } catch (e) {
      if (generation !== this.generation) return;
      if (e instanceof EngineError && e.code === 'stale' && doc.version === version && this.resentFor !== `${doc.uri.toString()}@${version}`) {
        // Not typed past: the worker lost this text. Send it again, once per version.
        this.resentFor = `${doc.uri.toString()}@${version}`;
        this.service.lostText(doc);
        return this.schedule(0);
      }
      if (e instanceof EngineError && isQuietFailure(e)) return;
      this.show(null, editor);
      this.warnOnce(doc, e instanceof Error ? e.message : String(e));
    }
  }

  /** The status bar says how far a long attribution is (total 0: done). */
  private progress(mode: HighlightMode, done: number, total: number): void {
    this.progressMessage?.dispose();
    this.progressMessage =
      total > 0
        ? vscode.window.setStatusBarMessage(`$(sync~spin) ${vscode.l10n.t('Attention Lens: {0}, {1} of {2} passes…', modeName(mode), done, total)}`)
        : undefined;
  }
  private progressMessage: vscode.Disposable | undefined;

  private render(
    editor: vscode.TextEditor,
    r: AttentionRows,
    visible: readonly { start: number; end: number }[],
    attribution: AttributionView | null,
    pinned: boolean,
    tokens: DocumentTokens,
    snapshotStep?: number,
  ): void {
    const doc = editor.document;
    const a = this.settings.attention;
    const { layer, head } = this.view.selection;
    const block = a.direction === 'attendsTo' ? r.rows : r.columns;
    const weights = attribution
      ? attributionWeights(attribution, r.windowLength)
      : selectWeights(block, r.layers, r.heads, r.windowLength, { layer, head, aggregation: a.aggregation });
    const exclude = a.excludeFirstToken ? 0 : -1;
    // A row of α (not a column, an attribution or ‖α·v‖) is a distribution: how peaked it is decides whether row-max colours fade.
    const entropy = !attribution && r.weighting !== 'valueWeighted' && a.direction === 'attendsTo' ? normalizedEntropy(weights, exclude) : NaN;
    const fade = a.normalization === 'rowMax' ? uniformFade(entropy) : 1;
    const buckets = bucketize(weights, { threshold: a.threshold, normalization: a.normalization, exclude, fade });
    const perBucket: vscode.Range[][] = Array.from({ length: BUCKETS }, () => []);
    const query: vscode.Range[] = [];
    const w = r.window;
    const isVisible = (s: number, e: number): boolean => visible.some((v) => s < v.end && e > v.start);
    for (let k = 0; k < r.windowLength; k++) {
      const start = w.starts[k]!,
        end = w.ends[k]!;
      if (end <= start || !isVisible(start, end)) continue;
      const index = r.windowStart + k;
      const range = new vscode.Range(doc.positionAt(start), doc.positionAt(end));
      if (index >= r.from && index < r.to) query.push(range);
      else if (buckets[k]! >= 0) perBucket[buckets[k]!]!.push(range);
    }
    const window = shownWindow(r, tokens);
    // Marks where the window begins and ends, unless that is where the document does.
    const bounds = {
      start: r.windowStart > 0 ? [new vscode.Range(doc.positionAt(window.startChar), doc.positionAt(firstTextEnd(r)))] : [],
      end: r.windowStart + r.windowLength < tokens.tokenCount ? [new vscode.Range(doc.positionAt(lastTextStart(r)), doc.positionAt(window.endChar))] : [],
    };
    const drawn = this.settings.decorations.enabled;
    if (drawn) {
      this.decorations.apply(editor, perBucket, query, bounds);
      this.decorated.add(editor);
    } else {
      this.decorations.clear(editor);
    }
    const decorated = drawn ? query.length + perBucket.reduce((n, b) => n + b.length, 0) : 0;
    this.shown_ = {
      editor,
      result: r,
      mode: attribution ? a.highlight : 'attention',
      attribution,
      pinned,
      weights,
      buckets,
      decorated,
      entropy,
      fade,
      window,
      ...(snapshotStep === undefined ? {} : { snapshotStep }),
    };
    this.shownState = this.state;
    this.updated.fire(this.shown_);
  }

  private show(shown: null, editor: vscode.TextEditor | undefined): void {
    if (editor) this.decorations.clear(editor);
    this.shown_ = shown;
    this.updated.fire(null);
  }

  private warnOnce(doc: vscode.TextDocument, message: string): void {
    const key = `${doc.uri.toString()}:${message}`;
    if (this.warnedFor.has(key)) return;
    this.warnedFor.add(key);
    this.log.warn(`attention for ${doc.uri.toString()}: ${message}`);
    void vscode.window.setStatusBarMessage(vscode.l10n.t('Attention Lens: {0}', message), 8000);
  }

  dispose(): void {
    clearTimeout(this.editTimer);
    this.cancelPending?.();
    this.progressMessage?.dispose();
    for (const d of this.subscriptions) d.dispose();
    this.updated.dispose();
  }
}
