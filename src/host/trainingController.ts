/**
 * Train on Current File / Stop Training: validates the document, starts training in the
 * worker, shows a cancellable progress notification, streams metrics into the TrainingRun,
 * and at the end makes the trained model active (it was saved by the worker into the
 * extension's storage, so it survives a reload).
 */

import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ModelInfo } from '../protocol/common';
import type { BestCheckpoint } from '../protocol/runs';
import type { TrainRequestOptions } from '../protocol/workerProtocol';
import type { ActiveModel } from './activeModel';
import { readSettings } from './config';
import { checkTrainingText, UnusableTextError } from './documentText';
import { EngineError, type EngineClient } from './engineClient';
import type { Log } from './log';
import type { TrainingRun } from './trainingRun';
import { showError } from './notifications';
import { reportRun } from './runReport';

const PROGRESS_INTERVAL_MS = 250;

export interface TrainOverrides {
  readonly preset?: string;
  readonly steps?: number;
  readonly batchSize?: number;
  readonly learningRate?: number;
  readonly seed?: number;
  readonly evalInterval?: number;
}

export interface TrainOutcome {
  readonly reason: 'completed' | 'cancelled' | 'diverged';
  readonly step: number;
  readonly checkpointPath: string | null;
  readonly info: ModelInfo;
  readonly message: string | null;
  /** The validation-best checkpoint, when it is not the final model. */
  readonly best: BestCheckpoint | null;
  /** The finish message's overfitting note (presentation/overfitting.ts), if the run overfits. */
  readonly overfitting: string | null;
}

export class TrainingController {
  private currentId: number | null = null;

  constructor(
    private readonly client: EngineClient,
    private readonly model: ActiveModel,
    private readonly run: TrainingRun,
    private readonly storage: vscode.Uri,
    private readonly log: Log,
  ) {}

  get isTraining(): boolean {
    return this.currentId !== null;
  }

  /** The command: returns the outcome (for tests and scripts) or undefined when nothing ran. */
  async trainOnCurrentFile(overrides: TrainOverrides = {}): Promise<TrainOutcome | undefined> {
    if (this.isTraining) {
      // Not awaited: the command returns at once while the message waits for the user.
      void vscode.window.showWarningMessage('Attention Lens is already training a model.', 'Stop Training').then((stop) => stop && this.stop());
      return undefined;
    }
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showErrorMessage('Attention Lens: open a text file to train on.');
      return undefined;
    }
    const doc = editor.document;
    const useSelection = !editor.selection.isEmpty;
    const text = useSelection ? doc.getText(editor.selection) : doc.getText();
    const name = `${path.basename(doc.uri.path) || doc.uri.toString()}${useSelection ? ' (selection)' : ''}`;
    try {
      checkTrainingText(text, name);
    } catch (e) {
      if (e instanceof UnusableTextError) void vscode.window.showErrorMessage(`Attention Lens: ${e.message}`);
      else throw e;
      return undefined;
    }
    const s = readSettings().training;
    const options: TrainRequestOptions = {
      preset: overrides.preset ?? s.preset,
      steps: overrides.steps ?? s.steps,
      batchSize: overrides.batchSize ?? s.batchSize,
      learningRate: overrides.learningRate ?? s.learningRate,
      seed: overrides.seed ?? s.seed,
      evalInterval: overrides.evalInterval ?? s.evalInterval,
    };
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const base = path.basename(doc.uri.path).replace(/[^\w.-]+/g, '_') || 'untitled';
    const checkpointPath = vscode.Uri.joinPath(this.storage, 'models', `${base}-${options.preset}-${stamp}.safetensors`).fsPath;
    // The probe the model continues at every evaluation: the text before the cursor on its line.
    const cursor = editor.selection.active;
    const probe = useSelection ? '' : doc.lineAt(cursor.line).text.slice(0, cursor.character).slice(-64);
    return this.train(text, name, options, checkpointPath, probe || undefined);
  }

  private train(text: string, name: string, options: TrainRequestOptions, checkpointPath: string, samplePrompt?: string): Promise<TrainOutcome | undefined> {
    return Promise.resolve(
      vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Attention Lens: training ${options.preset} on ${name}`, cancellable: true },
        async (progress, token) => {
          let reported = 0;
          let lastReport = 0;
          const request = this.client.send(
            { type: 'train', text, options, checkpointPath, sourceName: name, ...(samplePrompt ? { samplePrompt } : {}) },
            (m) => {
              if (m.type === 'trainStarted') {
                this.run.start(`${options.preset} on ${name}`, m.totalSteps, { ...options });
                this.log.info(
                  `training ${m.info.architecture} (${m.info.parameters} parameters) on ${name}: ${m.trainTokens} training / ${m.validationTokens} validation tokens`,
                );
              } else if (m.type === 'trainStep') {
                this.run.addStep(m);
                // Each report is a message to the window: a few a second is plenty for people.
                const now = Date.now();
                if (now - lastReport < PROGRESS_INTERVAL_MS && m.step < options.steps) return;
                lastReport = now;
                const pct = (100 * m.step) / options.steps;
                progress.report({
                  increment: pct - reported,
                  message: `step ${m.step}/${options.steps} · loss ${m.loss.toFixed(3)} · ${Math.round(m.tokensPerSecond)} tok/s`,
                });
                reported = pct;
              } else if (m.type === 'trainEval') {
                this.run.addEval(m, m.sample);
                this.log.info(`step ${m.step}: validation loss ${m.valLoss.toFixed(4)}, accuracy ${(100 * m.valAccuracy).toFixed(1)} %`);
              }
            },
          );
          this.currentId = request.id;
          const cancelSub = token.onCancellationRequested(() => this.stop());
          try {
            const done = await request.reply;
            // A run stopped before its first step changes nothing: the previous model stays active.
            if (done.step > 0) await this.model.set(done.info, done.checkpointPath ? { path: done.checkpointPath, tokenizerPath: null } : null);
            this.run.finish(done.reason, done.message, { checkpointPath: done.checkpointPath, best: done.best ?? null });
            const note = reportRun(this.log, done, name, this.run);
            return {
              reason: done.reason,
              step: done.step,
              checkpointPath: done.checkpointPath,
              info: done.info,
              message: done.message,
              best: done.best ?? null,
              overfitting: note,
            };
          } catch (e) {
            const message = e instanceof Error ? e.message : String(e);
            this.run.finish('failed', message);
            if (e instanceof EngineError && e.workerCrashed)
              this.log.error(`training ended: ${message}`); // the crash itself is reported once, by the client
            else if (e instanceof EngineError && e.code === 'bad-input') void vscode.window.showErrorMessage(`Attention Lens: ${message}`);
            else showError(this.log, `training failed: ${message}`, e);
            return undefined;
          } finally {
            cancelSub.dispose();
            this.currentId = null;
          }
        },
      ),
    );
  }

  stop(): void {
    if (this.currentId === null) {
      void vscode.window.showInformationMessage('Attention Lens is not training.');
      return;
    }
    this.client.cancel(this.currentId);
  }
}
