/**
 * The dashboard's engine-fed views: one matrix request per window (the selected head's matrix
 * and the grid cut from it), head stats per window, rollout per query token, "why" per query
 * and head; superseded requests cancelled and their replies dropped; quiet failures quiet,
 * others logged and shown with their reason (viewUnavailable); everything held, and every
 * reason, replayed to a reloaded page. The worker is a fake that answers when told to.
 */

import assert from 'node:assert/strict';
import { BadReplyError, checkedHeadStats, checkedRolloutRow, checkedWhyDetail } from '../../../src/host/dashboard/payloads';
import { DashboardFeed, type FeedQuery, type ViewEngine } from '../../../src/host/dashboard/feed';
import { HEAD_KIND_NAMES, isQuietFailure, type WindowRef } from '../../../src/protocol/common';
import type { EnginePayload, PagePayload, ViewName } from '../../../src/protocol/dashboardViews';
import type { CustomDetector } from '../../../src/protocol/headRules';
import type { HostToWebview } from '../../../src/protocol/webviewProtocol';
import type { CallRequest, PassProgress, ViewReply } from '../../../src/protocol/workerProtocol';

const L = 2;
const H = 3;
const W = 4;
const HS = 2;
const WIN: WindowRef = { documentKey: 'file:///t.txt', version: 3, windowStart: 8, windowLength: W };
const QUERY: FeedQuery = { ...WIN, from: 10, layers: L, heads: H };

interface Asked {
  readonly message: CallRequest<'view'>;
  cancelled: boolean;
  answer(reply: ViewReply): void;
  fail(code: string, message?: string): void;
  /** The progress callback the feed gave with the request. */
  progress?: (p: PassProgress) => void;
}

/** The views most tests follow; requests for the others are kept apart (`others`) so the counts stay readable. */
const CORE: readonly ViewName[] = ['matrix', 'headStats', 'rollout', 'why'];

class FakeEngine implements ViewEngine {
  readonly asked: Asked[] = [];
  readonly others: Asked[] = [];

  request(message: CallRequest<'view'>, progress?: (p: PassProgress) => void): { reply: Promise<ViewReply>; cancel(): void } {
    let answer!: (r: ViewReply) => void;
    let reject!: (e: unknown) => void;
    const reply = new Promise<ViewReply>((res, rej) => {
      answer = res;
      reject = rej;
    });
    const a: Asked = {
      message,
      cancelled: false,
      answer: (r) => answer(r),
      fail: (code, text = `failed: ${code}`) => reject(Object.assign(new Error(text), { code })),
      progress,
    };
    (CORE.includes(message.view) ? this.asked : this.others).push(a);
    return { reply, cancel: () => (a.cancelled = true) };
  }

  /** The requests not yet answered or cancelled, for one view or all. */
  open(view?: ViewName): Asked[] {
    const list = view && !CORE.includes(view) ? this.others : this.asked;
    return list.filter((a) => !a.cancelled && (!view || a.message.view === view));
  }

  take(view: ViewName): Asked {
    const list = CORE.includes(view) ? this.asked : this.others;
    const a = list.filter((x) => !x.cancelled && x.message.view === view).at(-1);
    assert.ok(a, `no open ${view} request`);
    list.splice(list.indexOf(a), 1);
    return a;
  }
}

function setup(): { engine: FakeEngine; feed: DashboardFeed; posts: HostToWebview[]; logs: Record<'debug' | 'info' | 'warn', string[]> } {
  const engine = new FakeEngine();
  const posts: HostToWebview[] = [];
  const logs = { debug: [] as string[], info: [] as string[], warn: [] as string[] };
  const log = { debug: (m: string) => logs.debug.push(m), info: (m: string) => logs.info.push(m), warn: (m: string) => logs.warn.push(m) };
  return { engine, feed: new DashboardFeed(engine, (m) => posts.push(m), log), posts, logs };
}

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

