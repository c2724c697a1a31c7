import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalRuntime } from '../../local/runtime.ts';
import { startLocalServer } from '../../local/server/http-server.ts';
import { localRoutes } from '../../local/server/routes.ts';
import { startExperiment } from '../../shared/serving/experiments.ts';
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
    expect(body.items).toHaveLength(5);
    for (const item of body.items) {
      expect(item.title).toBe(shopItem(Number(item.itemId.slice(1))).title);
      expect(item.reason).toMatch(/^because you (bought|viewed) |^recommended for you$/);
    }
    const bought = plantedRecords()
      .filter((r) => r.userId === 'u0')
      .map((r) => r.itemId);
    for (const item of body.items) expect(bought).not.toContain(item.itemId);
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
    expect(lamp.body.items).toHaveLength(8);
    for (const i of lamp.body.items) expect(groupOf(i.itemId)).toBe(1);
    expect(lamp.body.items.map((i) => i.itemId)).not.toContain('i12');
    expect(
      lamp.body.items.some(
        (i) =>
          i.reason === 'popular in blue lamp' || i.reason === 'trending' || i.reason.startsWith('because'),
      ),
    ).toBe(true);
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

    // Assess
    for (const r of [user.body, session.body]) {
      expect(r.items).toHaveLength(10);
      for (const i of r.items) expect(['trending', 'popular']).toContain(i.reason);
    }
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
    expect(fresh.body.items).toHaveLength(5);
    for (const i of fresh.body.items) expect(groupOf(i.itemId)).toBe(0);
    expect(fresh.body.items[0]!.reason).toBe('similar to red mug deluxe');
    expect(unrelated.body.items).toHaveLength(3);
    expect(missing.status).toBe(404);
  });

  it('returns trending per window and category', async () => {
    // Act
    const week = await api.get('/v1/trending?window=7d&k=5');
    const vases = await api.get(`/v1/trending?window=7d&k=3&category=${encodeURIComponent('green vase')}`);

    // Assess
    expect(week.status).toBe(200);
    expect(week.body.items.length).toBeGreaterThan(0);
    for (const i of week.body.items) expect(i.reason).toBe('trending');
    expect(vases.body.items).toHaveLength(3);
    for (const i of vases.body.items) expect(groupOf(i.itemId)).toBe(2);
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

  it('serves each shopper one variant, the same on every request, and both variants to a crowd', async () => {
    // Act
    const first = await Promise.all(
      Array.from({ length: 40 }, (_, u) => api.get(`/v1/users/u${u}/recommendations?k=3`)),
    );
    const again = await Promise.all(
      Array.from({ length: 40 }, (_, u) => api.get(`/v1/users/u${u}/recommendations?k=3`)),
    );

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
    const lists = await Promise.all(
      Array.from({ length: 30 }, (_, u) => api.get(`/v1/users/u${u}/recommendations?k=3`)),
    );
    const send = (r: Rec, action: string, n = 0) =>
      api.post('/v1/feedback', {
        feedbackId: `${r.recommendationId}-${action}-${n}`,
        recommendationId: r.recommendationId,
        userId: r.userId,
        itemId: r.items[0]!.itemId,
        action,
      });
    const expected = new Map<string, { exposures: number; clicks: number; conversions: number }>();

    // Act
    for (const [n, { body }] of lists.entries()) {
      const e = expected.get(body.variant) ?? { exposures: 0, clicks: 0, conversions: 0 };
      await send(body, 'impression');
      e.exposures++;
      if (n % 2 === 0) {
        await send(body, 'click');
        await send(body, 'click', 1); // a second click on the same list is not a second click-through
        e.clicks++;
      }
      if (n % 6 === 0) {
        await send(body, 'purchase');
        e.conversions++;
      }
      expected.set(body.variant, e);
    }
    const res = await fetch(`${api.server.url}/v1/experiments/exp1`, {
      headers: { 'x-api-key': TEST_API_KEY },
    });
    const report = (await res.json()) as {
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
    };
    const unknown = await fetch(`${api.server.url}/v1/experiments/nope`, {
      headers: { 'x-api-key': TEST_API_KEY },
    });

    // Assess
    expect(res.status).toBe(200);
    expect(report).toMatchObject({ status: 'running', control: 'champion' });
    for (const v of report.variants) {
      expect({ exposures: v.exposures, clicks: v.clicks, conversions: v.conversions }).toEqual(
        expected.get(v.variant),
      );
      expect(v.ctr).toBeCloseTo(v.clicks / v.exposures, 12);
    }
    const challenger = report.variants.find((v) => v.variant === 'challenger')!;
    expect(challenger.pValue).toBeGreaterThan(0);
    expect(challenger.confidenceInterval).toMatchObject({ confidence: 0.95 });
    expect(unknown.status).toBe(404);
  });
});

describe('Degradation through the local server', () => {
  it('answers 200 with an empty fallback when no model exists at all', async () => {
    // Prepare
    const api = await start({ publish: false });

    // Act
    const { status, body } = await api.get('/v1/users/u0/recommendations');
    const trending = await api.get('/v1/trending');
    await api.stop();

    // Assess
    expect(status).toBe(200);
    expect(body).toMatchObject({ variant: 'fallback', modelVersion: null, items: [] });
    expect(trending.status).toBe(200);
  });

  it('answers 200 with popular items labelled "fallback" when the serving store is unreachable', async () => {
    // Prepare
    const api = await start();
    await api.get('/v1/users/u0/recommendations'); // the model is loaded
    await api.runtime.store.close();

    // Act
    const { status, body } = await api.get('/v1/users/u0/recommendations?k=4');
    await api.stop();

    // Assess
    expect(status).toBe(200);
    expect(body.variant).toBe('fallback');
    expect(body.items).toHaveLength(4);
    for (const i of body.items) expect(i.reason).toBe('fallback');
  });

  it("serves the champion when a variant's artifact is missing", async () => {
    // Prepare
    const api = await start();
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
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, u) => api.get(`/v1/users/u${u}/recommendations?k=3`)),
    );
    await api.stop();

    // Assess
    for (const r of results) {
      expect(r.status).toBe(200);
      expect(r.body.modelVersion).toBe(V1);
      expect(r.body.items).toHaveLength(3);
    }
  });
});

void GROUPS;
