import { gunzipSync } from 'node:zlib';
import { CreateDeliveryStreamCommand, FirehoseClient } from '@aws-sdk/client-firehose';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDbLiveCounters } from '../../shared/adapters/aws/dynamodb-live-counters.ts';
import { createDynamoDbServingStore } from '../../shared/adapters/aws/dynamodb-serving-store.ts';
import { eventsPerDay, liveTrending } from '../../shared/live/windows.ts';
import { awsClientConfig } from '../helpers/aws-clients.ts';
import { type Dynalite, startDynalite } from '../helpers/dynalite.ts';
import { makeEvent } from '../helpers/events.ts';
import { type MotoServer, startMotoServer } from '../helpers/moto-server.ts';

type Handler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

const context = {
  functionName: 'recsys-test',
  awsRequestId: 'req-1',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:recsys-test',
  memoryLimitInMB: '512',
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

function apiEvent(
  method: string,
  resource: string,
  init: { body?: unknown; pathParameters?: Record<string, string> } = {},
) {
  return {
    httpMethod: method,
    resource,
    path: resource,
    headers: { 'content-type': 'application/json' },
    body: init.body === undefined ? null : JSON.stringify(init.body),
    isBase64Encoded: false,
    pathParameters: init.pathParameters ?? null,
    queryStringParameters: null,
    requestContext: { requestId: 'req-1' },
  } as unknown as APIGatewayProxyEvent;
}

/**
 * The Lambda entry points (functions/api/*\/handler.ts) exactly as deployed: configured only through the
 * environment the stack sets, talking to Firehose + S3 (moto_server) and DynamoDB (dynalite) endpoints.
 */
describe('Lambda entry points against AWS endpoints (moto_server, dynalite)', () => {
  let moto: MotoServer;
  let dynamo: Dynalite;
  let s3: S3Client;
  const saved = { ...process.env };

  beforeAll(async () => {
    [moto, dynamo] = await Promise.all([startMotoServer(), startDynalite()]);
    const tables = await dynamo.createTablesFromResources();
    const liveCounters = await dynamo.createLiveCountersTable();
    s3 = new S3Client(awsClientConfig(moto.endpoint));
    const firehose = new FirehoseClient(awsClientConfig(moto.endpoint));
    await s3.send(new CreateBucketCommand({ Bucket: 'lake' }));
    for (const zone of ['events', 'items']) {
      await firehose.send(
        new CreateDeliveryStreamCommand({
          DeliveryStreamName: `recsys-test-${zone}`,
          DeliveryStreamType: 'DirectPut',
          ExtendedS3DestinationConfiguration: {
            BucketARN: 'arn:aws:s3:::lake',
            RoleARN: 'arn:aws:iam::123456789012:role/firehose',
            Prefix: `raw/${zone}/`,
            CompressionFormat: 'GZIP',
          },
        }),
      );
    }
    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_ENDPOINT_URL_FIREHOSE: moto.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      RECSYS_EVENTS_STREAM: 'recsys-test-events',
      RECSYS_ITEMS_STREAM: 'recsys-test-items',
      RECSYS_CATALOG_TABLE: tables.catalogTable,
      RECSYS_ACTIVITY_TABLE: tables.activityTable,
      RECSYS_LIVE_COUNTERS_TABLE: liveCounters,
      POWERTOOLS_METRICS_DISABLED: 'true',
    });
  });
  afterAll(async () => {
    process.env = saved;
    await Promise.all([moto?.stop(), dynamo?.stop()]);
  });

  async function lakeLines(prefix: string): Promise<Record<string, unknown>[]> {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'lake', Prefix: prefix }));
    const out: Record<string, unknown>[] = [];
    for (const o of listed.Contents ?? []) {
      const got = await s3.send(new GetObjectCommand({ Bucket: 'lake', Key: o.Key! }));
      let bytes = Buffer.from(await got.Body!.transformToByteArray());
      if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
      for (const line of bytes.toString('utf8').split('\n')) if (line !== '') out.push(JSON.parse(line));
    }
    return out;
  }

  it('ingest-events: returns 202, lands the valid events in the lake and the activity table', async () => {
    const { handler } = (await import('../../functions/api/ingest-events/handler.ts')) as {
      handler: Handler;
    };
    const good = makeEvent({ userId: 'lambda-user', type: 'purchase', value: 1 });
    const res = await handler(
      apiEvent('POST', '/v1/events', { body: { events: [good, { type: 'view' }] } }),
      context,
    );
    expect(res.statusCode).toBe(202);
    expect(JSON.parse(res.body)).toMatchObject({ accepted: 1, rejected: [{ index: 1 }] });
    const landed = await lakeLines('raw/events/');
    expect(landed.map((e) => e.eventId)).toContain(good.eventId);
    expect(landed.find((e) => e.eventId === good.eventId)?.receivedAt).toEqual(expect.any(String));
    const store = createDynamoDbServingStore({
      client: dynamo.client,
      catalogTable: process.env.RECSYS_CATALOG_TABLE!,
      activityTable: process.env.RECSYS_ACTIVITY_TABLE!,
    });
    expect((await store.recentActivity('u:lambda-user')).map((a) => a.eventId)).toEqual([good.eventId]);
    // The live counters: the purchase is in the day's count and in the hour's trending.
    const counters = createDynamoDbLiveCounters({
      client: dynamo.client,
      table: process.env.RECSYS_LIVE_COUNTERS_TABLE!,
    });
    expect(await eventsPerDay(counters)).toEqual([
      { day: (good.timestamp as string).slice(0, 10), counts: { purchase: 1 } },
    ]);
    expect(await liveTrending(counters, '1h', Date.now())).toEqual([['sku-1', 5]]);
  });

  it('put-items and get-item: upsert through Firehose + DynamoDB, read back, 404 when unknown', async () => {
    const put = (await import('../../functions/api/put-items/handler.ts')) as { handler: Handler };
    const get = (await import('../../functions/api/get-item/handler.ts')) as { handler: Handler };
    const res = await put.handler(
      apiEvent('PUT', '/v1/items', {
        body: [{ itemId: '85123A', title: 'WHITE HANGING HEART T-LIGHT HOLDER', price: 2.55 }],
      }),
      context,
    );
    expect(res.statusCode).toBe(200);
    const found = await get.handler(
      apiEvent('GET', '/v1/items/{itemId}', { pathParameters: { itemId: '85123A' } }),
      context,
    );
    expect(found.statusCode).toBe(200);
    expect(JSON.parse(found.body)).toMatchObject({ itemId: '85123A', price: 2.55 });
    const missing = await get.handler(
      apiEvent('GET', '/v1/items/{itemId}', { pathParameters: { itemId: 'nope' } }),
      context,
    );
    expect(missing.statusCode).toBe(404);
    expect((await lakeLines('raw/items/')).map((i) => i.itemId)).toContain('85123A');
  });

  it('health: answers without touching AWS', async () => {
    const { handler } = (await import('../../functions/api/health/handler.ts')) as { handler: Handler };
    const res = await handler(apiEvent('GET', '/health'), context);
    expect(JSON.parse(res.body)).toMatchObject({ status: 'ok', runtime: 'aws' });
  });
});
