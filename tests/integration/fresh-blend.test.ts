import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataDirLayout } from '../../local/data-dir.ts';
import { openLocalRuntime } from '../../local/runtime.ts';
import { artifactDirectory, createLocalModelStore } from '../../shared/adapters/local/model-store.ts';
import { ingestEvents } from '../../shared/ingest/ingest-events.ts';
import { precomputeRecommendations } from '../../shared/model/artifact.ts';
import { decodeArtifact } from '../../shared/model/artifact-decode.ts';
import { withFreshness } from '../../shared/model/fold-in-freshness.ts';
import { normalise } from '../../shared/model/hybrid.ts';
import { gramian } from '../../shared/model/ials.ts';
import { foldIn, scoreAll } from '../../shared/model/ials-scoring.ts';
import { buildInteractions } from '../../shared/model/interactions.ts';
import { fitModel, type ModelSpec, type TrainedModel } from '../../shared/model/trained-model.ts';
import { listExpiry } from '../../shared/registry/list-expiry.ts';
import { createCatalogCache } from '../../shared/serving/catalog-cache.ts';
import type { FreshnessMode } from '../../shared/serving/fresh-blend.ts';
import { createDeploymentSource, createModelCache } from '../../shared/serving/model-cache.ts';
import { createRecommender, type Recommender } from '../../shared/serving/recommender.ts';
import { plantedRecords } from '../fixtures/training-data.ts';
import { testArtifactFiles } from '../helpers/serving-model.ts';

/**
 * A request with fresh events is scored by every member of the model with the model's own weights: the same blend
 * the published list came from, for the shopper's history plus the fresh events (weighted by the artifact's
 * calibrated freshness). The expected lists are worked out here member by member from the trained model.
 */

const VERSION = '20240301T000000Z-00f0e5a1';
const DAY = 86_400_000;
const NOW = Date.parse('2024-06-01T12:00:00.000Z');
const WEIGHTS = { ials: 0.6, knn: 0.3, popularity: 0.1 };
const HYBRID: ModelSpec = {
  kind: 'hybrid',
  normalisation: 'zscore',
  components: [
    {
      spec: {
        kind: 'ials',
        params: { factors: 8, iterations: 12, regularization: 0.05, alpha: 10, seed: 7 },
      },
      weight: WEIGHTS.ials,
    },
    { spec: { kind: 'item-knn', params: { neighbours: 50, shrink: 5 } }, weight: WEIGHTS.knn },
    { spec: { kind: 'popularity' }, weight: WEIGHTS.popularity },
  ],
};
/** The artifact's calibrated block: a fresh event counts half, halved again per day of age. */
const FRESHNESS = {
  halfLifeDays: 1,
  weight: 0.5,
  shortTerm: { weight: 0, halfLifeDays: 1 },
  trend: { weight: 0, halfLifeDays: 3 },
};

/** The blend worked out member by member for u's training row plus `fresh` (item index → value, presence). */
function expectedBlend(
  model: TrainedModel,
  u: number,
  fresh: Map<number, { value: number; presence: number }>,
) {
  const n = model.itemIds.length;
  const h = model.history;
  const items0 = Array.from(h.indices.subarray(h.indptr[u]!, h.indptr[u + 1]!));
  const values0 = Array.from(h.values.subarray(h.indptr[u]!, h.indptr[u + 1]!));
  const items = [...items0, ...fresh.keys()];
  const values = [...values0, ...[...fresh.values()].map((s) => s.value)];
  const presence = [...items0.map(() => 1), ...[...fresh.values()].map((s) => s.presence)];
  // iALS: the trained vector moved by the fold-in of the new row minus that of the training row.
  const ials = model.ials!;
  const f = ials.factors;
  const gram = new Float64Array(f * f);
  gramian(ials.itemFactors, n, f, ials.params.regularization, gram);
  const now = new Float32Array(f);
  const before = new Float32Array(f);
  foldIn(ials, gram, items, values, now);
  foldIn(ials, gram, items0, values0, before);
  const vector = Float32Array.from(
    { length: f },
    (_, x) => ials.userFactors[u * f + x]! + now[x]! - before[x]!,
  );
  const a = new Float32Array(n);
  scoreAll(vector, 0, ials.itemFactors, f, a);
  // item-kNN: the neighbours of every item of the row, an item counting by its presence.
  const b = new Float32Array(n);
  const nb = model.neighbours;
  items.forEach((i, q) => {
    for (let t = 0; t < nb.k && nb.indices[i * nb.k + t]! >= 0; t++)
      b[nb.indices[i * nb.k + t]!]! += presence[q]! * nb.scores[i * nb.k + t]!;
  });
  const c = Float32Array.from(model.popularity);
  for (const v of [a, b, c]) normalise(v, 'zscore');
  const blend = Array.from(
    { length: n },
    (_, j) => WEIGHTS.ials * a[j]! + WEIGHTS.knn * b[j]! + WEIGHTS.popularity * c[j]!,
  );
  return { blend, excluded: new Set(items) };
}

