/**
 * Composition root: builds the host objects, wires them together and registers everything
 * with the extension context so it is disposed on deactivate. No logic of its own lives here.
 */

import * as path from 'node:path';
import * as vscode from 'vscode';
import { SurprisalOverlay } from './surprisalOverlay';
import { SurprisalStatusItem } from './surprisalStatusItem';
import { ActiveModel } from './activeModel';
import { AttentionHighlighter } from './attentionHighlighter';
import { AttentionService } from './attentionService';
import { registerCommands } from './commands';
import { registerHubCommands } from './hub/hubCommands';
import { registerSidebar, type Sidebar } from './sidebar/sidebar';
import { openSample, trackingHovers, WalkthroughProgress } from './walkthrough';
import { DashboardPanel } from './dashboard/panel';
import type { DashboardDeps } from './dashboard/deps';
import { EngineClient } from './engineClient';
import { AttentionHoverProvider } from './hoverProvider';
import { createLog } from './log';
import { showError } from './notifications';
import { StatusBar } from './statusBar';
import { TrainingController } from './trainingController';
import { TrainingRun } from './trainingRun';
import { ViewState } from './viewState';

/** What activate() returns: the objects integration tests (and other extensions) may drive. */
export interface AttentionLensApi {
  readonly client: EngineClient;
  readonly model: ActiveModel;
  readonly run: TrainingRun;
  readonly view: ViewState;
  readonly highlighter: AttentionHighlighter;
  readonly attention: AttentionService;
  readonly surprisal: SurprisalOverlay;
  readonly sidebar: Sidebar;
  readonly walkthrough: WalkthroughProgress;
}

export function activate(context: vscode.ExtensionContext): AttentionLensApi {
  const log = createLog();
  const client = new EngineClient(vscode.Uri.joinPath(context.extensionUri, 'dist', 'worker.js').fsPath, log);
  const model = new ActiveModel(client, context.globalState, log);
  const run = new TrainingRun();
  const view = new ViewState(context.workspaceState);
  const attention = new AttentionService(client);
  const highlighter = new AttentionHighlighter(attention, model, view, log);
  const training = new TrainingController(client, model, run, context.globalStorageUri, log);
  const surprisal = new SurprisalOverlay(attention, model, log);
  const deps: DashboardDeps = { extensionUri: context.extensionUri, log, client, run, model, view, highlighter, attention, memento: context.workspaceState };
  const samplesDir = vscode.Uri.joinPath(context.extensionUri, 'samples').fsPath;
  const walkthrough = new WalkthroughProgress(samplesDir, highlighter);
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
    log,
    client,
    model,
    run,
    view,
    attention,
    highlighter,
    new StatusBar(model, run, view),
    surprisal,
    new SurprisalStatusItem(model),
    model.onDidChange((info) => {
      if (info) view.setShape(info.layers, info.heads);
      void vscode.commands.executeCommand('setContext', 'attentionLens.hasModel', info !== null);
    }),
    // The curves shown are always the active model's: a loaded checkpoint brings its own history (or none).
    model.onDidLoad(({ source, history }) => run.showHistory(`history of ${path.basename(source.path)}`, history)),
    run.onDidChange(() => void vscode.commands.executeCommand('setContext', 'attentionLens.training', run.running)),
    client.onDidCrash((reason) => showError(log, `${reason}. It is being restarted${model.source ? ' and the active model reloaded' : ''}.`)),
    vscode.languages.registerHoverProvider({ scheme: '*' }, trackingHovers(new AttentionHoverProvider(attention, model, view, highlighter), walkthrough)),
    DashboardPanel.registerSerializer(deps),
    ...registerCommands({ client, model, training, view, log, showDashboard: () => DashboardPanel.createOrShow(deps) }),
    ...registerHubCommands({ client, model, log, cacheDir: hubDir }),
    ...sidebarParts,
    walkthrough,
    vscode.commands.registerCommand('attentionLens.openSample', (name?: string) => openSample(samplesDir, name)),
  );
  log.info(
    `Attention Lens ${context.extension.packageJSON.version} activated (VS Code ${vscode.version}, ${vscode.env.appHost}, Node ${process.versions.node})`,
  );
  void model.restore();
  return { client, model, run, view, highlighter, attention, surprisal, sidebar, walkthrough };
}

export function deactivate(): void {
  // Everything is in context.subscriptions; VS Code disposes it.
}
