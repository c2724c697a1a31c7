import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import {
  BatchGetCommand,
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  createDynamoDbServingStore,
  UnprocessedItemsError,
} from '../../shared/adapters/aws/dynamodb-serving-store.ts';
import { PURGE_INTERVAL_MS, TRIM_SLACK } from '../../shared/adapters/local/sqlite-activity-appender.ts';
import { createSqliteServingStore } from '../../shared/adapters/local/sqlite-serving-store.ts';
import { startWalCheckpointer, WAL_STATE } from '../../shared/adapters/local/wal-checkpointer.ts';
import { ACTIVITY_LIMITS } from '../../shared/ports/serving-store.ts';
import { type Dynalite, startDynalite } from '../helpers/dynalite.ts';
import { event, item, servingStoreContract, T0 } from './serving-store.contract.ts';

async function tempDbPath(): Promise<{ path: string; removeDir(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'recsys-store-'));
  return {
    path: join(dir, 'nested', 'serving.db'),
    removeDir: () => rm(dir, { recursive: true, force: true }),
  };
}

servingStoreContract('sqlite (file in a temp dir)', async (clock) => {
  const { path, removeDir } = await tempDbPath();
  return { store: createSqliteServingStore({ path, now: clock.now }), cleanup: removeDir };
});

// The local runtime's configuration: reads cached in memory, invalidated by the store's own writes.
servingStoreContract('sqlite (:memory:, cached reads)', async (clock) => ({
  store: createSqliteServingStore({ path: ':memory:', now: clock.now, cacheReads: true }),
  cleanup: async () => {},
}));

// The local runtime's configuration on a file: cached reads, activity written by a worker thread, the WAL
// checkpointed by another.
servingStoreContract(
  'sqlite (file, cached reads, activity written off-thread, WAL checkpointer)',
  async (clock) => {
    const { path, removeDir } = await tempDbPath();
    const walCheckpointer = startWalCheckpointer(path);
    return {
      store: createSqliteServingStore({
        path,
        now: clock.now,
        cacheReads: true,
        writeActivityOffThread: true,
        walCheckpointer,
      }),
      cleanup: async () => {
        // It opens the file while the store creates it: it must have waited for the lock, not failed.
        expect(Atomics.load(walCheckpointer.state, WAL_STATE.failed)).toBe(0);
        await walCheckpointer.close();
        await removeDir();
      },
    };
  },
);

let dynalite: Dynalite;
beforeAll(async () => {
  dynalite = await startDynalite();
});
afterAll(async () => {
  await dynalite?.stop();
});

servingStoreContract('DynamoDB (dynalite, tables from resources/dynamodb.yml)', async (clock) => {
  const tables = await dynalite.createTablesFromResources();
  return {
    store: createDynamoDbServingStore({ client: dynalite.client, ...tables, now: clock.now }),
    cleanup: async () => {},
  };
});

describe('Resources: resources/dynamodb.yml', () => {
  it('returns both tables retained, on demand, encrypted, recoverable, and Activity with TTL on expiresAt', async () => {
    // Prepare
    const text = await readFile(new URL('../../resources/dynamodb.yml', import.meta.url), 'utf8');

    // Act
    const { Resources: resources } = parse(text) as { Resources: Record<string, Record<string, unknown>> };

    // Assess
    for (const [logicalId, suffix] of [
      ['CatalogTable', 'catalog'],
      ['ActivityTable', 'activity'],
    ] as const) {
      expect(resources[logicalId]).toMatchObject({
        Type: 'AWS::DynamoDB::Table',
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: {
          TableName: `\${self:service}-\${sls:stage}-${suffix}`,
          // On demand unless the stage's params.tableBillingMode says PROVISIONED.
          BillingMode: { 'Fn::If': ['ProvisionedTables', 'PROVISIONED', 'PAY_PER_REQUEST'] },
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          SSESpecification: { SSEEnabled: true },
        },
      });
    }
    expect(resources.ActivityTable).toMatchObject({
      Properties: { TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true } },
    });
  });
});

