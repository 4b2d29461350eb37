/**
 * The dashboard's engine-fed views: one attentionMatrix request per window (the selected
 * head's matrix and the grid cut from it), head stats per window, rollout per query token,
 * "why" per query and head; superseded requests cancelled and their replies dropped; quiet
 * failures quiet, others logged and shown with their reason (matrixUnavailable,
 * viewUnavailable); everything held, and every reason, replayed to a reloaded page. The
 * worker is a fake that answers when told to.
 */

import assert from 'node:assert/strict';
import { DashboardFeed, isQuietFailure, type FeedQuery, type ViewEngine, type ViewKind, type ViewReply, type ViewRequest } from '../../../src/presentation/dashboardFeed';
import { BadReplyError, toHeadStats, toRolloutRow, toWhyDetail } from '../../../src/presentation/dashboardPayloads';
import { HEAD_KIND_NAMES, type HostToWebview, type WindowRef } from '../../../src/protocol/webviewProtocol';

const L = 2;
const H = 3;
const W = 4;
const HS = 2;
const WIN: WindowRef = { documentKey: 'file:///t.txt', version: 3, windowStart: 8, windowLength: W };
const QUERY: FeedQuery = { ...WIN, from: 10, layers: L, heads: H };

interface Asked {
  readonly message: ViewRequest;
  cancelled: boolean;
  answer(reply: ViewReply): void;
  fail(code: string, message?: string): void;
}

class FakeEngine implements ViewEngine {
  readonly asked: Asked[] = [];

  request<K extends ViewKind>(message: ViewRequest<K>, _expected: K): { reply: Promise<ViewReply<K>>; cancel(): void } {
    let answer!: (r: ViewReply<K>) => void;
    let reject!: (e: unknown) => void;
    const reply = new Promise<ViewReply<K>>((res, rej) => {
      answer = res;
      reject = rej;
    });
    const a: Asked = {
      message,
      cancelled: false,
      answer: (r) => answer(r as ViewReply<K>),
      fail: (code, text = `failed: ${code}`) => reject(Object.assign(new Error(text), { code })),
    };
    this.asked.push(a);
    return { reply, cancel: () => (a.cancelled = true) };
  }

  /** The requests not yet answered or cancelled, by type. */
  open(type?: ViewKind): Asked[] {
    return this.asked.filter((a) => !a.cancelled && (!type || a.message.type === type));
  }

