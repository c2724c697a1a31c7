import {
  BatchGetCommand,
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import type { StoredEvent } from '../../domain/event.ts';
import type { Item } from '../../domain/item.ts';
import { ACTIVITY_LIMITS, type ActivityEntry, type ServingStore } from '../../ports/serving-store.ts';
import { forEachConcurrently } from './concurrency.ts';

export interface RetryOptions {
  /** Attempts per batch call, the first included, before UnprocessedItemsError. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface DynamoDbServingStoreOptions {
  client: DynamoDBDocumentClient;
  catalogTable: string;
  activityTable: string;
  /** Clock in epoch milliseconds; tests move it forward to see entries expire. */
  now?: () => number;
  /** Backoff for UnprocessedItems / UnprocessedKeys (throttling errors are retried by the SDK itself). */
  retry?: Partial<RetryOptions>;
  /** Batch calls in flight at once per store call. */
  concurrency?: number;
}

/** A batch call still had unprocessed entries after every retry; nothing reports them as stored. */
export class UnprocessedItemsError extends Error {
  override name = 'UnprocessedItemsError';
  readonly table: string;
  readonly unprocessed: number;
  constructor(table: string, unprocessed: number, attempts: number) {
    super(`${unprocessed} request(s) to ${table} were still unprocessed after ${attempts} attempts`);
    this.table = table;
    this.unprocessed = unprocessed;
  }
}

const DEFAULT_RETRY: RetryOptions = { maxAttempts: 8, baseDelayMs: 50, maxDelayMs: 2_000 };
const BATCH_WRITE_MAX = 25;
const BATCH_GET_MAX = 100;

/** Catalog rows carry the item's attributes plus this number, the ordering key of conditional upserts. */
const UPDATED_AT_MS = 'updatedAtMs';

type Row = Record<string, unknown>;
type WriteRequest = { PutRequest: { Item: Row } } | { DeleteRequest: { Key: Row } };

/**
 * The ServingStore on DynamoDB.
 *
 * Catalog: one row per itemId; a conditional PutItem per item so a replayed older update never overwrites a
 * newer one (BatchWriteItem cannot carry conditions). Activity: `shopperKey` + `sk` = "<timestamp ISO UTC>#<eventId>",
 * so a descending Query is newest first, and a resent event rewrites the same row (idempotent). The hot ingest
 * path never reads before it writes: a shopper may hold more than maxPerShopper rows, reads only ever look at
 * the newest maxPerShopper, and the `expiresAt` TTL bounds the storage. TTL deletion is lazy (typically within
 * days), so reads filter expired rows themselves.
 */
export function createDynamoDbServingStore(options: DynamoDbServingStoreOptions): ServingStore {
  const { client, catalogTable, activityTable } = options;
  const now = options.now ?? Date.now;
  const retry: RetryOptions = { ...DEFAULT_RETRY, ...options.retry };
  const concurrency = options.concurrency ?? 8;

  async function putItem(item: Item): Promise<void> {
    const updatedAtMs = epochMs(item.updatedAt, 'updatedAt');
    try {
      await client.send(
        new PutCommand({
          TableName: catalogTable,
          Item: { ...withoutUndefined(item), [UPDATED_AT_MS]: updatedAtMs },
          ConditionExpression: 'attribute_not_exists(itemId) OR #u <= :u',
          ExpressionAttributeNames: { '#u': UPDATED_AT_MS },
          ExpressionAttributeValues: { ':u': updatedAtMs },
        }),
      );
    } catch (error) {
      // The stored item is newer: ignoring this one is the upsert rule, not a failure.
      if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
    }
  }

  async function batchWrite(table: string, requests: WriteRequest[]): Promise<void> {
    let pending = requests;
    for (let attempt = 1; ; attempt++) {
      const out = await client.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
      const left = (out.UnprocessedItems?.[table] ?? []) as WriteRequest[];
      if (left.length === 0) return;
      if (attempt >= retry.maxAttempts) throw new UnprocessedItemsError(table, left.length, attempt);
      pending = left;
      await backoff(attempt, retry);
    }
  }

  async function batchGet(keys: string[]): Promise<Row[]> {
    const rows: Row[] = [];
    let pending: Row[] = keys.map((itemId) => ({ itemId }));
    for (let attempt = 1; ; attempt++) {
      const out = await client.send(
        new BatchGetCommand({ RequestItems: { [catalogTable]: { Keys: pending } } }),
      );
      rows.push(...((out.Responses?.[catalogTable] ?? []) as Row[]));
      const left = (out.UnprocessedKeys?.[catalogTable]?.Keys ?? []) as Row[];
      if (left.length === 0) return rows;
      if (attempt >= retry.maxAttempts) throw new UnprocessedItemsError(catalogTable, left.length, attempt);
      pending = left;
      await backoff(attempt, retry);
    }
  }

  return {
    async putItems(items) {
      // Concurrent puts of one itemId would race; keep only what sequential upserts would have left.
      const latest = new Map<string, Item>();
      for (const item of items) {
        const seen = latest.get(item.itemId);
        if (
          seen === undefined ||
          epochMs(item.updatedAt, 'updatedAt') >= epochMs(seen.updatedAt, 'updatedAt')
        ) {
          latest.set(item.itemId, item);
        }
      }
      await forEachConcurrently([...latest.values()], concurrency * 2, putItem);
    },

    async getItem(itemId) {
      const out = await client.send(new GetCommand({ TableName: catalogTable, Key: { itemId } }));
      return out.Item === undefined ? undefined : toItem(out.Item);
    },

    async getItems(itemIds) {
      // BatchGetItem rejects a request that names the same key twice.
      const unique = [...new Set(itemIds)];
      const found = new Map<string, Item>();
      await forEachConcurrently(chunk(unique, BATCH_GET_MAX), concurrency, async (keys) => {
        for (const row of await batchGet(keys)) {
          const item = toItem(row);
          found.set(item.itemId, item);
        }
      });
      return found;
    },

    async appendActivity(entries) {
      // BatchWriteItem rejects a request that names the same key twice; the first one is kept, as in sqlite.
      const rows = new Map<string, WriteRequest>();
      for (const { shopperKey, event } of entries) {
        const sk = sortKey(event);
        const key = `${shopperKey}\u0000${sk}`;
        if (!rows.has(key)) rows.set(key, { PutRequest: { Item: toActivityRow(shopperKey, sk, event) } });
      }
      await forEachConcurrently(chunk([...rows.values()], BATCH_WRITE_MAX), concurrency, (requests) =>
        batchWrite(activityTable, requests),
      );
    },

    async removeActivity(entries) {
      const keys = new Map<string, WriteRequest>();
      for (const { shopperKey, event } of entries) {
        const sk = sortKey(event);
        keys.set(`${shopperKey}\u0000${sk}`, { DeleteRequest: { Key: { shopperKey, sk } } });
      }
      await forEachConcurrently(chunk([...keys.values()], BATCH_WRITE_MAX), concurrency, (requests) =>
        batchWrite(activityTable, requests),
      );
    },

    async recentActivity(shopperKey, limit = ACTIVITY_LIMITS.maxPerShopper) {
      const wanted = Math.min(Math.floor(limit), ACTIVITY_LIMITS.maxPerShopper);
      if (!(wanted > 0)) return [];
      const nowSeconds = Math.floor(now() / 1000);
      const found: ActivityEntry[] = [];
      // Only the newest maxPerShopper rows count (the ones sqlite keeps); Limit bounds rows examined before
      // the filter, so expired rows cost a further page instead of hiding older live ones beyond the cap.
      let examined = 0;
      let startKey: Row | undefined;
      do {
        const out = await client.send(
          new QueryCommand({
            TableName: activityTable,
            KeyConditionExpression: 'shopperKey = :k',
            FilterExpression: 'expiresAt > :now',
            ExpressionAttributeValues: { ':k': shopperKey, ':now': nowSeconds },
            ScanIndexForward: false,
            Limit: Math.min(wanted - found.length, ACTIVITY_LIMITS.maxPerShopper - examined),
            ExclusiveStartKey: startKey,
          }),
        );
        examined += out.ScannedCount ?? 0;
        for (const row of out.Items ?? []) found.push(toActivityEntry(row));
        startKey = out.LastEvaluatedKey;
      } while (startKey !== undefined && found.length < wanted && examined < ACTIVITY_LIMITS.maxPerShopper);
      return found.slice(0, wanted);
    },

    async forgetShopper(shopperKey) {
      // Every row, expired or not: TTL deletes lazily, and a forgotten shopper's rows must go now.
      let start: Record<string, unknown> | undefined;
      do {
        const page = await client.send(
          new QueryCommand({
            TableName: activityTable,
            KeyConditionExpression: 'shopperKey = :k',
            ExpressionAttributeValues: { ':k': shopperKey },
            ProjectionExpression: 'shopperKey, sk',
            ExclusiveStartKey: start,
          }),
        );
        const deletes = (page.Items ?? []).map(
          (row): WriteRequest => ({ DeleteRequest: { Key: { shopperKey, sk: row.sk } } }),
        );
        for (const requests of chunk(deletes, BATCH_WRITE_MAX)) await batchWrite(activityTable, requests);
        start = page.LastEvaluatedKey;
      } while (start !== undefined);
    },

    async close() {
      // The client is the caller's (built once per Lambda container); closing it is theirs to do.
    },
  };
}

function sortKey(event: Pick<StoredEvent, 'eventId' | 'timestamp'>): string {
  // Normalised to UTC so that text order is time order whatever offset the client sent.
  return `${new Date(epochMs(event.timestamp, 'timestamp')).toISOString()}#${event.eventId}`;
}

function toActivityRow(shopperKey: string, sk: string, event: StoredEvent): Row {
  const row: Row = {
    shopperKey,
    sk,
    eventId: event.eventId,
    type: event.type,
    timestamp: event.timestamp,
    receivedAt: event.receivedAt,
    expiresAt: Math.floor(epochMs(event.receivedAt, 'receivedAt') / 1000) + ACTIVITY_LIMITS.ttlSeconds,
  };
  if (event.itemId !== undefined) row.itemId = event.itemId;
  if (event.value !== undefined) row.value = event.value;
  return row;
}

function toActivityEntry(row: Row): ActivityEntry {
  const entry: ActivityEntry = {
    eventId: row.eventId as string,
    type: row.type as ActivityEntry['type'],
    timestamp: row.timestamp as string,
    receivedAt: row.receivedAt as string,
  };
  if (row.itemId !== undefined) entry.itemId = row.itemId as string;
  if (row.value !== undefined) entry.value = row.value as number;
  return entry;
}

function toItem(row: Row): Item {
  const { [UPDATED_AT_MS]: _ordering, ...item } = row;
  return item as Item;
}

function withoutUndefined(item: Item): Row {
  return Object.fromEntries(Object.entries(item).filter(([, v]) => v !== undefined));
}

function epochMs(iso: string, field: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new TypeError(`${field} is not an ISO 8601 date-time: ${JSON.stringify(iso)}`);
  return ms;
}

function chunk<T>(values: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < values.length; i += size) out.push(values.slice(i, i + size));
  return out;
}

/** Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): spreads retries of parallel callers. */
function backoff(attempt: number, retry: RetryOptions): Promise<void> {
  const ceiling = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}
