import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASKET_ITEMS, basketEvents, plantedBaskets } from '../fixtures/baskets.ts';
import { type StandInOperator, standInOperator } from '../helpers/cloud/operator.ts';
import { deployStandInStage, type StandInStage } from '../helpers/cloud/stack.ts';

/**
 * The basket routes on the stand-in stage: baskets in through the packaged ingest Lambda and Firehose, the
 * TypeScript trainer (what TrainOnPrimary runs) from the S3 lake to the S3 model store, and the packaged
 * bought-together, cart and rerank Lambdas answering from what it published (the newest artifact in S3) and the
 * shopper's activity in DynamoDB.
 */
const API_KEY = 'standin-key';
const VERSION = '20261101T000000Z-0badca75';
let stage: StandInStage;
let op: StandInOperator;

interface Answer {
  modelVersion: string | null;
  variant?: string;
  items: { itemId: string; score: number | null; reason?: string }[];
  error?: { details: { path: string }[] };
}
const ids = (body: unknown) => (body as Answer).items.map((i) => i.itemId);

function trainer(bucket: string): Promise<{ code: number | null; out: string }> {
  const args = [
    join(import.meta.dirname, '../../jobs/trainer/entry.ts'),
    ...['--events', `s3://${bucket}/raw/events/`, '--items', `s3://${bucket}/raw/items/`],
    ...['--out', `s3://${bucket}/models/${VERSION}/`, '--version', VERSION, '--model', 'item-knn'],
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env: {
        PATH: process.env.PATH ?? '',
        AWS_ENDPOINT_URL_S3: stage.moto.endpoint,
        AWS_ACCESS_KEY_ID: 'testing',
        AWS_SECRET_ACCESS_KEY: 'testing',
        AWS_REGION: 'us-east-1',
        RECSYS_THREADS: '1',
      },
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, out }));
  });
}

beforeAll(async () => {
  stage = await deployStandInStage('ci');
  op = standInOperator(stage, API_KEY);
}, 600_000);

afterAll(async () => {
  op?.close();
  await stage?.stop();
});

describe('Baskets on the stand-in stage', () => {
  it('learns complements from the baskets that went through Firehose, and the packaged Lambdas serve them', {
    timeout: 120_000,
  }, async () => {
    // Prepare: the catalog and the baskets through the API, Firehose flushed into the lake, the trainer run.
    expect(
      (await stage.api.request('PUT', '/v1/items', { apiKey: API_KEY, body: { items: BASKET_ITEMS } }))
        .statusCode,
    ).toBe(200);
    const posted = await stage.api.request('POST', '/v1/events', {
      apiKey: API_KEY,
      body: { events: basketEvents() },
    });
    expect(posted.statusCode, JSON.stringify(posted.body).slice(0, 300)).toBe(202);
    await stage.firehose.flush();
    expect((await op.lakeLines('raw/events/')).filter((e) => e.orderId === 'o0')).toHaveLength(3);
    const trained = await trainer(stage.name('LakeBucket'));
    expect(trained.code, trained.out).toBe(0);

    // Act + Assess: bought together
    const one = await stage.api.request('GET', '/v1/items/cup-red/bought-together?k=5', { apiKey: API_KEY });
    expect(one.statusCode, JSON.stringify(one.body)).toBe(200);
    expect(one.body).toMatchObject({ itemId: 'cup-red', modelVersion: VERSION });
    expect((one.body as Answer).items.map((i) => [i.itemId, i.reason])).toEqual([
      ['teapot', 'often bought with Red Spotty Tea Cup'],
      ['saucer', 'often bought with Red Spotty Tea Cup'],
    ]);
    expect(
      (await stage.api.request('GET', '/v1/items/nope/bought-together', { apiKey: API_KEY })).statusCode,
    ).toBe(404);

    // a cart: its substitutes out
    const cart = await stage.api.request('POST', '/v1/carts/recommendations', {
      apiKey: API_KEY,
      body: { items: ['cup-red', 'saucer'] },
    });
    expect(cart.statusCode).toBe(200);
    expect(ids(cart.body)).toEqual(['teapot']);
    const empty = await stage.api.request('POST', '/v1/carts/recommendations', {
      apiKey: API_KEY,
      body: { items: [] },
    });
    expect(empty.statusCode).toBe(400);
    expect((empty.body as Answer).error?.details[0]?.path).toBe('items');

    // rerank: the shopper's history, then a fresh event from the activity table
    expect(plantedBaskets()[20]).toEqual(['cup-blue', 'saucer']);
    const reranked = await stage.api.request('POST', '/v1/users/b20/rerank', {
      apiKey: API_KEY,
      body: { items: ['zzz-1', 'f0', 'bag', 'cup-red'] },
    });
    expect(reranked.statusCode, JSON.stringify(reranked.body)).toBe(200);
    expect(reranked.body).toMatchObject({ userId: 'b20', modelVersion: VERSION, variant: 'champion' });
    expect(ids(reranked.body)).toEqual(['cup-red', 'bag', 'f0', 'zzz-1']);
    const tooMany = await stage.api.request('POST', '/v1/users/b20/rerank', {
      apiKey: API_KEY,
      body: { items: Array.from({ length: 501 }, (_, i) => `i${i}`) },
    });
    expect(tooMany.statusCode).toBe(400);

    // personalised cart: the walk-in shopper's teapot in the cart (DynamoDB activity) puts the red cup first
    const walkIn = { items: ['saucer'], userId: 'walk-in' };
    expect(
      ids(
        (await stage.api.request('POST', '/v1/carts/recommendations', { apiKey: API_KEY, body: walkIn }))
          .body,
      ),
    ).toEqual(['cup-blue', 'cup-red']);
    const event = {
      eventId: '00000000-0000-4000-a000-000000000001',
      type: 'add_to_cart',
      userId: 'walk-in',
      itemId: 'teapot',
      timestamp: new Date().toISOString(),
    };
    expect(
      (await stage.api.request('POST', '/v1/events', { apiKey: API_KEY, body: { events: [event] } }))
        .statusCode,
    ).toBe(202);
    expect(
      ids(
        (await stage.api.request('POST', '/v1/carts/recommendations', { apiKey: API_KEY, body: walkIn }))
          .body,
      ),
    ).toEqual(['cup-red', 'cup-blue']);
  });
});
