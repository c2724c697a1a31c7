import { type DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { CounterIncrement, LiveCounters } from '../../ports/live-counters.ts';
import { forEachConcurrently } from './concurrency.ts';

export interface DynamoDbLiveCountersOptions {
  client: DynamoDBDocumentClient;
  /** pk `<series>#<bucket>`, sk member; numeric `amount`, TTL attribute `expiresAt` (resources/live.yml). */
  table: string;
  /** UpdateItems / Queries in flight at once (default 16). */
  concurrency?: number;
  now?: () => number;
}

const pkOf = (series: string, bucket: number) => `${series}#${bucket}`;

/**
 * LiveCounters on DynamoDB: one UpdateItem ADD per counter — atomic without a read, so any number of ingest
 * Lambdas add to the same bucket safely (BatchWriteItem cannot ADD) — and one Query per bucket to read. A
 * bucket's counters share a partition key: its writes are bounded by one partition's 1,000 WCU/s, i.e. that many
 * distinct (bucket, item) updates a second after the per-batch summing (ARCHITECTURE.md, Live counters).
 */
export function createDynamoDbLiveCounters(options: DynamoDbLiveCountersOptions): LiveCounters {
  const { client, table } = options;
  const concurrency = options.concurrency ?? 16;
  const now = options.now ?? Date.now;
  const update = (c: CounterIncrement) =>
    client.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: pkOf(c.series, c.bucket), sk: c.member },
        UpdateExpression: c.expiresAt !== undefined ? 'ADD amount :a SET expiresAt = :x' : 'ADD amount :a',
        ExpressionAttributeValues: {
          ':a': c.amount,
          ...(c.expiresAt !== undefined ? { ':x': c.expiresAt } : {}),
        },
      }),
    );
  const query = async (series: string, bucket: number, at: number) => {
    const members = new Map<string, number>();
    let start: Record<string, unknown> | undefined;
    do {
      const page = await client.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pkOf(series, bucket) },
          ExclusiveStartKey: start,
        }),
      );
      for (const row of page.Items ?? []) {
        const amount = Number(row.amount ?? 0);
        if (typeof row.expiresAt === 'number' && row.expiresAt <= at) continue;
        if (amount !== 0) members.set(String(row.sk), amount);
      }
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return members;
  };
  return {
    async add(increments) {
      await forEachConcurrently(increments, concurrency, async (c) => {
        await update(c);
      });
    },
    async read(series, buckets) {
      const at = Math.floor(now() / 1000);
      const out = new Map<number, Map<string, number>>();
      await forEachConcurrently(buckets, concurrency, async (bucket) => {
        const members = await query(series, bucket, at);
        if (members.size > 0) out.set(bucket, members);
      });
      return out;
    },
    async close() {},
  };
}
