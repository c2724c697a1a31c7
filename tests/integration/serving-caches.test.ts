import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLocalRuntime } from '../../local/runtime.ts';
import { localServing } from '../../local/server/local-serving.ts';
import { artifactDirectory, createLocalModelStore } from '../../shared/adapters/local/model-store.ts';
import type { EventType, StoredEvent } from '../../shared/domain/event.ts';
import { decodeArtifact } from '../../shared/model/artifact-decode.ts';
import { createCatalogCache } from '../../shared/serving/catalog-cache.ts';
import { createLiveTrend } from '../../shared/serving/live-trend.ts';
import { createDeploymentSource, createModelCache } from '../../shared/serving/model-cache.ts';
import {
  createRecommender,
  type ExcludeKind,
  type Filters,
  type Recommender,
} from '../../shared/serving/recommender.ts';
import { IALS, KNN, publishTestModel, shopItem } from '../helpers/serving-model.ts';

/**
 * Serving keeps work between requests on the objects the stores hand back (a published list decoded and ranked,
 * a shopper's activity digested, catalog rows peeked from the cache). These caches must never change an answer:
 * the same recommender built over stores that hand out fresh copies on every read and a catalog read through
 * every time — so that nothing can be found again and everything is worked out anew, as on DynamoDB — must
 * answer exactly the same, before and after new events and feedback. No switch in the recommender: only what
 * the stores hand back differs.
 */

const KNN_VERSION = '20240301T000000Z-0000c0a1';
const IALS_VERSION = '20240302T000000Z-0000c0b2';

const REQUESTS: { k: number; filters: Filters; exclude: ExcludeKind[]; context?: string }[] = [
  { k: 10, filters: {}, exclude: ['purchased', 'not_interested'] },
  { k: 5, filters: {}, exclude: [] },
  { k: 8, filters: { maxPerCategory: 2 }, exclude: ['purchased', 'not_interested', 'viewed', 'carted'] },
  { k: 6, filters: { minPrice: 5, maxPrice: 30 }, exclude: ['viewed'] },
  { k: 30, filters: { category: 'green vase' }, exclude: ['carted', 'not_interested'] },
  { k: 10, filters: {}, exclude: ['purchased', 'not_interested'], context: 'i12' },
];

// Timestamps in toISOString's form and in others (read back as sent), before and after the model's data.
const OLD_STAMPS = ['2023-12-30T08:00:00.000Z', '2023-12-30T09:00:00Z', '2023-12-30T12:00:00+02:00'];
const freshStamps = () => {
  const t = Date.now() - 60_000;
  return [
    new Date(t).toISOString(),
    new Date(t)
      .toISOString()
      .replace('.000Z', 'Z')
      .replace(/\.\d+Z$/, 'Z'),
  ];
};

