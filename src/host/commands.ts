/**
 * Every command in the palette under "Attention Lens". Commands that normally ask through
 * dialogs also take arguments (paths, a layer/head, options) so scripts, keybindings and
 * tests can run them without a dialog.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { extensionsOf, fileFormatByExtension, FILE_FORMATS, FOLDER_FORMATS, listFormats } from '../protocol/checkpointFormats';
import type { Aggregation, Direction } from '../protocol/settings';
import type { ActiveModel } from './activeModel';
import { readSettings, updateSetting } from './config';
import type { EngineClient } from './engineClient';
import type { Log } from './log';
import { showError } from './notifications';
import { loadWithProgress } from './loadProgress';
import type { TrainingController, TrainOverrides } from './trainingController';
import type { TrainingRun } from './trainingRun';
import { bestCheckpointFor, pickBestOrLast, type WhichCheckpoint } from './saveChoice';
import type { ViewState } from './viewState';
import { showLoaded } from './loadedMessage';

export interface CommandDeps {
  readonly client: EngineClient;
  readonly model: ActiveModel;
  readonly training: TrainingController;
  readonly view: ViewState;
  readonly log: Log;
  readonly showDashboard: () => void;
  /** The run shown on the dashboard: its validation-best checkpoint is offered by Save Checkpoint…. */
  readonly run?: TrainingRun;
}

export interface LoadArgs {
  readonly path: string;
  readonly tokenizerPath?: string;
}

