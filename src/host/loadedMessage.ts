/**
 * The message after a model loads (Load Checkpoint…, a Hugging Face model, the sidebar): what it
 * is and what to do next. A model without a tokenizer (token ids only) loads, but the editor
 * cannot read text with it; it says so then, as a warning, instead of a cursor that does nothing.
 */

import * as vscode from 'vscode';
import type { ModelInfo } from '../protocol/common';

export function showLoaded(name: string, info: ModelInfo): void {
  if (info.readsText) {
    void vscode.window.showInformationMessage(
      vscode.l10n.t('Attention Lens: loaded {0} ({1}, {2}×{3} heads). Move the cursor to see attention.', name, info.architecture, info.layers, info.heads),
    );
    return;
  }
  void vscode.window.showWarningMessage(
    vscode.l10n.t(
      'Attention Lens: loaded {0} ({1}, {2}×{3} heads), but it has no tokenizer, so it cannot read the text in the editor. Load a model folder that includes tokenizer.json (the CLI takes token ids: --ids).',
      name,
      info.architecture,
      info.layers,
      info.heads,
    ),
  );
}
