import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataDirLayout } from '../../local/data-dir.ts';
import { createTypeScriptTrainingEngine } from '../../local/training/typescript-engine.ts';
import { artifactDirectory, createLocalModelStore } from '../../shared/adapters/local/model-store.ts';
import { decodeArtifact } from '../../shared/model/artifact-decode.ts';
import { EVENT_WEIGHTS_CONFIG } from '../../shared/model/interactions.ts';
import { createCatalogCache } from '../../shared/serving/catalog-cache.ts';
import { createDeploymentSource, createModelCache } from '../../shared/serving/model-cache.ts';
import { createRecommender } from '../../shared/serving/recommender.ts';
import { BASKET_ITEMS, basketEvents, plantedBaskets } from '../fixtures/baskets.ts';
import { startLocalApi } from '../helpers/local-api.ts';

/**
 * "Bought together", carts and rerank through the local API: baskets in through POST /v1/events, the local
 * TrainingEngine over the lake (what `recsys train` and the retrain run), the answers out through the routes.
 */
let api: Awaited<ReturnType<typeof startLocalApi>>;
let version: string;
const uuid = (n: number) => `00000000-0000-4000-9000-${n.toString(16).padStart(12, '0')}`;
interface Answer {
  itemId?: string;
  userId?: string;
  modelVersion: string | null;
  items: { itemId: string; score: number | null; reason?: string }[];
  error: { message: string; details: { path: string; message: string }[] };
}
const json = async (res: Response | Promise<Response>) => (await (await res).json()) as Answer;
const ids = (body: unknown) => (body as { items: { itemId: string }[] }).items.map((i) => i.itemId);
/** The ln shrunk lift (co-purchase.ts, α = 2, 74 baskets) as a response shows it: float32, six digits. */
const shown = (c: number, sa: number, sb: number) =>
  Number(Math.fround(Math.log((c + 2) / ((sa * sb) / 74 + 2))).toPrecision(6));
const post = (path: string, body: unknown) =>
  api.request(path, { method: 'POST', body: JSON.stringify(body) });

beforeAll(async () => {
  api = await startLocalApi();
  expect(
    (await api.request('/v1/items', { method: 'PUT', body: JSON.stringify({ items: BASKET_ITEMS }) })).status,
  ).toBe(200);
  // A shopper who searched, then clicked a result 5 minutes later: one follow-up for training.
  const search = [
    {
      eventId: uuid(1),
      type: 'search',
      userId: 'searcher',
      query: 'teapot',
      timestamp: '2026-10-20T10:00:00Z',
    },
    {
      eventId: uuid(2),
      type: 'click',
      userId: 'searcher',
      itemId: 'teapot',
      timestamp: '2026-10-20T10:05:00Z',
    },
  ];
  const res = await post('/v1/events', { events: [...basketEvents(), ...search] });
  expect(res.status).toBe(202);
  await api.runtime.flush();
  const outcome = await createTypeScriptTrainingEngine({ dataDir: api.runtime.dataDir }).train({
    source: { kind: 'lake' },
    model: 'item-knn',
  });
  version = outcome.version;
}, 120_000);

afterAll(async () => {
  await api?.stop();
});

