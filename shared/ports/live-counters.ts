/**
 * Bucketed counters kept current by ingestion: what live trending and the AWS data statistics read instead of
 * the lake. A counter is (series, bucket, member) → a summed amount; `series` names what is counted and at which
 * granularity (`trend:5m`, `events:day`), `bucket` is the start of its time bucket (epoch ms, 0 for a series
 * without buckets), `member` what is counted in it (an item id, an event type).
 * AWS: a DynamoDB table, UpdateItem ADD per counter, TTL on `expiresAt` (shared/adapters/aws/dynamodb-live-counters.ts);
 * local: a sqlite table in serving.db, increments summed in memory and written in one transaction per flush
 * (shared/adapters/local/sqlite-live-counters.ts).
 */
export interface CounterIncrement {
  series: string;
  bucket: number;
  member: string;
  amount: number;
  /** When the counter may be deleted (epoch seconds); absent: kept. */
  expiresAt?: number;
}

export interface LiveCounters {
  /** Adds every increment (atomically per counter; the batch as a whole is not a transaction). */
  add(increments: readonly CounterIncrement[]): Promise<void>;
  /**
   * The non-zero members of each of `buckets` in `series`; a bucket without counters is absent from the map.
   * Expired counters are never returned (TTL deletes lazily, so readers check `expiresAt`).
   */
  read(series: string, buckets: readonly number[]): Promise<Map<number, Map<string, number>>>;
  close(): Promise<void>;
}
