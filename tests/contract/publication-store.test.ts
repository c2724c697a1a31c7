import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { BatchWriteCommand, type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createDynamoDbPublicationStore } from '../../shared/adapters/aws/dynamodb-publication-store.ts';
import { UnprocessedItemsError } from '../../shared/adapters/aws/dynamodb-serving-store.ts';
import { createSqlitePublicationStore } from '../../shared/adapters/local/sqlite-publication-store.ts';
import { createSqliteServingStore } from '../../shared/adapters/local/sqlite-serving-store.ts';
import { type Dynalite, startDynalite } from '../helpers/dynalite.ts';
import { deployment, LIVE, publicationStoreContract } from './publication-store.contract.ts';

publicationStoreContract('sqlite (file in a temp dir)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'recsys-pub-'));
  return {
    store: createSqlitePublicationStore({ path: join(dir, 'serving.db') }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

publicationStoreContract('sqlite (cached reads, as the local runtime runs it)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'recsys-pub-'));
  return {
    store: createSqlitePublicationStore({ path: join(dir, 'serving.db'), cacheReads: true }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

let dynalite: Dynalite;
beforeAll(async () => {
  dynalite = await startDynalite();
});
afterAll(async () => {
  await dynalite?.stop();
});

publicationStoreContract('DynamoDB (dynalite, tables from resources/publication-tables.yml)', async () => {
  const tables = await dynalite.createPublicationTables();
  return {
    store: createDynamoDbPublicationStore({ client: dynalite.client, ...tables }),
    cleanup: async () => {},
  };
});

describe('Adapter: sqlite publication store', () => {
  it('returns lists and deployment from the serving store’s own file, beside its tables, after reopening', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'recsys-pub-'));
    const path = join(dir, 'serving.db');
    const serving = createSqliteServingStore({ path });
    const first = createSqlitePublicationStore({ path });
    await first.putRecommendations('v1', [{ userId: 'u', items: [['i', 1]] }], LIVE());
    await first.putDeployment(deployment(1, 'v1'), undefined);
    await first.close();

    // Act
    const reopened = createSqlitePublicationStore({ path });
    const list = await reopened.getRecommendations('v1', 'u');
    const record = await reopened.getDeployment();
    await reopened.close();
    await serving.close();
    await rm(dir, { recursive: true, force: true });

    // Assess
    expect(list).toEqual([['i', 1]]);
    expect(record?.champion).toBe('v1');
  });

  it('purges expired lists from the file when the next lists are published', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'recsys-pub-'));
    const path = join(dir, 'serving.db');
    const store = createSqlitePublicationStore({ path, cacheReads: true });
    const now = Math.floor(Date.now() / 1000);
    await store.putRecommendations('v-old', [{ userId: 'u1', items: [['a', 1]] }], now + 1);
    expect(await store.getRecommendations('v-old', 'u1')).toEqual([['a', 1]]);
    await new Promise((resolve) => setTimeout(resolve, 2_100));

    // Act
    const cachedAfterExpiry = await store.getRecommendations('v-old', 'u1');
    await store.putRecommendations('v-new', [{ userId: 'u1', items: [['b', 1]] }], now + 3_600);
    await store.close();
    const db = new DatabaseSync(path);
    const rows = db.prepare('SELECT model_version, expires_at FROM publication_lists').all();
    db.close();
    await rm(dir, { recursive: true, force: true });

    // Assess
    expect(cachedAfterExpiry).toBeUndefined();
    expect(rows).toEqual([{ model_version: 'v-new', expires_at: now + 3_600 }]);
  });

  it('opens a file written before lists had an expiry: its lists keep serving, new ones get one', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'recsys-pub-'));
    const path = join(dir, 'serving.db');
    const old = new DatabaseSync(path);
    old.exec(`CREATE TABLE publication_lists (model_version TEXT NOT NULL, user_id TEXT NOT NULL,
      items TEXT NOT NULL, PRIMARY KEY (model_version, user_id)) WITHOUT ROWID`);
    old.prepare('INSERT INTO publication_lists VALUES (?, ?, ?)').run('v0', 'u', '[["i",1]]');
    old.close();

    // Act
    const store = createSqlitePublicationStore({ path });
    await store.putRecommendations('v1', [{ userId: 'u', items: [['j', 1]] }], LIVE());
    const before = await store.getRecommendations('v0', 'u');
    const beforeExpiry = await store.listsExpireAt('v0');
    const after = await store.getRecommendations('v1', 'u');
    await store.close();
    await rm(dir, { recursive: true, force: true });

    // Assess
    expect(before).toEqual([['i', 1]]);
    expect(beforeExpiry).toBeUndefined();
    expect(after).toEqual([['j', 1]]);
  });
});

