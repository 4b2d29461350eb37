/**
 * The model the editor shows attention for: which file it came from, what shape it has,
 * and keeping it loaded. The choice is remembered (global state) so a reload of VS Code
 * comes back to the same model, and after a worker crash the model is loaded again.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ModelInfo } from '../protocol/common';
import { LARGE_MODEL_BYTES } from '../protocol/loadProgress';
import { loadWithProgress, modelBytes, watchedCall, type LoadWatch } from './loadProgress';
import type { RunSnapshots } from '../protocol/snapshots';
import type { TrainingHistory } from '../protocol/workerProtocol';
import type { EngineClient } from './engineClient';
import type { Log } from './log';

const KEY = 'attentionLens.activeModel';

export interface ModelSource {
  readonly path: string;
  readonly tokenizerPath: string | null;
}

export class ActiveModel implements vscode.Disposable {
  private info_: ModelInfo | null = null;
  private source_: ModelSource | null = null;
  private readonly changed = new vscode.EventEmitter<ModelInfo | null>();
  private readonly loaded = new vscode.EventEmitter<{
    readonly source: ModelSource;
    readonly history: TrainingHistory | null;
    readonly snapshots: RunSnapshots | null;
  }>();
  /** Fires after a model was loaded from a file, with the training history and head snapshots the file carries. */
  readonly onDidLoad = this.loaded.event;
  private readonly subscriptions: vscode.Disposable[] = [];
  /** Fires when a model becomes active (or none is). */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly client: EngineClient,
    private readonly memento: vscode.Memento,
    private readonly log: Log,
  ) {
    this.subscriptions.push(
      // The crashed worker took the model with it: nothing is active until the reload.
      client.onDidCrash(() => {
        if (!this.info_) return;
        this.info_ = null;
        this.changed.fire(null);
      }),
      client.onDidRestart(() => void this.reloadAfterRestart()),
    );
  }

  get info(): ModelInfo | null {
    return this.info_;
  }

  get source(): ModelSource | null {
    return this.source_;
  }

  /** Loads the remembered model, if its file is still there. Errors are logged, not shown: the user did nothing. */
  async restore(): Promise<void> {
    const saved = this.memento.get<ModelSource>(KEY);
    if (!saved || typeof saved.path !== 'string') return;
    if (!fs.existsSync(saved.path)) {
      this.log.warn(`the last active model ${saved.path} is gone; no model is loaded`);
      await this.memento.update(KEY, undefined);
      return;
    }
    try {
      if (!(await this.loadShown(saved))) return;
      this.log.info(`restored the active model from ${saved.path}`);
    } catch (e) {
      this.log.warn(`could not restore the active model from ${saved.path}: ${(e as Error).message}`);
    }
  }

  /** Loads a checkpoint in the worker and makes it active; on failure (or when cancelled) the previous model stays. */
  async load(source: ModelSource, watch: LoadWatch = {}): Promise<ModelInfo> {
    const reply = await watchedCall(this.client, { type: 'load', path: source.path, tokenizerPath: source.tokenizerPath }, watch);
    await this.set(reply.info, source);
    this.loaded.fire({ source, history: reply.history, snapshots: reply.snapshots });
    return reply.info;
  }

  /**
   * A load nobody asked for just now (restoring, reloading after a crash): quiet for a small
   * model; a large one gets the progress notification, whose Cancel leaves no model loaded.
   * Resolves false when cancelled.
   */
  private async loadShown(source: ModelSource): Promise<boolean> {
    if (modelBytes(source.path) < LARGE_MODEL_BYTES) {
      await this.load(source);
      return true;
    }
    const info = await loadWithProgress(path.basename(source.path), (watch) => this.load(source, watch), this.info_ !== null);
    if (!info) this.log.info(`loading ${source.path} was cancelled; no model is loaded`);
    return info !== null;
  }

  /** A model the worker already made active (after training). */
  async set(info: ModelInfo, source: ModelSource | null): Promise<void> {
    this.info_ = info;
    this.source_ = source;
    if (source) await this.memento.update(KEY, source);
    this.changed.fire(info);
  }

  private async reloadAfterRestart(): Promise<void> {
    const source = this.source_;
    if (this.info_) {
      this.info_ = null;
      this.changed.fire(null);
    }
    if (!source) return;
    try {
      if (!(await this.loadShown(source))) return;
      this.log.info(`reloaded ${source.path} in the restarted engine worker`);
    } catch (e) {
      this.log.error(`could not reload ${source.path} after the worker restarted: ${(e as Error).message}`);
    }
  }

  dispose(): void {
    this.changed.dispose();
    this.loaded.dispose();
    for (const d of this.subscriptions) d.dispose();
  }
}
