/**
 * Train on Current File / Continue Training / Stop Training: validates the document, starts training in the
 * worker, shows a cancellable progress notification, streams metrics into the TrainingRun,
 * and at the end makes the trained model active (it was saved by the worker into the
 * extension's storage, so it survives a reload). A run going on when the window closes is
 * stopped and saved by shutdown(), and its marker (interruptedRun.ts) tells the next session.
 */

import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ModelInfo } from '../protocol/common';
import type { BestCheckpoint, KeptRun } from '../protocol/runs';
import type { CallProgress, CallRequest, TrainRequestOptions } from '../protocol/workerProtocol';
import type { ActiveModel } from './activeModel';
import { readSettings } from './config';
import { commandEditor } from './commandEditor';
import { checkTrainingText, UnusableTextError } from './documentText';
import { EngineError, type EngineClient } from './engineClient';
import type { RunMarkerFile } from './interruptedRun';
import type { Log } from './log';
import type { TrainingRun } from './trainingRun';
import { showError } from './notifications';
import { reportRun } from './runReport';
import type { RunSnapshotStore, SnapshotSource } from './runSnapshots';

const PROGRESS_INTERVAL_MS = 250;

export interface TrainOverrides {
  readonly preset?: string;
  readonly steps?: number;
  readonly batchSize?: number;
  readonly learningRate?: number;
  readonly seed?: number;
  readonly evalInterval?: number;
  readonly attention?: 'soft' | 'hard';
}

export interface TrainOutcome {
  readonly reason: 'completed' | 'cancelled' | 'diverged';
  readonly step: number;
  readonly checkpointPath: string | null;
  readonly info: ModelInfo;
  readonly message: string | null;
  /** What the notification told the user. */
  readonly said: string;
  /** The validation-best checkpoint, when it is not the final model. */
  readonly best: BestCheckpoint | null;
  /** The finish message's overfitting note (presentation/overfitting.ts), if the run overfits. */
  readonly overfitting: string | null;
}

/** The kept run a continued run goes on with (no id: it branches off as a run of its own). */
type ResumedRun = Pick<KeptRun, 'label' | 'config' | 'startedAt'> & { readonly id: string | undefined };

export class TrainingController {
  private currentId: number | null = null;
  /** The run going on (its whole command), for shutdown() to wait on. */
  private inFlight: Promise<unknown> | null = null;
  /** Set by shutdown(): the run's end is recorded in its marker for the next session. */
  private closing = false;

  constructor(
    private readonly client: EngineClient,
    private readonly model: ActiveModel,
    private readonly run: TrainingRun,
    private readonly storage: vscode.Uri,
    private readonly log: Log,
    /** Where the runs' head snapshots go (the dashboard's scrubber); null: nowhere. */
    private readonly snapshots: RunSnapshotStore | null = null,
    /** Where a run going on is recorded, in case the window closes before it ends; null: nowhere. */
    private readonly marker: RunMarkerFile | null = null,
  ) {}

