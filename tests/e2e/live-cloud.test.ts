import { randomUUID } from 'node:crypto';
import { paginateListObjectsV2 } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3ModelStore } from '../../shared/adapters/aws/s3-model-store.ts';
import { buildInteractions } from '../../shared/model/interactions.ts';
import { fitModel } from '../../shared/model/trained-model.ts';
import { plantedRecords } from '../fixtures/training-data.ts';
import { type StandInOperator, standInOperator } from '../helpers/cloud/operator.ts';
import { deployStandInStage, type StandInStage } from '../helpers/cloud/stack.ts';
import { groupOf, KNN, shopItem, testArtifactFiles } from '../helpers/serving-model.ts';

/**
 * Issue 16 items 6–7 and issue 14's data statistics through the packaged Lambdas on the stand-in stage: live
 * trending from the DynamoDB counters the ingest Lambda updates, the impressions stream into raw/impressions, and
 * GET /v1/admin/data without Athena. No retrain: a model artifact is written to the lake bucket as one would be.
 */
const API_KEY = 'standin-key';
const V1 = '20240301T000000Z-000000a1';

let stage: StandInStage;
let op: StandInOperator;

beforeAll(async () => {
  stage = await deployStandInStage('ci');
  op = standInOperator(stage, API_KEY);
}, 600_000);

afterAll(async () => {
  op?.close();
  await stage?.stop();
});

const api = async (method: string, path: string, body?: unknown) => {
  const r = await stage.api.request(method, path, {
    apiKey: API_KEY,
    ...(body !== undefined ? { body } : {}),
  });
  return r as { statusCode: number; body: Record<string, unknown> };
};
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
const event = (type: string, itemId: string, timestamp: string, n = 0) => ({
  eventId: randomUUID(),
  type,
  userId: `live-${n}`,
  itemId,
  timestamp,
});
type Item = { itemId: string; score: number; reason: string };