/** Hands dynalite only half of each BatchWrite and reports the rest unprocessed, as DynamoDB does when throttling. */
function throttled(client: DynamoDBDocumentClient, take: (n: number) => number) {
  const calls = { batchWrite: 0 };
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
    return client.send(command as never);
  }) as DynamoDBDocumentClient['send'];
  const proxy = new Proxy(client, {
    get: (target, prop, receiver) => (prop === 'send' ? send : Reflect.get(target, prop, receiver)),
  });
  return { client: proxy, calls };
}

describe('Adapter: DynamoDB publication store', () => {
  it('returns every list after resending the unprocessed part of each batch', async () => {
    // Prepare
    const tables = await dynalite.createPublicationTables();
    const flaky = throttled(dynalite.client, (n) => Math.ceil(n / 2));
    const store = createDynamoDbPublicationStore({
      client: flaky.client,
      ...tables,
      retry: { baseDelayMs: 1, maxDelayMs: 5 },
    });
    const lists = Array.from({ length: 70 }, (_, i) => ({
      userId: `u${i}`,
      items: [[`i${i}`, 1]] as [string, number][],
    }));

    // Act
    await store.putRecommendations('v1', lists, LIVE());
    const got = await Promise.all(lists.map((l) => store.getRecommendations('v1', l.userId)));

    // Assess
    expect(got.every((g) => g !== undefined)).toBe(true);
    expect(flaky.calls.batchWrite).toBeGreaterThan(3);
  });

  it('throws UnprocessedItemsError when DynamoDB keeps refusing', async () => {
    // Prepare
    const tables = await dynalite.createPublicationTables();
    const refusing = throttled(dynalite.client, () => 0);
    const store = createDynamoDbPublicationStore({
      client: refusing.client,
      ...tables,
      retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
    });

    // Act
    const put = store.putRecommendations('v1', [{ userId: 'u', items: [] }], LIVE());

    // Assess
    await expect(put).rejects.toBeInstanceOf(UnprocessedItemsError);
    expect(refusing.calls.batchWrite).toBe(3);
  });

  it('writes each list with expiresAt, the TTL attribute the lists table declares', async () => {
    // Prepare
    const tables = await dynalite.createPublicationTables();
    const store = createDynamoDbPublicationStore({ client: dynalite.client, ...tables });
    const expiresAt = LIVE();
    const { Resources: r } = parse(
      await readFile(new URL('../../resources/publication-tables.yml', import.meta.url), 'utf8'),
    ) as { Resources: Record<string, { Properties: Record<string, unknown> }> };

    // Act
    await store.putRecommendations('v1', [{ userId: 'u', items: [['i', 1]] }], expiresAt);
    const item = await dynalite.client.send(
      new GetCommand({ TableName: tables.listsTable, Key: { pk: 'v1#u' } }),
    );

    // Assess
    expect(r.RecommendationListsTable?.Properties.TimeToLiveSpecification).toEqual({
      AttributeName: 'expiresAt',
      Enabled: true,
    });
    expect(item.Item).toEqual({ pk: 'v1#u', modelVersion: 'v1', userId: 'u', items: '[["i",1]]', expiresAt });
  });

  it('declares the deployment table retained and recoverable (the record of what serves)', async () => {
    // Act
    const { Resources: r } = parse(
      await readFile(new URL('../../resources/publication-tables.yml', import.meta.url), 'utf8'),
    ) as { Resources: Record<string, Record<string, unknown>> };

    // Assess
    expect(r.DeploymentTable).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: { PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } },
    });
  });
});
