import { join } from 'node:path';
import { artifactDirectory, createLocalModelStore } from '../shared/adapters/local/model-store.ts';
import { decodeArtifact } from '../shared/model/artifact.ts';
import { logger } from '../shared/runtime/observability.ts';
import { createCatalogCache } from '../shared/serving/catalog-cache.ts';
import type { FeedbackDeps } from '../shared/serving/feedback.ts';
import { createDeploymentSource, createModelCache } from '../shared/serving/model-cache.ts';
import { createRecommender, type Recommender } from '../shared/serving/recommender.ts';
import type { LocalRuntime } from './runtime.ts';

export interface LocalServingOptions {
  /** How long the deployment record is reused before it is read again (default 1 s: sqlite reads are cheap). */
  deploymentTtlMs?: number;
  /** How long catalog rows are reused (default 5 s). */
  catalogTtlMs?: number;
}

export interface LocalServing {
  recommender: Recommender;
  feedback: FeedbackDeps;
  experiments: { feedback: LocalRuntime['feedback']; deployment: FeedbackDeps['deployment'] };
}

/**
 * Serving on this machine: artifacts from `<data-dir>/models/<version>/`, lists and the deployment record from
 * the sqlite PublicationStore, activity and catalog from the sqlite ServingStore — the same core as on Lambda.
 */
export function localServing(runtime: LocalRuntime, options: LocalServingOptions = {}): LocalServing {
  const models = createLocalModelStore({ root: join(runtime.dataDir, 'models') });
  const deployment = createDeploymentSource({
    publications: runtime.publications,
    ttlMs: options.deploymentTtlMs ?? 1_000,
  });
  const recommender = createRecommender({
    deployment,
    models: createModelCache({
      load: (version) => {
        const dir = artifactDirectory(models.location(version));
        return decodeArtifact(dir.read, { exists: dir.exists });
      },
    }),
    publications: runtime.publications,
    store: runtime.store,
    feedback: runtime.feedback,
    catalog: createCatalogCache({ store: runtime.store, ttlMs: options.catalogTtlMs ?? 5_000 }),
    latestVersion: async () => (await models.list()).at(-1),
    onError: (message, error) => logger.error(message, { error }),
  });
  return {
    recommender,
    feedback: {
      feedback: runtime.feedback,
      ingest: { eventSink: runtime.eventSink, store: runtime.store },
      deployment,
    },
    experiments: { feedback: runtime.feedback, deployment },
  };
}
