/**
 * The sidebar's "Model" view: what the active model is (architecture, sizes, parameters,
 * tokenizer) and where it came from (a file, a training run, or a repository of the Hugging
 * Face Hub at a commit). Empty when no model is active, so the view's welcome content (Train
 * on This File, Open a Model…) shows instead.
 */

import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ModelInfo } from '../../protocol/common';
import type { HubManifest } from '../../protocol/hubModels';
import type { ActiveModel } from '../activeModel';
import { cachedModelOf } from '../hub/modelCache';

export interface InfoRow {
  readonly label: string;
  readonly value: string;
  readonly icon: string;
  readonly tooltip?: string;
}

/** The rows the view shows for a model (exported for tests). */
export function modelRows(info: ModelInfo, sourcePath: string | null, hub: HubManifest | null): InfoRow[] {
  const rows: InfoRow[] = [
    { label: 'Architecture', value: `${info.architecture}${info.causal ? '' : ' (bidirectional encoder)'}`, icon: 'symbol-class' },
    {
      label: 'Layers × heads',
      value: `${info.layers} × ${info.heads}${info.kvHeads !== info.heads ? ` (${info.kvHeads} key/value heads)` : ''}`,
      icon: 'layers',
    },
    { label: 'Width', value: `d_model ${info.dModel}, context ${info.context}`, icon: 'symbol-ruler' },
    { label: 'Parameters', value: formatCount(info.parameters), icon: 'symbol-number', tooltip: `${info.parameters.toLocaleString('en-US')} parameters` },
    { label: 'Vocabulary', value: `${info.vocabSize.toLocaleString('en-US')} tokens`, icon: 'symbol-key' },
    { label: 'Tokenizer', value: info.tokenizer, icon: 'symbol-string' },
  ];
  if (info.trainedSteps !== null) rows.push({ label: 'Trained', value: `${info.trainedSteps} steps (${info.attentionMode} attention)`, icon: 'pulse' });
  if (hub)
    rows.push({ label: 'Source', value: `${hub.repo}@${hub.revision}`, icon: 'cloud', tooltip: `Hugging Face Hub ${hub.baseUrl}, commit ${hub.commit}` });
  else rows.push({ label: 'Source', value: sourcePath ? path.basename(sourcePath) : info.source, icon: 'file', tooltip: sourcePath ?? info.source });
  return rows;
}

function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}

export class ModelTree implements vscode.TreeDataProvider<InfoRow>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private rows: InfoRow[] = [];
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly model: ActiveModel,
    private readonly hubCache: string,
  ) {
    this.subscriptions = [model.onDidChange(() => void this.refresh())];
    void this.refresh();
  }

  async refresh(): Promise<void> {
    const info = this.model.info;
    const source = this.model.source?.path ?? null;
    this.rows = info ? modelRows(info, source, source ? await cachedModelOf(this.hubCache, source) : null) : [];
    this.changed.fire();
  }

  getChildren(element?: InfoRow): InfoRow[] {
    return element ? [] : this.rows;
  }

  getTreeItem(row: InfoRow): vscode.TreeItem {
    const item = new vscode.TreeItem(row.label);
    item.description = row.value;
    item.iconPath = new vscode.ThemeIcon(row.icon);
    item.tooltip = row.tooltip ?? `${row.label}: ${row.value}`;
    return item;
  }

  dispose(): void {
    this.changed.dispose();
    for (const d of this.subscriptions) d.dispose();
  }
}