describe('Adapter: sqlite serving store', () => {
  it('returns what was stored after the store is closed and opened again', async () => {
    // Prepare
    const { path, removeDir } = await tempDbPath();
    const first = createSqliteServingStore({ path, now: () => T0 });
    const e = event(1);
    await first.putItems([item('85123A', '2025-02-01T10:00:00.000Z', { price: 2.55 })]);
    await first.appendActivity([{ shopperKey: 'u:17850', event: e }]);
    await first.close();

    // Act
    const reopened = createSqliteServingStore({ path, now: () => T0 });
    const found = await reopened.getItem('85123A');
    const entries = await reopened.recentActivity('u:17850');
    await reopened.close();
    await removeDir();

    // Assess
    expect(found).toEqual(item('85123A', '2025-02-01T10:00:00.000Z', { price: 2.55 }));
    expect(entries.map((x) => x.eventId)).toEqual([e.eventId]);
  });

  it(`keeps at most ${ACTIVITY_LIMITS.maxPerShopper} + ${TRIM_SLACK} rows per shopper and purges expired rows within ${PURGE_INTERVAL_MS / 1000} s`, async () => {
    // Prepare
    const { path, removeDir } = await tempDbPath();
    const clock = { at: T0 };
    const store = createSqliteServingStore({ path, now: () => clock.at });
    const events = Array.from({ length: 600 }, (_, i) => event(i));
    const countRows = () => {
      const db = new DatabaseSync(path, { readOnly: true });
      const rows = db
        .prepare('SELECT shopper_key, count(*) AS n FROM shopper_activity GROUP BY shopper_key')
        .all();
      db.close();
      return Object.fromEntries(rows.map((r) => [r.shopper_key, r.n]));
    };

    // Act
    await store.appendActivity(events.map((e) => ({ shopperKey: 'u:1', event: e })));
    await store.appendActivity([{ shopperKey: 'u:2', event: event(0) }]);
    const afterCap = countRows();
    const newest = await store.recentActivity('u:1');
    clock.at = T0 + ACTIVITY_LIMITS.ttlSeconds * 1000 + PURGE_INTERVAL_MS;
    await store.appendActivity([
      { shopperKey: 'u:1', event: event(0, { receivedAt: new Date(clock.at).toISOString() }) },
    ]);
    const afterExpiry = countRows();
    await store.close();
    await removeDir();

    // Assess
    expect(afterCap['u:1']).toBeGreaterThanOrEqual(ACTIVITY_LIMITS.maxPerShopper);
    expect(afterCap['u:1']).toBeLessThanOrEqual(ACTIVITY_LIMITS.maxPerShopper + TRIM_SLACK);
    expect(afterCap['u:2']).toBe(1);
    expect(newest).toHaveLength(ACTIVITY_LIMITS.maxPerShopper);
    expect(afterExpiry).toEqual({ 'u:1': 1 });
  });
});

type Send = DynamoDBDocumentClient['send'];

/**
 * The real client, except that each BatchWrite/BatchGet call hands dynalite only the first `take(n)` of its n
 * requests and reports the rest unprocessed, the way DynamoDB answers under throttling (dynalite never does).
 */
