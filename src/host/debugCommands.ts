/**
 * The debugging commands ("Attention Lens: …"): which highlights the editor shows (attention,
 * value-weighted attention, integrated gradients, gradient × input), ablating chosen heads and
 * restoring them, and pinning the query token. Like every command, each takes its choice as an
 * argument too, so keybindings, the dashboard and tests run it without a dialog.
 */

import * as vscode from 'vscode';
import type { HighlightMode, Weighting } from '../protocol/settings';
import type { HeadAddress } from '../protocol/workerProtocol';
import type { AblationOverlay } from './ablationOverlay';
import type { AttentionHighlighter } from './attentionHighlighter';
import { updateSetting } from './config';
import type { ViewState } from './viewState';

export interface DebugCommandDeps {
  readonly ablation: AblationOverlay;
  readonly highlighter: AttentionHighlighter;
  readonly view: ViewState;
}

/** The highlight choices: a mode, and for attention its weighting. */
export type HighlightChoice = 'attention' | 'valueWeighted' | 'integratedGradients' | 'gradientTimesInput';

// A function, not a constant: vscode.l10n answers in the display language only once the extension is activating.
const choices = (): readonly { value: HighlightChoice; label: string; detail: string; mode: HighlightMode; weighting: Weighting | null }[] => [
  {
    value: 'attention',
    label: vscode.l10n.t('Attention'),
    detail: vscode.l10n.t('The attention weights α of the query'),
    mode: 'attention',
    weighting: 'attention',
  },
  {
    value: 'valueWeighted',
    label: vscode.l10n.t('Value-weighted attention ‖α·v‖'),
    detail: vscode.l10n.t('Each weight times the size of what that key adds (Kobayashi et al. 2020): sinks with tiny values fade'),
    mode: 'attention',
    weighting: 'valueWeighted',
  },
  {
    value: 'integratedGradients',
    label: vscode.l10n.t('Integrated gradients'),
    detail: vscode.l10n.t('Which earlier tokens the prediction at the query rests on (64 steps from a zero-embedding baseline)'),
    mode: 'integratedGradients',
    weighting: null,
  },
  {
    value: 'gradientTimesInput',
    label: vscode.l10n.t('Gradient × input'),
    detail: vscode.l10n.t('The first-order attribution of the prediction at the query (one backward pass)'),
    mode: 'gradientTimesInput',
    weighting: null,
  },
];

export function registerDebugCommands(d: DebugCommandDeps): vscode.Disposable[] {
  const reg = (id: string, fn: (...args: never[]) => unknown): vscode.Disposable => vscode.commands.registerCommand(`attentionLens.${id}`, fn);
  return [
    reg('setHighlightMode', (value?: HighlightChoice) => setHighlightMode(value)),
    reg('ablateHeads', (args?: { heads?: unknown; mode?: unknown }) => ablateHeads(d, args)),
    reg('clearAblation', () => d.ablation.clear()),
    reg('pinQuery', () => {
      if (!d.highlighter.pin())
        void vscode.window.showInformationMessage(vscode.l10n.t('Attention Lens: there is no query to pin — put the cursor on a token first.'));
    }),
    reg('unpinQuery', () => d.highlighter.unpin()),
  ];
}

async function setHighlightMode(value?: HighlightChoice): Promise<void> {
  const all = choices();
  const chosen =
    all.find((c) => c.value === value) ??
    (await vscode.window.showQuickPick(
      all.map((c) => ({ ...c, description: undefined })),
      { title: vscode.l10n.t('Attention Lens: what the editor highlights for the query') },
    ));
  if (!chosen) return;
  await updateSetting('attention.highlight', chosen.mode);
  if (chosen.weighting) await updateSetting('attention.weighting', chosen.weighting);
}

/** Heads from a command argument: [{layer, head}, …] of non-negative integers, or null when it is not that. */
function headsOf(raw: unknown): HeadAddress[] | null {
  if (!Array.isArray(raw)) return null;
  const out: HeadAddress[] = [];
  for (const h of raw) {
    const layer = (h as { layer?: unknown } | null)?.layer;
    const head = (h as { head?: unknown } | null)?.head;
    if (!Number.isInteger(layer) || !Number.isInteger(head) || (layer as number) < 0 || (head as number) < 0) return null;
    out.push({ layer: layer as number, head: head as number });
  }
  return out;
}

async function ablateHeads(d: DebugCommandDeps, args?: { heads?: unknown; mode?: unknown }): Promise<void> {
  const mode = args?.mode === 'mean' ? 'mean' : 'zero';
  let heads = headsOf(args?.heads);
  if (!heads) {
    const current = d.ablation.ablation?.heads ?? [d.view.selection];
    const items: (vscode.QuickPickItem & HeadAddress)[] = [];
    for (let layer = 0; layer < d.view.layers; layer++)
      for (let head = 0; head < d.view.heads; head++)
        items.push({
          label: vscode.l10n.t('Layer {0} · Head {1}', layer, head),
          layer,
          head,
          picked: current.some((h) => h.layer === layer && h.head === head),
        });
    const picked = await vscode.window.showQuickPick(items, {
      title: vscode.l10n.t('Attention Lens: switch off which heads? (the editor then shows how each token’s surprisal changes)'),
      canPickMany: true,
    });
    if (!picked) return;
    heads = picked.map(({ layer, head }) => ({ layer, head }));
  }
  if (heads.length === 0) d.ablation.clear();
  else d.ablation.ablate(heads, mode);
}
