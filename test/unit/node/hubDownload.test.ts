/**
 * The Hugging Face Hub downloader against a local hub (test/helpers/localHub.ts) serving the
 * shared fixtures with the hub's layout, redirects, ETags and ranges: what arrives is the
 * fixture byte for byte and loads; an unsupported architecture or pickle-only weights are
 * refused before any weight is requested; a dropped connection resumes with a Range request;
 * a wrong hash, a 404, a gated model, no network and a cancel on a slow server each end with
 * their own error and leave nothing that could be loaded (no manifest, no renamed file).
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadModel } from '../../../src/node/loadModel';
import { downloadHubModel, type HubDownloadOptions } from '../../../src/node/hub/hubDownload';
import { HubError, type HubErrorKind } from '../../../src/node/hub/hubHttp';
import { MANIFEST_NAME, parseManifest, type HubDownloadProgress } from '../../../src/protocol/hubModels';
import { FIXTURES_DIR, requireFixture } from '../../helpers/fixtures';
import { LocalHub, repoFromFolder } from '../../helpers/localHub';

const GPT2 = 'hf-internal-testing/tiny-random-gpt2';

describe('Hugging Face Hub downloads (local hub)', function () {
  this.timeout(60_000);
  let hub: LocalHub;
  let cache: string;

  beforeEach(async function () {
    requireFixture(this, 'tiny_random_gpt2', 'model.safetensors');
    hub = await LocalHub.start();
    hub.repos.set(GPT2, repoFromFolder(path.join(FIXTURES_DIR, 'tiny_random_gpt2')));
    cache = fs.mkdtempSync(path.join(os.tmpdir(), 'al-hub-'));
  });

  afterEach(async () => {
    await hub?.close();
    fs.rmSync(cache, { recursive: true, force: true });
  });

  const options = (over: Partial<HubDownloadOptions> = {}): HubDownloadOptions => ({
    baseUrl: hub.url,
    repo: GPT2,
    revision: 'main',
    cacheDir: cache,
    token: null,
    files: null,
    loadPath: null,
    tokenizerPath: null,
    signal: new AbortController().signal,
    ...over,
  });

  async function rejectsWith(p: Promise<unknown>, kind: HubErrorKind, message: RegExp): Promise<void> {
    await assert.rejects(p, (e: unknown) => {
      assert.ok(e instanceof HubError, `expected a HubError, got ${String(e)}`);
      assert.equal(e.kind, kind, e.message);
      assert.match(e.message, message);
      return true;
    });
  }

  /** Every file anywhere under the cache (relative paths). */
  function cached(): string[] {
    return (fs.readdirSync(cache, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(cache, f)).isFile()).sort();
  }

  const weightRequests = (): number => hub.requests.filter((r) => r.path.endsWith('model.safetensors') || r.path.startsWith('/cdn/')).length;

  it('downloads a model folder byte for byte, config.json first, with progress, and it loads', async () => {
    const seen: HubDownloadProgress[] = [];
    const result = await downloadHubModel(options({ onProgress: (p) => seen.push(p) }));
    const fixture = path.join(FIXTURES_DIR, 'tiny_random_gpt2');
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'vocab.json', 'merges.txt', 'tokenizer_config.json']) {
      assert.ok(fs.readFileSync(path.join(result.folder, f)).equals(fs.readFileSync(path.join(fixture, f))), `${f} differs from the fixture`);
    }
    // Only what a model needs: no reference outputs or READMEs of the repository.
    assert.ok(!fs.existsSync(path.join(result.folder, 'reference_encodings.json')));
    assert.ok(!cached().some((f) => f.endsWith('.part')));
    const paths = hub.requests.map((r) => r.path);
    assert.match(paths[0]!, /^\/api\/models\/hf-internal-testing\/tiny-random-gpt2\/revision\/main$/);
    assert.ok(paths.findIndex((p) => p.endsWith('/config.json')) < paths.findIndex((p) => p.endsWith('/model.safetensors')), paths.join('\n'));
    // Pinned to the commit the listing named, so a moving branch cannot mix versions.
    assert.ok(paths.filter((p) => p.includes('/resolve/')).every((p) => p.includes(`/resolve/${result.commit}/`)));
    const manifest = parseManifest(JSON.parse(fs.readFileSync(path.join(result.folder, MANIFEST_NAME), 'utf8')));
    assert.equal(manifest?.architecture, 'gpt2');
    const total = manifest!.files.reduce((a, f) => a + f.size, 0);
    const last = seen.at(-1)!;
    assert.equal(last.total, total);
    assert.equal(last.done, total, 'progress reached the total');
    assert.equal(result.fetchedBytes, total);

    const loaded = await loadModel(result.loadPath);
    assert.equal(loaded.model.config.nLayers, 5);
    assert.deepEqual(loaded.tokenizer.encode('hello world').ids.length > 0, true);

    // A second open is served from the cache: the listing only.
    hub.requests.length = 0;
    const again = await downloadHubModel(options());
    assert.equal(again.fetchedBytes, 0);
    assert.deepEqual(
      hub.requests.map((r) => r.path),
      [`/api/models/${GPT2}/revision/main`],
    );
  });

  it('refuses an unsupported architecture, and pickle-only weights, before any weight is requested', async () => {
    hub.repos.set('someone/mamba', repoFromFolder(path.join(FIXTURES_DIR, 'tiny_random_gpt2'), { 'config.json': Buffer.from('{"model_type": "mamba"}') }));
    await rejectsWith(downloadHubModel(options({ repo: 'someone/mamba' })), 'unsupported', /model_type string "mamba" is not supported/);
    const pickle = repoFromFolder(path.join(FIXTURES_DIR, 'tiny_random_gpt2'), { 'pytorch_model.bin': Buffer.alloc(1000) });
    pickle.files.delete('model.safetensors');
    hub.repos.set('someone/pickled', pickle);
    await rejectsWith(downloadHubModel(options({ repo: 'someone/pickled' })), 'unsupported', /only PyTorch pickle weights \(pytorch_model\.bin\)/);
    assert.equal(weightRequests(), 0);
    assert.ok(!cached().some((f) => f.endsWith(MANIFEST_NAME)));
  });

  it('resumes a file after a dropped connection with a Range request, and verifies the whole', async () => {
    const size = fs.statSync(path.join(FIXTURES_DIR, 'tiny_random_gpt2', 'model.safetensors')).size;
    const cut = Math.floor(size / 3);
    hub.faults.dropAfter = new Map([['model.safetensors', cut]]);
    // Without retries the interruption surfaces, leaving only the part file.
    await rejectsWith(downloadHubModel(options({ retries: 0 })), 'interrupted', /model\.safetensors/);
    const parts = cached().filter((f) => f.endsWith('model.safetensors.part'));
    assert.equal(parts.length, 1);
    const have = fs.statSync(path.join(cache, parts[0]!)).size;
    assert.ok(have > 0 && have <= cut, `${have} bytes kept of the ${cut} sent`);
    assert.ok(!cached().some((f) => f.endsWith(MANIFEST_NAME) || f.endsWith('model.safetensors')));

    const result = await downloadHubModel(options());
    assert.ok(
      hub.requests.some((r) => r.path.startsWith('/cdn/') && r.range === `bytes=${have}-`),
      'the second attempt asked for the rest only',
    );
    assert.equal(result.fetchedBytes, size - have, 'only the missing bytes were fetched (the small files were already verified and kept)');
    assert.ok(
      fs.readFileSync(path.join(result.folder, 'model.safetensors')).equals(fs.readFileSync(path.join(FIXTURES_DIR, 'tiny_random_gpt2', 'model.safetensors'))),
    );
  });

  it('retries a dropped connection by itself from where it stopped', async () => {
    hub.faults.dropAfter = new Map([['model.safetensors', 100_000]]);
    const result = await downloadHubModel(options());
    assert.ok(hub.requests.some((r) => r.path.startsWith('/cdn/') && r.range !== null && r.range.startsWith('bytes=')));
    await loadModel(result.loadPath);
  });

  it('discards a file whose bytes do not match the published hash', async () => {
    hub.faults.corrupt = new Set(['model.safetensors']);
    await rejectsWith(downloadHubModel(options()), 'hash', /model\.safetensors: the downloaded bytes have sha256 [0-9a-f]{64}, the hub published [0-9a-f]{64}/);
    assert.ok(!cached().some((f) => f.includes('model.safetensors') || f.endsWith(MANIFEST_NAME)), cached().join(', '));
    // A small file kept in git is checked against its blob sha1 the same way.
    fs.rmSync(cache, { recursive: true, force: true });
    hub.faults.corrupt = new Set(['tokenizer.json']);
    await rejectsWith(downloadHubModel(options()), 'hash', /tokenizer\.json: the downloaded bytes have git-sha1/);
  });

  it('says which thing is missing (404), gated (401) or unreachable', async () => {
    await rejectsWith(downloadHubModel(options({ revision: 'no-such-branch' })), 'not-found', /no such revision.*RevisionNotFound/);
    await rejectsWith(downloadHubModel(options({ repo: 'nobody/nothing' })), 'not-found', /no such model/);
    const gated = repoFromFolder(path.join(FIXTURES_DIR, 'tiny_random_gpt2'));
    hub.repos.set('meta-llama/gated', { ...gated, gated: true });
    await rejectsWith(downloadHubModel(options({ repo: 'meta-llama/gated' })), 'gated', /gated or private \(HTTP 401\).*HF_TOKEN.*restricted/);
    assert.ok(!cached().some((f) => f.endsWith(MANIFEST_NAME)));
    // With a token it downloads, and the token went with the hub's requests.
    await downloadHubModel(options({ repo: 'meta-llama/gated', token: 'hf_test' }));
    assert.ok(hub.requests.some((r) => r.path.includes('/resolve/') && r.authorization === 'Bearer hf_test'));
    const closed = await LocalHub.start();
    const offline = closed.url;
    await closed.close();
    await rejectsWith(downloadHubModel(options({ baseUrl: offline })), 'offline', /cannot reach the Hugging Face Hub.*ECONNREFUSED/);
  });

  it('cancels on a slow server, keeping the part for later and nothing loadable', async () => {
    hub.faults.slowMs = 20;
    const controller = new AbortController();
    const p = downloadHubModel(
      options({
        signal: controller.signal,
        onProgress: (pr) => {
          if (pr.file === 'model.safetensors' && pr.done > 0) controller.abort();
        },
      }),
    );
    await rejectsWith(p, 'cancelled', /cancelled/);
    const part = cached().find((f) => f.endsWith('model.safetensors.part'));
    assert.ok(part, cached().join(', '));
    assert.ok(fs.statSync(path.join(cache, part)).size < fs.statSync(path.join(FIXTURES_DIR, 'tiny_random_gpt2', 'model.safetensors')).size);
    assert.ok(!cached().some((f) => f.endsWith(MANIFEST_NAME) || f.endsWith('/model.safetensors')));
  });

  it('fetches every shard a sharded index names', async () => {
    const repo = repoFromFolder(path.join(FIXTURES_DIR, 'tiny_random_gpt2'));
    const a = fs.readFileSync(path.join(FIXTURES_DIR, 'tiny_qwen2', 'model.safetensors'));
    const b = fs.readFileSync(path.join(FIXTURES_DIR, 'tiny_gptneox', 'model.safetensors'));
    repo.files.delete('model.safetensors');
    repo.files.set('model-00001-of-00002.safetensors', a);
    repo.files.set('model-00002-of-00002.safetensors', b);
    repo.files.set(
      'model.safetensors.index.json',
      Buffer.from(JSON.stringify({ weight_map: { x: 'model-00001-of-00002.safetensors', y: 'model-00002-of-00002.safetensors' } })),
    );
    hub.repos.set('someone/sharded', repo);
    const result = await downloadHubModel(options({ repo: 'someone/sharded' }));
    assert.ok(fs.readFileSync(path.join(result.folder, 'model-00001-of-00002.safetensors')).equals(a));
    assert.ok(fs.readFileSync(path.join(result.folder, 'model-00002-of-00002.safetensors')).equals(b));
    repo.files.set('model.safetensors.index.json', Buffer.from(JSON.stringify({ weight_map: { x: '../escape.safetensors' } })));
    repo.files.set('x', Buffer.alloc(0));
    hub.repos.set('someone/escape', { ...repo, commit: 'f'.repeat(40) });
    await rejectsWith(downloadHubModel(options({ repo: 'someone/escape' })), 'unsupported', /names the shard "\.\.\/escape\.safetensors"/);
  });

  it('downloads the named files of a llama2.c repository, which load with their tokenizer', async function () {
    requireFixture(this, 'stories260K', 'stories260K.bin');
    const repo = repoFromFolder(path.join(FIXTURES_DIR, 'stories260K'));
    const files = new Map([...repo.files].map(([k, v]) => [`stories260K/${k}`, v]));
    hub.repos.set('karpathy/tinyllamas', { files, commit: 'a'.repeat(40) });
    const result = await downloadHubModel(
      options({
        repo: 'karpathy/tinyllamas',
        files: ['stories260K/stories260K.bin', 'stories260K/tok512.bin'],
        loadPath: 'stories260K/stories260K.bin',
        tokenizerPath: 'stories260K/tok512.bin',
      }),
    );
    assert.deepEqual(fs.readdirSync(path.join(result.folder, 'stories260K')).sort(), ['stories260K.bin', 'tok512.bin']);
    const loaded = await loadModel(result.loadPath, result.tokenizerPath ?? undefined);
    assert.equal(loaded.model.config.nLayers, 5);
  });
});
