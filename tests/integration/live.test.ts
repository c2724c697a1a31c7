import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalRuntime } from '../../local/runtime.ts';
import { startLocalServer } from '../../local/server/http-server.ts';
import { localRoutes } from '../../local/server/routes.ts';
import { listLakeObjects, readLakeZone } from '../../shared/adapters/local/lake-reader.ts';
import { exposuresFromImpressions } from '../../shared/live/exposures.ts';
import { startExperiment } from '../../shared/serving/experiments.ts';
import { TEST_API_KEY } from '../helpers/local-api.ts';
import { groupOf, IALS, KNN, publishTestModel, shopItem } from '../helpers/serving-model.ts';

/**
 * Live trending and impressions through the local server's HTTP routes (issue 16, items 6–7): the planted shop's
 * model V1 (trained on 2024 events, so its trending is as of then), then events of now.
 */
const V1 = '20240301T000000Z-000000a1';
const V2 = '20240302T000000Z-000000b2';

interface Item {
  itemId: string;
  score: number;
  reason: string;
}
interface Answer {
  recommendationId: string;
  source: string;
  modelVersion: string | null;
  asOf: string | null;
  variant: string;
  items: Item[];
}

let dataDir: string;
let runtime: Awaited<ReturnType<typeof openLocalRuntime>>;
let server: Awaited<ReturnType<typeof startLocalServer>>;

const request = (path: string, init: RequestInit = {}) =>
  fetch(`${server.url}${path}`, {
    ...init,
    headers: { 'x-api-key': TEST_API_KEY, 'content-type': 'application/json', ...init.headers },
  });
const get = async (path: string) => {
  const res = await request(path);
  expect(res.status, path).toBe(200);
  return (await res.json()) as Answer;
};
const rows = (a: Answer) => a.items.map((i) => [i.itemId, i.score, i.reason]);
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
const event = (type: string, itemId: string, timestamp: string, n = 0) => ({
  eventId: randomUUID(),
  type,
  userId: `live-${n}`,
  itemId,
  timestamp,
});

/** The model's trained trending list of a window, best first (trending.json of its artifact). */
async function trained(window: string): Promise<string[]> {
  const file = JSON.parse(await readFile(join(dataDir, 'models', V1, 'trending.json'), 'utf8'));
  const ids = (await readFile(join(dataDir, 'models', V1, 'items.txt'), 'utf8')).split('\n');
  const list = file.windows?.[window] as [string | number, number][];
  return list.map(([id]) => (typeof id === 'number' ? ids[id]! : id));
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'recsys-live-'));
  runtime = await openLocalRuntime({ dataDir });
  await publishTestModel(dataDir, runtime.publications, V1, IALS);
  await runtime.publications.putDeployment(
    { revision: 1, champion: V1, updatedAt: new Date().toISOString(), reason: 'test' },
    undefined,
  );
  server = await startLocalServer({
    routes: localRoutes(runtime, 'test', { deploymentTtlMs: 0, catalogTtlMs: 0 }),
    apiKey: TEST_API_KEY,
    port: 0,
  });
  const items = Array.from({ length: 40 }, (_, j) => shopItem(j));
  expect((await request('/v1/items', { method: 'PUT', body: JSON.stringify({ items }) })).status).toBe(200);
}, 60_000);

afterAll(async () => {
  await server?.close();
  await runtime?.close().catch(() => {});
  await rm(dataDir, { recursive: true, force: true });
});

describe('Live trending: GET /v1/trending from the counters updated on ingest', () => {
  it('serves the trained list (source "model") while the counters have nothing in the window', async () => {
    // Act
    const hour = await get('/v1/trending?window=1h&k=5');

    // Assess
    expect(hour).toMatchObject({ source: 'model', modelVersion: V1, asOf: '2024-03-05T00:00:00.000Z' });
    expect(hour.items.map((i) => i.itemId)).toEqual((await trained('1h')).slice(0, 5));
    expect(hour.items.every((i) => i.reason === 'trending')).toBe(true);
  });

  it('puts an item bought many times in the last minutes first in window=1h, without a retrain', async () => {
    // Prepare: i3 bought 6 times now, i25 carted 3 times, i7 viewed once; i11 bought two hours ago.
    const events = [
      ...Array.from({ length: 6 }, (_, n) => event('purchase', 'i3', ago(60_000), n)),
      ...Array.from({ length: 3 }, (_, n) => event('add_to_cart', 'i25', ago(120_000), n)),
      event('view', 'i7', ago(30_000)),
      event('purchase', 'i11', ago(2 * 3_600_000)),
    ];
    const posted = await request('/v1/events', { method: 'POST', body: JSON.stringify({ events }) });
    expect(posted.status).toBe(202);

    // Act
    const hour = await get('/v1/trending?window=1h&k=5');
    const day = await get('/v1/trending?window=24h&k=4');
    const vases = await get(`/v1/trending?window=1h&k=3&category=${encodeURIComponent('green vase')}`);

    // Assess: weights of event-weights.json (purchase 5, add_to_cart 3, view 1); then the trained list tops up.
    expect(hour).toMatchObject({ source: 'live', modelVersion: V1 });
    expect(Date.now() - Date.parse(hour.asOf!)).toBeLessThan(60_000);
    expect(rows(hour).slice(0, 3)).toEqual([
      ['i3', 30, 'trending now'],
      ['i25', 9, 'trending now'],
      ['i7', 1, 'trending now'],
    ]);
    const topUp = (await trained('1h')).filter((id) => !['i3', 'i25', 'i7'].includes(id)).slice(0, 2);
    expect(hour.items.slice(3).map((i) => [i.itemId, i.reason])).toEqual(topUp.map((id) => [id, 'trending']));
    expect(rows(day)).toEqual([
      ['i3', 30, 'trending now'],
      ['i25', 9, 'trending now'],
      ['i11', 5, 'trending now'],
      ['i7', 1, 'trending now'],
    ]);
    const green = (await trained('1h')).filter((id) => groupOf(id) === 2 && id !== 'i25').slice(0, 2);
    expect(vases.items.map((i) => i.itemId)).toEqual(['i25', ...green]);
    // No retrain happened: the one model is still the only one.
    expect((await readdir(join(dataDir, 'models'))).filter((v) => !v.startsWith('.'))).toEqual([V1]);
  });

  it('counts feedback’s events too (a purchase through POST /v1/feedback)', async () => {
    // Prepare
    const before = await get('/v1/trending?window=1h&k=10');
    const i7 = before.items.find((i) => i.itemId === 'i7')!.score;

    // Act
    const list = await get('/v1/users/u0/recommendations?k=3');
    const fb = await request('/v1/feedback', {
      method: 'POST',
      body: JSON.stringify({
        recommendationId: list.recommendationId,
        userId: 'u0',
        itemId: 'i7',
        action: 'purchase',
      }),
    });
    const after = await get('/v1/trending?window=1h&k=10');

    // Assess
    expect(fb.status).toBe(202);
    expect(after.items.find((i) => i.itemId === 'i7')!.score).toBe(i7 + 5);
  });
});

