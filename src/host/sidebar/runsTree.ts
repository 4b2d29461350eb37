/**
 * The sidebar's "Runs and Checkpoints" view: the current (or last) training run with its step
 * and losses, and the checkpoints there are to load — those training saved in the extension's
 * storage, `.safetensors` files of this workspace, and models downloaded from the Hugging Face
 * Hub. Clicking a checkpoint loads it; the one loaded is marked.
 */

import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { formatBytes } from '../../protocol/hubModels';
import type { RunStatus } from '../../protocol/runs';
import type { ActiveModel } from '../activeModel';
import { listCachedModels, loadSourceOf } from '../hub/modelCache';
import type { TrainingRun } from '../trainingRun';

export type RunNode =
  | { readonly kind: 'group'; readonly id: 'run' | 'trained' | 'workspace' | 'hub'; readonly label: string }
  | { readonly kind: 'info'; readonly label: string; readonly value: string; readonly icon: string }
  | { readonly kind: 'checkpoint'; readonly label: string; readonly path: string; readonly tokenizerPath: string | null; readonly detail: string };

const MAX_WORKSPACE_FILES = 50;

export class RunsTree implements vscode.TreeDataProvider<RunNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscriptions: vscode.Disposable[];
  private pending: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly run: TrainingRun,
    private readonly model: ActiveModel,
    private readonly trainedDir: string,
    private readonly hubDir: string,
  ) {
    const watcher = vscode.workspace.createFileSystemWatcher('**/*.safetensors');
    this.subscriptions = [
      watcher,
      watcher.onDidCreate(() => this.refresh()),
      watcher.onDidDelete(() => this.refresh()),
      // Steps stream in many times a second: the run's row is redrawn at most twice a second.
      run.onDidChange(() => {
        this.pending ??= setTimeout(() => {
          this.pending = undefined;
          this.refresh();
        }, 500);
      }),
      model.onDidChange(() => this.refresh()),
    ];
  }

  refresh(): void {
    this.changed.fire();
  }

  async getChildren(element?: RunNode): Promise<RunNode[]> {
    if (!element) {
      return [
        { kind: 'group', id: 'run', label: vscode.l10n.t('Training run') },
        { kind: 'group', id: 'trained', label: vscode.l10n.t('Trained in VS Code') },
        { kind: 'group', id: 'workspace', label: vscode.l10n.t('In this workspace') },
        { kind: 'group', id: 'hub', label: vscode.l10n.t('Downloaded from Hugging Face') },
      ];
    }
    if (element.kind !== 'group') return [];
    switch (element.id) {
      case 'run':
        return this.runRows();
      case 'trained':
        return this.trained();
      case 'workspace':
        return this.workspaceFiles();
      case 'hub':
        return (await listCachedModels(this.hubDir)).flatMap((m): RunNode[] => {
          const source = loadSourceOf(m);
          return source
            ? [
                {
                  kind: 'checkpoint',
                  label: m.repo,
                  path: source.path,
                  tokenizerPath: source.tokenizerPath,
                  detail: `${m.manifest!.revision} · ${formatBytes(m.bytes)}`,
                },
              ]
            : [];
        });
    }
  }

  private runRows(): RunNode[] {
    const info = this.run.info();
    if (info.status === 'idle')
      return [{ kind: 'info', label: vscode.l10n.t('No run yet'), value: vscode.l10n.t('Train on This File starts one'), icon: 'info' }];
    const rows: RunNode[] = [
      { kind: 'info', label: info.label || vscode.l10n.t('run'), value: statusName(info.status), icon: info.status === 'running' ? 'sync~spin' : 'pass' },
    ];
    const step = this.run.lastStep;
    if (step)
      rows.push({
        kind: 'info',
        label: vscode.l10n.t('Step'),
        value: vscode.l10n.t('{0} of {1} · loss {2}', step.step, info.totalSteps, step.loss.toFixed(3)),
        icon: 'graph-line',
      });
    const ev = this.run.lastEval;
    if (ev)
      rows.push({
        kind: 'info',
        label: vscode.l10n.t('Validation'),
        value: vscode.l10n.t('loss {0} · accuracy {1} %', ev.valLoss.toFixed(3), (100 * ev.valAccuracy).toFixed(1)),
        icon: 'beaker',
      });
    if (info.message) rows.push({ kind: 'info', label: vscode.l10n.t('Note'), value: info.message, icon: 'note' });
    return rows;
  }

  private async trained(): Promise<RunNode[]> {
    const files = await fsp.readdir(this.trainedDir, { withFileTypes: true }).catch(() => []);
    const out: RunNode[] = [];
    for (const f of files) {
      if (!f.isFile() || !f.name.endsWith('.safetensors')) continue;
      const p = path.join(this.trainedDir, f.name);
      const stat = await fsp.stat(p).catch(() => null);
      if (stat)
        out.push({ kind: 'checkpoint', label: f.name, path: p, tokenizerPath: null, detail: `${formatBytes(stat.size)} · ${stat.mtime.toLocaleString()}` });
    }
    return out.sort((a, b) => b.label.localeCompare(a.label));
  }

  private async workspaceFiles(): Promise<RunNode[]> {
    const uris = await vscode.workspace.findFiles('**/*.safetensors', '**/node_modules/**', MAX_WORKSPACE_FILES);
    return uris
      .map((u): RunNode => ({ kind: 'checkpoint', label: vscode.workspace.asRelativePath(u), path: u.fsPath, tokenizerPath: null, detail: '' }))
      .sort((a, b) => a.label.localeCompare(b.label));
  }

  getTreeItem(node: RunNode): vscode.TreeItem {
    if (node.kind === 'group') {
      const item = new vscode.TreeItem(node.label, node.id === 'run' ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.Collapsed);
      item.id = `group-${node.id}`;
      return item;
    }
    if (node.kind === 'info') {
      const item = new vscode.TreeItem(node.label);
      item.description = node.value;
      item.iconPath = new vscode.ThemeIcon(node.icon);
      return item;
    }
    const active = this.model.source?.path === node.path;
    const item = new vscode.TreeItem(node.label);
    item.description = active ? (node.detail ? vscode.l10n.t('{0} · active', node.detail) : vscode.l10n.t('active')) : node.detail;
    item.tooltip = node.path;
    item.iconPath = new vscode.ThemeIcon(active ? 'pass-filled' : 'package');
    item.contextValue = 'attentionLens.checkpoint';
    item.command = {
      command: 'attentionLens.loadCheckpoint',
      title: vscode.l10n.t('Load'),
      arguments: [{ path: node.path, tokenizerPath: node.tokenizerPath ?? undefined }],
    };
    return item;
  }

  dispose(): void {
    if (this.pending) clearTimeout(this.pending);
    this.changed.dispose();
    for (const d of this.subscriptions) d.dispose();
  }
}

/** A run's status as the view shows it, in the display language. */
function statusName(status: RunStatus): string {
  switch (status) {
    case 'idle':
      return vscode.l10n.t('idle');
    case 'running':
      return vscode.l10n.t('running');
    case 'completed':
      return vscode.l10n.t('completed');
    case 'cancelled':
      return vscode.l10n.t('cancelled');
    case 'diverged':
      return vscode.l10n.t('diverged');
    case 'failed':
      return vscode.l10n.t('failed');
  }
}