function reply<N extends ViewName>(view: N, payload: EnginePayload<N>, id = 1): ViewReply {
  return { type: 'view', id, view, payload } as ViewReply;
}

/** weights[i] = i / n: every cell tells where it came from. */
function matrixPayload(w: WindowRef = WIN): EnginePayload<'matrix'> {
  const n = L * H * w.windowLength * w.windowLength;
  const weights = Float32Array.from({ length: n }, (_, i) => i / n);
  const window = {
    first: w.windowStart,
    ids: new Int32Array(w.windowLength),
    starts: new Int32Array(w.windowLength),
    ends: new Int32Array(w.windowLength),
    labels: Array(w.windowLength).fill('x'),
  };
  return { ...w, window, layers: L, heads: H, weights };
}
const matrixReply = (w: WindowRef = WIN): ViewReply => reply('matrix', matrixPayload(w));

function statsPayload(w: WindowRef = WIN): EnginePayload<'headStats'> {
  const f = (k: number): Float32Array => Float32Array.from({ length: L * H }, (_, i) => k + i / 10);
  return {
    ...w,
    layers: L,
    heads: H,
    scores: { previous_token: f(0), duplicate_token: f(1), induction: f(2), first_token: f(3), current_token: f(4) },
    absScores: { previous_token: f(10), duplicate_token: f(11), induction: f(12), first_token: f(13), current_token: f(14) },
    entropy: f(5),
    keys50: f(6),
    keys90: f(7),
  };
}
const statsReply = (w: WindowRef = WIN): ViewReply => reply('headStats', statsPayload(w), 2);

function rolloutPayload(query: number, w: WindowRef = WIN): EnginePayload<'rollout'> {
  return { ...w, query, layers: L, relevance: Float32Array.from({ length: L * w.windowLength }, (_, i) => i) };
}
const rolloutReply = (query: number, w: WindowRef = WIN): ViewReply => reply('rollout', rolloutPayload(query, w), 3);

function whyPayload(query: number, layer: number, head: number, w: WindowRef = WIN): EnginePayload<'why'> {
  return {
    ...w,
    query,
    layer,
    head,
    headSize: HS,
    q: Float32Array.of(1, 2),
    k: new Float32Array(w.windowLength * HS).fill(layer),
    v: new Float32Array(w.windowLength * HS).fill(head),
    output: Float32Array.of(head, head),
  };
}
const whyReply = (query: number, layer: number, head: number, w: WindowRef = WIN): ViewReply => reply('why', whyPayload(query, layer, head, w), 4);

/** Each post as a word: a view's name, "!name" for its viewUnavailable, or the message type. */
function kinds(posts: HostToWebview[]): string[] {
  return posts.map((p) => (p.type === 'view' ? p.view : p.type === 'viewUnavailable' ? `!${p.view}` : p.type));
}

/** The payloads posted for view `name`. */
function shown<N extends ViewName>(posts: HostToWebview[], name: N): PagePayload<N>[] {
  return posts.flatMap((p) => (p.type === 'view' && p.view === name ? [p.payload as PagePayload<N>] : []));
}

function unavailable(posts: HostToWebview[]): Extract<HostToWebview, { type: 'viewUnavailable' }>[] {
  return posts.filter((p): p is Extract<HostToWebview, { type: 'viewUnavailable' }> => p.type === 'viewUnavailable');
}

