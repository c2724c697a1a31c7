import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDbFeedbackStore } from '../../shared/adapters/aws/dynamodb-feedback-store.ts';
import { createDynamoDbPublicationStore } from '../../shared/adapters/aws/dynamodb-publication-store.ts';
import { createDynamoDbServingStore } from '../../shared/adapters/aws/dynamodb-serving-store.ts';
import { createSqliteFeedbackStore } from '../../shared/adapters/local/sqlite-feedback-store.ts';
import { createSqlitePublicationStore } from '../../shared/adapters/local/sqlite-publication-store.ts';
import { createSqliteServingStore } from '../../shared/adapters/local/sqlite-serving-store.ts';
import type { StoredEvent } from '../../shared/domain/event.ts';
import type { FeedbackStore } from '../../shared/ports/feedback-store.ts';
import type { PublicationStore } from '../../shared/ports/publication-store.ts';
import type { ServingStore } from '../../shared/ports/serving-store.ts';
import { type Dynalite, startDynalite } from '../helpers/dynalite.ts';

/**
 * The erasure methods the right to be forgotten adds to three ports (ServingStore.forgetShopper,
 * FeedbackStore.forgetShopper, PublicationStore.removeLists), on every adapter: a read cached before the erasure
 * must not outlive it, and other shoppers keep everything.
 */
interface Stores {
  store: ServingStore;
  feedback: FeedbackStore;
  publications: PublicationStore;
  cleanup(): Promise<void>;
}

const event = (userId: string, n: number, receivedAt = new Date().toISOString()): StoredEvent => ({
  eventId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  type: 'view',
  userId,
  itemId: `i${n}`,
  timestamp: new Date(Date.now() - n * 1000).toISOString(),
  receivedAt,
});

function erasureContract(name: string, setup: () => Promise<Stores>): void {
  describe(`Contract: shopper erasure (${name})`, () => {
    it('returns nothing of the forgotten shopper from activity, exclusions and lists, and everything of the others', async () => {
      // Prepare
      const s = await setup();
      try {
        // One entry received long ago (expired by TTL but still stored): erasure takes it too.
        const old = event('a', 9, '2020-01-01T00:00:00.000Z');
        await s.store.appendActivity(
          [event('a', 1), event('a', 2), old, event('b', 3)].map((e) => ({
            shopperKey: `u:${e.userId}`,
            event: e,
          })),
        );
        await s.feedback.addExclusion('u:a', 'i1', 'not_interested', 3600);
        await s.feedback.addExclusion('u:b', 'i2', 'dismiss', 3600);
        const expires = Math.floor(Date.now() / 1000) + 3600;
        for (const v of ['v1', 'v2'])
          await s.publications.putRecommendations(
            v,
            [
              { userId: 'a', items: [['i5', 1]] },
              { userId: 'b', items: [['i6', 1]] },
            ],
            expires,
          );
        // Reads first, so a caching adapter holds them.
        expect((await s.store.recentActivity('u:a')).map((e) => e.itemId)).toEqual(['i1', 'i2']);
        expect((await s.feedback.exclusions('u:a')).map((e) => e.itemId)).toEqual(['i1']);
        expect(await s.publications.getRecommendations('v1', 'a')).toEqual([['i5', 1]]);

        // Act
        await s.store.forgetShopper('u:a');
        await s.feedback.forgetShopper('u:a');
        await s.publications.removeLists('a', ['v1', 'v2', 'never-published']);

        // Assess
        expect(await s.store.recentActivity('u:a')).toEqual([]);
        expect(await s.feedback.exclusions('u:a')).toEqual([]);
        expect(await s.publications.getRecommendations('v1', 'a')).toBeUndefined();
        expect(await s.publications.getRecommendations('v2', 'a')).toBeUndefined();
        expect((await s.store.recentActivity('u:b')).map((e) => e.itemId)).toEqual(['i3']);
        expect((await s.feedback.exclusions('u:b')).map((e) => e.itemId)).toEqual(['i2']);
        expect(await s.publications.getRecommendations('v2', 'b')).toEqual([['i6', 1]]);
      } finally {
        await s.store.close();
        await s.feedback.close();
        await s.publications.close();
        await s.cleanup();
      }
    });
  });
}

erasureContract(
  'sqlite, cached reads and the off-thread activity writer, as the local runtime runs them',
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'recsys-erasure-'));
    const path = join(dir, 'serving.db');
    return {
      store: createSqliteServingStore({ path, cacheReads: true, writeActivityOffThread: true }),
      feedback: createSqliteFeedbackStore({ path, cacheReads: true }),
      publications: createSqlitePublicationStore({ path, cacheReads: true }),
      cleanup: () => rm(dir, { recursive: true, force: true }),
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

erasureContract('DynamoDB (dynalite, tables from resources/*.yml)', async () => {
  const client = dynalite.client;
  return {
    store: createDynamoDbServingStore({ client, ...(await dynalite.createTablesFromResources()) }),
    feedback: createDynamoDbFeedbackStore({ client, ...(await dynalite.createFeedbackTables()) }),
    publications: createDynamoDbPublicationStore({ client, ...(await dynalite.createPublicationTables()) }),
    cleanup: async () => {},
  };
});
