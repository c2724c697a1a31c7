import { S3Client } from '@aws-sdk/client-s3';
import { createDynamoDbFeedbackStore } from '../adapters/aws/dynamodb-feedback-store.ts';
import { createS3ModelStore } from '../adapters/aws/s3-model-store.ts';
import type { RecordSink } from '../ports/record-sink.ts';
import {
  ACTIVITY,
  awsEventSink,
  awsPublicationStore,
  awsServingStore,
  CATALOG,
  DEPLOYMENT,
  documentClient,
  LISTS,
  onlyGiven,
} from './aws.ts';
import {
  awsImpressions,
  awsLiveCounters,
  IMPRESSION_SAMPLE_RATE,
  IMPRESSIONS,
  LIVE_COUNTERS,
} from './aws-live.ts';
import { awsUserStore, USERS_TABLE } from './aws-users.ts';
import { readSettings } from './config.ts';
import { recordServed } from './metrics.ts';
import { composeServing, type Serving } from './serving.ts';

const LAKE = 'RECSYS_LAKE_BUCKET';
const FEEDBACK = 'RECSYS_FEEDBACK_TABLE';
const COUNTERS = 'RECSYS_COUNTERS_TABLE';
const EVENTS = 'RECSYS_EVENTS_STREAM';

/** A function that serves lists records them: the impressions stream and the stage's sample rate. */
const LISTS_SERVED = [IMPRESSIONS, IMPRESSION_SAMPLE_RATE] as const;

/**
 * The settings each serving function is given (its `environment` in serverless.yml, least privilege): all of
 * them are read at cold start, so a missing one fails the start naming it.
 */
export const SERVING_SETTINGS = {
  recommendations: [
    LAKE,
    DEPLOYMENT,
    CATALOG,
    ACTIVITY,
    FEEDBACK,
    LISTS,
    COUNTERS,
    USERS_TABLE,
    LIVE_COUNTERS,
    ...LISTS_SERVED,
  ],
  sessionRecommendations: [LAKE, DEPLOYMENT, CATALOG, ACTIVITY, FEEDBACK, LIVE_COUNTERS, ...LISTS_SERVED],
  // USERS_TABLE: `?userId=` applies a signed-in shopper's stated preferences to these lists too.
  similarItems: [LAKE, DEPLOYMENT, CATALOG, USERS_TABLE, ...LISTS_SERVED],
  trending: [LAKE, DEPLOYMENT, CATALOG, LIVE_COUNTERS, USERS_TABLE, ...LISTS_SERVED],
  feedback: [EVENTS, ACTIVITY, FEEDBACK, COUNTERS, DEPLOYMENT, LIVE_COUNTERS],
  experiments: [COUNTERS, DEPLOYMENT],
  boughtTogether: [LAKE, DEPLOYMENT, CATALOG],
  cartRecommendations: [LAKE, DEPLOYMENT, CATALOG, ACTIVITY, FEEDBACK],
  rerank: [LAKE, DEPLOYMENT, ACTIVITY, FEEDBACK],
} as const satisfies Record<string, readonly string[]>;

type ServingFunction = keyof typeof SERVING_SETTINGS;

/**
 * Serving on Lambda: the one composition (serving.ts) over S3, DynamoDB and Firehose. Called once at module
 * scope by each handler.ts, so the clients, the model cache and the settings live for the container.
 */
export function awsServing(fn: ServingFunction, env: NodeJS.ProcessEnv = process.env): Serving {
  const given: Readonly<Record<string, string>> = readSettings(SERVING_SETTINGS[fn], env);
  const has = (setting: string) => given[setting] !== undefined;
  const client = documentClient();
  // A resource not given gets its setting's name as a stand-in: onlyGiven keeps every call from reaching it.
  const name = (setting: string) => given[setting] ?? setting;
  const models = onlyGiven(
    createS3ModelStore({ client: new S3Client({}), bucket: name(LAKE) }),
    { list: LAKE, read: LAKE, exists: LAKE, write: LAKE },
    given,
  );
  const publications = awsPublicationStore(given);
  const feedback = onlyGiven(
    createDynamoDbFeedbackStore({ client, feedbackTable: name(FEEDBACK), countersTable: name(COUNTERS) }),
    {
      recordOnce: FEEDBACK,
      release: FEEDBACK,
      addExclusion: FEEDBACK,
      exclusions: FEEDBACK,
      incrementCounters: COUNTERS,
      counters: COUNTERS,
    },
    given,
  );
  const store = awsServingStore([CATALOG, ACTIVITY].filter(has) as (typeof CATALOG | typeof ACTIVITY)[], env);
  const eventSink = has(EVENTS)
    ? awsEventSink(env)
    : onlyGiven<RecordSink>(
        { put: async () => ({ failed: [] }), close: async () => {} },
        { put: EVENTS },
        given,
      );
  const counters = has(LIVE_COUNTERS) ? awsLiveCounters(env) : undefined;
  const impressions = has(IMPRESSIONS) ? awsImpressions(env) : undefined;
  return composeServing(
    {
      models,
      publications,
      store,
      feedback,
      eventSink,
      ...(counters !== undefined ? { counters } : {}),
      ...(impressions !== undefined ? { impressions } : {}),
      ...(has(USERS_TABLE) ? { users: awsUserStore(env) } : {}),
    },
    { deploymentTtlMs: 5_000, catalogTtlMs: 30_000, liveTrendRefreshMs: 60_000, trendingRefreshMs: 5_000 },
    // Each answer's source and variant as metrics, flushed by the handler's logMetrics (Lambda only).
    { onServed: recordServed },
  );
}