export function registerCommands(d: CommandDeps): vscode.Disposable[] {
  const reg = (id: string, fn: (...args: never[]) => unknown): vscode.Disposable => vscode.commands.registerCommand(`attentionLens.${id}`, fn);
  return [
    reg('trainOnCurrentFile', (overrides?: TrainOverrides) => d.training.trainOnCurrentFile(isObject(overrides) ? overrides : {})),
    reg('stopTraining', () => d.training.stop()),
    reg('continueTraining', (args?: { checkpoint?: unknown }) =>
      d.training.continueTraining(isObject(args) && typeof args.checkpoint === 'string' ? { checkpoint: args.checkpoint } : {}),
    ),
    reg('saveCheckpoint', (target?: string, which?: WhichCheckpoint) =>
      saveCheckpoint(d, typeof target === 'string' ? target : undefined, which === 'best' || which === 'last' ? which : undefined),
    ),
    reg('loadCheckpoint', (args?: LoadArgs) => loadCheckpoint(d, isObject(args) && typeof args.path === 'string' ? args : undefined)),
    reg('showDashboard', () => d.showDashboard()),
    reg('selectHead', (args?: { layer: number; head: number }) => selectHead(d, args)),
    reg('nextHead', () => d.view.stepHead(1)),
    reg('previousHead', () => d.view.stepHead(-1)),
    reg('nextLayer', () => d.view.stepLayer(1)),
    reg('previousLayer', () => d.view.stepLayer(-1)),
    reg('toggleHighlights', () => updateSetting('decorations.enabled', !readSettings().decorations.enabled)),
    reg('toggleSurprisal', () => updateSetting('surprisal.overlay', !readSettings().surprisal.overlay)),
    reg('setDirection', (value?: Direction) => pickDirection(value)),
    reg('setAggregation', (value?: Aggregation) => pickAggregation(value)),
    reg('showLog', () => d.log.show(true)),
  ];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

async function saveCheckpoint(d: CommandDeps, target: string | undefined, which?: WhichCheckpoint): Promise<string | undefined> {
  if (!d.model.info) {
    void vscode.window.showErrorMessage(vscode.l10n.t('Attention Lens: there is no model to save yet — train one or load a checkpoint.'));
    return undefined;
  }
  // A run that went on past its best validation loss kept that model too: offer it.
  const best = bestCheckpointFor(d.run, d.model.source?.path ?? null);
  const choice = best ? (which ?? (await pickBestOrLast(best, d.model.info.trainedSteps))) : 'last';
  if (!choice) return undefined;
  let file = target;
  if (!file) {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const uri = await vscode.window.showSaveDialog({
      title: vscode.l10n.t('Save Attention Lens checkpoint'),
      filters: { [vscode.l10n.t('Attention Lens checkpoint')]: ['safetensors'] },
      defaultUri: folder ? vscode.Uri.joinPath(folder, 'model.safetensors') : undefined,
    });
    if (!uri) return undefined;
    file = uri.fsPath;
  }
  try {
    if (choice === 'best' && best) {
      await fs.promises.copyFile(best.path, file);
      void vscode.window.showInformationMessage(vscode.l10n.t('Attention Lens: saved the validation-best model (step {0}) to {1}', best.step, file));
      return file;
    }
    const reply = await d.client.call({ type: 'save', path: file });
    void vscode.window.showInformationMessage(vscode.l10n.t('Attention Lens: saved the model to {0}', reply.path));
    return reply.path;
  } catch (e) {
    // The model is still in the worker: a failed save (a full disk) loses nothing if another place is offered.
    d.log.error(`could not save the checkpoint to ${file}: ${(e as Error).message}`);
    const message = vscode.l10n.t('Attention Lens: could not save the checkpoint to {0}: {1}', file, (e as Error).message);
    void vscode.window.showErrorMessage(message, vscode.l10n.t('Save As…')).then((c) => {
      if (c) void saveCheckpoint(d, undefined);
    });
    return undefined;
  }
}

async function loadCheckpoint(d: CommandDeps, args: LoadArgs | undefined): Promise<boolean> {
  let source = args ? { path: args.path, tokenizerPath: args.tokenizerPath ?? null } : undefined;
  if (!source) {
    const kind = await vscode.window.showQuickPick(
      [
        { label: `$(file) ${vscode.l10n.t('Checkpoint file')}`, detail: FILE_FORMATS.map((f) => f.description).join('; '), folder: null },
        ...FOLDER_FORMATS.map((f) => ({ label: `$(folder) ${f.name}`, detail: f.description, folder: f })),
      ],
      { title: vscode.l10n.t('Attention Lens: load which kind of model?') },
    );
    if (!kind) return false;
    if (kind.folder) {
      const folder = await vscode.window.showOpenDialog({
        title: vscode.l10n.t('Load a {0}', kind.folder.name),
        canSelectFiles: false,
        canSelectFolders: true,
        canSelectMany: false,
      });
      if (!folder?.[0]) return false;
      source = { path: folder[0].fsPath, tokenizerPath: null };
    }
  }
  if (!source) {
    const filters: Record<string, string[]> = { [vscode.l10n.t('Checkpoints')]: FILE_FORMATS.flatMap((f) => [...extensionsOf(f)]) };
    for (const f of FILE_FORMATS) filters[f.name] = [...extensionsOf(f)];
    const picked = await vscode.window.showOpenDialog({
      title: vscode.l10n.t('Load a checkpoint: {0}', listFormats(FILE_FORMATS)),
      canSelectMany: false,
      filters,
    });
    if (!picked?.[0]) return false;
    let tokenizerPath: string | null = null;
    const format = fileFormatByExtension(picked[0].fsPath);
    const needs = format?.tokenizer;
    if (format && needs) {
      const tok = await vscode.window.showOpenDialog({
        title: vscode.l10n.t('{0} needs its tokenizer: pick its {1} ({2})', format.name, needs.name, needs.extensions.map((e) => `.${e}`).join(', ')),
        canSelectMany: false,
        defaultUri: vscode.Uri.file(path.dirname(picked[0].fsPath)),
        filters: { [needs.name]: [...needs.extensions] },
      });
      if (!tok?.[0]) return false;
      tokenizerPath = tok[0].fsPath;
    }
    source = { path: picked[0].fsPath, tokenizerPath };
  }
  try {
    const info = await loadWithProgress(path.basename(source.path), (watch) => d.model.load(source!, watch), d.model.info !== null);
    if (!info) {
      d.log.info(`loading ${source.path} was cancelled`);
      return false;
    }
    d.log.info(`loaded ${source.path}: ${info.architecture}, ${info.layers} layers × ${info.heads} heads, ${info.parameters} parameters, ${info.tokenizer}`);
    showLoaded(path.basename(source.path), info);
    return true;
  } catch (e) {
    showError(d.log, vscode.l10n.t('could not load {0}: {1}', source.path, (e as Error).message), e);
    return false;
  }
}

async function selectHead(d: CommandDeps, args?: { layer: number; head: number }): Promise<void> {
  if (isObject(args) && typeof args.layer === 'number' && typeof args.head === 'number') {
    d.view.select(args.layer, args.head);
    return;
  }
  const items: (vscode.QuickPickItem & { layer: number; head: number })[] = [];
  for (let l = 0; l < d.view.layers; l++) {
    for (let h = 0; h < d.view.heads; h++) {
      const current = l === d.view.selection.layer && h === d.view.selection.head;
      items.push({
        label: vscode.l10n.t('Layer {0} · Head {1}', l, h),
        description: current ? vscode.l10n.t('current') : undefined,
        layer: l,
        head: h,
        picked: current,
      });
    }
  }
  const pick = await vscode.window.showQuickPick(items, {
    title: vscode.l10n.t('Attention Lens: show which head?'),
    placeHolder: vscode.l10n.t('Layer · Head'),
  });
  if (pick) d.view.select(pick.layer, pick.head);
}

async function pickDirection(value?: Direction): Promise<void> {
  const options: { label: string; value: Direction; detail: string }[] = [
    {
      label: vscode.l10n.t('What the cursor token attends to'),
      value: 'attendsTo',
      detail: vscode.l10n.t('Highlight the earlier tokens the query reads from'),
    },
    { label: vscode.l10n.t('What attends to the cursor token'), value: 'attendedBy', detail: vscode.l10n.t('Highlight the later tokens that read from it') },
  ];
  const chosen =
    value && options.some((o) => o.value === value)
      ? value
      : (await vscode.window.showQuickPick(options, { title: vscode.l10n.t('Attention Lens: direction') }))?.value;
  if (chosen) await updateSetting('attention.direction', chosen);
}

async function pickAggregation(value?: Aggregation): Promise<void> {
  const options: { label: string; value: Aggregation; detail: string }[] = [
    { label: vscode.l10n.t('Selected head'), value: 'head', detail: vscode.l10n.t('One head of the selected layer') },
    { label: vscode.l10n.t('Mean over heads'), value: 'mean', detail: vscode.l10n.t('Average of all heads of the selected layer') },
    { label: vscode.l10n.t('Max over heads'), value: 'max', detail: vscode.l10n.t('Strongest head for each token') },
  ];
  const chosen =
    value && options.some((o) => o.value === value)
      ? value
      : (await vscode.window.showQuickPick(options, { title: vscode.l10n.t('Attention Lens: head aggregation') }))?.value;
  if (chosen) await updateSetting('attention.aggregation', chosen);
}
