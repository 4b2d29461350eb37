/**
 * The tokens Generate from Cursor wrote, per document, with what the model said about each
 * (probability, alternatives), kept at the right place as the document is edited: an edit
 * before a token shifts it, an edit that touches it forgets it (its text is no longer what was
 * generated), closing the document forgets them all. Also tracks the point where a running
 * generation writes next, moved by the same edits.
 */

import * as vscode from 'vscode';
import type { GeneratedAlternative } from '../../protocol/workerProtocol';

export interface GeneratedToken {
  /** [start, end) in UTF-16 offsets of the document as it is now. */
  start: number;
  end: number;
  readonly step: number;
  readonly tokenId: number;
  readonly prob: number;
  readonly alternatives: readonly GeneratedAlternative[];
}

/** A document offset that follows edits: text inserted at it lands before it (it moves past the insertion). */
export interface TrackedPoint {
  offset: number;
}

interface DocumentRecord {
  readonly tokens: GeneratedToken[];
  readonly points: Set<TrackedPoint>;
}

export class GeneratedTokens implements vscode.Disposable {
  private readonly docs = new Map<string, DocumentRecord>();
  private readonly subscriptions: vscode.Disposable[];

  constructor() {
    this.subscriptions = [
      vscode.workspace.onDidChangeTextDocument((e) => this.edited(e.document.uri.toString(), e.contentChanges)),
      vscode.workspace.onDidCloseTextDocument((doc) => this.docs.delete(doc.uri.toString())),
    ];
  }

  /** A point to write at in `doc`, moved by every later edit until released. */
  track(doc: vscode.TextDocument, offset: number): TrackedPoint {
    const point = { offset };
    this.record(doc).points.add(point);
    return point;
  }

  release(doc: vscode.TextDocument, point: TrackedPoint): void {
    this.docs.get(doc.uri.toString())?.points.delete(point);
  }

  add(doc: vscode.TextDocument, token: GeneratedToken): void {
    this.record(doc).tokens.push(token);
  }

  /** The generated token covering `offset` (its start included, its end excluded), if any. */
  at(doc: vscode.TextDocument, offset: number): GeneratedToken | undefined {
    return this.docs.get(doc.uri.toString())?.tokens.find((t) => t.start <= offset && offset < t.end);
  }

  /** The generated tokens of `doc` still intact, in document order. */
  list(doc: vscode.TextDocument): readonly GeneratedToken[] {
    return [...(this.docs.get(doc.uri.toString())?.tokens ?? [])].sort((a, b) => a.start - b.start);
  }

  private record(doc: vscode.TextDocument): DocumentRecord {
    const key = doc.uri.toString();
    let r = this.docs.get(key);
    if (!r) {
      r = { tokens: [], points: new Set() };
      this.docs.set(key, r);
    }
    return r;
  }

  /** Changes come in the order VS Code applied them, each against the text the previous one left. */
  private edited(key: string, changes: readonly vscode.TextDocumentContentChangeEvent[]): void {
    const r = this.docs.get(key);
    if (!r) return;
    for (const c of changes) {
      const from = c.rangeOffset;
      const to = from + c.rangeLength;
      const delta = c.text.length - c.rangeLength;
      for (let i = r.tokens.length - 1; i >= 0; i--) {
        const t = r.tokens[i]!;
        if (t.end <= from) continue; // before the edit (an insertion right after a token leaves it whole)
        if (t.start >= to) {
          t.start += delta;
          t.end += delta;
        } else r.tokens.splice(i, 1); // the edit touched it
      }
      for (const p of r.points) {
        if (p.offset >= to) p.offset += delta;
        else if (p.offset > from) p.offset = from + c.text.length;
      }
    }
    if (r.tokens.length === 0 && r.points.size === 0) this.docs.delete(key);
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
    this.docs.clear();
  }
}
