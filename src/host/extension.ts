/**
 * Composition root: builds the host objects, wires them together and registers everything
 * with the extension context so it is disposed on deactivate. No logic of its own lives here.
 */

import * as path from 'node:path';
import * as vscode from 'vscode';
import { SurprisalOverlay } from './surprisalOverlay';
import { AblationOverlay } from './ablationOverlay';
import { AblationStatusItem } from './ablationStatusItem';
import { registerDebugCommands } from './debugCommands';
import { SurprisalStatusItem } from './surprisalStatusItem';
import { ActiveModel } from './activeModel';
import { AttentionHighlighter } from './attentionHighlighter';
import { AttentionService } from './attentionService';
import { registerCommands } from './commands';
import { trackCommandEditor } from './commandEditor';
import { registerHubCommands } from './hub/hubCommands';
import { registerSidebar, type Sidebar } from './sidebar/sidebar';
import { openSample, trackingHovers, WalkthroughProgress } from './walkthrough';
import { DashboardPanel } from './dashboard/panel';
import type { DashboardDeps } from './dashboard/deps';
import { readSettings } from './config';
import { EngineClient } from './engineClient';
import { CursorGeneration, registerGeneration } from './generation/generateFromCursor';
import { registerWhatIf } from './whatIf/compareCommands';
import { AttentionHoverProvider } from './hoverProvider';
import { createLog } from './log';
import { showError } from './notifications';
import { StatusBar } from './statusBar';
import { TrainingController } from './trainingController';
import { reportInterruptedRun, RunMarkerFile } from './interruptedRun';
import { TrainingRun } from './trainingRun';
import { RunHistory } from './runHistory';
import { RunSnapshotStore } from './runSnapshots';
import { ViewState } from './viewState';

/** What activate() returns: the objects integration tests (and other extensions) may drive. */
export interface AttentionLensApi {
  readonly client: EngineClient;
  readonly model: ActiveModel;
  readonly run: TrainingRun;
  readonly view: ViewState;
  readonly highlighter: AttentionHighlighter;
  readonly statusBar: StatusBar;
  readonly attention: AttentionService;
  readonly surprisal: SurprisalOverlay;
  readonly runs: RunHistory;
  /** The shown run's head snapshots and the dashboard scrubber's step. */
  readonly snapshots: RunSnapshotStore;
  readonly generation: CursorGeneration;
  readonly sidebar: Sidebar;
  readonly ablation: AblationOverlay;
  readonly ablationStatus: AblationStatusItem;
  /** The open dashboard panel, if any. */
  readonly dashboard: () => DashboardPanel | undefined;
  readonly walkthrough: WalkthroughProgress;
  readonly training: TrainingController;
  /** Where a run going on is recorded in case the window closes (interruptedRun.ts). */
  readonly runMarker: RunMarkerFile;
}

/** How long deactivate() waits for a run going on to stop and save (VS Code allows about 5 s). */
const SHUTDOWN_WAIT_MS = 4000;
/** What deactivate() does: set by activate(). */
let shutdown: (() => Promise<void>) | null = null;

