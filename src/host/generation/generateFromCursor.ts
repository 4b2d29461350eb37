/**
 * "Generate from Cursor": the active model continues the text before the cursor. The worker
 * generates (the host only moves messages and edits text); each token is written as it comes,
 * into the document at the cursor — all of it one undoable edit — or into a preview beside it
 * (a scratch document holding the text before the cursor, then the continuation). A progress
 * notification with Cancel (or "Stop Generating") stops it after the token in flight; the
 * tokens written so far stay. Each written token is remembered with its probability and the
 * model's alternatives (generatedTokens.ts) for the hover.
 */

import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseSettings, type GenerationTarget, type Settings } from '../../protocol/settings';
import type { CallProgress, CallReply } from '../../protocol/workerProtocol';
import type { ActiveModel } from '../activeModel';
import { readSettings } from '../config';
import { commandEditor } from '../commandEditor';
import type { EngineClient } from '../engineClient';
import type { Log } from '../log';
import { showError } from '../notifications';
import { GeneratedTokenHoverProvider } from './generatedHover';
import { GeneratedTokens, type TrackedPoint } from './generatedTokens';

/** Arguments a script, keybinding or test may pass instead of the settings. */
export interface GenerateArgs {
  readonly maxTokens?: number;
  readonly temperature?: number;
  readonly topP?: number;
  readonly into?: GenerationTarget;
  readonly seed?: number;
}

export interface GenerateOutcome {
  readonly reason: CallReply<'generate'>['reason'] | 'editor-closed' | 'read-only';
  readonly tokens: number;
  readonly into: 'document' | 'preview';
  readonly uri: string;
}

/** Characters before the cursor sent as the prompt, per token of context (the worker keeps the last tokens that fit). */
const PROMPT_CHARS_PER_CONTEXT_TOKEN = 32;
const MIN_PROMPT_CHARS = 4096;

export class CursorGeneration implements vscode.Disposable {
  readonly generated = new GeneratedTokens();
  private stopCurrent: (() => void) | null = null;

  constructor(
    private readonly client: EngineClient,
    private readonly model: ActiveModel,
    private readonly log: Log,
  ) {}

  get running(): boolean {
    return this.stopCurrent !== null;
  }

  /** Stops a running generation after the token in flight (what was written stays). */
  stop(): void {
    this.stopCurrent?.();
  }

  async run(args: GenerateArgs = {}): Promise<GenerateOutcome | undefined> {
    const info = this.model.info;
    if (!info) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Attention Lens: no model is active — train one or load a checkpoint first.'));
      return undefined;
    }
    if (!info.causal) {
      void vscode.window.showErrorMessage(
        vscode.l10n.t('Attention Lens: the active model ({0}) reads in both directions and cannot generate text.', info.architecture),
      );
      return undefined;
    }
    if (this.running) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Attention Lens: a generation is already running; stop it first.'));
      return undefined;
    }
    const editor = commandEditor();
    if (!editor) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Attention Lens: put the cursor in a text editor to generate from it.'));
      return undefined;
    }
    const options = withArgs(readSettings().generation, args);
    const into = options.into === 'ask' ? await pickTarget() : options.into;
    if (!into) return undefined;

    const source = editor.document;
    // A file system that cannot be written (a read-only mount, a git revision): say so before generating anything.
    if (into === 'document' && vscode.workspace.fs.isWritableFileSystem(source.uri.scheme) === false) {
      this.refuseReadOnly(source);
      return { reason: 'read-only', tokens: 0, into, uri: source.uri.toString() };
    }
    const cursor = source.offsetAt(editor.selection.active);
    const promptStart = Math.max(0, cursor - Math.max(MIN_PROMPT_CHARS, info.context * PROMPT_CHARS_PER_CONTEXT_TOKEN));
    const prompt = source.getText(new vscode.Range(source.positionAt(promptStart), source.positionAt(cursor)));
    const target =
      into === 'document'
        ? editor
        : await vscode.window.showTextDocument(await vscode.workspace.openTextDocument({ content: prompt, language: source.languageId }), {
            viewColumn: vscode.ViewColumn.Beside,
          });
    const doc = target.document;
    const point = this.generated.track(doc, into === 'document' ? cursor : doc.getText().length);
    void vscode.commands.executeCommand('setContext', 'attentionLens.generating', true);
    try {
      return await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Attention Lens: generating'), cancellable: true },
        async (progress, cancel) => {
          const writer = new TokenWriter(target, point, this.generated, (n) =>
            progress.report({ increment: 100 / options.maxTokens, message: vscode.l10n.t('{0} of at most {1} tokens', n, options.maxTokens) }),
          );
          const { id, reply } = this.client.send(
            {
              type: 'generate',
              prompt,
              maxTokens: options.maxTokens,
              temperature: options.temperature,
              topP: options.topP,
              seed: args.seed ?? freshSeed(),
              topK: 5,
            },
            (m) => writer.write(m, () => this.client.cancel(id)),
          );
          // Stopping also drops the tokens not written yet: the worker can be far ahead of the edits.
          this.stopCurrent = () => {
            writer.stop();
            this.client.cancel(id);
          };
          const sub = cancel.onCancellationRequested(() => this.stop());
          try {
            const done = await reply;
            await writer.finish();
            const reason = writer.readOnly ? 'read-only' : writer.editorClosed ? 'editor-closed' : writer.stopped ? 'cancelled' : done.reason;
            if (writer.readOnly) {
              this.refuseReadOnly(doc);
              return { reason, tokens: writer.count, into, uri: doc.uri.toString() };
            }
            if (writer.editorClosed) void vscode.window.showWarningMessage(vscode.l10n.t('Attention Lens: generation stopped: its editor was closed.'));
            else vscode.window.setStatusBarMessage(vscode.l10n.t('Attention Lens: generated {0} tokens ({1})', writer.count, describeEnd(reason)), 5000);
            this.log.info(`generated ${writer.count} tokens into ${doc.uri.toString()} (${reason}; prompt ${done.promptTokens} tokens)`);
            return { reason, tokens: writer.count, into, uri: doc.uri.toString() };
          } finally {
            sub.dispose();
          }
        },
      );
    } catch (e) {
      showError(this.log, vscode.l10n.t('generation failed: {0}', (e as Error).message), e);
      return undefined;
    } finally {
      this.stopCurrent = null;
      this.generated.release(doc, point);
      void vscode.commands.executeCommand('setContext', 'attentionLens.generating', false);
    }
  }

  /** Never "generated N tokens" into a document that took none of them. */
  private refuseReadOnly(doc: vscode.TextDocument): void {
    const name = path.basename(doc.uri.path) || doc.uri.toString();
    this.log.info(`not generating into ${doc.uri.toString()}: it is read-only`);
    void vscode.window.showWarningMessage(vscode.l10n.t('Attention Lens: {0} is read-only; nothing was inserted. Generate into a preview instead.', name));
  }

  dispose(): void {
    this.stop();
    this.generated.dispose();
  }
}

