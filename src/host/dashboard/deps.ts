/**
 * What the dashboard panel is given by the composition root: the stores it shows and the
 * actions a click in it may trigger. Kept in its own file so the panel and the rest of the
 * host agree on one shape.
 */

import type * as vscode from 'vscode';
import type { ActiveModel } from '../activeModel';
import type { AttentionHighlighter } from '../attentionHighlighter';
import type { AttentionService } from '../attentionService';
import type { EngineClient } from '../engineClient';
import type { Log } from '../log';
import type { RunHistory } from '../runHistory';
import type { RunSnapshotStore } from '../runSnapshots';
import type { TrainingRun } from '../trainingRun';
import type { ViewState } from '../viewState';

export interface DashboardDeps {
  readonly extensionUri: vscode.Uri;
  readonly log: Log;
  readonly client: EngineClient;
  readonly run: TrainingRun;
  readonly model: ActiveModel;
  readonly view: ViewState;
  readonly highlighter: AttentionHighlighter;
  readonly attention: AttentionService;
  /** Workspace-scoped storage for the panel's persisted state. */
  readonly memento: vscode.Memento;
  /** The runs kept in this workspace, compared on the loss panel. */
  readonly runs: RunHistory;
  /** The shown run's head snapshots and the step the scrubber is on (absent: no scrubber). */
  readonly snapshots?: RunSnapshotStore;
}