export function activate(context: vscode.ExtensionContext): AttentionLensApi {
  const log = createLog();
  const client = new EngineClient(vscode.Uri.joinPath(context.extensionUri, 'dist', 'worker.js').fsPath, log, () => readSettings().engine.threads);
  const model = new ActiveModel(client, context.globalState, log);
  const run = new TrainingRun();
  const runs = new RunHistory(context.workspaceState);
  const view = new ViewState(context.workspaceState);
  const attention = new AttentionService(client);
  const snapshots = new RunSnapshotStore(log);
  const highlighter = new AttentionHighlighter(attention, model, view, log, snapshots);
  const statusBar = new StatusBar(model, run, view, highlighter);
  const runMarker = new RunMarkerFile(vscode.Uri.joinPath(context.globalStorageUri, 'training-run.json').fsPath, log);
  const training = new TrainingController(client, model, run, context.globalStorageUri, log, snapshots, runMarker);
  shutdown = () => training.shutdown(SHUTDOWN_WAIT_MS);
  const surprisal = new SurprisalOverlay(attention, model, log);
  const ablation = new AblationOverlay(attention, model, log);
  const ablationStatus = new AblationStatusItem(ablation, highlighter);
  const generation = new CursorGeneration(client, model, log);
  const deps: DashboardDeps = {
    extensionUri: context.extensionUri,
    log,
    client,
    run,
    model,
    view,
    highlighter,
    attention,
    memento: context.workspaceState,
    runs,
    snapshots,
  };
  const samplesDir = vscode.Uri.joinPath(context.extensionUri, 'samples').fsPath;
  const walkthrough = new WalkthroughProgress(highlighter);
  const hubDir = vscode.Uri.joinPath(context.globalStorageUri, 'hub').fsPath;
  const { sidebar, disposables: sidebarParts } = registerSidebar({
    client,
    attention,
    model,
    view,
    run,
    trainedDir: vscode.Uri.joinPath(context.globalStorageUri, 'models').fsPath,
    hubDir,
    showDashboard: () => DashboardPanel.createOrShow(deps),
  });

  context.subscriptions.push(
    trackCommandEditor(),
    log,
    client,
    model,
    run,
    view,
    attention,
    highlighter,
    statusBar,
    surprisal,
    new SurprisalStatusItem(model),
    ablation,
    ablationStatus,
    model.onDidChange((info) => {
      if (info) view.setShape(info.layers, info.heads);
      void vscode.commands.executeCommand('setContext', 'attentionLens.hasModel', info !== null);
    }),
    // The curves shown are always the active model's: a loaded checkpoint brings its own history (or none).
    // A model trained here comes back with its whole run (after a reload too); any other checkpoint's history is kept as a run.
    model.onDidLoad(({ source, history, snapshots: recorded }) => {
      // The scrubber shows the loaded model's own snapshots (or none).
      snapshots.reset(recorded, null);
      const kept = runs.byCheckpoint(source.path);
      if (kept) return run.showRecord(kept);
      run.showHistory(vscode.l10n.t('history of {0}', path.basename(source.path)), history, source.path);
      const record = history ? run.record() : null;
      if (record) runs.add(record);
    }),
    // A run that stopped before its first step has nothing to compare.
    run.onDidFinish((kept) => kept.steps.step.length > 0 && runs.add(kept)),
    run.onDidChange(() => void vscode.commands.executeCommand('setContext', 'attentionLens.training', run.running)),
    client.onDidCrash((reason) =>
      showError(
        log,
        model.source
          ? vscode.l10n.t('{0}. It is being restarted and the active model reloaded.', reason)
          : vscode.l10n.t('{0}. It is being restarted.', reason),
      ),
    ),
    vscode.languages.registerHoverProvider(
      { scheme: '*' },
      trackingHovers(new AttentionHoverProvider(attention, model, view, highlighter, ablation), walkthrough),
    ),
    DashboardPanel.registerSerializer(deps),
    ...registerCommands({ client, model, training, view, log, run, showDashboard: () => DashboardPanel.createOrShow(deps) }),
    ...registerGeneration(generation),
    ...registerHubCommands({ client, model, log, cacheDir: hubDir }),
    ...sidebarParts,
    ...registerDebugCommands({ ablation, highlighter, view }),
    ...registerWhatIf({ client, model, attention, log, showDashboard: () => DashboardPanel.createOrShow(deps) }),
    walkthrough,
    vscode.commands.registerCommand('attentionLens.openSample', (name?: string) => openSample(samplesDir, name)),
  );
  log.info(
    `Attention Lens ${context.extension.packageJSON.version} activated (VS Code ${vscode.version}, ${vscode.env.appHost}, Node ${process.versions.node})`,
  );
  void model.restore();
  // A run the last session was training when its window closed.
  reportInterruptedRun(runMarker.take(), log);
  return {
    client,
    model,
    run,
    view,
    highlighter,
    attention,
    surprisal,
    runs,
    snapshots,
    generation,
    sidebar,
    ablation,
    ablationStatus,
    dashboard: () => DashboardPanel.instance,
    statusBar,
    walkthrough,
    training,
    runMarker,
  };
}

/** A training run going on is stopped and saved first; everything else is in context.subscriptions, which VS Code disposes after. */
export function deactivate(): Promise<void> | undefined {
  const stop = shutdown;
  shutdown = null;
  return stop?.();
}
