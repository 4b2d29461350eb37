/**
 * "Open Model from Hugging Face…" and "Manage Models…". The download itself runs in the worker
 * (src/node/hub through the `hubDownload` call); here are the picker (curated models, cached
 * ones, or a typed id), the progress notification (bytes, rate, Cancel), what happens offline
 * (say so, offer the cache), loading the result, and listing and deleting the cache.
 * Both commands take arguments instead of dialogs for scripts and tests.
 */

import * as path from 'node:path';
import * as vscode from 'vscode';
import { CURATED_MODELS, formatBytes, parseHubUrl, parseRepoRef, type CuratedModel, type HubDownloadResult } from '../../protocol/hubModels';
import type { ActiveModel } from '../activeModel';
import { CONFIG_SECTION } from '../config';
import type { EngineClient } from '../engineClient';
import type { Log } from '../log';
import { showError } from '../notifications';
import { loadWithProgress } from '../loadProgress';
import { typedModelId } from '../../presentation/typedModelId';
import { deleteCachedModel, listCachedModels, loadSourceOf, type CachedModel } from './modelCache';
import { showLoaded } from '../loadedMessage';

export interface HubDeps {
  readonly client: EngineClient;
  readonly model: ActiveModel;
  readonly log: Log;
  /** Absolute folder of the cache (in the extension's global storage). */
  readonly cacheDir: string;
}

/** What `openFromHub` accepts instead of the picker: "owner/name[@revision]" or this. */
export interface OpenFromHubArgs {
  readonly repo: string;
  readonly revision?: string;
}

type Pick = vscode.QuickPickItem & { readonly run: () => Promise<boolean> };

export function registerHubCommands(d: HubDeps): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('attentionLens.openFromHub', (args?: OpenFromHubArgs | string) => openFromHub(d, args)),
    vscode.commands.registerCommand('attentionLens.manageModels', (args?: { readonly delete?: string }) => manageModels(d, args)),
  ];
}

async function openFromHub(d: HubDeps, args: OpenFromHubArgs | string | undefined): Promise<boolean> {
  if (typeof args === 'string' || (typeof args === 'object' && args !== null && typeof args.repo === 'string')) {
    const text = typeof args === 'string' ? args : `${args.repo}${args.revision ? `@${args.revision}` : ''}`;
    const curated = CURATED_MODELS.find((m) => m.repo === text);
    return download(d, text, curated);
  }
  const cached = (await listCachedModels(d.cacheDir)).filter((m) => m.manifest);
  const qp = vscode.window.createQuickPick<Pick>();
  qp.title = vscode.l10n.t('Attention Lens: open a model from Hugging Face');
  qp.placeholder = vscode.l10n.t('Type a model id (owner/name or owner/name@revision), or pick one');
  const fixed: Pick[] = [
    ...(cached.length ? [{ label: vscode.l10n.t('Downloaded'), kind: vscode.QuickPickItemKind.Separator, run: async () => false }] : []),
    ...cached.map((m) => ({ label: `$(check) ${m.repo}`, description: `${m.manifest!.revision} · ${formatBytes(m.bytes)}`, run: () => loadCached(d, m) })),
    { label: vscode.l10n.t('Models the engine reads'), kind: vscode.QuickPickItemKind.Separator, run: async () => false },
    ...CURATED_MODELS.map((m) => ({ label: `$(cloud-download) ${m.label}`, description: m.repo, detail: m.detail, run: () => download(d, m.repo, m) })),
  ];
  qp.items = fixed;
  // The curated ids are in the description, so typing "gpt2" or an owner/name must match there too.
  qp.matchOnDescription = true;
  qp.matchOnDetail = true;
  const listed = [...cached.map((m) => m.repo), ...CURATED_MODELS.map((m) => m.repo)];
  qp.onDidChangeValue((v) => {
    const id = typedModelId(v, listed);
    const typed: Pick[] = id
      ? [
          {
            label: `$(cloud-download) ${vscode.l10n.t('Download {0}', id)}`,
            description: vscode.l10n.t('download from the hub'),
            alwaysShow: true,
            run: () =>
              download(
                d,
                id,
                CURATED_MODELS.find((m) => m.repo === id),
              ),
          },
        ]
      : [];
    qp.items = [...typed, ...fixed];
  });
  const chosen = await new Promise<Pick | undefined>((resolve) => {
    qp.onDidAccept(() => resolve(qp.selectedItems[0]));
    qp.onDidHide(() => resolve(undefined));
    qp.show();
  });
  qp.dispose();
  return chosen ? chosen.run() : false;
}

