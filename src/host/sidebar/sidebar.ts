/**
 * The "Attention Lens" view container in the activity bar: registers its three tree views
 * (Model, Layers and Heads, Runs and Checkpoints) and the command behind the heads' context
 * menu. The views' welcome content (no model yet) is declared in package.json.
 */

import * as vscode from 'vscode';
import type { ActiveModel } from '../activeModel';
import type { AttentionService } from '../attentionService';
import type { EngineClient } from '../engineClient';
import type { TrainingRun } from '../trainingRun';
import type { ViewState } from '../viewState';
import { HeadsTree, type HeadNode } from './headsTree';
import { ModelTree } from './modelTree';
import { RunsTree } from './runsTree';

export interface SidebarDeps {
  readonly client: EngineClient;
  readonly attention: AttentionService;
  readonly model: ActiveModel;
  readonly view: ViewState;
  readonly run: TrainingRun;
  readonly trainedDir: string;
  readonly hubDir: string;
  readonly showDashboard: () => void;
}

export interface Sidebar {
  readonly model: ModelTree;
  readonly heads: HeadsTree;
  readonly runs: RunsTree;
}

export function registerSidebar(d: SidebarDeps): { readonly sidebar: Sidebar; readonly disposables: vscode.Disposable[] } {
  const model = new ModelTree(d.model, d.hubDir);
  const heads = new HeadsTree(d.client, d.attention, d.model, d.view);
  const runs = new RunsTree(d.run, d.model, d.trainedDir, d.hubDir);
  const headsView = vscode.window.createTreeView('attentionLens.heads', { treeDataProvider: heads, showCollapseAll: true });
  heads.attach(headsView);
  const disposables: vscode.Disposable[] = [
    model,
    heads,
    runs,
    headsView,
    vscode.window.registerTreeDataProvider('attentionLens.model', model),
    vscode.window.registerTreeDataProvider('attentionLens.runs', runs),
    vscode.commands.registerCommand('attentionLens.showHeadInDashboard', (node?: HeadNode) => {
      if (node?.kind === 'head') d.view.select(node.layer, node.head);
      d.showDashboard();
    }),
    vscode.commands.registerCommand('attentionLens.refreshSidebar', () => {
      void model.refresh();
      runs.refresh();
      void heads.score();
    }),
  ];
  return { sidebar: { model, heads, runs }, disposables };
}
