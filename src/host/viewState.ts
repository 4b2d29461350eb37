/**
 * What the user is looking at: the selected layer and head. Kept per workspace (it survives
 * a reload), clamped to the active model's shape, and announced to the editor highlights,
 * the status bar and the dashboard through one event.
 */

import * as vscode from 'vscode';

const KEY = 'attentionLens.selection';

export interface LayerHead {
  readonly layer: number;
  readonly head: number;
}

export class ViewState implements vscode.Disposable {
  private current: LayerHead;
  private shape = { layers: 1, heads: 1 };
  private readonly changed = new vscode.EventEmitter<LayerHead>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly memento: vscode.Memento) {
    const saved = memento.get<LayerHead>(KEY);
    this.current = saved && Number.isInteger(saved.layer) && Number.isInteger(saved.head) ? saved : { layer: 0, head: 0 };
  }

  get selection(): LayerHead {
    return this.current;
  }

  get layers(): number {
    return this.shape.layers;
  }

  get heads(): number {
    return this.shape.heads;
  }

  /** The active model changed shape: keep the selection inside it. */
  setShape(layers: number, heads: number): void {
    this.shape = { layers: Math.max(1, layers), heads: Math.max(1, heads) };
    this.select(this.current.layer, this.current.head);
  }

  select(layer: number, head: number): void {
    const next = {
      layer: Math.min(Math.max(0, Math.floor(layer)), this.shape.layers - 1),
      head: Math.min(Math.max(0, Math.floor(head)), this.shape.heads - 1),
    };
    if (next.layer === this.current.layer && next.head === this.current.head) return;
    this.current = next;
    void this.memento.update(KEY, next);
    this.changed.fire(next);
  }

  /** Moves by `delta` heads, carrying into the next/previous layer. */
  stepHead(delta: number): void {
    const flat = this.current.layer * this.shape.heads + this.current.head + delta;
    const total = this.shape.layers * this.shape.heads;
    const wrapped = ((flat % total) + total) % total;
    this.select(Math.floor(wrapped / this.shape.heads), wrapped % this.shape.heads);
  }

  stepLayer(delta: number): void {
    const layer = (((this.current.layer + delta) % this.shape.layers) + this.shape.layers) % this.shape.layers;
    this.select(layer, this.current.head);
  }

  dispose(): void {
    this.changed.dispose();
  }
}