  /**
   * The window is closing (deactivate): stops the run going on, which the worker saves as a
   * resumable checkpoint as Stop does, and waits for it at most `waitMs` (VS Code gives
   * deactivate about 5 s). Its marker is left for the next session to tell (interruptedRun.ts).
   */
  async shutdown(waitMs: number): Promise<void> {
    const running = this.inFlight;
    if (this.currentId === null || !running) return;
    this.closing = true;
    this.client.cancel(this.currentId);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([running, new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))]);
    clearTimeout(timer);
  }

  get isTraining(): boolean {
    return this.currentId !== null;
  }

  /** The command: returns the outcome (for tests and scripts) or undefined when nothing ran. */
  async trainOnCurrentFile(overrides: TrainOverrides = {}): Promise<TrainOutcome | undefined> {
    if (this.refuseWhileTraining()) return undefined;
    const source = this.textToTrainOn();
    if (!source) return undefined;
    const s = readSettings().training;
    const options: TrainRequestOptions = {
      preset: overrides.preset ?? s.preset,
      steps: overrides.steps ?? s.steps,
      batchSize: overrides.batchSize ?? s.batchSize,
      learningRate: overrides.learningRate ?? s.learningRate,
      seed: overrides.seed ?? s.seed,
      evalInterval: overrides.evalInterval ?? s.evalInterval,
      attention: overrides.attention ?? s.attention,
      snapshotEvery: s.snapshotEvery,
    };
    const checkpointPath = this.newCheckpointPath(source.doc, options.preset);
    const title =
      options.attention === 'hard'
        ? vscode.l10n.t('training {0} with hard attention on {1}', options.preset, source.name)
        : vscode.l10n.t('training {0} on {1}', options.preset, source.name);
    return this.train(
      { type: 'train', text: source.text, options, checkpointPath, sourceName: source.name, probe: source.probe, ...source.sample },
      title,
      source.snapshotSource,
    );
  }

  /**
   * Continue Training: resumes the active model's run when it has one left to finish (a run
   * stopped by Stop Training, or a checkpoint saved part-way), otherwise the checkpoint given or
   * picked, on the open file (or selection), which must be the text the run was trained on. The
   * run goes on to its own total and is saved back to the checkpoint it came from.
   */
  async continueTraining(args: { readonly checkpoint?: string } = {}): Promise<TrainOutcome | undefined> {
    if (this.refuseWhileTraining()) return undefined;
    const source = this.textToTrainOn();
    if (!source) return undefined;
    let checkpoint = args.checkpoint;
    const info = this.model.info;
    const resumable = info !== null && info.trainedSteps !== null && info.runSteps !== null && info.trainedSteps < info.runSteps;
    if (checkpoint === undefined && !resumable) {
      const picked = await vscode.window.showOpenDialog({
        title: vscode.l10n.t('Continue Training: pick a checkpoint saved part-way through its run'),
        canSelectMany: false,
        filters: { [vscode.l10n.t('Attention Lens checkpoint')]: ['safetensors'] },
      });
      if (!picked?.[0]) return undefined;
      checkpoint = picked[0].fsPath;
    }
    if (checkpoint !== undefined) {
      try {
        await this.model.load({ path: checkpoint, tokenizerPath: null });
      } catch (e) {
        showError(this.log, vscode.l10n.t('could not load {0} to continue its training: {1}', checkpoint, (e as Error).message), e);
        return undefined;
      }
    }
    const from = this.model.source?.path;
    const checkpointPath = from && from.toLowerCase().endsWith('.safetensors') ? from : this.newCheckpointPath(source.doc, 'continued');
    // The run shown is the one that left this checkpoint (loading it shows its kept run): it goes on,
    // under its own name and settings, rather than appearing as a second run named after the architecture.
    // From its validation-best checkpoint it branches off: the same name, but a run of its own.
    const shown = this.run.record();
    const resumes =
      shown && from !== undefined && shown.checkpointPath === from
        ? shown
        : shown && from !== undefined && shown.best?.path === from
          ? { ...shown, id: undefined, startedAt: null }
          : null;
    return this.train(
      { type: 'continueTraining', text: source.text, checkpointPath, sourceName: source.name, ...source.sample },
      vscode.l10n.t('continuing training on {0}', source.name),
      source.snapshotSource,
      resumes,
    );
  }

  private refuseWhileTraining(): boolean {
    if (!this.isTraining) return false;
    // Not awaited: the command returns at once while the message waits for the user.
    void vscode.window
      .showWarningMessage(vscode.l10n.t('Attention Lens is already training a model.'), vscode.l10n.t('Stop Training'))
      .then((stop) => stop && this.stop());
    return true;
  }

  /** The command's editor's selection (commandEditor.ts), or its whole text, checked as training text; undefined (after saying why) when unusable. */
  private textToTrainOn():
    | {
        text: string;
        name: string;
        doc: vscode.TextDocument;
        probe: { start: number; end: number };
        sample: { samplePrompt?: string };
        snapshotSource: SnapshotSource;
      }
    | undefined {
    const editor = commandEditor();
    if (!editor) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Attention Lens: open a text file to train on.'));
      return undefined;
    }
    const doc = editor.document;
    const useSelection = !editor.selection.isEmpty;
    const text = useSelection ? doc.getText(editor.selection) : doc.getText();
    const file = path.basename(doc.uri.path) || doc.uri.toString();
    const name = useSelection ? vscode.l10n.t('{0} (selection)', file) : file;
    try {
      checkTrainingText(text, name);
    } catch (e) {
      if (e instanceof UnusableTextError) void vscode.window.showErrorMessage(vscode.l10n.t('Attention Lens: {0}', e.message));
      else throw e;
      return undefined;
    }
    // The snapshots' probe: the selection's start, or the text around the cursor (the worker keeps its first 64 tokens).
    const at = useSelection ? 0 : Math.max(0, doc.offsetAt(editor.selection.active) - 32);
    // The text the model continues at every evaluation (its eval samples): the text before the cursor on its line.
    const cursor = editor.selection.active;
    const sample = useSelection ? '' : doc.lineAt(cursor.line).text.slice(0, cursor.character).slice(-64);
    return {
      text,
      name,
      doc,
      probe: { start: at, end: Math.min(text.length, at + 256) },
      sample: sample ? { samplePrompt: sample } : {},
      snapshotSource: { documentKey: doc.uri.toString(), textStart: useSelection ? doc.offsetAt(editor.selection.start) : 0 },
    };
  }

  private newCheckpointPath(doc: vscode.TextDocument, tag: string): string {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const base = path.basename(doc.uri.path).replace(/[^\w.-]+/g, '_') || 'untitled';
    return vscode.Uri.joinPath(this.storage, 'models', `${base}-${tag}-${stamp}.safetensors`).fsPath;
  }

  private train(
    request: CallRequest<'train'> | CallRequest<'continueTraining'>,
    title: string,
    snapshotSource: SnapshotSource,
    resumes: ResumedRun | null = null,
  ): Promise<TrainOutcome | undefined> {
    const name = request.sourceName;
    const running = Promise.resolve(
      vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Attention Lens: {0}', title), cancellable: true },
        async (progress, token) => {
          let reported = 0;
          let lastReport = 0;
          let totalSteps = 0;
          let startStep = 0;
          let started = false;
          let runLabel = name;
          const onProgress = (m: CallProgress<'train'>): void => {
            if (m.type === 'trainStarted') {
              totalSteps = m.totalSteps;
              startStep = m.resumed?.steps.at(-1)?.step ?? 0;
              started = true;
              const label =
                request.type === 'train'
                  ? vscode.l10n.t('{0} on {1}', request.options.preset, name)
                  : // A checkpoint with no kept run here (trained on another machine): the checkpoint does not name its preset.
                    (resumes?.label ?? vscode.l10n.t('{0} on {1}', m.info.architecture, name));
              if (request.type === 'train') this.run.start(label, m.totalSteps, { ...request.options });
              else if (resumes)
                this.run.start(label, m.totalSteps, resumes.config, resumes.id === undefined ? undefined : { id: resumes.id, startedAt: resumes.startedAt });
              else this.run.start(label, m.totalSteps, null);
              runLabel = label;
              this.marker?.write({ label, totalSteps: m.totalSteps, checkpointPath: request.checkpointPath, savedStep: null });
              // A continued run's curve starts where the run was stopped, with the points it had.
              for (const p of m.resumed?.steps ?? []) this.run.addStep(p);
              for (const e of m.resumed?.evals ?? []) this.run.addEval(e);
              this.snapshots?.reset(m.snapshots, snapshotSource);
              this.log.info(
                `${m.resumed ? `continuing at step ${m.info.trainedSteps} of ${m.totalSteps}:` : 'training'} ${m.info.architecture} (${m.info.parameters} parameters) on ${name}: ${m.trainTokens} training / ${m.validationTokens} validation tokens`,
              );
            } else if (m.type === 'trainStep') {
              this.run.addStep(m);
              // Each report is a message to the window: a few a second is plenty for people.
              const now = Date.now();
              if (now - lastReport < PROGRESS_INTERVAL_MS && m.step < totalSteps) return;
              lastReport = now;
              const pct = (100 * m.step) / totalSteps;
              progress.report({
                increment: pct - reported,
                message: vscode.l10n.t('step {0}/{1} · loss {2} · {3} tok/s', m.step, totalSteps, m.loss.toFixed(3), Math.round(m.tokensPerSecond)),
              });
              reported = pct;
            } else if (m.type === 'trainSnapshot') {
              this.snapshots?.add(m.every, m.snapshot);
            } else if (m.type === 'trainEval') {
              this.run.addEval(m, m.sample);
              this.log.info(`step ${m.step}: validation loss ${m.valLoss.toFixed(4)}, accuracy ${(100 * m.valAccuracy).toFixed(1)} %`);
            }
          };
          const sent = request.type === 'train' ? this.client.send(request, onProgress) : this.client.send(request, onProgress);
          this.currentId = sent.id;
          const cancelSub = token.onCancellationRequested(() => this.stop());
          try {
            const done = await sent.reply;
            // Closing: the next session says where the stopped run was saved (this one may not get to).
            if (this.closing)
              this.marker?.write({
                label: runLabel,
                totalSteps,
                checkpointPath: done.checkpointPath ?? request.checkpointPath,
                savedStep: done.checkpointPath ? done.step : null,
              });
            // A run stopped before its first (new) step changes nothing: the active model stays as it was.
            if (done.step > startStep) await this.model.set(done.info, done.checkpointPath ? { path: done.checkpointPath, tokenizerPath: null } : null);
            this.run.finish(done.reason, done.message, { checkpointPath: done.checkpointPath, best: done.best ?? null });
            const { said, note } = reportRun(this.log, done, name, totalSteps, this.run);
            return {
              reason: done.reason,
              step: done.step,
              checkpointPath: done.checkpointPath,
              info: done.info,
              message: done.message,
              said,
              best: done.best ?? null,
              overfitting: note,
            };
          } catch (e) {
            const message = e instanceof Error ? e.message : String(e);
            // A request refused before it started leaves the curves on screen (the active model's) alone.
            if (started) this.run.finish('failed', message);
            if (e instanceof EngineError && e.workerCrashed)
              this.log.error(`training ended: ${message}`); // the crash itself is reported once, by the client
            else if (e instanceof EngineError && e.code === 'bad-input') void vscode.window.showErrorMessage(vscode.l10n.t('Attention Lens: {0}', message));
            else showError(this.log, vscode.l10n.t('training failed: {0}', message), e);
            return undefined;
          } finally {
            cancelSub.dispose();
            this.currentId = null;
            if (!this.closing) this.marker?.clear();
            this.closing = false;
          }
        },
      ),
    );
    this.inFlight = running.finally(() => (this.inFlight = null));
    return running;
  }

  stop(): void {
    if (this.currentId === null) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Attention Lens is not training.'));
      return;
    }
    this.client.cancel(this.currentId);
  }
}
