import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataDirLayout } from '../../local/data-dir.ts';
import { runRetrainLocally } from '../../local/pipeline/retrain.ts';
import { type LocalRuntime, openLocalRuntime } from '../../local/runtime.ts';
import { type LocalServer, startLocalServer } from '../../local/server/http-server.ts';
import { localRoutes } from '../../local/server/routes.ts';
import { plantedRecords, tempDir } from '../fixtures/training-data.ts';
import { TEST_API_KEY } from '../helpers/local-api.ts';
import { groupOf, shopItem } from '../helpers/serving-model.ts';

/**
 * Issue 16, the shopper half, end to end on one data directory: catalog, events and profiles through the API, a
 * real retrain (the local state machine), the cold start from profiles and the stated preferences served, then
 * a shopper forgotten and retrained away.
 */
const COUNTRIES = ['United Kingdom', 'France', 'Germany', 'Spain'];
const uuid = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

interface Rec {
  modelVersion: string;
  items: { itemId: string; reason: string; price: number | null }[];
}

let dir: Awaited<ReturnType<typeof tempDir>>;
let dataDir: string;
let runtime: LocalRuntime;
let server: LocalServer;

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { 'x-api-key': TEST_API_KEY, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
const recommend = async (userId: string) =>
  (await call('GET', `/v1/users/${userId}/recommendations?k=10`)).body as unknown as Rec;

async function retrain() {
  await runtime.flush();
  const run = await runRetrainLocally({ dataDir, model: 'als', budgetSeconds: 2 });
  expect(run.error).toBeUndefined();
  expect(run).toMatchObject({ status: 'SUCCEEDED', outcome: 'Activate' });
  return run.modelVersion as string;
}

beforeAll(async () => {
  dir = await tempDir('recsys-shoppers-');
  dataDir = join(dir.path, 'data');
  runtime = await openLocalRuntime({ dataDir });
  server = await startLocalServer({
    routes: localRoutes(runtime, 'test', { deploymentTtlMs: 0, catalogTtlMs: 0 }),
    apiKey: TEST_API_KEY,
    port: 0,
  });
});
afterAll(async () => {
  await server?.close();
  await runtime?.close();
  await dir?.remove();
});

describe('Shoppers: profiles → retrain → cold start and preferences → forget → retrain', () => {
  let v1: string;
  let segments: Record<string, [string, number][]>;

  it('returns a first model with segments of similar shoppers, trained on the API’s events and profiles', async () => {
    // Prepare
    const items = Array.from({ length: 40 }, (_, j) => shopItem(j));
    expect((await call('PUT', '/v1/items', { items })).status).toBe(200);
    const events = plantedRecords().map((r, n) => ({
      eventId: uuid(n + 1),
      type: r.type,
      userId: r.userId,
      itemId: r.itemId,
      timestamp: new Date(r.timestamp).toISOString(),
    }));
    for (let i = 0; i < events.length; i += 500)
      expect((await call('POST', '/v1/events', { events: events.slice(i, i + 500) })).body).toMatchObject({
        rejected: [],
      });
    // u<n> is in taste group n % 4: each group lives in one country.
    const users = Array.from({ length: 80 }, (_, u) => ({ userId: `u${u}`, country: COUNTRIES[u % 4] }));
    users.push({ userId: 'newbie', country: 'France' });
    expect((await call('PUT', '/v1/users', { users })).body).toEqual({ upserted: 81, rejected: [] });

    // Act
    v1 = await retrain();

    // Assess
    const dirOf = join(dataDirLayout(dataDir).models, v1);
    segments = JSON.parse(await readFile(join(dirOf, 'segments.json'), 'utf8')).segments;
    expect(Object.keys(segments).sort()).toEqual(COUNTRIES.map((c) => `country=${c}`).sort());
    // France is group 1 (items i10–i19): its ten items are the top of its list.
    expect(segments['country=France']!.slice(0, 10).map(([id]) => groupOf(id))).toEqual(Array(10).fill(1));
  }, 180_000);

  it('returns a new shopper with a profile what is popular with shoppers of the same country, with that reason', async () => {
    // Act
    const newbie = await recommend('newbie');
    const stranger = await recommend('stranger');

    // Assess: the segment's list in its order through the per-category cap (five a category): group 1 first.
    expect(newbie.modelVersion).toBe(v1);
    const perGroup = [0, 0, 0, 0];
    const expected = segments['country=France']!.map(([id]) => id).filter(
      (id) => ++perGroup[groupOf(id)]! <= 5,
    );
    expect(newbie.items.map((i) => i.itemId)).toEqual(expected.slice(0, 10));
    expect(newbie.items.slice(0, 5).map((i) => groupOf(i.itemId))).toEqual([1, 1, 1, 1, 1]);
    expect(newbie.items.every((i) => i.reason === 'popular with shoppers in France')).toBe(true);
    // Without a profile: the trending/popular backfill, no segment reason.
    expect(
      stranger.items.map((i) => i.reason).every((r) => r === 'trending' || r.startsWith('popular')),
    ).toBe(true);
    expect(stranger.items.some((i) => i.reason.includes('shoppers in'))).toBe(false);
  });

  it('returns only liked, affordable items for stated preferences; a disliked category is never served', async () => {
    // Prepare: u0 is in group 0 (red mug); every red mug is disliked, prices above 18 are out (group 1 ≤ i17).
    const before = await recommend('u0');
    expect(before.items.filter((i) => groupOf(i.itemId) === 0).length).toBeGreaterThan(0);

    // Act
    const put = await call('PUT', '/v1/users/u0/preferences', {
      likedCategories: ['blue lamp'],
      dislikedCategories: ['red mug'],
      priceRange: { max: 18 },
    });
    const after = await recommend('u0');

    // Assess: group 1 within the price is all that is left (five, the per-category cap), each explained.
    expect(put.status).toBe(200);
    expect(after.items).toHaveLength(5);
    for (const item of after.items) {
      expect(groupOf(item.itemId)).toBe(1);
      expect(item.price).toBeLessThanOrEqual(18);
      expect(item.reason).toBe('matches your interest in blue lamp');
    }
  });

  it('returns similar items and trending for a signed-in shopper (?userId=) without what he dislikes, within his price', async () => {
    // Prepare: u0's preferences from the test above (no red mug, price ≤ 18, likes blue lamp).
    type Listed = { items: { itemId: string; reason: string; price: number | null }[] };
    const get = async (path: string) => (await call('GET', path)).body as unknown as Listed;

    // Act
    const similarAnyone = await get('/v1/items/i10/similar?k=10');
    const similarU0 = await get('/v1/items/i10/similar?k=10&userId=u0');
    const trendingAnyone = await get('/v1/trending?window=7d&k=20');
    const trendingU0 = await get('/v1/trending?window=7d&k=20&userId=u0');
    const stranger = await get('/v1/trending?window=7d&k=20&userId=stranger');
    const bad = await call('GET', '/v1/trending?userId=');

    // Assess: the blue lamps above 18 (i18, i19) are similar to i10 for anyone, not for u0.
    expect(similarAnyone.items.map((i) => i.itemId)).toEqual(expect.arrayContaining(['i18', 'i19']));
    expect(similarU0.items.map((i) => i.itemId).sort()).toEqual(
      ['i11', 'i12', 'i13', 'i14', 'i15', 'i16', 'i17'].sort(),
    );
    expect(similarU0.items.every((i) => i.reason === 'matches your interest in blue lamp')).toBe(true);
    expect(trendingAnyone.items.some((i) => groupOf(i.itemId) === 0)).toBe(true);
    expect(trendingU0.items.length).toBeGreaterThan(0);
    for (const item of trendingU0.items) {
      expect(groupOf(item.itemId)).not.toBe(0);
      expect(item.price).toBeLessThanOrEqual(18);
    }
    expect(stranger.items).toEqual(trendingAnyone.items);
    expect(bad).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_request', details: [{ path: 'userId' }] } },
    });
  });

  it('returns more of a liked category in a known shopper’s list, boosted and explained', async () => {
    // Prepare: u2 is in group 2 (green vase).
    const before = await recommend('u2');
    const towels = (r: Rec) => r.items.filter((i) => groupOf(i.itemId) === 3);

    // Act
    await call('PUT', '/v1/users/u2/preferences', { likedCategories: ['yellow towel'] });
    const after = await recommend('u2');

    // Assess
    expect(towels(after).length).toBeGreaterThan(towels(before).length);
    expect(towels(after).every((i) => i.reason === 'matches your interest in yellow towel')).toBe(true);
  });

  it('returns a forgotten shopper absent from everything at once, and from the next model and its lists', async () => {
    // Prepare
    expect(await runtime.publications.getRecommendations(v1, 'u1')).toBeDefined();
    expect((await runtime.store.recentActivity('u:u1')).length).toBe(10);

    // Act
    const forgotten = await call('DELETE', '/v1/users/u1');
    const served = await recommend('u1');
    const v2 = await retrain();

    // Assess: at once …
    expect(forgotten).toMatchObject({ status: 200, body: { userId: 'u1', hadProfile: true, versions: 1 } });
    expect((await call('GET', '/v1/users/u1')).status).toBe(404);
    expect(await runtime.publications.getRecommendations(v1, 'u1')).toBeUndefined();
    expect(await runtime.store.recentActivity('u:u1')).toEqual([]);
    expect(served.items.every((i) => i.reason === 'trending' || i.reason.startsWith('popular'))).toBe(true);
    // … and after the retrain the tombstone asked for.
    expect(v2).not.toBe(v1);
    const dirOf = join(dataDirLayout(dataDir).models, v2);
    const users = (await readFile(join(dirOf, 'users.txt'), 'utf8')).trim().split('\n');
    expect(users).toHaveLength(79);
    expect(users).not.toContain('u1');
    const manifest = JSON.parse(await readFile(join(dirOf, 'manifest.json'), 'utf8'));
    expect(manifest.data).toMatchObject({ forgotten: 10, users: 79 });
    expect(await runtime.publications.getRecommendations(v2, 'u1')).toBeUndefined();
    expect(await runtime.publications.getRecommendations(v2, 'u3')).toBeDefined();
    expect((await recommend('u1')).modelVersion).toBe(v2);
  }, 180_000);
});
