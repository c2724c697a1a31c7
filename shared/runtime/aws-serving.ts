import { S3Client } from '@aws-sdk/client-s3';
import { createDynamoDbFeedbackStore } from '../adapters/aws/dynamodb-feedback-store.ts';
import { createDynamoDbPublicationStore } from '../adapters/aws/dynamodb-publication-store.ts';
import { createS3ModelStore } from '../adapters/aws/s3-model-store.ts';
import { decodeArtifact } from '../model/artifact.ts';
import type { FeedbackStore } from '../ports/feedback-store.ts';
import type { ModelStore } from '../ports/model-store.ts';
import type { PublicationStore } from '../ports/publication-store.ts';
import { createCatalogCache } from '../serving/catalog-cache.ts';
import type { FeedbackDeps } from '../serving/feedback.ts';
import { createDeploymentSource, createModelCache } from '../serving/model-cache.ts';
import { createRecommender, type Recommender } from '../serving/recommender.ts';
import { awsEventSink, awsServingStore, documentClient } from './aws.ts';
import { requireEnv } from './config.ts';
import { logger } from './observability.ts';

// Built on first use and kept for the container's life: the model cache is what makes warm requests fast.
let s3: S3Client | undefined;
let recommender: Recommender | undefined;
let deployment: ReturnType<typeof createDeploymentSource> | undefined;
let feedback: FeedbackStore | undefined;
let publications: PublicationStore | undefined;

export function awsModelStore(): ModelStore {
  s3 ??= new S3Client({});
  return createS3ModelStore({ client: s3, bucket: requireEnv('RECSYS_LAKE_BUCKET') });
}

export function awsPublicationStore(): PublicationStore {
  publications ??= createDynamoDbPublicationStore({
    client: documentClient(),
    listsTable: process.env.RECSYS_LISTS_TABLE ?? '',
    deploymentTable: requireEnv('RECSYS_DEPLOYMENT_TABLE'),
  });
  return publications;
}

export function awsFeedbackStore(): FeedbackStore {
  feedback ??= createDynamoDbFeedbackStore({
    client: documentClient(),
    feedbackTable: process.env.RECSYS_FEEDBACK_TABLE ?? '',
    countersTable: process.env.RECSYS_COUNTERS_TABLE ?? '',
  });
  return feedback;
}

function awsDeployment() {
  deployment ??= createDeploymentSource({ publications: awsPublicationStore(), ttlMs: 5_000 });
  return deployment;
}

export function awsRecommender(): Recommender {
  if (recommender !== undefined) return recommender;
  const models = awsModelStore();
  recommender = createRecommender({
    deployment: awsDeployment(),
    models: createModelCache({
      load: (version) =>
        decodeArtifact((name) => models.read(version, name), {
          exists: (name) => models.exists(version, name),
        }),
    }),
    publications: awsPublicationStore(),
    store: awsServingStore(),
    feedback: awsFeedbackStore(),
    catalog: createCatalogCache({ store: awsServingStore(), ttlMs: 30_000 }),
    latestVersion: async () => (await models.list()).at(-1),
    onError: (message, error) => logger.error(message, { error }),
  });
  return recommender;
}

export function awsFeedbackDeps(): FeedbackDeps {
  return {
    feedback: awsFeedbackStore(),
    ingest: { eventSink: awsEventSink(), store: awsServingStore() },
    deployment: awsDeployment(),
  };
}

export function awsExperimentDeps() {
  return { feedback: awsFeedbackStore(), deployment: awsDeployment() };
}
