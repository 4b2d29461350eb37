/**
 * Loading a model with a progress notification: the worker's `loadProgress` as the bar (one bar
 * over reading, checking and building: protocol/loadProgress.ts) with the phase in words, and a
 * Cancel button that stops the load in the worker. A cancelled load leaves the active model as it
 * was and says so; every other failure is the caller's to report. Used by Load Checkpoint… (and
 * the sidebar, which runs it), by opening a model from the hub, by restoring a large model and by
 * Compare with Checkpoint….
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ModelInfo } from '../protocol/common';
import type { CallReply } from '../protocol/workerProtocol';
import type { EngineClient, Request } from './engineClient';
import { formatBytes } from '../protocol/hubModels';
import { loadFraction, type LoadProgress } from '../protocol/loadProgress';

/** What a caller showing a load (a progress notification) gives ActiveModel.load. */
export interface LoadWatch {
  /** The worker's progress messages (rate-limited there). */
  readonly onProgress?: (p: LoadProgress) => void;
  /** Cancels the load in the worker: the reply is then an EngineError 'cancelled' and the active model stays. */
  readonly cancellation?: vscode.CancellationToken;
}

/** The phase in words, for the notification. */
export function loadPhaseWords(p: LoadProgress): string {
  switch (p.phase) {
    case 'read':
      return vscode.l10n.t('reading {0} of {1}', formatBytes(p.done), formatBytes(p.total));
    case 'check':
      return vscode.l10n.t('checking the weights for non-finite values…');
    case 'build':
      return vscode.l10n.t('building the model…');
  }
}

/**
 * Runs `load` under a cancellable progress notification titled with `name`. Resolves with the
 * loaded model's info, or null when the user cancelled — a message then says whether a model
 * (`hadModel`: the one active before, unchanged) is still loaded. Other failures reject.
 */
export async function loadWithProgress(name: string, load: (watch: LoadWatch) => Promise<ModelInfo>, hadModel: boolean): Promise<ModelInfo | null> {
  return watchedLoad(
    {
      title: vscode.l10n.t('Attention Lens: loading {0}', name),
      cancelled: hadModel
        ? vscode.l10n.t('Attention Lens: loading {0} was cancelled; the active model is unchanged.', name)
        : vscode.l10n.t('Attention Lens: loading {0} was cancelled; no model is loaded.', name),
    },
    load,
  );
}

/**
 * Runs `load` (any request that reads a model: `load`, `compare`) under a cancellable progress
 * notification with `notice.title`; null, after showing `notice.cancelled`, when the user
 * cancelled. Other failures reject.
 */
export async function watchedLoad<T>(
  notice: { readonly title: string; readonly cancelled: string },
  load: (watch: LoadWatch) => Promise<T>,
): Promise<T | null> {
  try {
    return await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: notice.title, cancellable: true }, (progress, token) => {
      let shown = 0;
      return load({
        cancellation: token,
        onProgress: (p) => {
          const percent = 100 * loadFraction(p);
          progress.report({ message: vscode.l10n.t('{0} ({1}%)', loadPhaseWords(p), Math.floor(percent)), increment: Math.max(0, percent - shown) });
          shown = Math.max(shown, percent);
        },
      });
    });
  } catch (e) {
    if ((e as { code?: unknown }).code !== 'cancelled') throw e;
    void vscode.window.showInformationMessage(notice.cancelled);
    return null;
  }
}

/**
 * Sends a request that reads a model, with its `loadProgress` messages going to
 * `watch.onProgress` and `watch.cancellation` cancelling it in the worker.
 */
export async function watchedCall<K extends 'load' | 'compare'>(client: EngineClient, message: Request<K>, watch: LoadWatch): Promise<CallReply<K>> {
  const { id, reply } = client.send(message, (m) => {
    if (m.type === 'loadProgress') watch.onProgress?.({ phase: m.phase, done: m.done, total: m.total });
  });
  const token = watch.cancellation;
  let listener: vscode.Disposable | undefined;
  if (token?.isCancellationRequested) client.cancel(id);
  else listener = token?.onCancellationRequested(() => client.cancel(id));
  try {
    return await reply;
  } finally {
    listener?.dispose();
  }
}

/** Bytes a model's weights take on disk: the file, or a folder's .safetensors files (0 when unreadable: the load says why). */
export function modelBytes(file: string): number {
  try {
    const stat = fs.statSync(file);
    if (!stat.isDirectory()) return stat.size;
    return fs
      .readdirSync(file)
      .filter((f) => f.toLowerCase().endsWith('.safetensors'))
      .reduce((n, f) => n + fs.statSync(path.join(file, f)).size, 0);
  } catch {
    return 0;
  }
}