function throttled(client: DynamoDBDocumentClient, take: (n: number) => number) {
  const calls = { batchWrite: 0, batchGet: 0 };
  const send = (async (command: unknown) => {
    if (command instanceof BatchWriteCommand) {
      calls.batchWrite += 1;
      const [[table, requests]] = Object.entries(command.input.RequestItems ?? {}) as [[string, unknown[]]];
      const kept = take(requests.length);
      if (kept > 0)
        await client.send(
          new BatchWriteCommand({ RequestItems: { [table]: requests.slice(0, kept) } as never }),
        );
      return { UnprocessedItems: requests.length > kept ? { [table]: requests.slice(kept) } : {} };
    }
    if (command instanceof BatchGetCommand) {
      calls.batchGet += 1;
      const [[table, { Keys: keys = [] }]] = Object.entries(command.input.RequestItems ?? {}) as [
        [string, { Keys?: Record<string, unknown>[] }],
      ];
      const kept = take(keys.length);
      const responses =
        kept > 0
          ? (
              await client.send(
                new BatchGetCommand({ RequestItems: { [table]: { Keys: keys.slice(0, kept) } } }),
              )
            ).Responses
          : undefined;
      return {
        Responses: responses ?? { [table]: [] },
        UnprocessedKeys: keys.length > kept ? { [table]: { Keys: keys.slice(kept) } } : {},
      };
    }
    return client.send(command as never);
  }) as Send;
  const proxy = new Proxy(client, {
    get: (target, prop, receiver) => (prop === 'send' ? send : Reflect.get(target, prop, receiver)),
  });
  return { client: proxy, calls };
}

describe('Adapter: DynamoDB serving store', () => {
  it('returns the newest 200 while more rows stay stored until their TTL (no read-before-write)', async () => {
    // Prepare
    const tables = await dynalite.createTablesFromResources();
    const store = createDynamoDbServingStore({ client: dynalite.client, ...tables, now: () => T0 });
    const events = Array.from({ length: 230 }, (_, i) => event(i));

    // Act
    await store.appendActivity(events.map((e) => ({ shopperKey: 'u:1', event: e })));
    const entries = await store.recentActivity('u:1');
    const stored = await dynalite.client.send(
      new QueryCommand({
        TableName: tables.activityTable,
        KeyConditionExpression: 'shopperKey = :k',
        ExpressionAttributeValues: { ':k': 'u:1' },
        Select: 'COUNT',
      }),
    );

    // Assess
    expect(entries).toHaveLength(ACTIVITY_LIMITS.maxPerShopper);
    expect(entries[0]?.eventId).toBe(events[229]?.eventId);
    expect(stored.Count).toBe(230);
  });

  it('returns after retrying the unprocessed part of every batch until all is stored', async () => {
    // Prepare
    const tables = await dynalite.createTablesFromResources();
    const flaky = throttled(dynalite.client, (n) => Math.ceil(n / 2));
    const store = createDynamoDbServingStore({
      client: flaky.client,
      ...tables,
      now: () => T0,
      retry: { baseDelayMs: 1, maxDelayMs: 5 },
    });
    const events = Array.from({ length: 60 }, (_, i) => event(i));
    const items = Array.from({ length: 150 }, (_, i) => item(`sku-${i}`, new Date(T0).toISOString()));

    // Act
    await store.appendActivity(events.map((e) => ({ shopperKey: 's:abc', event: e })));
    await store.putItems(items);
    const found = await store.getItems(items.map((i) => i.itemId));
    const entries = await store.recentActivity('s:abc');

    // Assess
    expect(entries).toHaveLength(60);
    expect(found.size).toBe(150);
    expect(flaky.calls.batchWrite).toBeGreaterThan(3); // 3 chunks of ≤ 25, each needing several rounds
    expect(flaky.calls.batchGet).toBeGreaterThan(2);
  });

  it('throws UnprocessedItemsError after maxAttempts when DynamoDB keeps refusing', async () => {
    // Prepare
    const tables = await dynalite.createTablesFromResources();
    const refusing = throttled(dynalite.client, () => 0);
    const store = createDynamoDbServingStore({
      client: refusing.client,
      ...tables,
      retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
    });

    // Act
    const appended = store.appendActivity([{ shopperKey: 'u:1', event: event(0) }]);
    const got = store.getItems(['a']);

    // Assess
    await expect(appended).rejects.toBeInstanceOf(UnprocessedItemsError);
    await expect(appended).rejects.toMatchObject({ table: tables.activityTable, unprocessed: 1 });
    await expect(got).rejects.toBeInstanceOf(UnprocessedItemsError);
    expect(refusing.calls).toEqual({ batchWrite: 3, batchGet: 3 });
  });
});