/** The setting as written: a URL the settings parser would replace by the default is refused here, not silently swapped. */
function hubUrl(): string {
  const url = parseHubUrl(vscode.workspace.getConfiguration(CONFIG_SECTION).get('hub.url'));
  if (typeof url !== 'string') throw new Error(url.error);
  return url;
}

async function download(d: HubDeps, text: string, curated: CuratedModel | undefined): Promise<boolean> {
  const ref = parseRepoRef(text);
  if (typeof ref === 'string') {
    void vscode.window.showErrorMessage(vscode.l10n.t('Attention Lens: {0}', ref));
    return false;
  }
  let baseUrl: string;
  try {
    baseUrl = hubUrl();
  } catch (e) {
    void vscode.window.showErrorMessage(vscode.l10n.t('Attention Lens: {0}', (e as Error).message));
    return false;
  }
  let result: HubDownloadResult;
  try {
    result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Attention Lens: {0}', ref.repo), cancellable: true },
      async (progress, token) => {
        let reported = 0;
        const { id, reply } = d.client.send(
          {
            type: 'hubDownload',
            baseUrl,
            repo: ref.repo,
            revision: ref.revision,
            cacheDir: d.cacheDir,
            token: process.env.HF_TOKEN || null,
            files: curated?.files ?? null,
            loadPath: curated?.load?.path ?? null,
            tokenizerPath: curated?.load?.tokenizerPath ?? null,
          },
          (p) => {
            const fraction = p.total > 0 ? (100 * p.done) / p.total : 0;
            const what =
              p.phase === 'listing'
                ? vscode.l10n.t('asking the hub for its files…')
                : p.phase === 'config'
                  ? vscode.l10n.t('checking config.json…')
                  : p.phase === 'verify'
                    ? vscode.l10n.t('verified')
                    : p.bytesPerSecond > 0
                      ? vscode.l10n.t(
                          '{0} {1} of {2}, {3}/s',
                          p.file ?? '',
                          formatBytes(p.done),
                          formatBytes(p.total),
                          formatBytes(Math.round(p.bytesPerSecond)),
                        )
                      : vscode.l10n.t('{0} {1} of {2}', p.file ?? '', formatBytes(p.done), formatBytes(p.total));
            progress.report({ message: what, increment: Math.max(0, fraction - reported) });
            reported = Math.max(reported, fraction);
          },
        );
        token.onCancellationRequested(() => d.client.cancel(id));
        return reply;
      },
    );
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 'cancelled') {
      void vscode.window.showInformationMessage(
        vscode.l10n.t('Attention Lens: the download of {0} was cancelled; opening it again continues where it stopped.', ref.repo),
      );
    } else if (code === 'offline') {
      await offerCache(d, (e as Error).message);
    } else {
      showError(d.log, (e as Error).message, e);
    }
    return false;
  }
  d.log.info(`${ref.repo}@${ref.revision} (commit ${result.commit}) is in ${result.folder}; ${result.fetchedBytes} bytes fetched`);
  return loadInto(d, { path: result.loadPath, tokenizerPath: result.tokenizerPath }, ref.repo);
}