/**
 * Writes tokens in order (edits are asynchronous: each waits for the one before) at the tracked
 * point. Only the first edit opens an undo group; the rest join it, so one undo removes them all.
 */
class TokenWriter {
  count = 0;
  editorClosed = false;
  /** The editor accepted an edit and changed nothing: it is read-only (files.readonlyInclude, a locked file). */
  readOnly = false;
  /** Stopped by the user: tokens still to be written are dropped. */
  stopped = false;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly editor: vscode.TextEditor,
    private readonly point: TrackedPoint,
    private readonly generated: GeneratedTokens,
    private readonly reported: (count: number) => void,
  ) {}

  write(m: CallProgress<'generate'>, stopGenerating: () => void): void {
    this.chain = this.chain.then(async () => {
      if (this.editorClosed || this.readOnly || this.stopped || m.text.length === 0) return;
      const first = this.count === 0;
      const doc = this.editor.document;
      const version = doc.version;
      let ok = false;
      try {
        ok = await this.editor.edit((b) => b.insert(doc.positionAt(this.point.offset), m.text), { undoStopBefore: first, undoStopAfter: false });
      } catch {
        ok = false; // the editor was closed
      }
      if (!ok) {
        this.editorClosed = true;
        stopGenerating();
        return;
      }
      // A read-only editor reports the edit as applied and drops it (VS Code 1.100 has no readonly flag to ask first).
      if (doc.version === version) {
        this.readOnly = true;
        stopGenerating();
        return;
      }
      this.count++;
      // The tracked point moved past the insertion; the token ends there.
      this.generated.add(doc, {
        start: this.point.offset - m.text.length,
        end: this.point.offset,
        step: m.step,
        tokenId: m.tokenId,
        prob: m.prob,
        alternatives: m.alternatives,
      });
      this.reported(this.count);
    });
  }

  stop(): void {
    this.stopped = true;
  }

  /** Waits for the last edit and closes the undo group. */
  async finish(): Promise<void> {
    await this.chain;
    if (this.count > 0 && !this.editorClosed)
      await Promise.resolve(this.editor.edit(() => undefined, { undoStopBefore: false, undoStopAfter: true })).catch(() => false);
  }
}

function withArgs(settings: Settings['generation'], args: GenerateArgs): Settings['generation'] {
  // Arguments go through the settings parser: out-of-range values are clamped, wrong types ignored.
  return parseSettings({ generation: { ...settings, ...args } }).generation;
}

async function pickTarget(): Promise<'document' | 'preview' | undefined> {
  const items: (vscode.QuickPickItem & { value: 'document' | 'preview' })[] = [
    { label: vscode.l10n.t('Into the document'), detail: vscode.l10n.t('Insert at the cursor as one undoable edit'), value: 'document' },
    {
      label: vscode.l10n.t('Into a preview'),
      detail: vscode.l10n.t('A scratch document beside this one: the text before the cursor, then the continuation'),
      value: 'preview',
    },
  ];
  return (await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Attention Lens: generate where?') }))?.value;
}

function describeEnd(reason: GenerateOutcome['reason']): string {
  switch (reason) {
    case 'editor-closed':
      return vscode.l10n.t('its editor was closed');
    case 'read-only':
      return vscode.l10n.t('the document is read-only');
    case 'length':
      return vscode.l10n.t('the maximum number of tokens');
    case 'stop-token':
      return vscode.l10n.t('the model ended the text');
    case 'context':
      return vscode.l10n.t("the model's context is full");
    case 'cancelled':
      return vscode.l10n.t('stopped');
  }
}

/** A different sample each run (Math.random is kept out of anything that must be reproducible; this is a user's fresh draw). */
function freshSeed(): number {
  return (Date.now() % 2 ** 32) >>> 0;
}

/** The commands and the hover of Generate from Cursor. */
export function registerGeneration(generation: CursorGeneration): vscode.Disposable[] {
  return [
    generation,
    vscode.commands.registerCommand('attentionLens.generateFromCursor', (args?: GenerateArgs) => generation.run(isObject(args) ? args : {})),
    vscode.commands.registerCommand('attentionLens.stopGenerating', () => generation.stop()),
    vscode.languages.registerHoverProvider({ scheme: '*' }, new GeneratedTokenHoverProvider(generation.generated)),
  ];
}

function isObject(v: unknown): v is GenerateArgs {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
