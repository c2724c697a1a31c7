import { dataDirLayout } from '../local/data-dir.ts';
import { openLocalRuntime } from '../local/runtime.ts';
import { artifactDirectory, createLocalModelStore } from '../shared/adapters/local/model-store.ts';
import { EVENT_LIMITS, type EventType } from '../shared/domain/event.ts';
import { ingestEvents } from '../shared/ingest/ingest-events.ts';
import { type ArtifactFiles, encodeArtifact, type RecommendationLine } from '../shared/model/artifact.ts';
import { decodeArtifact } from '../shared/model/artifact-decode.ts';
import type { FreshnessParams } from '../shared/model/fold-in-freshness.ts';
import { DEFAULT_EVENT_WEIGHTS } from '../shared/model/interactions.ts';
import type { TrainedModel } from '../shared/model/trained-model.ts';
import { listExpiry } from '../shared/registry/list-expiry.ts';
import { createCatalogCache } from '../shared/serving/catalog-cache.ts';
import type { FreshnessMode } from '../shared/serving/fresh-blend.ts';
import { createModelCache } from '../shared/serving/model-cache.ts';
import { createRecommender, type Recommender } from '../shared/serving/recommender.ts';
import { LiveCounts } from './replay-live-trend.ts';

/**
 * The local stores a replay runs on (the sqlite serving store, the filesystem lake and model store of one data
 * directory), publication as retraining does it, and recommenders built as the local server builds them — with
 * the replayed clock and the freshness rule of each mode.
 */

export interface ReplayServing {
  runtime: Awaited<ReturnType<typeof openLocalRuntime>>;
  /** The replayed time: what the recommenders take as "now" for the age of fresh events. */
  clock: { now: number };
  /** Every ingested event counted per item (the live trend the recommenders read). */
  live: LiveCounts;
  /** Through the real ingestion path (validation, lake, recent activity); throws on any refused event. */
  ingest(events: readonly Record<string, unknown>[]): Promise<void>;
  /** Takes events out of recent activity again (the stability probe's single events). */
  forget(shopperKey: string, events: readonly { eventId: string; timestamp: string }[]): Promise<void>;
  publish(version: string, files: ArtifactFiles): Promise<void>;
  recommender(version: string, mode: FreshnessMode, freshness?: FreshnessParams): Recommender;
  close(): Promise<void>;
}

export async function openReplayServing(dataDir: string): Promise<ReplayServing> {
  // Bulk: the lake skips its fsync per put (as the importers do); serving reads the same stores either way.
  const runtime = await openLocalRuntime({ dataDir, bulk: true });
  const store = createLocalModelStore({ root: dataDirLayout(dataDir).models });
  const clock = { now: Date.now() };
  const live = new LiveCounts();
  const count = (events: readonly Record<string, unknown>[], sign: 1 | -1) => {
    for (const e of events)
      if (typeof e.itemId === 'string' && typeof e.type === 'string' && typeof e.timestamp === 'string')
        live.add(e.itemId, e.type as EventType, Date.parse(e.timestamp), sign);
  };
  const catalog = createCatalogCache({ store: runtime.store, ttlMs: 60_000 });
  return {
    runtime,
    clock,
    live,
    async ingest(events) {
      // In batches of at most what POST /v1/events takes.
      for (let i = 0; i < events.length; i += EVENT_LIMITS.maxBatch) {
        const batch = events.slice(i, i + EVENT_LIMITS.maxBatch);
        const r = await ingestEvents(batch, { eventSink: runtime.eventSink, store: runtime.store });
        const refused = [...r.rejected, ...r.unavailable];
        if (refused.length > 0) throw new Error(`ingestion refused ${JSON.stringify(refused[0])}`);
      }
      count(events, 1);
    },
    async forget(shopperKey, events) {
      await runtime.store.removeActivity(events.map((event) => ({ shopperKey, event })));
      count(events, -1);
    },
    async publish(version, files) {
      await store.write(version, files);
      await runtime.publications.putRecommendations(
        version,
        recommendationLines(files),
        listExpiry(new Date()),
      );
    },
    recommender(version, mode, freshness) {
      const deployment = {
        revision: 1,
        champion: version,
        updatedAt: new Date(0).toISOString(),
        reason: 'replay',
      };
      return createRecommender({
        deployment: { get: async () => deployment },
        // A calibration trial reads the artifact with its candidate freshness, as if the block said so.
        models: createModelCache({
          load: async (v) => {
            const dir = artifactDirectory(store.location(v));
            const m = await decodeArtifact(dir.read, { exists: dir.exists });
            return freshness === undefined ? m : { ...m, manifest: { ...m.manifest, freshness } };
          },
        }),
        publications: runtime.publications,
        store: runtime.store,
        feedback: runtime.feedback,
        catalog,
        freshness: mode,
        now: () => clock.now,
        liveTrend: async (model, now) =>
          model.freshness.trend.weight > 0
            ? live.vector(model, now, model.freshness.trend.halfLifeDays)
            : undefined,
      });
    },
    close: () => runtime.close(),
  };
}

/** The published lists of an artifact's `recommendations/` parts. */
function recommendationLines(files: ArtifactFiles): RecommendationLine[] {
  const out: RecommendationLine[] = [];
  for (const [name, body] of files) {
    if (!name.startsWith('recommendations/')) continue;
    const text = typeof body === 'string' ? body : new TextDecoder().decode(body);
    for (const line of text.split('\n')) if (line !== '') out.push(JSON.parse(line) as RecommendationLine);
  }
  return out;
}

/** The artifact of a model fitted outside the training pipeline (a calibration fit, a baseline, a test's). */
export function plainArtifact(model: TrainedModel, version: string, source: string): ArtifactFiles {
  const zero = { precision: 0, recall: 0, ndcg: 0, map: 0, mrr: 0, hitRate: 0, coverage: 0 };
  return encodeArtifact(model, {
    version,
    data: {
      source,
      events: model.history.indptr[model.history.rows]!,
      duplicates: 0,
      malformed: 0,
      unknownTypes: 0,
      skipped: 0,
      users: model.userIds.length,
      items: model.itemIds.length,
      interactions: model.history.indptr[model.history.rows]!,
      from: null,
      to: null,
    },
    eventWeights: { ...DEFAULT_EVENT_WEIGHTS },
    validation: { k: 10, split: 'none', model: zero, baseline: zero },
    holdout: [],
    trainingSeconds: 0,
  });
}

/** A UUID-shaped event id for replayed event number `n` (ingestion wants a UUID or a ULID). */
export function replayEventId(n: number, tag = 0): string {
  const hex = n.toString(16).padStart(12, '0');
  return `00000000-0000-4000-8${String(tag).padStart(3, '0')}-${hex}`;
}