describe('Impressions: every served list in the lake’s raw/impressions', () => {
  it('records the user, session, similar and trending lists with their ids, shopper, variant and items in order', async () => {
    // Prepare
    await runtime.flush();
    const already = new Set((await lines()).map((l) => l.recommendationId));

    // Act
    const user = await get('/v1/users/u1/recommendations?k=3');
    const session = await get('/v1/sessions/s-9/recommendations?k=2');
    const similar = await get('/v1/items/i1/similar?k=4');
    const trending = await get('/v1/trending?window=7d&k=2');
    await runtime.flush();
    const recorded = (await lines()).filter((l) => !already.has(l.recommendationId));

    // Assess
    const ids = (a: Answer) => a.items.map((i) => i.itemId);
    expect(recorded.map(({ timestamp, recommendationId, ...rest }) => rest)).toEqual([
      {
        list: 'user',
        shopper: 'u:u1',
        variant: 'champion',
        modelVersion: V1,
        items: ids(user),
        sampleRate: 1,
      },
      {
        list: 'session',
        shopper: 's:s-9',
        variant: 'champion',
        modelVersion: V1,
        items: ids(session),
        sampleRate: 1,
      },
      {
        list: 'similar',
        shopper: null,
        variant: 'champion',
        modelVersion: V1,
        items: ids(similar),
        sampleRate: 1,
      },
      {
        list: 'trending',
        shopper: null,
        variant: 'live',
        modelVersion: V1,
        items: ids(trending),
        sampleRate: 1,
      },
    ]);
    expect(recorded[0]!.recommendationId).toBe(user.recommendationId);
    expect(recorded[1]!.recommendationId).toBe(session.recommendationId);
    expect(new Set(recorded.map((l) => l.recommendationId)).size).toBe(4);
    const keys = await listLakeObjects(join(dataDir, 'lake'), 'raw/impressions');
    expect(
      keys.every((k) =>
        /^raw\/impressions\/year=\d{4}\/month=\d{2}\/day=\d{2}\/recsys-local-impressions-1-.*\.gz$/.test(k),
      ),
      keys[0],
    ).toBe(true);
  });

  it('counts an experiment’s exposures from the impressions exactly as the experiment counters do', async () => {
    // Prepare
    await publishTestModel(dataDir, runtime.publications, V2, KNN);
    const current = await runtime.publications.getDeployment();
    await runtime.publications.putDeployment(
      startExperiment(current, { name: 'live-exp', challenger: V2, weight: 0.5, now: new Date() }),
      current!.revision,
    );

    // Act: 30 shoppers, a list each, one shopper twice.
    const served: Answer[] = [];
    for (let n = 0; n < 30; n++) served.push(await get(`/v1/users/u${n}/recommendations?k=3`));
    served.push(await get('/v1/users/u0/recommendations?k=3'));
    await runtime.flush();
    const fromLake = await exposuresFromImpressions(
      readLakeZone(join(dataDir, 'lake'), 'raw/impressions'),
      'live-exp',
    );
    const report = (await (await request('/v1/experiments/live-exp')).json()) as {
      variants: { variant: string; exposures: number }[];
    };

    // Assess
    const byVariant = (v: string) => served.filter((s) => s.variant === v).length;
    expect(fromLake).toEqual(
      ['challenger', 'champion']
        .filter((v) => byVariant(v) > 0)
        .map((v) => ({ variant: v, recorded: byVariant(v), estimated: byVariant(v) })),
    );
    expect(Object.fromEntries(report.variants.map((v) => [v.variant, v.exposures]))).toEqual(
      Object.fromEntries(fromLake.map((v) => [v.variant, v.recorded])),
    );
    expect(fromLake.reduce((n, v) => n + v.recorded, 0)).toBe(31);
  });
});

interface Line {
  recommendationId: string;
  list: string;
  shopper: string | null;
  variant: string;
  modelVersion: string | null;
  items: string[];
  timestamp: string;
  sampleRate: number;
}

async function lines(): Promise<Line[]> {
  const out: Line[] = [];
  for await (const l of readLakeZone(join(dataDir, 'lake'), 'raw/impressions')) out.push(l as Line);
  return out;
}