describe('Live counters and impressions on the stand-in stage', () => {
  const events = [
    ...Array.from({ length: 6 }, (_, n) => event('purchase', 'i3', ago(60_000), n)),
    ...Array.from({ length: 3 }, (_, n) => event('add_to_cart', 'i25', ago(120_000), n)),
    event('view', 'i7', ago(30_000)),
    event('purchase', 'i11', ago(2 * 3_600_000)),
  ];
  let first: { source: string; items: Item[] };
  let live: { source: string; items: Item[] };

  it('serves the trained trending (source "model"), then the ingested purchases first in window=1h without a retrain', {
    timeout: 120_000,
  }, async () => {
    // Prepare: the catalog through the API; a model in the lake bucket (as a retrain leaves it).
    const items = Array.from({ length: 40 }, (_, j) => shopItem(j));
    expect((await api('PUT', '/v1/items', { items })).statusCode).toBe(200);
    const records = plantedRecords();
    const data = buildInteractions(records);
    const model = fitModel(data, records, KNN, { catalog: items, threads: 1 });
    await createS3ModelStore({ client: op.s3, bucket: stage.name('LakeBucket') }).write(
      V1,
      testArtifactFiles(model, data, records.length, V1),
    );

    // Act
    const asked = Date.now();
    const before = await api('GET', '/v1/trending?window=1h&k=5');
    const answered = Date.now();
    const ingested = await api('POST', '/v1/events', { events });
    // The container keeps a window's counter read for 5 s (one read per window, not per request): until then the
    // events do not show; after it, the next request reads them.
    const held = await api('GET', '/v1/trending?window=1h&k=5');
    const heldFor = Date.now() - asked;
    await new Promise((r) => setTimeout(r, Math.max(0, answered + 5_100 - Date.now())));
    const after = await api('GET', '/v1/trending?window=1h&k=5');
    const day = await api('GET', '/v1/trending?window=24h&k=4');

    // Assess
    expect(before.statusCode, JSON.stringify(before.body)).toBe(200);
    first = before.body as typeof first;
    expect(before.body).toMatchObject({
      source: 'model',
      modelVersion: V1,
      asOf: '2024-03-05T00:00:00.000Z',
    });
    expect(first.items.every((i) => i.reason === 'trending')).toBe(true);
    expect(ingested.statusCode).toBe(202);
    if (heldFor < 5_000) expect(held.body).toMatchObject({ source: 'model', items: first.items });
    live = after.body as typeof live;
    expect(after.body).toMatchObject({ source: 'live', modelVersion: V1 });
    expect(live.items.slice(0, 3).map((i) => [i.itemId, i.score, i.reason])).toEqual([
      ['i3', 30, 'trending now'],
      ['i25', 9, 'trending now'],
      ['i7', 1, 'trending now'],
    ]);
    expect((day.body.items as Item[]).map((i) => [i.itemId, i.score])).toEqual([
      ['i3', 30],
      ['i25', 9],
      ['i11', 5],
      ['i7', 1],
    ]);
  });

  it('records every served list through the impressions stream into raw/impressions', async () => {
    // Act
    const user = await api('GET', '/v1/users/u0/recommendations?k=3');
    const similar = await api('GET', '/v1/items/i1/similar?k=2');
    const delivered = await stage.firehose.flush();
    // In the order served: the delivered objects' keys do not follow it (the stand-in Firehose names them by second).
    const lines = (await op.lakeLines('raw/impressions/')).sort((a, b) =>
      String(a.timestamp).localeCompare(String(b.timestamp)),
    );

    // Assess
    expect(delivered.filter((k) => k.startsWith('raw/impressions/')).length).toBeGreaterThan(0);
    expect(
      delivered
        .filter((k) => k.startsWith('raw/impressions/'))
        .every((k) =>
          /^raw\/impressions\/year=\d{4}\/month=\d{2}\/day=\d{2}\/recsys-ci-impressions-.*\.gz$/.test(k),
        ),
    ).toBe(true);
    const ids = (items: unknown) => (items as Item[]).map((i) => i.itemId);
    expect(lines.map(({ timestamp, recommendationId, ...rest }) => rest)).toEqual([
      {
        list: 'trending',
        shopper: null,
        variant: 'model',
        modelVersion: V1,
        items: ids(first.items),
        sampleRate: 1,
      },
      expect.objectContaining({ list: 'trending' }),
      {
        list: 'trending',
        shopper: null,
        variant: 'live',
        modelVersion: V1,
        items: ids(live.items),
        sampleRate: 1,
      },
      expect.objectContaining({ list: 'trending', variant: 'live' }),
      {
        list: 'user',
        shopper: 'u:u0',
        variant: 'champion',
        modelVersion: V1,
        items: ids(user.body.items),
        sampleRate: 1,
      },
      {
        list: 'similar',
        shopper: null,
        variant: 'champion',
        modelVersion: V1,
        items: ids(similar.body.items),
        sampleRate: 1,
      },
    ]);
    expect(lines[4]!.recommendationId).toBe(user.body.recommendationId);
  });

  it('answers GET /v1/admin/data from the counters, the model’s data summary, the catalog table and the lake listing', async () => {
    // Prepare: the lake's raw zones as S3 lists them.
    let objects = 0;
    let bytes = 0;
    for (const prefix of ['raw/events/', 'raw/items/'])
      for await (const page of paginateListObjectsV2(
        { client: op.s3 },
        { Bucket: stage.name('LakeBucket'), Prefix: prefix },
      ))
        for (const o of page.Contents ?? []) {
          objects++;
          bytes += o.Size ?? 0;
        }

    // Act
    const res = await api('GET', '/v1/admin/data');

    // Assess
    expect(res.statusCode, JSON.stringify(res.body)).toBe(200);
    const perDay = new Map<string, Record<string, number>>();
    for (const e of events) {
      const counts = perDay.get(e.timestamp.slice(0, 10)) ?? {};
      counts[e.type] = (counts[e.type] ?? 0) + 1;
      perDay.set(e.timestamp.slice(0, 10), counts);
    }
    const manifest = JSON.parse(
      new TextDecoder().decode(
        await createS3ModelStore({ client: op.s3, bucket: stage.name('LakeBucket') }).read(
          V1,
          'manifest.json',
        ),
      ),
    );
    expect(objects).toBeGreaterThan(0);
    expect(res.body).toMatchObject({
      events: 11,
      eventsPerType: { purchase: 7, add_to_cart: 3, view: 1 },
      eventsPerDay: [...perDay.entries()].sort().map(([d, counts]) => ({ day: d, counts })),
      shoppers: manifest.data.users,
      items: manifest.data.items,
      catalogSize: 40,
      lake: { objects, bytes },
      figures: {
        events: { source: 'counters updated on ingest' },
        shoppers: { source: `the training data of model ${V1}`, asOf: manifest.createdAt },
        catalogSize: { source: 'a count of the catalog table (kept 5 minutes)' },
        lake: { source: 'S3 listing of raw/events and raw/items' },
      },
    });
    expect(manifest.data.users).toBe(80);
  });

  it("applies a signed-in shopper's preferences (?userId=) to trending and similar items on the packaged Lambdas", async () => {
    // Prepare: a shopper who dislikes i3's category and spends at most 24 (i23 costs 24).
    const disliked = shopItem(3).categories[1]!;
    const prefs = await api('PUT', '/v1/users/shopper-p/preferences', {
      dislikedCategories: [disliked],
      priceRange: { max: 24 },
    });

    // Act
    const trendingP = await api('GET', '/v1/trending?window=1h&k=5&userId=shopper-p');
    const similarAnyone = await api('GET', '/v1/items/i25/similar?k=5');
    const similarP = await api('GET', '/v1/items/i25/similar?k=5&userId=shopper-p');

    const prices = (r: { body: Record<string, unknown> }) =>
      (r.body.items as { price: number | null }[]).map((i) => i.price ?? 0);

    // Assess: i3 (first for anyone) is gone; i25 (price 26) is over the range, i7 is the same category as i3.
    expect(prefs.statusCode).toBe(201);
    expect(trendingP.statusCode).toBe(200);
    const trendingIds = (trendingP.body.items as Item[]).map((i) => i.itemId);
    expect(trendingIds).not.toContain('i3');
    expect(trendingIds).not.toContain('i25');
    expect(trendingIds).toHaveLength(5);
    for (const id of trendingIds) expect(groupOf(id)).not.toBe(0);
    expect(Math.max(...prices(trendingP))).toBeLessThanOrEqual(24);
    expect(Math.max(...prices(similarAnyone))).toBeGreaterThan(24);
    // i25's kind (green vase, i20–i29) within the range, i20–i23, then the nearest neighbour below 24.
    const similarIds = (similarP.body.items as Item[]).map((i) => i.itemId);
    expect(similarIds).toHaveLength(5);
    expect(similarIds).toEqual(expect.arrayContaining(['i20', 'i21', 'i22', 'i23']));
    expect(Math.max(...prices(similarP))).toBeLessThanOrEqual(24);
  });
});