async function offerCache(d: HubDeps, reason: string): Promise<void> {
  d.log.warn(reason);
  const cached = (await listCachedModels(d.cacheDir)).filter((m) => m.manifest);
  const message = cached.length
    ? vscode.l10n.t('Attention Lens: you seem to be offline — {0}. Models downloaded before are still here.', reason)
    : vscode.l10n.t('Attention Lens: you seem to be offline — {0}.', reason);
  const choice = await vscode.window.showWarningMessage(message, ...(cached.length ? [vscode.l10n.t('Open a Downloaded Model…')] : []));
  if (!choice) return;
  const pick = await vscode.window.showQuickPick(
    cached.map((m) => ({ label: m.repo, description: `${m.manifest!.revision} · ${formatBytes(m.bytes)}`, m })),
    { title: vscode.l10n.t('Attention Lens: open a downloaded model') },
  );
  if (pick) await loadCached(d, pick.m);
}

function loadCached(d: HubDeps, m: CachedModel): Promise<boolean> {
  const source = loadSourceOf(m);
  return source ? loadInto(d, source, m.repo) : Promise.resolve(false);
}

async function loadInto(d: HubDeps, source: { path: string; tokenizerPath: string | null }, name: string): Promise<boolean> {
  try {
    const info = await loadWithProgress(name, (watch) => d.model.load(source, watch), d.model.info !== null);
    if (!info) return false;
    showLoaded(name, info);
    return true;
  } catch (e) {
    showError(d.log, vscode.l10n.t('could not load {0} from {1}: {2}', name, source.path, (e as Error).message), e);
    return false;
  }
}

/** Lists the cache (sizes, incomplete downloads) and deletes what the user picks; resolves with what is left. */
async function manageModels(d: HubDeps, args: { readonly delete?: string } | undefined): Promise<CachedModel[]> {
  if (args && typeof args.delete === 'string') {
    await deleteCachedModel(d.cacheDir, args.delete);
    return listCachedModels(d.cacheDir);
  }
  for (;;) {
    const models = await listCachedModels(d.cacheDir);
    if (models.length === 0) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Attention Lens: no models are downloaded. "Open Model from Hugging Face…" brings one.'));
      return models;
    }
    const total = models.reduce((a, m) => a + m.bytes, 0);
    const trash = { iconPath: new vscode.ThemeIcon('trash'), tooltip: vscode.l10n.t('Delete') };
    const qp = vscode.window.createQuickPick<vscode.QuickPickItem & { m: CachedModel }>();
    qp.title = vscode.l10n.t('Attention Lens: downloaded models ({0} in {1})', formatBytes(total), d.cacheDir);
    qp.placeholder = vscode.l10n.t('Pick one to open it; the trash button deletes it');
    qp.items = models.map((m) => ({
      label: m.repo,
      description: `${formatBytes(m.bytes)} · ${m.manifest ? `${m.manifest.revision} (${m.commit.slice(0, 8)})` : vscode.l10n.t('interrupted download ({0}), resumes when opened again', m.commit.slice(0, 8))}`,
      detail: m.folder,
      buttons: [trash],
      m,
    }));
    const pick = await new Promise<{ m: CachedModel; action: 'open' | 'delete' } | undefined>((resolve) => {
      qp.onDidTriggerItemButton((e) => resolve({ m: e.item.m, action: 'delete' }));
      qp.onDidAccept(() => resolve(qp.selectedItems[0] ? { m: qp.selectedItems[0].m, action: 'open' } : undefined));
      qp.onDidHide(() => resolve(undefined));
      qp.show();
    });
    qp.dispose();
    if (!pick) return listCachedModels(d.cacheDir);
    if (pick.action === 'open') {
      if (pick.m.manifest) await loadCached(d, pick.m);
      else
        await download(
          d,
          pick.m.repo,
          CURATED_MODELS.find((c) => c.repo === pick.m.repo),
        );
      return listCachedModels(d.cacheDir);
    }
    const ok = await vscode.window.showWarningMessage(
      vscode.l10n.t('Delete {0} ({1}) from {2}?', pick.m.repo, formatBytes(pick.m.bytes), path.dirname(pick.m.folder)),
      { modal: true },
      vscode.l10n.t('Delete'),
    );
    if (ok) await deleteCachedModel(d.cacheDir, pick.m.folder);
  }
}