describe('Serving caches never change an answer', () => {
  let dataDir: string;
  let runtime: Awaited<ReturnType<typeof openLocalRuntime>>;
  let cached: Recommender;
  let uncached: Recommender;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'recsys-serving-caches-'));
    runtime = await openLocalRuntime({ dataDir });
    await publishTestModel(dataDir, runtime.publications, KNN_VERSION, KNN);
    await publishTestModel(dataDir, runtime.publications, IALS_VERSION, IALS);
    await runtime.store.putItems([
      ...Array.from({ length: 40 }, (_, j) => ({
        ...shopItem(j),
        inStock: j % 9 !== 4,
        updatedAt: '2024-03-01T00:00:00.000Z',
      })),
      {
        itemId: 'i97',
        title: 'new "quoted" mug',
        price: 3,
        inStock: true,
        updatedAt: '2024-03-01T00:00:00.000Z',
      },
    ]);
    await runtime.publications.putDeployment(
      {
        revision: 1,
        champion: KNN_VERSION,
        experiment: {
          name: 'caches',
          startedAt: '2024-03-02T00:00:00.000Z',
          variants: [
            { name: 'knn', modelVersion: KNN_VERSION, weight: 0.5 },
            { name: 'ials', modelVersion: IALS_VERSION, weight: 0.5 },
          ],
        },
        updatedAt: new Date().toISOString(),
        reason: 'test',
      },
      undefined,
    );
    cached = localServing(runtime, { deploymentTtlMs: 0, liveTrendRefreshMs: 0 }).recommender;
    const models = createLocalModelStore({ root: join(dataDir, 'models') });
    const copy = <T>(value: T): T => (value === undefined ? value : structuredClone(value));
    uncached = createRecommender({
      deployment: createDeploymentSource({ publications: runtime.publications, ttlMs: 0 }),
      models: createModelCache({
        load: (version) => {
          const dir = artifactDirectory(models.location(version));
          return decodeArtifact(dir.read, { exists: dir.exists });
        },
      }),
      publications: {
        ...runtime.publications,
        getRecommendations: async (version, userId) =>
          copy(await runtime.publications.getRecommendations(version, userId)),
      },
      store: {
        ...runtime.store,
        recentActivity: async (shopperKey, limit) =>
          copy(await runtime.store.recentActivity(shopperKey, limit)),
      },
      feedback: runtime.feedback,
      catalog: createCatalogCache({ store: runtime.store, ttlMs: 0 }),
      latestVersion: async () => (await models.list()).at(-1),
      counters: runtime.counters,
      liveTrend: createLiveTrend(runtime.counters, 0),
    });
  }, 120_000);

  afterAll(async () => {
    await runtime?.close().catch(() => {});
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  const users = Array.from({ length: 24 }, (_, u) => `u${u}`).concat(['stranger-1']);
  const strip = ({ recommendationId, ...rest }: { recommendationId: string }) => ({
    ...rest,
    experiment: recommendationId.split('.').slice(1).join('.'),
  });

  async function expectSameAnswers(round: string): Promise<number> {
    let compared = 0;
    for (const userId of users) {
      for (const request of REQUESTS) {
        // Twice: the second request of the cached recommender is the one served from its caches.
        for (let pass = 0; pass < 2; pass++) {
          const a = await cached.forUser({ userId, ...request });
          const b = await uncached.forUser({ userId, ...request });
          expect(strip(a), `${round}: ${userId} ${JSON.stringify(request)}`).toEqual(strip(b));
          compared++;
        }
      }
      const session = { sessionId: `s-${userId}`, ...REQUESTS[0]! };
      expect(strip(await cached.forSession(session))).toEqual(strip(await uncached.forSession(session)));
    }
    return compared;
  }

  async function append(userId: string, type: EventType, itemId: string, timestamp: string) {
    const event: StoredEvent = {
      eventId: randomUUID(),
      type,
      userId,
      itemId,
      timestamp,
      receivedAt: new Date().toISOString(),
    };
    const session: StoredEvent = { ...event, eventId: randomUUID(), sessionId: `s-${userId}` };
    delete session.userId;
    await runtime.store.appendActivity([
      { shopperKey: `u:${userId}`, event },
      { shopperKey: `s:s-${userId}`, event: session },
    ]);
  }

  it('answers the same with and without them, through fresh events, old events and feedback', async () => {
    // 25 shoppers × 6 requests × 2 passes.
    expect(await expectSameAnswers('no activity')).toBe(300);

    // Old events (already in the model's data): only exclusions change.
    for (const [u, userId] of users.entries()) {
      await append(userId, 'purchase', `i${(u * 3) % 40}`, OLD_STAMPS[u % 3]!);
      await append(userId, 'view', `i${(u * 5 + 1) % 40}`, OLD_STAMPS[(u + 1) % 3]!);
    }
    await expectSameAnswers('old events');

    // Fresh events: folded in, anchors of their own, exclusions by kind.
    const types: EventType[] = ['view', 'add_to_cart', 'purchase', 'click', 'not_interested', 'view'];
    for (const [u, userId] of users.entries()) {
      const stamps = freshStamps();
      for (let e = 0; e < 4; e++)
        await append(userId, types[(u + e) % types.length]!, `i${(u * 7 + e * 11) % 40}`, stamps[e % 2]!);
      if (u % 5 === 0) await append(userId, 'view', 'i97', stamps[0]!);
    }
    await expectSameAnswers('fresh events');

    // Feedback: not interested, as POST /v1/feedback records it.
    for (const [u, userId] of users.entries())
      if (u % 2 === 0)
        await runtime.feedback.addExclusion(`u:${userId}`, `i${(u * 13) % 40}`, 'not_interested', 3600);
    await expectSameAnswers('feedback');
  }, 120_000);

  it('drops an item from the very next answer once an event excludes it, cached or not', async () => {
    const request = {
      userId: 'u3',
      k: 10,
      filters: {},
      exclude: ['purchased', 'not_interested'] as ExcludeKind[],
    };
    const before = await cached.forUser(request);
    await cached.forUser(request);
    const shown = before.items[0]!.itemId;

    await append('u3', 'purchase', shown, freshStamps()[0]!);

    const after = await cached.forUser(request);
    expect(after.items.map((i) => i.itemId)).not.toContain(shown);
    expect(strip(after)).toEqual(strip(await uncached.forUser(request)));
  });
});
