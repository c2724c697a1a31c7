import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createDynamoDbPublicationStore } from '../../shared/adapters/aws/dynamodb-publication-store.ts';
import { UnprocessedItemsError } from '../../shared/adapters/aws/dynamodb-serving-store.ts';
import { createSqlitePublicationStore } from '../../shared/adapters/local/sqlite-publication-store.ts';
import { createSqliteServingStore } from '../../shared/adapters/local/sqlite-serving-store.ts';
import { type Dynalite, startDynalite } from '../helpers/dynalite.ts';
import { deployment, publicationStoreContract } from './publication-store.contract.ts';

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
    await first.putRecommendations('v1', [{ userId: 'u', items: [['i', 1]] }]);
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
    await store.putRecommendations('v1', lists);
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
    const put = store.putRecommendations('v1', [{ userId: 'u', items: [] }]);

    // Assess
    await expect(put).rejects.toBeInstanceOf(UnprocessedItemsError);
    expect(refusing.calls.batchWrite).toBe(3);
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