/** The top `k` of a blend outside `excluded`, scored as serving shows a list: min–max over the best `depth`. */
function topOf(model: TrainedModel, blend: number[], excluded: Set<number>, k: number, depth = 60) {
  const order = blend
    .map((s, j) => ({ j, s }))
    .filter((x) => !excluded.has(x.j))
    .sort((x, y) => y.s - x.s)
    .slice(0, depth);
  const hi = order[0]!.s;
  const lo = order.at(-1)!.s;
  return order.slice(0, k).map((x) => [model.itemIds[x.j]!, (x.s - lo) / (hi - lo)] as const);
}

describe('Fresh events move the whole blend', () => {
  let dataDir: string;
  let runtime: Awaited<ReturnType<typeof openLocalRuntime>>;
  let model: TrainedModel;
  const recommenders = new Map<FreshnessMode, Recommender>();

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'recsys-fresh-blend-'));
    runtime = await openLocalRuntime({ dataDir });
    const records = plantedRecords();
    const data = buildInteractions(records);
    model = fitModel(data, records, HYBRID, { threads: 1 });
    const files = withFreshness(testArtifactFiles(model, data, records.length, VERSION), FRESHNESS);
    const store = createLocalModelStore({ root: dataDirLayout(dataDir).models });
    await store.write(VERSION, files);
    await runtime.publications.putRecommendations(
      VERSION,
      precomputeRecommendations(model),
      listExpiry(new Date()),
    );
    await runtime.publications.putDeployment(
      { revision: 1, champion: VERSION, updatedAt: new Date().toISOString(), reason: 'test' },
      undefined,
    );
    for (const mode of ['blend', 'legacy', 'static'] as const)
      recommenders.set(
        mode,
        createRecommender({
          deployment: createDeploymentSource({ publications: runtime.publications, ttlMs: 0 }),
          models: createModelCache({
            load: (version) => {
              const dir = artifactDirectory(store.location(version));
              return decodeArtifact(dir.read, { exists: dir.exists });
            },
          }),
          publications: runtime.publications,
          store: runtime.store,
          feedback: runtime.feedback,
          catalog: createCatalogCache({ store: runtime.store, ttlMs: 0 }),
          freshness: mode,
          now: () => NOW,
        }),
      );
  }, 60_000);
  afterAll(async () => {
    await runtime?.close().catch(() => {});
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
  });

  const ask = (mode: FreshnessMode, userId: string) =>
    recommenders.get(mode)!.forUser({ userId, k: 10, filters: {}, exclude: ['purchased', 'not_interested'] });

  /** A recommender reading the artifact with `freshness` as its block and `trend` as every shopper's live counts. */
  const withComponents = (
    freshness: typeof FRESHNESS,
    trend: Float32Array | Error,
    errors: string[] = [],
  ) => {
    const store = createLocalModelStore({ root: dataDirLayout(dataDir).models });
    return createRecommender({
      deployment: createDeploymentSource({ publications: runtime.publications, ttlMs: 0 }),
      models: createModelCache({
        load: async (version) => {
          const dir = artifactDirectory(store.location(version));
          const m = await decodeArtifact(dir.read, { exists: dir.exists });
          return { ...m, manifest: { ...m.manifest, freshness } };
        },
      }),
      publications: runtime.publications,
      store: runtime.store,
      feedback: runtime.feedback,
      catalog: createCatalogCache({ store: runtime.store, ttlMs: 0 }),
      now: () => NOW,
      liveTrend: async (m) => {
        if (trend instanceof Error) throw trend;
        return m.version === VERSION ? trend : undefined;
      },
      onError: (message) => errors.push(message),
    });
  };

  it('answers a shopper with nothing fresh with the published list, which is the blend of their history', async () => {
    // Act
    const got = await ask('blend', 'u0');

    // Assess: the published list; and the blend worked out from u0's history with nothing fresh is that list.
    const u = model.userIds.indexOf('u0');
    const published = precomputeRecommendations(model).find((l) => l.userId === 'u0')!.items;
    expect(got.items.map((i) => i.itemId)).toEqual(published.slice(0, 10).map(([id]) => id));
    const { blend, excluded } = expectedBlend(model, u, new Map());
    expect(topOf(model, blend, excluded, 10).map(([id]) => id)).toEqual(got.items.map((i) => i.itemId));
  });

  it('recomputes the whole blend for the history plus a fresh purchase, weighted by its calibrated weight and age', async () => {
    // Prepare: u0 buys i35 (another group's item) a day before the request.
    const u = model.userIds.indexOf('u0');
    const j = model.itemIds.indexOf('i35');
    expect(j).toBeGreaterThanOrEqual(0);
    expect(plantedRecords().some((r) => r.userId === 'u0' && r.itemId === 'i35')).toBe(false);
    const before = await ask('blend', 'u0');
    const event = {
      eventId: randomUUID(),
      type: 'purchase',
      userId: 'u0',
      itemId: 'i35',
      timestamp: new Date(NOW - DAY).toISOString(),
    };
    const ingested = await ingestEvents([event], { eventSink: runtime.eventSink, store: runtime.store });
    expect(ingested.accepted).toBe(1);

    // Act
    const got = await ask('blend', 'u0');
    const stat = await ask('static', 'u0');
    const legacy = await ask('legacy', 'u0');

    // Assess: purchase weight 5 × calibrated weight 0.5 × 0.5^(1 day / 1 day) = 1.25 of confidence for the factor
    // member; a presence of 0.5 × 0.5 = 0.25 for the neighbour member; popularity unchanged.
    const fresh = new Map([[j, { value: 1.25, presence: 0.25 }]]);
    const { blend, excluded } = expectedBlend(model, u, fresh);
    const expected = topOf(model, blend, excluded, 10);
    expect(got.items.map((i) => i.itemId)).toEqual(expected.map(([id]) => id));
    for (const [r, item] of got.items.entries()) expect(item.score).toBeCloseTo(expected[r]![1], 4);
    expect(got.items.map((i) => i.itemId)).not.toEqual(before.items.map((i) => i.itemId));
    // The other modes: the published list without the bought item, and the former iALS-only rule.
    const published = precomputeRecommendations(model).find((l) => l.userId === 'u0')!.items;
    expect(stat.items.map((i) => i.itemId)).toEqual(
      published
        .map(([id]) => id)
        .filter((id) => id !== 'i35')
        .slice(0, 10),
    );
    expect(legacy.items.map((i) => i.itemId)).not.toEqual(got.items.map((i) => i.itemId));
  });

  it('weighs an event ten days old by the calibrated decay (0.5^10 of its weight)', async () => {
    // Prepare: u1 views i25 ten days before the request: 1 × 0.5 × 0.5^10 of confidence.
    const u = model.userIds.indexOf('u1');
    const j = model.itemIds.indexOf('i25');
    const event = {
      eventId: randomUUID(),
      type: 'view',
      userId: 'u1',
      itemId: 'i25',
      timestamp: new Date(NOW - 10 * DAY).toISOString(),
    };
    const ingested = await ingestEvents([event], { eventSink: runtime.eventSink, store: runtime.store });
    expect(ingested.accepted).toBe(1);

    // Act
    const got = await ask('blend', 'u1');

    // Assess
    const factor = 0.5 * 0.5 ** 10;
    const fresh = new Map([[j, { value: factor, presence: factor }]]);
    const { blend, excluded } = expectedBlend(model, u, fresh);
    excluded.delete(j); // a view is not excluded by purchased/not_interested
    const h = model.history;
    for (let p = h.indptr[u]!; p < h.indptr[u + 1]!; p++) excluded.add(h.indices[p]!);
    const expected = topOf(model, blend, excluded, 10);
    expect(got.items.map((i) => i.itemId)).toEqual(expected.map(([id]) => id));
    for (const [r, item] of got.items.entries()) expect(item.score).toBeCloseTo(expected[r]![1], 4);
  });

  it('adds the short-term component (neighbours of the fresh events by age) and the live trend, each z-scored and weighted against the blend', async () => {
    // Prepare: u2 views i5 two hours before the request; every shopper's live counts favour i12, i13 and i14.
    const u = model.userIds.indexOf('u2');
    const j = model.itemIds.indexOf('i5');
    expect(plantedRecords().some((r) => r.userId === 'u2' && r.itemId === 'i5')).toBe(false);
    const n = model.itemIds.length;
    const trend = new Float32Array(n);
    for (const [id, c] of [
      ['i12', 9],
      ['i13', 6],
      ['i14', 3],
    ] as const)
      trend[model.itemIds.indexOf(id)] = c;
    const freshness = {
      ...FRESHNESS,
      shortTerm: { weight: 0.5, halfLifeDays: 1 },
      trend: { weight: 0.8, halfLifeDays: 3 },
    };
    const event = {
      eventId: randomUUID(),
      type: 'view',
      userId: 'u2',
      itemId: 'i5',
      timestamp: new Date(NOW - 2 * 3_600_000).toISOString(),
    };
    expect(
      (await ingestEvents([event], { eventSink: runtime.eventSink, store: runtime.store })).accepted,
    ).toBe(1);

    // Act
    const got = await withComponents(freshness, trend).forUser({
      userId: 'u2',
      k: 10,
      filters: {},
      exclude: ['purchased', 'not_interested'],
    });
    const without = await ask('blend', 'u2');

    // Assess: the blend of u2's row plus the view (1 × 0.5 × 0.5^(2 h / 1 d)), plus 0.5 × (0.6 + 0.3 + 0.1) ×
    // z(0.7 × 0.5^(2 h / 1 d) × the neighbours of i5) plus 0.8 × 1 × z(trend): z-scores over all n items.
    const factor = 0.5 * 0.5 ** (2 / 24);
    const { blend, excluded } = expectedBlend(model, u, new Map([[j, { value: factor, presence: factor }]]));
    excluded.delete(j);
    const h = model.history;
    for (let p = h.indptr[u]!; p < h.indptr[u + 1]!; p++) excluded.add(h.indices[p]!);
    const near = new Float32Array(n);
    const nb = model.neighbours;
    for (let t = 0; t < nb.k && nb.indices[j * nb.k + t]! >= 0; t++)
      near[nb.indices[j * nb.k + t]!] = 0.7 * 0.5 ** (2 / 24) * nb.scores[j * nb.k + t]!;
    normalise(near, 'zscore');
    const z = Float32Array.from(trend);
    normalise(z, 'zscore');
    const total = blend.map((b, q) => b + 0.5 * near[q]! + 0.8 * z[q]!);
    const expected = topOf(model, total, excluded, 10);
    expect(got.items.map((i) => i.itemId)).toEqual(expected.map(([id]) => id));
    for (const [r, item] of got.items.entries()) expect(item.score).toBeCloseTo(expected[r]![1], 4);
    // The trending items rise into the list; without the components they are not all there.
    expect(got.items.map((i) => i.itemId)).toEqual(expect.arrayContaining(['i12', 'i13']));
    expect(without.items.map((i) => i.itemId)).not.toEqual(got.items.map((i) => i.itemId));
  });

  it('answers without the live trend when its counts cannot be read, and says so', async () => {
    // Prepare: the calibrated trend is on, but the counts' store fails.
    const errors: string[] = [];
    const broken = withComponents(
      { ...FRESHNESS, trend: { weight: 0.8, halfLifeDays: 3 } },
      new Error('counters unavailable'),
      errors,
    );

    // Act
    const got = await broken.forUser({
      userId: 'u3',
      k: 10,
      filters: {},
      exclude: ['purchased', 'not_interested'],
    });

    // Assess: the list the same artifact gives without a trend (u3 has nothing fresh: the published list).
    const published = precomputeRecommendations(model).find((l) => l.userId === 'u3')!.items;
    expect(got.variant).toBe('champion');
    expect(got.items.map((i) => i.itemId)).toEqual(published.slice(0, 10).map(([id]) => id));
    expect(errors).toEqual(['live trend counts unavailable; answering without them']);
  });
});
