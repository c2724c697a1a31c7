import type { ImpressionRecorder } from '../live/impressions.ts';
import { decodeArtifact } from '../model/artifact-decode.ts';
import type { FeedbackStore } from '../ports/feedback-store.ts';
import type { LiveCounters } from '../ports/live-counters.ts';
import type { ModelStore } from '../ports/model-store.ts';
import type { PublicationStore } from '../ports/publication-store.ts';
import type { RecordSink } from '../ports/record-sink.ts';
import type { ServingStore } from '../ports/serving-store.ts';
import type { UserStore } from '../ports/user-store.ts';
import { createCatalogCache } from '../serving/catalog-cache.ts';
import { cacheCounterReads } from '../serving/counter-read-cache.ts';
import type { FeedbackDeps } from '../serving/feedback.ts';
import { createLiveTrend } from '../serving/live-trend.ts';
import { createDeploymentSource, createModelCache } from '../serving/model-cache.ts';
import { createRecommender, type Recommender, type ServingDeps } from '../serving/recommender.ts';
import { createShopperSource, type SegmentFile } from '../serving/shoppers.ts';
import { logger } from './observability.ts';

/** The adapters serving runs on: S3 + DynamoDB + Firehose on Lambda, files + node:sqlite + the local lake here. */
interface ServingPorts {
  models: ModelStore;
  publications: PublicationStore;
  store: ServingStore;
  feedback: FeedbackStore;
  eventSink: RecordSink;
  /** Live trending's counters, also updated by feedback's events (absent: trending as of training). */
  counters?: LiveCounters;
  /** Where served lists are recorded (raw/impressions, sampled); absent: not recorded. */
  impressions?: ImpressionRecorder;
  /** Profiles and preferences (issue 16): personal answers use them when given. */
  users?: UserStore;
}

export interface ServingSettings {
  /** How long the deployment record is reused before it is read again. */
  deploymentTtlMs: number;
  /** How long catalog rows are reused. */
  catalogTtlMs: number;
  /** How long one read of the live counters serves the blend's live trend (shared/serving/live-trend.ts). */
  liveTrendRefreshMs: number;
  /** How long one read of a window's counters serves live trending (shared/serving/counter-read-cache.ts). */
  trendingRefreshMs: number;
}

/** What the serving handlers need: the recommender, feedback, and the experiment report's sources. */
export interface Serving {
  recommender: Recommender;
  feedback: FeedbackDeps;
  experiments: { feedback: FeedbackStore; deployment: FeedbackDeps['deployment'] };
}

/**
 * The one composition of serving, used by the Lambda wiring (aws-serving.ts) and the local server
 * (local/serving.ts): only the adapters and the cache lifetimes differ. Nothing here does I/O until a request.
 */
export function composeServing(
  ports: ServingPorts,
  settings: ServingSettings,
  hooks: Pick<ServingDeps, 'onServed'> = {},
): Serving {
  const { models, publications, store, feedback, counters, impressions } = ports;
  const onError = (message: string, error: unknown) => logger.error(message, { error });
  const deployment = createDeploymentSource({ publications, ttlMs: settings.deploymentTtlMs });
  const recommender = createRecommender({
    deployment,
    // Built once per process and kept: the model cache is what makes warm requests fast.
    models: createModelCache({
      load: (version) =>
        decodeArtifact((name) => models.read(version, name), {
          exists: (name) => models.exists(version, name),
        }),
    }),
    publications,
    store,
    feedback,
    catalog: createCatalogCache({ store, ttlMs: settings.catalogTtlMs }),
    latestVersion: async () => (await models.list()).at(-1),
    onError,
    // The counters serve live trending and the blend's live trend of fresh events, each read once per its period.
    ...(counters !== undefined
      ? {
          counters: cacheCounterReads(counters, settings.trendingRefreshMs),
          liveTrend: createLiveTrend(counters, settings.liveTrendRefreshMs),
        }
      : {}),
    ...(impressions !== undefined ? { impressions } : {}),
    ...(ports.users !== undefined ? { shoppers: shopperSource(ports.users, models) } : {}),
    ...hooks,
  });
  const counting =
    counters !== undefined
      ? { counters, onCounterError: (e: unknown) => onError('live counters not updated', e) }
      : {};
  return {
    recommender,
    feedback: { feedback, ingest: { eventSink: ports.eventSink, store, ...counting }, deployment },
    // The report reads the record itself, not the serving cache: an operator who has just started an
    // experiment asks for its report at once, before the cache's lifetime is up (a 404 for a running experiment).
    experiments: { feedback, deployment: { get: () => publications.getDeployment() } },
  };
}

/** Profiles and preferences from the user store, each version's cold-start segments from its artifact. */
function shopperSource(users: UserStore, models: ModelStore) {
  return createShopperSource({
    users,
    segments: async (version): Promise<SegmentFile> => {
      if (!(await models.exists(version, 'segments.json'))) return undefined;
      return JSON.parse(new TextDecoder().decode(await models.read(version, 'segments.json'))) as SegmentFile;
    },
  });
}
