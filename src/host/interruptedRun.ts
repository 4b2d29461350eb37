/**
 * A training run cut short by a window reload or close. VS Code gives deactivate() at most about
 * 5 s and its API is unreliable by then (workspace state may not be written), so the run leaves a
 * small marker file in the extension's storage while it trains: what it is, its document and the
 * checkpoint it will write. At shutdown the controller stops the run (the worker saves a
 * resumable checkpoint, as Stop does) and records the step saved in the marker; a run that ends
 * any other way removes it. At the next start a marker left behind means the run was
 * interrupted: say so, and offer to load its checkpoint (Continue Training resumes it).
 *
 * The marker is read as untrusted (any file can be in its place): anything malformed is dropped.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Log } from './log';

export interface RunMarker {
  /** The run's label, as the run list shows it ("tiny on notes.txt"). */
  readonly label: string;
  readonly totalSteps: number;
  /** Where the worker writes the run's checkpoint. */
  readonly checkpointPath: string;
  /** The step its checkpoint holds once saved at shutdown (null: not saved). */
  readonly savedStep: number | null;
}

const MAX_MARKER_BYTES = 64 * 1024;

export class RunMarkerFile {
  constructor(
    readonly file: string,
    private readonly log: Log,
  ) {}

  /** Records the run (written whole, then renamed: a crash leaves the old marker or the new). */
  write(marker: RunMarker): void {
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      const tmp = `${this.file}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify(marker));
      fs.renameSync(tmp, this.file);
    } catch (e) {
      this.log.warn(`could not record the training run in ${this.file}: ${(e as Error).message}`);
    }
  }

  /** Removes the marker; never throws (a directory in its place, say, is logged and left). */
  clear(): void {
    try {
      fs.rmSync(this.file, { force: true });
    } catch (e) {
      this.log.warn(`could not remove ${this.file}: ${(e as Error).message}`);
    }
  }

  /** The marker a previous session left (removed as it is read), or null. */
  take(): RunMarker | null {
    let raw: string;
    try {
      // A marker is a few hundred bytes: anything large in its place is not one, and is not read.
      if (fs.statSync(this.file).size > MAX_MARKER_BYTES) {
        this.clear();
        return null;
      }
      raw = fs.readFileSync(this.file, 'utf8');
    } catch {
      return null;
    }
    this.clear();
    try {
      return parseMarker(JSON.parse(raw));
    } catch {
      return null;
    }
  }
}

function parseMarker(v: unknown): RunMarker | null {
  if (typeof v !== 'object' || v === null) return null;
  const m = v as Record<string, unknown>;
  const step = m.savedStep;
  if (typeof m.label !== 'string' || m.label.length > 1000) return null;
  if (typeof m.checkpointPath !== 'string' || !path.isAbsolute(m.checkpointPath)) return null;
  if (typeof m.totalSteps !== 'number' || !Number.isInteger(m.totalSteps) || m.totalSteps < 1) return null;
  if (step !== null && (typeof step !== 'number' || !Number.isInteger(step) || step < 0)) return null;
  return { label: m.label, totalSteps: m.totalSteps, checkpointPath: m.checkpointPath, savedStep: step };
}

/**
 * Tells about a run the last session left interrupted (if any); returns what it said (null: none).
 * Loading the checkpoint goes through Load Checkpoint…, which makes Continue Training available.
 */
export function reportInterruptedRun(marker: RunMarker | null, log: Log): string | null {
  if (!marker) return null;
  const saved = marker.savedStep !== null && fs.existsSync(marker.checkpointPath);
  if (!saved) {
    const said = vscode.l10n.t('The training run {0} was interrupted when the window closed, before it could be saved.', marker.label);
    log.warn(said);
    void vscode.window.showWarningMessage(vscode.l10n.t('Attention Lens: {0}', said));
    return said;
  }
  const said = vscode.l10n.t(
    'The training run {0} was interrupted when the window closed; its resumable checkpoint (step {1} of {2}) is at {3}.',
    marker.label,
    marker.savedStep!,
    marker.totalSteps,
    marker.checkpointPath,
  );
  log.info(said);
  const load = vscode.l10n.t('Load to Continue');
  void vscode.window.showInformationMessage(vscode.l10n.t('Attention Lens: {0}', said), load).then((c) => {
    if (c === load) void vscode.commands.executeCommand('attentionLens.loadCheckpoint', { path: marker.checkpointPath });
  });
  return said;
}
