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
    {
      label: vscode.l10n.t('Architecture'),
      value: info.causal ? info.architecture : vscode.l10n.t('{0} (bidirectional encoder)', info.architecture),
      icon: 'symbol-class',
    },
    {
      label: vscode.l10n.t('Layers × heads'),
      value:
        info.kvHeads !== info.heads
          ? vscode.l10n.t('{0} × {1} ({2} key/value heads)', info.layers, info.heads, info.kvHeads)
          : `${info.layers} × ${info.heads}`,
      icon: 'layers',
    },
    { label: vscode.l10n.t('Width'), value: vscode.l10n.t('d_model {0}, context {1}', info.dModel, info.context), icon: 'symbol-ruler' },
    {
      label: vscode.l10n.t('Parameters'),
      value: formatCount(info.parameters),
      icon: 'symbol-number',
      tooltip: vscode.l10n.t('{0} parameters', info.parameters.toLocaleString('en-US')),
    },
    {
      label: vscode.l10n.t('Weights in memory'),
      value: vscode.l10n.t('{0}, taking {1} MB', info.weightsDtype, (info.weightsBytes / 1e6).toFixed(1)),
      icon: 'database',
      tooltip: vscode.l10n.t('F16 and BF16 weights stay 16-bit in memory (2 bytes each); {0} bytes', info.weightsBytes.toLocaleString('en-US')),
    },
    { label: vscode.l10n.t('Vocabulary'), value: vscode.l10n.t('{0} tokens', info.vocabSize.toLocaleString('en-US')), icon: 'symbol-key' },
    { label: vscode.l10n.t('Tokenizer'), value: info.tokenizer, icon: 'symbol-string' },
  ];
  if (info.trainedSteps !== null) {
    const steps =
      info.attentionMode === 'hard'
        ? vscode.l10n.t('{0} steps (hard attention)', info.trainedSteps)
        : vscode.l10n.t('{0} steps (soft attention)', info.trainedSteps);
    rows.push({ label: vscode.l10n.t('Trained'), value: steps, icon: 'pulse' });
  }
  if (hub)
    rows.push({
      label: vscode.l10n.t('Source'),
      value: `${hub.repo}@${hub.revision}`,
      icon: 'cloud',
      tooltip: vscode.l10n.t('Hugging Face Hub {0}, commit {1}', hub.baseUrl, hub.commit),
    });
  else
    rows.push({
      label: vscode.l10n.t('Source'),
      value: sourcePath ? path.basename(sourcePath) : info.source,
      icon: 'file',
      tooltip: sourcePath ?? info.source,
    });
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
