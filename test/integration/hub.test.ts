/**
 * Models from the Hugging Face Hub inside VS Code: with `attentionLens.hub.url` pointed at a
 * local hub (test/helpers/localHub.ts) serving the tiny GPT-2 fixture, "Open Model from Hugging
 * Face…" downloads it into the extension's global storage and makes it the active model (whose
 * shape is the fixture's config); "Manage Models…" lists it with its size and deletes it.
 */

import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { AttentionLensApi } from '../../src/host/extension';
import type { CachedModel } from '../../src/host/hub/modelCache';
import { LocalHub, repoFromFolder } from '../helpers/localHub';
import { activeExtension, fixturesDir } from '../helpers/vscodeTest';

const REPO = 'hf-internal-testing/tiny-random-gpt2';

describe('Open Model from Hugging Face (local hub)', function () {
  this.timeout(120_000);
  let hub: LocalHub | undefined;

  before(async function () {
    const dir = fixturesDir();
    if (!dir) this.skip();
    hub = await LocalHub.start();
    hub.repos.set(REPO, repoFromFolder(path.join(dir, 'tiny_random_gpt2')));
    await vscode.workspace.getConfiguration('attentionLens').update('hub.url', hub.url, vscode.ConfigurationTarget.Global);
  });

  after(async () => {
    await vscode.workspace.getConfiguration('attentionLens').update('hub.url', undefined, vscode.ConfigurationTarget.Global);
    await hub?.close();
  });

  it('downloads the model into global storage, loads it, and Manage Models lists and deletes it', async () => {
    const api = (await activeExtension()).exports as AttentionLensApi;
    const loaded = await vscode.commands.executeCommand<boolean>('attentionLens.openFromHub', { repo: REPO });
    assert.equal(loaded, true);
    const config = JSON.parse(fs.readFileSync(path.join(fixturesDir()!, 'tiny_random_gpt2', 'config.json'), 'utf8')) as { n_layer: number; n_head: number };
    assert.equal(api.model.info?.layers, config.n_layer);
    assert.equal(api.model.info?.heads, config.n_head);
    const source = api.model.source?.path ?? '';
    assert.match(source.split(path.sep).join('/'), /\/hub\/hf-internal-testing--tiny-random-gpt2\/[0-9a-f]{40}$/);
    assert.ok(
      hub!.requests.some((r) => r.path.startsWith('/cdn/')),
      'the weights came from the local hub',
    );

    const listed = await vscode.commands.executeCommand<CachedModel[]>('attentionLens.manageModels', { delete: '/nonexistent' }).then(
      () => assert.fail('a folder outside the cache must be refused'),
      (e: Error) => e,
    );
    assert.match(String(listed), /not a model folder of the cache/);
    const after = await vscode.commands.executeCommand<CachedModel[]>('attentionLens.manageModels', { delete: source });
    assert.deepEqual(after, []);
    assert.ok(!fs.existsSync(source));
  });
});