describe('host: dashboard feed (engine-fed views)', () => {
  it('asks once per view for a new window: the whole matrix, the stats, and rollout and "why" for the first query token', async () => {
    const { engine, feed, posts } = setup();
    feed.show({ ...QUERY, to: 12 } as FeedQuery, { layer: 1, head: 2 });
    const at = { type: 'view', documentKey: WIN.documentKey, version: WIN.version, token: 10, layer: 1, head: 2 };
    assert.deepEqual(
      engine.asked.map((a) => a.message),
      [
        { ...at, view: 'matrix' },
        { ...at, view: 'headStats' },
        { ...at, view: 'rollout' },
        { ...at, view: 'why' },
      ],
    );
    feed.show(QUERY, { layer: 1, head: 2 });
    assert.equal(engine.asked.length, 4, 'the same query asks nothing again');

    engine.take('matrix').answer(matrixReply());
    engine.take('headStats').answer(statsReply());
    engine.take('rollout').answer(rolloutReply(2));
    engine.take('why').answer(whyReply(2, 1, 2));
    await settle();
    assert.deepEqual(kinds(posts), ['matrix', 'headStats', 'rollout', 'why']);

    const [m] = shown(posts, 'matrix');
    const n = L * H * W * W;
    const o = (1 * H + 2) * W * W;
    assert.deepEqual([m!.matrix.layer, m!.matrix.head], [1, 2]);
    assert.deepEqual(
      Array.from(m!.matrix.weights),
      Array.from({ length: W * W }, (_, i) => Math.fround((o + i) / n)),
    );
    assert.deepEqual([m!.matrix.globalMin, m!.matrix.globalMax], [0, Math.fround((n - 1) / n)]);
    assert.equal(m!.grid.thumbnails.length, L * H * W * W);
    assert.deepEqual(
      { ...shown(posts, 'headStats')[0]!, scores: null, absScores: null, entropy: null, keys50: null, keys90: null },
      { ...WIN, layers: L, heads: H, scores: null, absScores: null, entropy: null, keys50: null, keys90: null },
    );
    assert.equal(shown(posts, 'rollout')[0]!.query, 2);
    assert.deepEqual([shown(posts, 'why')[0]!.layer, shown(posts, 'why')[0]!.head], [1, 2]);
    assert.ok(feed.held('matrix'));
  });

  it('a new query token in the same window re-asks rollout and "why" only; a new head re-cuts the matrix and re-asks "why"', async () => {
    const { engine, feed, posts } = setup();
    feed.show(QUERY, { layer: 0, head: 0 });
    engine.take('matrix').answer(matrixReply());
    engine.take('headStats').answer(statsReply());
    await settle();
    const oldRollout = engine.take('rollout');
    const oldWhy = engine.take('why');

    feed.show({ ...QUERY, from: 11 }, { layer: 0, head: 0 });
    assert.ok(oldRollout.cancelled && oldWhy.cancelled, 'the superseded requests are withdrawn');
    assert.deepEqual(
      engine.open().map((a) => [a.message.view, a.message.token]),
      [
        ['rollout', 11],
        ['why', 11],
      ],
    );
    // The old replies come anyway (they were running): dropped.
    oldRollout.answer(rolloutReply(2));
    oldWhy.answer(whyReply(2, 0, 0));
    await settle();
    assert.equal(shown(posts, 'rollout').length + shown(posts, 'why').length, 0);
    engine.take('rollout').answer(rolloutReply(3));
    await settle();
    assert.equal(shown(posts, 'rollout')[0]!.query, 3);

    posts.length = 0;
    const pendingWhy = engine.take('why');
    feed.show({ ...QUERY, from: 11 }, { layer: 1, head: 1 });
    assert.ok(pendingWhy.cancelled);
    assert.equal(engine.open('matrix').length, 0, 'the matrix is not asked for again');
    assert.deepEqual(kinds(posts), ['matrix']);
    assert.deepEqual([shown(posts, 'matrix')[0]!.matrix.layer, shown(posts, 'matrix')[0]!.matrix.head], [1, 1]);
    const why = engine.take('why');
    assert.deepEqual([why.message.layer, why.message.head], [1, 1]);
    why.answer(whyReply(3, 0, 0)); // about another head: not what was asked, dropped
    await settle();
    assert.equal(shown(posts, 'why').length, 0);

    feed.show({ ...QUERY, from: 11 }, { layer: 7, head: 9 });
    assert.deepEqual(
      engine.take('why').message,
      { type: 'view', view: 'why', documentKey: WIN.documentKey, version: 3, token: 11, layer: 1, head: 2 },
      'the selection is clamped to the model',
    );
  });

  it('a new document version or window drops every reply for the old one', async () => {
    const { engine, feed, posts } = setup();
    feed.show(QUERY, { layer: 0, head: 0 });
    const old = [...engine.asked];
    engine.asked.length = 0;
    const next = { ...WIN, version: 4 };
    feed.show({ ...QUERY, version: 4 }, { layer: 0, head: 0 });
    assert.ok(old.every((a) => a.cancelled));
    assert.equal(engine.open().length, 4);
    old[0]!.answer(matrixReply());
    old[1]!.answer(statsReply());
    await settle();
    assert.equal(posts.length, 0, 'nothing posted');
    // A reply that says it is about another window than asked is not shown either.
    engine.take('matrix').answer(matrixReply({ ...next, windowLength: 3 }));
    engine.take('headStats').answer(statsReply(next));
    await settle();
    assert.deepEqual(kinds(posts), ['headStats']);
    assert.equal(feed.held('matrix'), null);

    posts.length = 0;
    feed.show(null, { layer: 0, head: 0 });
    assert.ok(
      engine.asked.every((a) => a.cancelled),
      'no query: nothing is wanted',
    );
    engine.asked.forEach((a) => a.answer(a.message.view === 'rollout' ? rolloutReply(2, next) : whyReply(2, 0, 0, next)));
    await settle();
    assert.equal(posts.length, 0, 'nothing posted');
  });

  it('stale, cancelled and no-model failures are quiet; others are logged, and the view is told why', async () => {
    const { engine, feed, posts, logs } = setup();
    feed.show(QUERY, { layer: 0, head: 0 });
    engine.take('matrix').fail('stale');
    engine.take('headStats').fail('no-model');
    engine.take('rollout').fail('cancelled');
    engine.take('why').fail('stale');
    await settle();
    assert.equal(posts.length, 0, 'nothing posted');
    assert.equal(logs.debug.length, 4);
    assert.deepEqual([logs.info, logs.warn], [[], []]);
    assert.equal(isQuietFailure(new Error('no code')), false);

    feed.show({ ...QUERY, version: 5 }, { layer: 0, head: 0 });
    engine.take('matrix').fail('internal', 'the engine worker crashed');
    engine.take('headStats').fail('internal', 'boom');
    await settle();
    const v5 = { ...WIN, version: 5 };
    assert.deepEqual(posts, [
      { type: 'viewUnavailable', view: 'matrix', window: v5, reason: 'the engine worker crashed' },
      { type: 'viewUnavailable', view: 'headStats', window: v5, reason: 'boom' },
    ]);
    assert.equal(logs.warn.length, 2);
    assert.match(logs.warn[1]!, /no head statistics for file:\/\/\/t\.txt version 5, tokens 8\.\.11: boom/);
    posts.length = 0;
    engine.take('rollout').fail('internal', 'out of memory');
    engine.take('why').fail('bad-request', 'layer 7 is outside the model');
    await settle();
    assert.deepEqual(posts, [
      { type: 'viewUnavailable', view: 'rollout', window: v5, reason: 'out of memory' },
      { type: 'viewUnavailable', view: 'why', window: v5, reason: 'layer 7 is outside the model' },
    ]);
    assert.equal(logs.warn.length, 4);

    // A reply of the wrong shape is a failure too.
    posts.length = 0;
    feed.show({ ...QUERY, version: 6 }, { layer: 0, head: 0 });
    const bad = matrixPayload({ ...WIN, version: 6 });
    engine.take('matrix').answer(reply('matrix', { ...bad, weights: bad.weights.subarray(1) }));
    await settle();
    assert.deepEqual(
      unavailable(posts).map((p) => p.view),
      ['matrix'],
    );
    assert.match(unavailable(posts)[0]!.reason, /values/);
    const stats = statsPayload({ ...WIN, version: 6 });
    engine.take('headStats').answer(reply('headStats', { ...stats, keys90: new Float32Array(5) }));
    await settle();
    assert.deepEqual(
      unavailable(posts).map((p) => [p.view, p.window.version]),
      [
        ['matrix', 6],
        ['headStats', 6],
      ],
    );
    assert.match(unavailable(posts)[1]!.reason, /values/);
  });

  it('a failure reason is replayed to a reloaded page, and dropped when the view asks again', async () => {
    const { engine, feed, posts } = setup();
    feed.show(QUERY, { layer: 0, head: 0 });
    engine.take('matrix').fail('internal', 'crashed');
    engine.take('headStats').answer(statsReply());
    engine.take('rollout').fail('internal', 'no rollout today');
    engine.take('why').fail('internal', 'no vectors today');
    await settle();
    const first = [...posts];
    assert.deepEqual(kinds(first), ['!matrix', 'headStats', '!rollout', '!why']);
    posts.length = 0;
    feed.replay();
    assert.deepEqual(posts, first);

    // Another head: "why" is asked again, its old reason is not replayed; the rollout's still is.
    feed.show(QUERY, { layer: 1, head: 0 });
    assert.equal(engine.open('why').length, 1);
    posts.length = 0;
    feed.replay();
    assert.deepEqual(
      unavailable(posts).map((p) => [p.view, p.reason]),
      [
        ['matrix', 'crashed'],
        ['rollout', 'no rollout today'],
      ],
    );
    engine.take('why').answer(whyReply(2, 1, 0));
    await settle();
    posts.length = 0;
    feed.replay();
    assert.deepEqual(kinds(posts), ['!matrix', 'headStats', '!rollout', 'why']);
  });

  it('a window too large to hold is not asked for: the matrix view says so, the other views still come', async () => {
    const { engine, feed, posts, logs } = setup();
    const big = { ...QUERY, windowLength: 4096, layers: 8, heads: 8 };
    feed.show(big, { layer: 0, head: 0 });
    assert.deepEqual(
      engine.open().map((a) => a.message.view),
      ['headStats', 'rollout', 'why'],
    );
    assert.deepEqual(kinds(posts), ['!matrix']);
    assert.match((posts[0] as { reason: string }).reason, /too large to show/);
    assert.equal(logs.info.length, 1);
  });

  it('replays everything held after a page reload, and forgets it all on reset', async () => {
    const { engine, feed, posts } = setup();
    feed.show(QUERY, { layer: 1, head: 0 });
    engine.take('matrix').answer(matrixReply());
    engine.take('headStats').answer(statsReply());
    engine.take('rollout').answer(rolloutReply(2));
    engine.take('why').answer(whyReply(2, 1, 0));
    await settle();
    const first = [...posts];
    posts.length = 0;
    feed.replay();
    assert.deepEqual(posts, first);

    posts.length = 0;
    feed.reset();
    feed.replay();
    assert.equal(posts.length, 0, 'nothing posted');
    assert.equal(feed.held('matrix'), null);
    feed.show(QUERY, { layer: 1, head: 0 });
    assert.equal(engine.open().length, 4, 'after a reset (a new model) the same window is asked for again');
    feed.dispose();
    assert.ok(engine.asked.every((a) => a.cancelled));
    feed.show({ ...QUERY, version: 9 }, { layer: 0, head: 0 });
    assert.equal(engine.open().length, 0, 'nothing is asked after dispose');
  });

  it("after a model change the same window is asked for again, and the old model's late replies are dropped", async () => {
    const { engine, feed, posts } = setup();
    feed.show(QUERY, { layer: 0, head: 0 });
    const old = [...engine.asked];
    engine.asked.length = 0;
    feed.reset();
    feed.show(QUERY, { layer: 0, head: 0 });
    assert.equal(engine.open().length, 4);
    // The old requests were running when the model changed: their replies still come.
    old[0]!.answer(matrixReply());
    old[1]!.answer(statsReply());
    old[2]!.answer(rolloutReply(2));
    old[3]!.answer(whyReply(2, 0, 0));
    await settle();
    assert.equal(posts.length, 0, 'nothing from the previous model');
    engine.take('headStats').answer(statsReply());
    await settle();
    assert.deepEqual(kinds(posts), ['headStats']);
  });

  it('asks for the surprisal and the classification per window and the lens per query; ablation and attribution only when the page asks, once per question', async () => {
    const { engine, feed, posts } = setup();
    feed.show(QUERY, { layer: 0, head: 0 });
    assert.deepEqual(
      engine.others.map((a) => a.message.view),
      ['surprisal', 'lens', 'compare', 'classification'],
    );
    feed.compute('why'); // not an on-demand view: nothing more
    assert.deepEqual(
      engine.others.map((a) => a.message.view),
      ['surprisal', 'lens', 'compare', 'classification'],
    );
    feed.compute('ablation');
    feed.compute('ablation');
    assert.deepEqual(
      engine.others.filter((a) => a.message.view === 'ablation').map((a) => a.message.token),
      [10],
      'asked once, about the query shown',
    );
    const sweep = {
      ...WIN,
      query: 2,
      layers: L,
      heads: H,
      targetId: 7,
      targetLabel: 'x',
      logProb: -1.5,
      effects: Float32Array.from({ length: L * H }, (_, i) => -i / 10),
    };
    engine.take('ablation').answer(reply('ablation', sweep));
    await settle();
    assert.deepEqual(
      shown(posts, 'ablation').map((p) => Array.from(p.effects)),
      [Array.from(sweep.effects)],
    );
    feed.compute('ablation');
    assert.equal(engine.open('ablation').length, 0, 'held: not asked again');

    // Another query token: the sweep was about the old one; it is forgotten and not asked for by itself.
    feed.show({ ...QUERY, from: 11 }, { layer: 0, head: 0 });
    assert.equal(engine.others.filter((a) => a.message.view === 'ablation').length, 0);
    posts.length = 0;
    feed.replay();
    assert.equal(shown(posts, 'ablation').length, 0);
    feed.compute('attribution');
    const attribution = engine.take('attribution');
    assert.equal(attribution.message.token, 11);
    attribution.fail('internal', 'out of memory');
    await settle();
    assert.deepEqual(
      unavailable(posts).map((p) => [p.view, p.reason]),
      [['attribution', 'out of memory']],
    );
    feed.compute('attribution');
    assert.equal(engine.open('attribution').length, 1, 'after a failure the page may ask again');
  });

  it('an on-demand view reports its progress to the page while it is current, and a cancel withdraws it until asked again', async () => {
    const { engine, feed, posts } = setup();
    feed.show(QUERY, { layer: 0, head: 0 });
    feed.compute('ablation');
    const first = engine.take('ablation');
    first.progress?.({ done: 3, total: 6 });
    const progress = posts.filter((m) => m.type === 'viewProgress');
    assert.deepEqual(
      progress.map((m) => m.type === 'viewProgress' && [m.view, m.done, m.total, m.window.windowStart]),
      [['ablation', 3, 6, WIN.windowStart]],
    );
    posts.length = 0;
    feed.cancel('ablation');
    assert.ok(first.cancelled, 'the engine request is withdrawn');
    assert.deepEqual(
      unavailable(posts).map((p) => [p.view, p.reason]),
      [['ablation', 'cancelled']],
    );
    first.progress?.({ done: 4, total: 6 });
    assert.equal(posts.filter((m) => m.type === 'viewProgress').length, 0, 'a withdrawn request reports nothing more');
    feed.cancel('ablation'); // nothing running: nothing to do
    assert.equal(unavailable(posts).length, 1);
    feed.compute('ablation');
    assert.equal(engine.open('ablation').length, 1, 'asked again after a cancel');
  });

  it("checks the worker's payloads before they are held: fields by name, arrays copied, shapes checked", () => {
    const s = statsPayload();
    const stats = checkedHeadStats(s);
    for (const kind of HEAD_KIND_NAMES) {
      assert.deepEqual(stats.scores[kind], s.scores[kind]);
      assert.notEqual(stats.scores[kind].buffer, s.scores[kind].buffer);
    }
    assert.deepEqual([stats.entropy, stats.keys50, stats.keys90], [s.entropy, s.keys50, s.keys90]);
    assert.throws(() => checkedHeadStats({ ...s, keys90: new Float32Array(5) }), BadReplyError);
    assert.throws(
      () => checkedHeadStats({ ...s, scores: { ...s.scores, induction: new Float32Array(7) } }),
      /induction score has 7 values; 2 layers × 3 heads needs 6/,
    );

    const r = rolloutPayload(1);
    assert.deepEqual(checkedRolloutRow(r), { ...WIN, query: 1, layers: L, relevance: r.relevance });
    assert.throws(() => checkedRolloutRow({ ...r, layers: 3 }), BadReplyError);

    const v = whyPayload(1, 1, 2);
    const d = checkedWhyDetail(v);
    assert.deepEqual(d, { ...WIN, query: 1, layer: 1, head: 2, headSize: HS, q: v.q, k: v.k, v: v.v, output: v.output });
    assert.notEqual(d.k.buffer, v.k.buffer);
    assert.throws(() => checkedWhyDetail({ ...v, v: new Float32Array(3) }), /value vectors has 3 values; 4 keys × 2 dims needs 8/);
  });

  it('scores heads with the custom detector only once the page set one: per window, again for a new detector, and drops replies for an old one', async () => {
    const { engine, feed, posts } = setup();
    const d1: CustomDetector = { rule: { kind: 'offset', offset: 2 }, method: 'mul', excludeBos: false, excludeCurrentToken: false };
    const d2: CustomDetector = { rule: { kind: 'match', regex: '^ [A-Z]' }, method: 'abs', excludeBos: true, excludeCurrentToken: false };
    const payload = (d: CustomDetector): EnginePayload<'customHeads'> => ({
      ...WIN,
      detector: d,
      layers: L,
      heads: H,
      scores: new Float32Array(L * H).fill(0.25),
      cells: 3,
    });
    const shown = (): PagePayload<'customHeads'>[] =>
      posts.flatMap((m) => (m.type === 'view' && m.view === 'customHeads' ? [m.payload as PagePayload<'customHeads'>] : []));
    feed.show(QUERY, { layer: 0, head: 0 });
    assert.equal(engine.open('customHeads').length, 0, 'no detector, nothing asked');

    feed.setDetector(d1);
    const first = engine.take('customHeads');
    assert.deepEqual(first.message.detector, d1, 'the request carries the detector');
    first.answer({ type: 'view', id: 1, view: 'customHeads', payload: payload(d1) });
    await settle();
    assert.deepEqual(
      shown().map((p) => p.detector),
      [d1],
    );
    feed.setDetector({ ...d1, rule: { kind: 'offset', offset: 2 } });
    feed.show({ ...QUERY, from: 11 }, { layer: 1, head: 2 });
    assert.equal(engine.open('customHeads').length, 0, 'the same detector on the same window is not asked again');

    feed.setDetector(d2);
    const second = engine.take('customHeads');
    assert.deepEqual(second.message.detector, d2);
    second.answer({ type: 'view', id: 2, view: 'customHeads', payload: payload(d1) });
    await settle();
    assert.equal(shown().length, 1, 'a reply computed for another detector is dropped');

    feed.setDetector(d1);
    const third = engine.take('customHeads');
    feed.setDetector(null);
    assert.ok(third.cancelled, 'clearing the detector withdraws its request');
    feed.show({ ...QUERY, windowStart: 9, from: 12 }, { layer: 0, head: 0 });
    assert.equal(engine.open('customHeads').length, 0, 'and nothing is asked for the next window');
    feed.setDetector(d2);
    assert.equal(engine.take('customHeads').message.token, 12, 'set again: asked about the question shown now');
  });
});