describe('Baskets through the local API', () => {
  it('training reads orderIds into complements and search follow-ups into interest (the artifact says so)', async () => {
    const dir = join(dataDirLayout(api.runtime.dataDir).models, version);
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    expect(manifest.complements).toMatchObject({
      baskets: plantedBaskets().length,
      substitutesExcluded: 2,
      // The training config's threshold (event-weights.json), recorded for serving's cart test.
      substituteSimilarity: EVENT_WEIGHTS_CONFIG.complementSubstituteSimilarity,
    });
    expect(manifest.data).toMatchObject({ searchFollowUps: 1, skippedNoItem: 1 });
    expect(manifest.eventWeights.search).toBe(2);
    const lines = (await readFile(join(dir, 'complements.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.find((l) => l.itemId === 'cup-red').neighbours.map(([id]: [string]) => id)).toEqual([
      'teapot',
      'saucer',
    ]);
  });

  it('GET /v1/items/{itemId}/bought-together: complements by lift, reason "often bought with …", no best seller, no substitute', async () => {
    const res = await api.request('/v1/items/cup-red/bought-together?k=5');
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body).toMatchObject({ itemId: 'cup-red', modelVersion: version });
    expect(body.items).toEqual([
      {
        itemId: 'teapot',
        score: shown(6, 26, 6),
        reason: 'often bought with Red Spotty Tea Cup',
        title: 'Stoneware Teapot',
        price: 20,
      },
      {
        itemId: 'saucer',
        score: shown(12, 26, 20),
        reason: 'often bought with Red Spotty Tea Cup',
        title: 'Porcelain Saucer',
        price: 2,
      },
    ]);
    expect(ids(await json(api.request('/v1/items/cup-red/bought-together?k=1')))).toEqual(['teapot']);
  });

  it('answers 404 for an item nobody knows, an empty list for one only the catalog knows, 400 for a malformed id or k', async () => {
    expect((await api.request('/v1/items/nope/bought-together')).status).toBe(404);
    await api.request('/v1/items', {
      method: 'PUT',
      body: JSON.stringify({ items: [{ itemId: 'new-mug', title: 'New Mug' }] }),
    });
    const fresh = await api.request('/v1/items/new-mug/bought-together');
    expect(await json(fresh)).toEqual({ itemId: 'new-mug', modelVersion: version, items: [] });
    const bad = await api.request(`/v1/items/${'x'.repeat(129)}/bought-together`);
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.details[0]?.path).toBe('itemId');
    const k = await api.request('/v1/items/cup-red/bought-together?k=0');
    expect(k.status).toBe(400);
    expect((await json(k)).error.details[0]?.path).toBe('k');
  });

  it('POST /v1/carts/recommendations: the whole cart’s complements, the cart and its substitutes left out', async () => {
    const one = await post('/v1/carts/recommendations', { items: ['saucer'] });
    expect(one.status).toBe(200);
    const body = await json(one);
    expect(body).toMatchObject({ cart: ['saucer'], modelVersion: version });
    expect(body.items.map((i) => [i.itemId, i.reason])).toEqual([
      ['cup-blue', 'often bought with Porcelain Saucer'],
      ['cup-red', 'often bought with Porcelain Saucer'],
    ]);
    // The blue cup goes with the saucer, but the cart holds the red one.
    const two = await json(
      post('/v1/carts/recommendations', { items: ['cup-red', 'saucer', 'unknown-sku'] }),
    );
    expect(two.items.map((i) => [i.itemId, i.reason])).toEqual([
      ['teapot', 'often bought with Red Spotty Tea Cup'],
    ]);
  });

  it('personalises a cart’s order with userId: a shopper who just put the teapot in his cart gets the red cup first', async () => {
    // Without a shopper the blue cup leads (a higher lift with the saucer).
    expect(
      ids(await json(post('/v1/carts/recommendations', { items: ['saucer'], userId: 'walk-in' }))),
    ).toEqual(['cup-blue', 'cup-red']);
    const event = {
      eventId: uuid(10),
      type: 'add_to_cart',
      userId: 'walk-in',
      itemId: 'teapot',
      timestamp: new Date().toISOString(),
    };
    expect((await post('/v1/events', { events: [event] })).status).toBe(202);
    const res = await json(post('/v1/carts/recommendations', { items: ['saucer'], userId: 'walk-in' }));
    expect(res).toMatchObject({ userId: 'walk-in', modelVersion: version });
    expect(ids(res)).toEqual(['cup-red', 'cup-blue']);
  });

  it('POST /v1/users/{userId}/rerank: the shopper’s order with scores, unknown items last in their given order', async () => {
    // b20 bought the blue cup and a saucer: the red cup goes with both, the bag with the saucer only.
    expect(plantedBaskets()[20]).toEqual(['cup-blue', 'saucer']);
    const res = await post('/v1/users/b20/rerank', { items: ['zzz-1', 'f0', 'bag', 'zzz-0', 'cup-red'] });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body).toMatchObject({ userId: 'b20', modelVersion: version, variant: 'champion' });
    expect(body.items.map((i) => i.itemId)).toEqual(['cup-red', 'bag', 'f0', 'zzz-1', 'zzz-0']);
    const scores = body.items.map((i) => i.score ?? Number.NaN);
    const [red, bag, f0] = scores as [number, number, number];
    expect(red).toBeGreaterThan(bag);
    expect(bag).toBeGreaterThan(f0);
    expect(body.items.slice(3).map((i) => i.score)).toEqual([null, null]);
  });

  it('rerank counts fresh events: a filler put in the cart lifts the filler bought with it', async () => {
    const baskets = plantedBaskets();
    const partner = baskets
      .find((b) => b[0] === 'bag' && b.includes('f0'))!
      .find((id) => id !== 'bag' && id !== 'f0')!;
    const stranger = BASKET_ITEMS.map((i) => i.itemId).find(
      (id) => id.startsWith('f') && id !== 'f0' && !baskets.some((b) => b.includes('f0') && b.includes(id)),
    )!;
    const before = await json(post('/v1/users/b27/rerank', { items: [stranger, partner] }));
    expect(ids(before)).toEqual([stranger, partner]);
    const event = {
      eventId: uuid(11),
      type: 'add_to_cart',
      userId: 'b27',
      itemId: 'f0',
      timestamp: new Date().toISOString(),
    };
    expect((await post('/v1/events', { events: [event] })).status).toBe(202);
    const after = await json(post('/v1/users/b27/rerank', { items: [stranger, partner] }));
    expect(ids(after)).toEqual([partner, stranger]);
  });

  it('refuses bad bodies with a 400 naming the field: empty cart, > 100 cart items, > 500 to rerank, duplicates, bad ids', async () => {
    const cases: [string, unknown, string][] = [
      ['/v1/carts/recommendations', { items: [] }, 'items'],
      ['/v1/carts/recommendations', { items: Array.from({ length: 101 }, (_, i) => `i${i}`) }, 'items'],
      ['/v1/carts/recommendations', { items: ['ok', 'bad\nid'] }, 'items[1]'],
      ['/v1/carts/recommendations', { items: ['ok'], k: 0 }, 'k'],
      ['/v1/carts/recommendations', { items: ['ok'], userId: '' }, 'userId'],
      ['/v1/carts/recommendations', { items: ['ok'], extra: 1 }, '(root)'],
      ['/v1/carts/recommendations', {}, 'items'],
      ['/v1/users/b20/rerank', { items: [] }, 'items'],
      ['/v1/users/b20/rerank', { items: Array.from({ length: 501 }, (_, i) => `i${i}`) }, 'items'],
      ['/v1/users/b20/rerank', { items: ['a', 'b', 'a'] }, 'items[2]'],
      ['/v1/users/b20/rerank', { items: [3] }, 'items[0]'],
    ];
    for (const [path, body, field] of cases) {
      const res = await post(path, body);
      expect(res.status, `${path} ${JSON.stringify(body).slice(0, 80)}`).toBe(400);
      const error = (await json(res)).error;
      expect(
        error.details.map((d) => d.path),
        JSON.stringify(error),
      ).toContain(field);
      expect(error.message).toContain(field);
    }
    const rerank500 = await post('/v1/users/b20/rerank', {
      items: Array.from({ length: 500 }, (_, i) => `i${i}`),
    });
    expect(rerank500.status).toBe(200);
    const user = await post(`/v1/users/${'u'.repeat(129)}/rerank`, { items: ['a'] });
    expect((await json(user)).error.details[0]?.path).toBe('userId');
  });

  it('rerank and carts keep answering when the shopper’s activity and exclusions cannot be read', async () => {
    // Prepare: the same stores, but activity and feedback reads fail (a DynamoDB outage).
    const { runtime } = api;
    const models = createLocalModelStore({ root: dataDirLayout(runtime.dataDir).models });
    const reports: string[] = [];
    const down = () => Promise.reject(new Error('store down'));
    const recommender = createRecommender({
      deployment: createDeploymentSource({ publications: runtime.publications }),
      models: createModelCache({
        load: (v) => {
          const dir = artifactDirectory(models.location(v));
          return decodeArtifact(dir.read, { exists: dir.exists });
        },
      }),
      publications: runtime.publications,
      store: { ...runtime.store, recentActivity: down },
      feedback: { ...runtime.feedback, exclusions: down },
      catalog: createCatalogCache({ store: runtime.store }),
      latestVersion: async () => (await models.list()).at(-1),
      onError: (message) => reports.push(message),
    });
    // Act
    const reranked = await recommender.rerank('b20', ['zzz-1', 'f0', 'bag', 'cup-red']);
    const cart = await recommender.cart({ items: ['cup-red', 'saucer'], userId: 'b20', k: 5 });
    // Assess: the training row still ranks; nothing fresh, nothing excluded.
    expect(reranked.items.map((i) => i.itemId)).toEqual(['cup-red', 'bag', 'f0', 'zzz-1']);
    expect(cart.items.map((i) => i.itemId)).toEqual(['teapot']);
    expect(reports).toContain("basket routes: the shopper's activity cannot be read");
    expect(reports).toContain("basket routes: the shopper's exclusions cannot be read");
  });
});
