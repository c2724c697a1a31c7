import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalRuntime } from '../../local/runtime.ts';
import { startLocalServer } from '../../local/server/http-server.ts';
import { localRoutes } from '../../local/server/routes.ts';
import { startExperiment } from '../../shared/serving/experiments.ts';
import { erfc } from '../../shared/serving/statistics.ts';
import { plantedRecords } from '../fixtures/training-data.ts';
import { makeEvent } from '../helpers/events.ts';
import { TEST_API_KEY } from '../helpers/local-api.ts';
import { GROUPS, groupOf, IALS, KNN, publishTestModel, shopItem } from '../helpers/serving-model.ts';

interface Rec {
  recommendationId: string;
  userId?: string;
  sessionId?: string;
  modelVersion: string | null;
  variant: string;
  items: { itemId: string; score: number; reason: string; title: string | null; price: number | null }[];
  error?: { code: string; details: { path: string }[] };
}

const V1 = '20240301T000000Z-000000a1';
const V2 = '20240302T000000Z-000000b2';

/** The local server in this process, with the deployment record re-read on every request. */
async function start(options: { publish?: boolean; catalogTtlMs?: number } = {}) {
  const dataDir = await mkdtemp(join(tmpdir(), 'recsys-serving-'));
  const runtime = await openLocalRuntime({ dataDir });
  if (options.publish !== false) {
    await publishTestModel(dataDir, runtime.publications, V1, IALS);
    await runtime.publications.putDeployment(
      { revision: 1, champion: V1, updatedAt: new Date().toISOString(), reason: 'test' },
      undefined,
    );
  }
  const server = await startLocalServer({
    routes: localRoutes(runtime, 'test', { deploymentTtlMs: 0, catalogTtlMs: options.catalogTtlMs ?? 0 }),
    apiKey: TEST_API_KEY,
    port: 0,
  });
  const request = (path: string, init: RequestInit = {}) =>
    fetch(`${server.url}${path}`, {
      ...init,
      headers: { 'x-api-key': TEST_API_KEY, 'content-type': 'application/json', ...init.headers },
    });
  const get = async (path: string) => {
    const res = await request(path);
    return { status: res.status, body: (await res.json()) as Rec };
  };
  const post = async (path: string, body: unknown) => {
    const res = await request(path, { method: 'POST', body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  return {
    runtime,
    server,
    dataDir,
    get,
    post,
    async stop() {
      await server.close();
      await runtime.close().catch(() => {});
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

type Api = Awaited<ReturnType<typeof start>>;

/** A score as responses show it (six significant digits). */
const shown = (x: number) => Number(x.toPrecision(6));
const rows = (r: Rec) => r.items.map((i) => [i.itemId, i.score, i.reason]);

/** The model's published trending list of a window, best first (trending.json of its artifact). */
async function trendingOf(api: Api, window: string): Promise<[string, number][]> {
  const file = join(api.dataDir, 'models', V1, 'trending.json');
  const json = JSON.parse(await readFile(file, 'utf8')) as { windows: Record<string, [string, number][]> };
  return json.windows[window]!;
}

async function putCatalog(api: Api, extra: object[] = []) {
  const items = [...Array.from({ length: 40 }, (_, j) => shopItem(j)), ...extra];
  const res = await fetch(`${api.server.url}/v1/items`, {
    method: 'PUT',
    headers: { 'x-api-key': TEST_API_KEY, 'content-type': 'application/json' },
    body: JSON.stringify({ items }),
  });
  expect(res.status).toBe(200);
}

describe('Serving through the local server (model built and published in the test)', () => {
  let api: Api;
  beforeAll(async () => {
    api = await start();
    await putCatalog(api, [
      { itemId: 'i99', title: 'red mug deluxe', categories: ['Home', 'red mug'], price: 9 },
      { itemId: 'i98', title: 'nothing alike whatsoever', price: 1 },
    ]);
  }, 60_000);
  afterAll(async () => {
    await api?.stop();
  });

  it('returns k items of the champion with reasons, none the shopper already bought', async () => {
    // Act
    const { status, body } = await api.get('/v1/users/u0/recommendations?k=5');

    // Assess
    expect(status).toBe(200);
    expect(body).toMatchObject({ userId: 'u0', modelVersion: V1, variant: 'champion' });
    expect(body.recommendationId).toMatch(/^[0-9a-f-]{36}$/);
    // The published list's order; each item explained by the item u0 bought that is most like it.
    // Scores to 4 decimals: the last digits follow the kernels' summation order, not the model's ranking.
    expect(rows(body).map(([id, score, reason]) => [id, Number(Number(score).toFixed(4)), reason])).toEqual([
      ['i1', 1, 'because you bought red mug 6'],
      ['i28', 0.972, 'because you bought green vase 29'],
      ['i22', 0.9049, 'because you bought green vase 29'],
      ['i24', 0.7668, 'because you bought green vase 29'],
      ['i19', 0.7619, 'because you bought blue lamp 14'],
    ]);
    for (const item of body.items) {
      expect(item.title).toBe(shopItem(Number(item.itemId.slice(1))).title);
      expect(item.price).toBe(shopItem(Number(item.itemId.slice(1))).price);
    }
    const bought = plantedRecords()
      .filter((r) => r.userId === 'u0')
      .map((r) => r.itemId);
    for (const item of body.items) expect(bought).not.toContain(item.itemId);
    expect(bought).toEqual(expect.arrayContaining(['i6', 'i29', 'i14']));
  });

  it('changes the next response after an event is posted (fresh events folded in)', async () => {
    // Prepare
    const before = await api.get('/v1/users/u4/recommendations?k=10&maxPerCategory=10');
    const now = new Date().toISOString();
    const events = [20, 21, 22, 23, 24, 25].map((j) =>
      makeEvent({ type: 'add_to_cart', userId: 'u4', itemId: `i${j}`, timestamp: now }),
    );

    // Act
    const posted = await api.post('/v1/events', { events });
    const after = await api.get('/v1/users/u4/recommendations?k=10&maxPerCategory=10');

    // Assess
    expect(posted.status).toBe(202);
    expect(after.body.items.map((i) => i.itemId)).not.toEqual(before.body.items.map((i) => i.itemId));
    const group2 = (r: Rec) => r.items.filter((i) => groupOf(i.itemId) === 2).length;
    expect(group2(after.body)).toBeGreaterThan(group2(before.body));
    expect(after.body.items.some((i) => /^because you added to cart green vase/.test(i.reason))).toBe(true);
  });

  it('drops an item marked not_interested from the very next response, and a repeated feedback changes nothing', async () => {
    // Prepare
    const first = await api.get('/v1/users/u1/recommendations?k=5');
    const top = first.body.items[0]!.itemId;
    const feedback = {
      recommendationId: first.body.recommendationId,
      userId: 'u1',
      itemId: top,
      action: 'not_interested',
    };

    // Act
    const once = await api.post('/v1/feedback', feedback);
    const twice = await api.post('/v1/feedback', feedback);
    const next = await api.get('/v1/users/u1/recommendations?k=5');
    const withoutDefault = await api.get('/v1/users/u1/recommendations?k=40&exclude=none');
    const activity = await api.runtime.store.recentActivity('u:u1');

    // Assess
    expect(once.status).toBe(202);
    expect(once.body).toMatchObject({ duplicate: false });
    expect(twice.status).toBe(200);
    expect(twice.body).toMatchObject({
      duplicate: true,
      feedbackId: once.body.feedbackId,
      eventId: once.body.eventId,
    });
    expect(next.body.items.map((i) => i.itemId)).not.toContain(top);
    expect(withoutDefault.body.items.map((i) => i.itemId)).toContain(top);
    // The feedback reached the lake path as one not_interested event (same eventId both times).
    expect(activity.filter((e) => e.eventId === once.body.eventId)).toHaveLength(1);
    expect(activity.find((e) => e.eventId === once.body.eventId)?.type).toBe('not_interested');
  });

  it('applies category, price, stock and per-category cap filters', async () => {
    // Prepare
    await api.runtime.store.putItems([
      { ...shopItem(12), inStock: false, updatedAt: new Date(Date.now() + 1000).toISOString() },
    ]);

    // Act
    const lamp = await api.get(
      `/v1/users/u0/recommendations?k=8&category=${encodeURIComponent('blue lamp')}`,
    );
    const cheap = await api.get('/v1/users/u0/recommendations?k=10&minPrice=5&maxPrice=15');
    const capped = await api.get('/v1/users/u0/recommendations?k=10&maxPerCategory=2');
    const all = await api.get('/v1/users/u1/recommendations?k=40&maxPerCategory=40');

    // Assess
    // Every blue lamp but i12 (out of stock) and i14 (bought), explained by the blue lamp u0 bought.
    expect(lamp.body.items.map((i) => i.itemId)).toEqual([
      'i19',
      'i17',
      'i18',
      'i15',
      'i13',
      'i11',
      'i16',
      'i10',
    ]);
    for (const i of lamp.body.items) expect(i.reason).toBe('because you bought blue lamp 14');
    for (const i of cheap.body.items) expect(i.price!).toBeGreaterThanOrEqual(5);
    for (const i of cheap.body.items) expect(i.price!).toBeLessThanOrEqual(15);
    const perGroup = new Map<number, number>();
    for (const i of capped.body.items)
      perGroup.set(groupOf(i.itemId), (perGroup.get(groupOf(i.itemId)) ?? 0) + 1);
    expect(Math.max(...perGroup.values())).toBeLessThanOrEqual(2);
    expect(all.body.items.map((i) => i.itemId)).not.toContain('i12');
  });

  it('answers a shopper with no history with trending and popular items, labelled as such (cold start)', async () => {
    // Act
    const user = await api.get('/v1/users/brand-new/recommendations?k=10');
    const session = await api.get('/v1/sessions/s-empty/recommendations?k=10');

    // Assess: the week's trending items in their order (at most 5 of a category: ⌈k/2⌉), each below the last.
    const week = (await trendingOf(api, '7d')).map(([id]) => id);
    const expected = week.slice(0, 10).map((id, r) => [id, shown(0.99 ** (r + 1)), 'trending']);
    expect(expected.map(([id]) => id)).toEqual([
      'i39',
      'i5',
      'i9',
      'i14',
      'i31',
      'i27',
      'i11',
      'i0',
      'i4',
      'i10',
    ]);
    expect(rows(user.body)).toEqual(expected);
    expect(rows(session.body)).toEqual(expected);
    expect(session.body.sessionId).toBe('s-empty');
  });

  it('recommends for an anonymous session from its items (item-to-item)', async () => {
    // Prepare
    const now = new Date().toISOString();
    const events = [30, 31, 32].map((j) =>
      makeEvent({ type: 'view', sessionId: 'sess-1', itemId: `i${j}`, timestamp: now }),
    );
    delete (events[0] as { userId?: string }).userId;
    await api.post('/v1/events', { events: events.map(({ userId: _u, ...e }) => e) });

    // Act
    const { status, body } = await api.get('/v1/sessions/sess-1/recommendations?k=5&maxPerCategory=5');

    // Assess
    expect(status).toBe(200);
    expect(body.items.filter((i) => groupOf(i.itemId) === 3).length).toBeGreaterThanOrEqual(4);
    expect(body.items[0]!.reason).toMatch(/^because you viewed yellow towel/);
  });

  it('returns similar items: collaborative neighbours for a known item, content only for a new one, 404 for none', async () => {
    // Act
    const known = await api.get('/v1/items/i3/similar?k=5');
    const fresh = await api.get('/v1/items/i99/similar?k=5');
    const unrelated = await api.get('/v1/items/i98/similar?k=3');
    const missing = await api.get('/v1/items/nope/similar');

    // Assess
    expect(known.status).toBe(200);
    expect(known.body.items.filter((i) => groupOf(i.itemId) === 0).length).toBeGreaterThanOrEqual(4);
    expect(known.body.items.map((i) => i.itemId)).not.toContain('i3');
    // i0 … i9 are all "red mug" (a one-digit number is no token) in Home / red mug: the same TF-IDF vector as
    // i99's known terms, so cosine 1, ties by id.
    expect(rows(fresh.body)).toEqual(
      ['i0', 'i1', 'i2', 'i3', 'i4'].map((id) => [id, 1, 'similar to red mug deluxe']),
    );
    // Nothing alike and no category: the week's trending items.
    expect(rows(unrelated.body)).toEqual([
      ['i39', 0.99, 'trending'],
      ['i5', 0.9801, 'trending'],
      ['i9', 0.970299, 'trending'],
    ]);
    expect(missing.status).toBe(404);
  });

  it('ranks the neighbours of an item nobody interacted with by TF-IDF, as training weighs content', async () => {
    // Prepare: "23" is in one title of the model's 40 items, "mug" in ten; raw term counts would rank the ten
    // short "red mug" titles first (i0 … i4), TF-IDF ranks the one sharing the rare term first.
    await putCatalog(api, [{ itemId: 'i96', title: 'mug 23', price: 4 }]);

    // Act
    const { status, body } = await api.get('/v1/items/i96/similar?k=5');

    // Assess: q = (mug, 23), tf 2 each; idf ln 4 and ln 40 ("Home", in every item, weighs 0); cosines of the
    // normalised vectors: i23 "green vase 23" shares "23", i0 "red mug 0" shares "mug".
    const w = (tf: number, df: number) => (1 + Math.log(tf)) * Math.log(40 / df);
    const q = Math.hypot(w(2, 10), w(2, 1));
    const i23 = Math.hypot(w(2, 10), w(2, 10), w(2, 1), w(1, 40), w(1, 10));
    const i0 = Math.hypot(w(2, 10), w(2, 10), w(1, 40), w(1, 10));
    expect(status).toBe(200);
    expect(rows(body)).toEqual([
      ['i23', shown((w(2, 1) * w(2, 1)) / (q * i23)), 'similar to mug 23'],
      ...['i0', 'i1', 'i2', 'i3'].map((id) => [
        id,
        shown((w(2, 10) * w(2, 10)) / (q * i0)),
        'similar to mug 23',
      ]),
    ]);
  });

  it('returns trending per window and category', async () => {
    // Prepare: a server of its own, whose counters have no events (earlier tests' events would make it live:
    // tests/integration/live.test.ts covers that); so the trained list, source "model".
    const own = await start();
    try {
      await putCatalog(own);

      // Act
      const week = await own.get('/v1/trending?window=7d&k=5');
      const vases = await own.get(`/v1/trending?window=7d&k=3&category=${encodeURIComponent('green vase')}`);

      // Assess: the artifact's list, in its order and with its scores; the category's items of it.
      const list = await trendingOf(own, '7d');
      expect(week.status).toBe(200);
      expect(week.body).toMatchObject({
        window: '7d',
        source: 'model',
        modelVersion: V1,
        asOf: '2024-03-05T00:00:00.000Z',
      });
      expect(rows(week.body)).toEqual(list.slice(0, 5).map(([id, s]) => [id, shown(s), 'trending']));
      expect(rows(week.body).map(([id]) => id)).toEqual(['i39', 'i5', 'i9', 'i14', 'i31']);
      const green = list.filter(([id]) => groupOf(id) === 2).slice(0, 3);
      expect(rows(vases.body)).toEqual(green.map(([id, s]) => [id, shown(s), 'trending']));
      expect(green.map(([id]) => id)).toEqual(['i27', 'i23', 'i25']);
    } finally {
      await own.stop();
    }
  });

  it.each([
    ['/v1/users/u0/recommendations?k=0', 'k'],
    ['/v1/users/u0/recommendations?k=101', 'k'],
    ['/v1/users/u0/recommendations?k=ten', 'k'],
    ['/v1/users/u0/recommendations?minPrice=-1', 'minPrice'],
    ['/v1/users/u0/recommendations?maxPrice=abc', 'maxPrice'],
    ['/v1/users/u0/recommendations?minPrice=5&maxPrice=2', 'minPrice'],
    ['/v1/users/u0/recommendations?exclude=everything', 'exclude'],
    ['/v1/sessions/s/recommendations?k=1.5', 'k'],
    ['/v1/items/i1/similar?k=-3', 'k'],
    ['/v1/trending?window=2h', 'window'],
    ['/v1/experiments/bad.name', 'name'],
  ])('answers 400 naming the parameter for %s', async (path, param) => {
    // Act
    const { status, body } = await api.get(path);

    // Assess
    expect(status).toBe(400);
    expect(body.error?.details.map((d) => d.path)).toEqual([param]);
  });

  it('answers 400 naming the field for invalid feedback', async () => {
    // Act
    const noShopper = await api.post('/v1/feedback', {
      recommendationId: 'r',
      itemId: 'i1',
      action: 'click',
    });
    const badAction = await api.post('/v1/feedback', {
      recommendationId: 'r',
      userId: 'u',
      itemId: 'i1',
      action: 'love',
    });

    // Assess
    expect(noShopper.status).toBe(400);
    expect((noShopper.body.error as Rec['error'])?.details.map((d) => d.path)).toEqual(['userId']);
    expect((badAction.body.error as Rec['error'])?.details.map((d) => d.path)).toEqual(['action']);
  });
});

describe('Experiments through the local server', () => {
  let api: Api;
  /** Lists served per variant by every request of this block: each is one exposure. */
  const served = new Map<string, number>();
  const serve = async (userId: string) => {
    const r = await api.get(`/v1/users/${userId}/recommendations?k=3`);
    served.set(r.body.variant, (served.get(r.body.variant) ?? 0) + 1);
    return r;
  };
  const report = async (name = 'exp1') => {
    const res = await fetch(`${api.server.url}/v1/experiments/${name}`, {
      headers: { 'x-api-key': TEST_API_KEY },
    });
    return {
      status: res.status,
      body: (await res.json()) as {
        status: string;
        control: string;
        variants: {
          variant: string;
          exposures: number;
          clicks: number;
          conversions: number;
          ctr: number;
          pValue: number | null;
          lift: number | null;
          confidenceInterval: unknown;
        }[];
      },
    };
  };
  const countsOf = async () =>
    new Map(
      (await report()).body.variants.map((v) => [
        v.variant,
        { exposures: v.exposures, clicks: v.clicks, conversions: v.conversions },
      ]),
    );

  beforeAll(async () => {
    api = await start();
    await publishTestModel(api.dataDir, api.runtime.publications, V2, KNN);
    await putCatalog(api);
    const current = await api.runtime.publications.getDeployment();
    await api.runtime.publications.putDeployment(
      startExperiment(current, { name: 'exp1', challenger: V2, weight: 0.5, now: new Date() }),
      current!.revision,
    );
  }, 60_000);
  afterAll(async () => {
    await api?.stop();
  });

  it('counts a list served to a shopper in the experiment as one exposure of its variant, feedback on it as none more', async () => {
    // Act: 20 shoppers, one list each; then an impression and a click on two of the lists.
    const lists = [];
    for (let u = 0; u < 20; u++) lists.push(await serve(`u${u}`));
    const afterServing = await countsOf();
    const send = (r: Rec, action: string) =>
      api.post('/v1/feedback', {
        recommendationId: r.recommendationId,
        userId: r.userId,
        itemId: r.items[0]!.itemId,
        action,
      });
    await send(lists[0]!.body, 'impression');
    await send(lists[0]!.body, 'click');
    await send(lists[1]!.body, 'impression');
    const afterFeedback = await countsOf();

    // Assess
    const variants = lists.map((r) => r.body.variant);
    const count = (v: string) => variants.filter((x) => x === v).length;
    expect(count('champion') + count('challenger')).toBe(20);
    expect(count('champion')).toBeGreaterThan(0);
    expect(count('challenger')).toBeGreaterThan(0);
    expect(afterServing).toEqual(
      new Map([
        ['champion', { exposures: count('champion'), clicks: 0, conversions: 0 }],
        ['challenger', { exposures: count('challenger'), clicks: 0, conversions: 0 }],
      ]),
    );
    const clicked = lists[0]!.body.variant;
    const expected = new Map(afterServing);
    expected.set(clicked, { ...afterServing.get(clicked)!, clicks: 1 });
    expect(afterFeedback).toEqual(expected);
  });

  it('serves each shopper one variant, the same on every request, and both variants to a crowd', async () => {
    // Act
    const first = await Promise.all(Array.from({ length: 40 }, (_, u) => serve(`u${u}`)));
    const again = await Promise.all(Array.from({ length: 40 }, (_, u) => serve(`u${u}`)));

    // Assess
    const variants = first.map((r) => r.body.variant);
    expect(again.map((r) => r.body.variant)).toEqual(variants);
    expect(new Set(variants)).toEqual(new Set(['champion', 'challenger']));
    for (const r of first) {
      expect(r.body.modelVersion).toBe(r.body.variant === 'champion' ? V1 : V2);
      expect(r.body.recommendationId).toMatch(new RegExp(`\\.exp1\\.${r.body.variant}$`));
    }
  });

  it('counts exposures, clicks and conversions once per list and reports CTR, lift, interval and p-value', async () => {
    // Prepare
    const before = await countsOf();
    const lists = await Promise.all(Array.from({ length: 30 }, (_, u) => serve(`u${u}`)));
    const send = (r: Rec, action: string, n = 0) =>
      api.post('/v1/feedback', {
        feedbackId: `${r.recommendationId}-${action}-${n}`,
        recommendationId: r.recommendationId,
        userId: r.userId,
        itemId: r.items[0]!.itemId,
        action,
      });
    const expected = new Map<string, { exposures: number; clicks: number; conversions: number }>();
    for (const v of ['champion', 'challenger'])
      expected.set(v, { ...before.get(v)!, exposures: served.get(v)! });

    // Act
    for (const [n, { body }] of lists.entries()) {
      const e = expected.get(body.variant)!;
      await send(body, 'impression'); // served already: no second exposure
      if (n % 2 === 0) {
        await send(body, 'click');
        await send(body, 'click', 1); // a second click on the same list is not a second click-through
        e.clicks++;
      }
      if (n % 6 === 0) {
        await send(body, 'purchase');
        e.conversions++;
      }
    }
    const { status, body: readout } = await report();
    const unknown = await report('nope');

    // Assess
    expect(status).toBe(200);
    expect(readout).toMatchObject({ status: 'running', control: 'champion' });
    expect(readout.variants.map((v) => v.variant)).toEqual(['champion', 'challenger']);
    for (const v of readout.variants) {
      expect({ exposures: v.exposures, clicks: v.clicks, conversions: v.conversions }).toEqual(
        expected.get(v.variant),
      );
      expect(v.ctr).toBeCloseTo(v.clicks / v.exposures, 12);
    }
    // The two-proportion z-test of CTR, pooled, two-sided, worked out here from the counts.
    const [a, b] = readout.variants as [(typeof readout.variants)[0], (typeof readout.variants)[0]];
    const pooled = (a.clicks + b.clicks) / (a.exposures + b.exposures);
    const se = Math.sqrt(pooled * (1 - pooled) * (1 / a.exposures + 1 / b.exposures));
    const z = (b.clicks / b.exposures - a.clicks / a.exposures) / se;
    expect(b.pValue).toBeCloseTo(Math.min(1, erfc(Math.abs(z) / Math.SQRT2)), 9);
    expect(b.lift).toBeCloseTo(b.ctr / a.ctr - 1, 12);
    expect(b.confidenceInterval).toMatchObject({ confidence: 0.95 });
    expect(a).toMatchObject({ pValue: null, lift: null, confidenceInterval: null });
    expect(unknown.status).toBe(404);
  });
});

describe('Degradation through the local server', () => {
  it('answers 200 with an empty fallback when no model exists at all', async () => {
    // Prepare
    const api = await start({ publish: false });
    try {
      // Act
      const { status, body } = await api.get('/v1/users/u0/recommendations');
      const trending = await api.get('/v1/trending');

      // Assess
      expect(status).toBe(200);
      expect(body).toMatchObject({ variant: 'fallback', modelVersion: null, items: [] });
      expect(trending.status).toBe(200);
      expect(trending.body).toEqual({
        window: '24h',
        source: 'none',
        modelVersion: null,
        asOf: null,
        items: [],
      });
    } finally {
      await api.stop();
    }
  });

  it('answers 200 with popular items labelled "fallback" when the serving store is unreachable', async () => {
    // Prepare
    const api = await start();
    try {
      await api.get('/v1/users/u0/recommendations'); // the model is loaded
      await api.runtime.store.close();
      const dir = join(api.dataDir, 'models', V1);
      const ids = (await readFile(join(dir, 'items.txt'), 'utf8')).split('\n');
      const bytes = await readFile(join(dir, 'popularity.f32'));
      const popularity = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
      const order = Array.from(popularity.keys()).sort((a, b) => popularity[b]! - popularity[a]! || a - b);

      // Act
      const { status, body } = await api.get('/v1/users/u0/recommendations?k=4');

      // Assess: the most popular items (no catalog rows: no titles, no category cap), by popularity.
      expect(status).toBe(200);
      expect(body.variant).toBe('fallback');
      expect(rows(body)).toEqual(order.slice(0, 4).map((j) => [ids[j], shown(popularity[j]!), 'fallback']));
      expect(body.items.map((i) => i.title)).toEqual([null, null, null, null]);
    } finally {
      await api.stop();
    }
  });

  it("serves the champion when a variant's artifact is missing", async () => {
    // Prepare
    const api = await start();
    try {
      const path = (u: number) => `/v1/users/u${u}/recommendations?k=3`;
      const champion = await Promise.all(Array.from({ length: 10 }, (_, u) => api.get(path(u))));
      const current = await api.runtime.publications.getDeployment();
      await api.runtime.publications.putDeployment(
        startExperiment(current, {
          name: 'broken',
          challenger: 'missing-version',
          weight: 0.99,
          now: new Date(),
        }),
        current!.revision,
      );

      // Act
      const results = await Promise.all(Array.from({ length: 10 }, (_, u) => api.get(path(u))));

      // Assess: what the champion answered before, outside the experiment (nothing counted for it).
      for (const [u, r] of results.entries()) {
        expect(r.status).toBe(200);
        expect(r.body).toMatchObject({ modelVersion: V1, variant: 'champion' });
        expect(r.body.recommendationId).toMatch(/^[0-9a-f-]{36}$/);
        expect(rows(r.body)).toEqual(rows(champion[u]!.body));
      }
      expect(await api.runtime.feedback.counters('broken')).toEqual([]);
    } finally {
      await api.stop();
    }
  });
});

void GROUPS;
