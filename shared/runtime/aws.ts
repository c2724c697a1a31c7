import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDynamoDbPublicationStore } from '../adapters/aws/dynamodb-publication-store.ts';
import { createDynamoDbServingStore } from '../adapters/aws/dynamodb-serving-store.ts';
import { createFirehoseSink } from '../adapters/aws/firehose-sink.ts';
import type { PublicationStore } from '../ports/publication-store.ts';
import type { RecordSink } from '../ports/record-sink.ts';
import type { ServingStore } from '../ports/serving-store.ts';
import { readSettings } from './config.ts';

// Clients are built once per Lambda container and only when first needed, so handlers that need no AWS
// access (health) pay nothing at cold start.
let firehose: FirehoseClient | undefined;
let documents: DynamoDBDocumentClient | undefined;

function firehoseClient(): FirehoseClient {
  firehose ??= new FirehoseClient({});
  return firehose;
}

export function documentClient(): DynamoDBDocumentClient {
  documents ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return documents;
}

export function awsEventSink(env: NodeJS.ProcessEnv = process.env): RecordSink {
  const { RECSYS_EVENTS_STREAM } = readSettings(['RECSYS_EVENTS_STREAM'], env);
  return createFirehoseSink({ client: firehoseClient(), deliveryStreamName: RECSYS_EVENTS_STREAM });
}

export function awsItemSink(env: NodeJS.ProcessEnv = process.env): RecordSink {
  const { RECSYS_ITEMS_STREAM } = readSettings(['RECSYS_ITEMS_STREAM'], env);
  return createFirehoseSink({ client: firehoseClient(), deliveryStreamName: RECSYS_ITEMS_STREAM });
}

/**
 * A port whose methods each reach one resource named by a setting. Each function is given only the resources
 * it uses (serverless.yml, least privilege), and reads those settings at cold start; a method reaching for a
 * resource the function was not given answers with the setting's name instead of an AWS validation error.
 */
export function onlyGiven<P extends object>(
  port: P,
  resourceOf: { [M in keyof P]?: string },
  given: Readonly<Record<string, string>>,
): P {
  const out = { ...port };
  for (const [method, setting] of Object.entries(resourceOf) as [keyof P, string][]) {
    if (given[setting] !== undefined) continue;
    (out as Record<keyof P, unknown>)[method] = () =>
      Promise.reject(
        new Error(`${String(method)} needs ${setting}, which this function is not given (serverless.yml)`),
      );
  }
  return out;
}

export const CATALOG = 'RECSYS_CATALOG_TABLE';
export const ACTIVITY = 'RECSYS_ACTIVITY_TABLE';

/** The DynamoDB serving store over the tables this function is given, read now (`uses`: their settings). */
export function awsServingStore(
  uses: readonly (typeof CATALOG | typeof ACTIVITY)[],
  env: NodeJS.ProcessEnv = process.env,
): ServingStore {
  const given: Partial<Record<string, string>> = readSettings(uses, env);
  // A table not given gets its setting's name as a stand-in: onlyGiven keeps every call from reaching it.
  const store = createDynamoDbServingStore({
    client: documentClient(),
    catalogTable: given[CATALOG] ?? CATALOG,
    activityTable: given[ACTIVITY] ?? ACTIVITY,
  });
  return onlyGiven(
    store,
    {
      putItems: CATALOG,
      getItem: CATALOG,
      getItems: CATALOG,
      appendActivity: ACTIVITY,
      removeActivity: ACTIVITY,
      forgetShopper: ACTIVITY,
      recentActivity: ACTIVITY,
    },
    given as Record<string, string>,
  );
}

export const LISTS = 'RECSYS_LISTS_TABLE';
export const DEPLOYMENT = 'RECSYS_DEPLOYMENT_TABLE';

/** The DynamoDB publication store over the tables this function is given (`given`: its settings, read at start). */
export function awsPublicationStore(given: Readonly<Partial<Record<string, string>>>): PublicationStore {
  // A table not given gets its setting's name as a stand-in: onlyGiven keeps every call from reaching it.
  const store = createDynamoDbPublicationStore({
    client: documentClient(),
    listsTable: given[LISTS] ?? LISTS,
    deploymentTable: given[DEPLOYMENT] ?? DEPLOYMENT,
  });
  return onlyGiven(
    store,
    {
      putRecommendations: LISTS,
      getRecommendations: LISTS,
      listsExpireAt: LISTS,
      getDeployment: DEPLOYMENT,
      putDeployment: DEPLOYMENT,
    },
    given as Record<string, string>,
  );
}
