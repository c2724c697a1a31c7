import { decodeArtifact } from '../model/artifact-decode.ts';
import type { FeedbackStore } from '../ports/feedback-store.ts';
import type { ModelStore } from '../ports/model-store.ts';
import type { PublicationStore } from '../ports/publication-store.ts';
import type { RecordSink } from '../ports/record-sink.ts';
import type { ServingStore } from '../ports/serving-store.ts';
import type { UserStore } from '../ports/user-store.ts';
import { createCatalogCache } from '../serving/catalog-cache.ts';
import type { FeedbackDeps } from '../serving/feedback.ts';
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
  /** Profiles and preferences (issue 16): personal answers use them when given. */
  users?: UserStore;
}

export interface ServingSettings {
  /** How long the deployment record is reused before it is read again. */
  deploymentTtlMs: number;
  /** How long catalog rows are reused. */
  catalogTtlMs: number;
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
  const { models, publications, store, feedback } = ports;
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
    onError: (message, error) => logger.error(message, { error }),
    ...(ports.users !== undefined ? { shoppers: shopperSource(ports.users, models) } : {}),
    ...hooks,
  });
  return {
    recommender,
    feedback: { feedback, ingest: { eventSink: ports.eventSink, store }, deployment },
    experiments: { feedback, deployment },
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
