import { randomUUID } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import {
  CreateDeliveryStreamCommand,
  DescribeDeliveryStreamCommand,
  FirehoseClient,
  type PutRecordBatchCommandOutput,
  type PutRecordBatchInput,
  type ServiceInputTypes,
  type ServiceOutputTypes,
  ServiceUnavailableException,
} from '@aws-sdk/client-firehose';
import { CreateBucketCommand, GetObjectCommand, paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';
import type { InitializeMiddleware } from '@smithy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFirehoseSink } from '../../shared/adapters/aws/firehose-sink.ts';
import type { SinkRecord } from '../../shared/ports/record-sink.ts';
import { awsClientConfig } from '../helpers/aws-clients.ts';
import { type MotoServer, startMotoServer } from '../helpers/moto-server.ts';

const PREFIX = 'raw/events/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/';
const ERROR_PREFIX = 'errors/events/!{firehose:error-output-type}/year=!{timestamp:yyyy}/';

let moto: MotoServer;
let s3: S3Client;

beforeAll(async () => {
  moto = await startMotoServer();
  s3 = new S3Client(awsClientConfig(moto.endpoint));
});

afterAll(async () => {
  s3?.destroy();
  await moto?.stop();
});

/** A client whose SDK retries are off, so every PutRecordBatch the sink makes is one HTTP call we can count. */
function firehoseClient(): FirehoseClient {
  return new FirehoseClient({ ...awsClientConfig(moto.endpoint), maxAttempts: 1 });
}

/** A fresh bucket and Direct PUT stream per test, configured as resources/ configures the real one. */
async function createLake(): Promise<{ bucket: string; stream: string }> {
  const suffix = randomUUID().slice(0, 8);
  const bucket = `lake-${suffix}`;
  const stream = `events-${suffix}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const firehose = firehoseClient();
  await firehose.send(
    new CreateDeliveryStreamCommand({
      DeliveryStreamName: stream,
      DeliveryStreamType: 'DirectPut',
      ExtendedS3DestinationConfiguration: {
        BucketARN: `arn:aws:s3:::${bucket}`,
        RoleARN: 'arn:aws:iam::123456789012:role/firehose-delivery',
        Prefix: PREFIX,
        ErrorOutputPrefix: ERROR_PREFIX,
        CompressionFormat: 'GZIP',
        BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 64 },
      },
    }),
  );
  firehose.destroy();
  return { bucket, stream };
}

interface LakeObject {
  key: string;
  body: Uint8Array;
  lines: string[];
}

const isGzip = (bytes: Uint8Array) => bytes[0] === 0x1f && bytes[1] === 0x8b;

async function readLake(bucket: string): Promise<LakeObject[]> {
  const objects: LakeObject[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket })) {
    for (const { Key } of page.Contents ?? []) {
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
      const body = await got.Body!.transformToByteArray();
      const text = Buffer.from(isGzip(body) ? gunzipSync(body) : body).toString('utf8');
      expect(text.endsWith('\n')).toBe(true);
      objects.push({ key: Key!, body, lines: text.slice(0, -1).split('\n') });
    }
  }
  return objects;
}

function makeRecords(count: number, tag = 'ok'): SinkRecord[] {
  return Array.from({ length: count }, (_, i) => {
    const eventId = randomUUID();
    // Non-ASCII text checks that framing counts and carries bytes, not UTF-16 units.
    const json = JSON.stringify({ eventId, type: 'view', userId: `u${i % 37}`, itemId: `ïtem-${i}-✓`, tag });
    return { id: eventId, json };
  });
}

/** Every record's JSON appears as exactly one line across all objects, and nothing else does. */
function expectExactlyOnce(objects: LakeObject[], records: readonly SinkRecord[]) {
  const lines = objects.flatMap((o) => o.lines).sort();
  expect(lines).toEqual(records.map((r) => r.json).sort());
}

type Middleware = InitializeMiddleware<ServiceInputTypes, ServiceOutputTypes>;

/**
 * Stands between the sink and the real moto_server: records picked by `refuse` are kept out of the real
 * request and come back as ServiceUnavailableException entries at their positions, as Firehose reports a
 * partially throttled batch. Every request as the sink made it is kept in `calls`.
 */
function injectRefusals(
  client: FirehoseClient,
  refuse: (record: string, call: number) => boolean,
): { calls: string[][] } {
  const calls: string[][] = [];
  const middleware: Middleware = (next, context) => async (args) => {
    if (context.commandName !== 'PutRecordBatchCommand') return next(args);
    const input = args.input as PutRecordBatchInput;
    const sent = (input.Records ?? []).map((r) => Buffer.from(r.Data!).toString('utf8'));
    const call = calls.push(sent) - 1;
    const refused = sent.map((record) => refuse(record, call));
    const forwarded = (input.Records ?? []).filter((_, i) => !refused[i]);
    if (forwarded.length === 0) {
      throw new ServiceUnavailableException({ message: 'Slow down.', $metadata: { httpStatusCode: 503 } });
    }
    const result = await next({ ...args, input: { ...input, Records: forwarded } });
    const output = result.output as PutRecordBatchCommandOutput;
    const real = [...(output.RequestResponses ?? [])];
    const RequestResponses = refused.map((isRefused) =>
      isRefused ? { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' } : real.shift()!,
    );
    const FailedPutCount = refused.filter(Boolean).length;
    return { ...result, output: { ...output, FailedPutCount, RequestResponses } };
  };
  client.middlewareStack.add(middleware, { step: 'initialize', name: 'injectRefusals' });
  return { calls };
}

describe('Adapter: Firehose sink against moto_server', () => {
  it('returns no failures and lands 1,200 records in S3 exactly once under raw/events/', async () => {
    // Prepare
    const { bucket, stream } = await createLake();
    const client = firehoseClient();
    const sink = createFirehoseSink({ client, deliveryStreamName: stream });
    const records = makeRecords(1_200);

    // Act
    const result = await sink.put(records);
    await sink.close();
    client.destroy();

    // Assess
    expect(result.failed).toEqual([]);
    const objects = await readLake(bucket);
    expectExactlyOnce(objects, records);
    for (const { key } of objects) expect(key.startsWith('raw/events/')).toBe(true);
  });

  it('returns the stream configured with the prefix, error prefix and GZIP, and objects as moto writes them', async () => {
    // Prepare
    const { bucket, stream } = await createLake();
    const client = firehoseClient();
    const records = makeRecords(501);

    // Act
    const description = await client.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: stream }));
    await createFirehoseSink({ client, deliveryStreamName: stream }).put(records);
    client.destroy();

    // Assess: the configuration is kept as given...
    const destination =
      description.DeliveryStreamDescription?.Destinations?.[0]?.ExtendedS3DestinationDescription;
    expect(destination).toMatchObject({
      Prefix: PREFIX,
      ErrorOutputPrefix: ERROR_PREFIX,
      CompressionFormat: 'GZIP',
    });
    // ...but moto (5.2.x) delivers each PutRecordBatch at once as one object, uncompressed, keyed by the
    // Prefix verbatim (the !{timestamp:…} expressions are not evaluated) plus its own YYYY/MM/DD/HH/ and
    // <stream>-<version>-<time>-<uuid>. Should a moto upgrade change this, the lake layout assertions of
    // the local adapter and these need a second look.
    const objects = await readLake(bucket);
    expect(objects.map((o) => o.lines.length).sort((a, b) => a - b)).toEqual([1, 500]);
    const literalPrefix = PREFIX.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    for (const { key, body } of objects) {
      expect(key).toMatch(
        new RegExp(`^${literalPrefix}\\d{4}/\\d{2}/\\d{2}/\\d{2}/${stream}-1-[-\\d]+-[0-9a-f-]{36}$`),
      );
      expect(isGzip(body)).toBe(false);
    }
  });

  it('returns too_large for a record over 1,000 KiB and lands the others', async () => {
    // Prepare
    const { bucket, stream } = await createLake();
    const client = firehoseClient();
    const records = makeRecords(10);
    const huge = { id: 'huge', json: JSON.stringify({ eventId: 'huge', padding: 'x'.repeat(1_024_000) }) };
    records.splice(4, 0, huge);

    // Act
    const result = await createFirehoseSink({ client, deliveryStreamName: stream }).put(records);
    client.destroy();

    // Assess
    expect(result.failed).toEqual([expect.objectContaining({ index: 4, id: 'huge', code: 'too_large' })]);
    expectExactlyOnce(
      await readLake(bucket),
      records.filter((r) => r !== huge),
    );
  });

  it('returns no failures after a partial failure, resending exactly the refused records once', async () => {
    // Prepare: the first call loses the first, the last and every 7th record of a 400-record batch.
    const { bucket, stream } = await createLake();
    const client = firehoseClient();
    const records = makeRecords(400);
    const refusedJson = new Set(
      records.filter((_, i) => i === 0 || i === 399 || i % 7 === 3).map((r) => `${r.json}\n`),
    );
    const { calls } = injectRefusals(client, (record, call) => call === 0 && refusedJson.has(record));
    const delays: number[] = [];
    const sink = createFirehoseSink({
      client,
      deliveryStreamName: stream,
      baseDelayMs: 20,
      sleep: async (ms) => {
        delays.push(ms);
        await new Promise((resolve) => setTimeout(resolve, ms));
      },
    });

    // Act
    const result = await sink.put(records);
    client.destroy();

    // Assess
    expect(result.failed).toEqual([]);
    expect(calls).toHaveLength(2);
    expect(calls[0]).toHaveLength(400);
    expect(calls[1]).toEqual(records.map((r) => `${r.json}\n`).filter((line) => refusedJson.has(line)));
    expect(delays).toHaveLength(1);
    expect(delays[0]).toBeGreaterThanOrEqual(0);
    expect(delays[0]).toBeLessThanOrEqual(20);
    expectExactlyOnce(await readLake(bucket), records);
  });

  it('returns no failures when a whole call is throttled once, by retrying it', async () => {
    // Prepare
    const { bucket, stream } = await createLake();
    const client = firehoseClient();
    const records = makeRecords(50);
    const { calls } = injectRefusals(client, (_, call) => call === 0);

    // Act
    const result = await createFirehoseSink({ client, deliveryStreamName: stream, baseDelayMs: 1 }).put(
      records,
    );
    client.destroy();

    // Assess
    expect(result.failed).toEqual([]);
    expect(calls).toHaveLength(2);
    expect(calls[1]).toEqual(calls[0]);
    expectExactlyOnce(await readLake(bucket), records);
  });

  it('returns records refused on every attempt as unavailable with their indexes, and lands the others', async () => {
    // Prepare
    const { bucket, stream } = await createLake();
    const client = firehoseClient();
    const records = [...makeRecords(30), ...makeRecords(5, 'doomed'), ...makeRecords(700)];
    records.sort((a, b) => (a.id < b.id ? -1 : 1));
    const { calls } = injectRefusals(client, (record) => record.includes('"tag":"doomed"'));

    // Act
    const result = await createFirehoseSink({
      client,
      deliveryStreamName: stream,
      maxAttempts: 3,
      baseDelayMs: 1,
    }).put(records);
    client.destroy();

    // Assess
    const doomedIndexes = records.flatMap((r, i) => (r.json.includes('"tag":"doomed"') ? [i] : []));
    expect(result.failed.map((f) => f.index)).toEqual(doomedIndexes);
    for (const failure of result.failed) {
      expect(failure).toMatchObject({ code: 'unavailable', id: records[failure.index]!.id });
      expect(failure.message).toContain('ServiceUnavailableException');
    }
    // Two first calls (500 + 235 records), then only the doomed ones of their batches, twice each.
    expect(calls).toHaveLength(2 + 2 * new Set(doomedIndexes.map((i) => (i < 500 ? 0 : 1))).size);
    for (const retry of calls.slice(2)) expect(retry.every((r) => r.includes('"tag":"doomed"'))).toBe(true);
    expectExactlyOnce(
      await readLake(bucket),
      records.filter((_, i) => !doomedIndexes.includes(i)),
    );
  });

  it('returns no failures when a response confirms fewer entries than sent, resending the unconfirmed ones', async () => {
    // Prepare: the first answer drops its last three entries, so the sink cannot know whether those landed.
    const { bucket, stream } = await createLake();
    const client = firehoseClient();
    const records = makeRecords(20);
    const calls: number[] = [];
    const truncate: Middleware = (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName !== 'PutRecordBatchCommand') return result;
      calls.push((args.input as PutRecordBatchInput).Records?.length ?? 0);
      if (calls.length > 1) return result;
      const output = result.output as PutRecordBatchCommandOutput;
      return { ...result, output: { ...output, RequestResponses: output.RequestResponses?.slice(0, -3) } };
    };
    client.middlewareStack.add(truncate, { step: 'initialize', name: 'truncateResponse' });

    // Act
    const result = await createFirehoseSink({ client, deliveryStreamName: stream, baseDelayMs: 1 }).put(
      records,
    );
    client.destroy();

    // Assess: at-least-once: the unconfirmed three are sent again and so land twice, nothing is lost.
    expect(result.failed).toEqual([]);
    expect(calls).toEqual([20, 3]);
    expectExactlyOnce(await readLake(bucket), [...records, ...records.slice(-3)]);
  });

  it('returns after waiting with exponential backoff capped at maxDelayMs between attempts', async () => {
    // Prepare: jitter pinned to its upper bound so the schedule itself is visible.
    const { stream } = await createLake();
    const client = firehoseClient();
    const { calls } = injectRefusals(client, () => true);
    const delays: number[] = [];

    // Act
    const result = await createFirehoseSink({
      client,
      deliveryStreamName: stream,
      maxAttempts: 6,
      baseDelayMs: 10,
      maxDelayMs: 50,
      random: () => 1,
      sleep: async (ms) => {
        delays.push(ms);
      },
    }).put(makeRecords(2));
    client.destroy();

    // Assess
    expect(delays).toEqual([10, 20, 40, 50, 50]);
    expect(calls).toHaveLength(6);
    expect(result.failed.map((f) => f.code)).toEqual(['unavailable', 'unavailable']);
  });

  it('returns every record as unavailable without retrying when the stream does not exist', async () => {
    // Prepare
    const client = firehoseClient();
    const { calls } = injectRefusals(client, () => false);
    const records = makeRecords(3);

    // Act
    const result = await createFirehoseSink({ client, deliveryStreamName: 'no-such-stream' }).put(records);
    client.destroy();

    // Assess
    expect(result.failed.map((f) => [f.index, f.code])).toEqual([
      [0, 'unavailable'],
      [1, 'unavailable'],
      [2, 'unavailable'],
    ]);
    expect(result.failed[0]!.message).toContain('ResourceNotFoundException');
    expect(calls).toHaveLength(1);
  });
});