  take(type: ViewKind): Asked {
    const a = this.open(type).at(-1);
    assert.ok(a, `no open ${type} request`);
    this.asked.splice(this.asked.indexOf(a), 1);
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

/** weights[i] = i / n: every cell tells where it came from. */
function matrixReply(w: WindowRef = WIN, id = 1): ViewReply<'attentionMatrix'> {
  const n = L * H * w.windowLength * w.windowLength;
  const weights = Float32Array.from({ length: n }, (_, i) => i / n);
  const window = { first: w.windowStart, ids: new Int32Array(w.windowLength), starts: new Int32Array(w.windowLength), ends: new Int32Array(w.windowLength), labels: Array(w.windowLength).fill('x') };
  return { ...w, id, type: 'attentionMatrix', window, layers: L, heads: H, weights };
}

function statsReply(w: WindowRef = WIN): ViewReply<'headStats'> {
  const f = (k: number): Float32Array => Float32Array.from({ length: L * H }, (_, i) => k + i / 10);
  return {
    ...w, id: 2, type: 'headStats', layers: L, heads: H,
    scores: { previous_token: f(0), duplicate_token: f(1), induction: f(2), first_token: f(3), current_token: f(4) },
    entropy: f(5), keys50: f(6), keys90: f(7),
  };
}

function rolloutReply(query: number, w: WindowRef = WIN): ViewReply<'rollout'> {
  return { ...w, id: 3, type: 'rollout', query, layers: L, relevance: Float32Array.from({ length: L * w.windowLength }, (_, i) => i) };
}

function whyReply(query: number, layer: number, head: number, w: WindowRef = WIN): ViewReply<'headVectors'> {
  return {
    ...w, id: 4, type: 'headVectors', query, layer, head, headSize: HS,
    q: Float32Array.of(1, 2), k: new Float32Array(w.windowLength * HS).fill(layer), v: new Float32Array(w.windowLength * HS).fill(head), output: Float32Array.of(head, head),
  };
}

function ofType<T extends HostToWebview['type']>(posts: HostToWebview[], type: T): Extract<HostToWebview, { type: T }>[] {
  return posts.filter((p): p is Extract<HostToWebview, { type: T }> => p.type === type);
}

describe('presentation: dashboard feed (engine window views)', () => {
  it('asks once per view for a new window: the whole matrix, the stats, and rollout and "why" for the first query token', async () => {
    const { engine, feed, posts } = setup();
    feed.show({ ...QUERY, to: 12 } as FeedQuery, { layer: 1, head: 2 });
    const at = { documentKey: WIN.documentKey, version: WIN.version, token: 10 };
    assert.deepEqual(engine.asked.map((a) => a.message), [
      { type: 'attentionMatrix', ...at },
      { type: 'headStats', ...at },
      { type: 'rollout', ...at },
      { type: 'headVectors', ...at, layer: 1, head: 2 },
    ]);
    feed.show(QUERY, { layer: 1, head: 2 });
    assert.equal(engine.asked.length, 4, 'the same query asks nothing again');

    engine.take('attentionMatrix').answer(matrixReply());
    engine.take('headStats').answer(statsReply());
    engine.take('rollout').answer(rolloutReply(2));
    engine.take('headVectors').answer(whyReply(2, 1, 2));
    await settle();
    assert.deepEqual(posts.map((p) => p.type), ['matrix', 'grid', 'headStats', 'rollout', 'why']);

    const [m] = ofType(posts, 'matrix');
    const n = L * H * W * W;
    const o = (1 * H + 2) * W * W;
    assert.deepEqual([m!.matrix.layer, m!.matrix.head], [1, 2]);
    assert.deepEqual(Array.from(m!.matrix.weights), Array.from({ length: W * W }, (_, i) => Math.fround((o + i) / n)));
    assert.deepEqual([m!.matrix.globalMin, m!.matrix.globalMax], [0, Math.fround((n - 1) / n)]);
    const [g] = ofType(posts, 'grid');
    assert.equal(g!.grid.thumbnails.length, L * H * W * W);
    assert.deepEqual({ ...ofType(posts, 'headStats')[0]!.stats, scores: null, entropy: null, keys50: null, keys90: null }, { ...WIN, layers: L, heads: H, scores: null, entropy: null, keys50: null, keys90: null });
    assert.equal(ofType(posts, 'rollout')[0]!.rollout.query, 2);
    assert.deepEqual([ofType(posts, 'why')[0]!.detail.layer, ofType(posts, 'why')[0]!.detail.head], [1, 2]);
    assert.ok(feed.assembly);
  });

  it('a new query token in the same window re-asks rollout and "why" only; a new head re-cuts the matrix and re-asks "why"', async () => {
    const { engine, feed, posts } = setup();
    feed.show(QUERY, { layer: 0, head: 0 });
    engine.take('attentionMatrix').answer(matrixReply());
    engine.take('headStats').answer(statsReply());
    await settle();
    const oldRollout = engine.take('rollout');
    const oldWhy = engine.take('headVectors');

    feed.show({ ...QUERY, from: 11 }, { layer: 0, head: 0 });
    assert.ok(oldRollout.cancelled && oldWhy.cancelled, 'the superseded requests are withdrawn');
    assert.deepEqual(engine.open().map((a) => [a.message.type, (a.message as { token: number }).token]), [['rollout', 11], ['headVectors', 11]]);
    // The old replies come anyway (they were running): dropped.
    oldRollout.answer(rolloutReply(2));
    oldWhy.answer(whyReply(2, 0, 0));
    await settle();
    assert.equal(ofType(posts, 'rollout').length + ofType(posts, 'why').length, 0);
    engine.take('rollout').answer(rolloutReply(3));
    await settle();
    assert.equal(ofType(posts, 'rollout')[0]!.rollout.query, 3);

    posts.length = 0;
    const pendingWhy = engine.take('headVectors');
    feed.show({ ...QUERY, from: 11 }, { layer: 1, head: 1 });
    assert.ok(pendingWhy.cancelled);
    assert.equal(engine.open('attentionMatrix').length, 0, 'the matrix is not asked for again');
    assert.deepEqual(posts.map((p) => p.type), ['matrix']);
    assert.deepEqual([ofType(posts, 'matrix')[0]!.matrix.layer, ofType(posts, 'matrix')[0]!.matrix.head], [1, 1]);
    const why = engine.take('headVectors');
    assert.deepEqual([(why.message as { layer: number }).layer, (why.message as { head: number }).head], [1, 1]);
    why.answer(whyReply(3, 0, 0)); // about another head: not what was asked, dropped
    await settle();
    assert.equal(ofType(posts, 'why').length, 0);

    feed.show({ ...QUERY, from: 11 }, { layer: 7, head: 9 });
    assert.deepEqual((engine.take('headVectors').message as { layer: number; head: number }), { type: 'headVectors', documentKey: WIN.documentKey, version: 3, token: 11, layer: 1, head: 2 }, 'the selection is clamped to the model');
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
    engine.take('attentionMatrix').answer(matrixReply({ ...next, windowLength: 3 }));
    engine.take('headStats').answer(statsReply(next));
    await settle();
    assert.deepEqual(posts.map((p) => p.type), ['headStats']);
    assert.equal(feed.assembly, null);

    posts.length = 0;
    feed.show(null, { layer: 0, head: 0 });
    assert.ok(engine.asked.every((a) => a.cancelled), 'no query: nothing is wanted');
    engine.asked.forEach((a) => a.answer(a.message.type === 'rollout' ? rolloutReply(2, next) : whyReply(2, 0, 0, next)));
    await settle();
    assert.equal(posts.length, 0, 'nothing posted');
  });

  it('stale, cancelled and no-model failures are quiet; others are logged, and the view is told why', async () => {
    const { engine, feed, posts, logs } = setup();
    feed.show(QUERY, { layer: 0, head: 0 });
    engine.take('attentionMatrix').fail('stale');
    engine.take('headStats').fail('no-model');
    engine.take('rollout').fail('cancelled');
    engine.take('headVectors').fail('stale');
    await settle();
    assert.equal(posts.length, 0, 'nothing posted');
    assert.equal(logs.debug.length, 4);
    assert.deepEqual([logs.info, logs.warn], [[], []]);
    assert.equal(isQuietFailure(new Error('no code')), false);

    feed.show({ ...QUERY, version: 5 }, { layer: 0, head: 0 });
    engine.take('attentionMatrix').fail('internal', 'the engine worker crashed');
    engine.take('headStats').fail('internal', 'boom');
    await settle();
    const v5 = { ...WIN, version: 5 };
    assert.deepEqual(posts, [
      { type: 'matrixUnavailable', window: v5, reason: 'the engine worker crashed' },
      { type: 'viewUnavailable', view: 'headStats', window: v5, reason: 'boom' },
    ]);
    assert.equal(logs.warn.length, 2);
    assert.match(logs.warn[1]!, /no head statistics for file:\/\/\/t\.txt version 5, tokens 8\.\.11: boom/);
    posts.length = 0;
    engine.take('rollout').fail('internal', 'out of memory');
    engine.take('headVectors').fail('bad-request', 'layer 7 is outside the model');
    await settle();
    assert.deepEqual(posts, [
      { type: 'viewUnavailable', view: 'rollout', window: v5, reason: 'out of memory' },
      { type: 'viewUnavailable', view: 'why', window: v5, reason: 'layer 7 is outside the model' },
    ]);
    assert.equal(logs.warn.length, 4);

    // A reply of the wrong shape is a failure too.
    posts.length = 0;
    feed.show({ ...QUERY, version: 6 }, { layer: 0, head: 0 });
    const bad = matrixReply({ ...WIN, version: 6 });
    engine.take('attentionMatrix').answer({ ...bad, weights: bad.weights.subarray(1) });
    await settle();
    assert.equal(ofType(posts, 'matrixUnavailable').length, 1);
    assert.match(ofType(posts, 'matrixUnavailable')[0]!.reason, /values/);
    const stats = statsReply({ ...WIN, version: 6 });
    engine.take('headStats').answer({ ...stats, keys90: new Float32Array(5) });
    await settle();
    assert.deepEqual(ofType(posts, 'viewUnavailable').map((p) => [p.view, p.window.version]), [['headStats', 6]]);
    assert.match(ofType(posts, 'viewUnavailable')[0]!.reason, /values/);
  });

  it('a failure reason is replayed to a reloaded page, and dropped when the view asks again', async () => {
    const { engine, feed, posts } = setup();
    feed.show(QUERY, { layer: 0, head: 0 });
    engine.take('attentionMatrix').fail('internal', 'crashed');
    engine.take('headStats').answer(statsReply());
    engine.take('rollout').fail('internal', 'no rollout today');
    engine.take('headVectors').fail('internal', 'no vectors today');
    await settle();
    const first = [...posts];
    assert.deepEqual(first.map((p) => p.type), ['matrixUnavailable', 'headStats', 'viewUnavailable', 'viewUnavailable']);
    posts.length = 0;
    feed.replay();
    assert.deepEqual(posts, first);

    // Another head: "why" is asked again, its old reason is not replayed; the rollout's still is.
    feed.show(QUERY, { layer: 1, head: 0 });
    assert.equal(engine.open('headVectors').length, 1);
    posts.length = 0;
    feed.replay();
    assert.deepEqual(ofType(posts, 'viewUnavailable').map((p) => [p.view, p.reason]), [['rollout', 'no rollout today']]);
    engine.take('headVectors').answer(whyReply(2, 1, 0));
    await settle();
    posts.length = 0;
    feed.replay();
    assert.deepEqual(posts.map((p) => p.type), ['matrixUnavailable', 'headStats', 'viewUnavailable', 'why']);
  });

  it('a window too large to hold is not asked for: the matrix view says so, the other views still come', async () => {
    const { engine, feed, posts, logs } = setup();
    const big = { ...QUERY, windowLength: 4096, layers: 8, heads: 8 };
    feed.show(big, { layer: 0, head: 0 });
    assert.deepEqual(engine.open().map((a) => a.message.type), ['headStats', 'rollout', 'headVectors']);
    assert.equal(posts[0]!.type, 'matrixUnavailable');
    assert.match((posts[0] as { reason: string }).reason, /too large to show/);
    assert.equal(logs.info.length, 1);
  });

  it('replays everything held after a page reload, and forgets it all on reset', async () => {
    const { engine, feed, posts } = setup();
    feed.show(QUERY, { layer: 1, head: 0 });
    engine.take('attentionMatrix').answer(matrixReply());
    engine.take('headStats').answer(statsReply());
    engine.take('rollout').answer(rolloutReply(2));
    engine.take('headVectors').answer(whyReply(2, 1, 0));
    await settle();
    const first = [...posts];
    posts.length = 0;
    feed.replay();
    assert.deepEqual(posts, first);

    posts.length = 0;
    feed.reset();
    feed.replay();
    assert.equal(posts.length, 0, 'nothing posted');
    assert.equal(feed.assembly, null);
    feed.show(QUERY, { layer: 1, head: 0 });
    assert.equal(engine.open().length, 4, 'after a reset (a new model) the same window is asked for again');
    feed.dispose();
    assert.ok(engine.asked.every((a) => a.cancelled));
    feed.show({ ...QUERY, version: 9 }, { layer: 0, head: 0 });
    assert.equal(engine.open().length, 0, 'nothing is asked after dispose');
  });

  it('after a model change the same window is asked for again, and the old model\'s late replies are dropped', async () => {
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
    assert.deepEqual(posts.map((p) => p.type), ['headStats']);
  });

  it('maps the worker\'s replies to the page\'s payloads: fields by name, arrays copied, shapes checked', () => {
    const s = statsReply();
    const stats = toHeadStats(s);
    for (const kind of HEAD_KIND_NAMES) {
      assert.deepEqual(stats.scores[kind], s.scores[kind]);
      assert.notEqual(stats.scores[kind].buffer, s.scores[kind].buffer);
    }
    assert.deepEqual([stats.entropy, stats.keys50, stats.keys90], [s.entropy, s.keys50, s.keys90]);
    assert.equal('id' in stats || 'type' in stats, false);
    assert.throws(() => toHeadStats({ ...s, keys90: new Float32Array(5) }), BadReplyError);
    assert.throws(() => toHeadStats({ ...s, scores: { ...s.scores, induction: new Float32Array(7) } }), /induction score has 7 values; 2 layers × 3 heads needs 6/);

    const r = rolloutReply(1);
    assert.deepEqual(toRolloutRow(r), { ...WIN, query: 1, layers: L, relevance: r.relevance });
    assert.throws(() => toRolloutRow({ ...r, layers: 3 }), BadReplyError);

    const v = whyReply(1, 1, 2);
    const d = toWhyDetail(v);
    assert.deepEqual(d, { ...WIN, query: 1, layer: 1, head: 2, headSize: HS, q: v.q, k: v.k, v: v.v, output: v.output });
    assert.notEqual(d.k.buffer, v.k.buffer);
    assert.throws(() => toWhyDetail({ ...v, v: new Float32Array(3) }), /value vectors has 3 values; 4 keys × 2 dims needs 8/);
  });
});
