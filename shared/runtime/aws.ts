import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDynamoDbServingStore } from '../adapters/aws/dynamodb-serving-store.ts';
import { createFirehoseSink } from '../adapters/aws/firehose-sink.ts';
import type { RecordSink } from '../ports/record-sink.ts';
import type { ServingStore } from '../ports/serving-store.ts';
import { requireEnv } from './config.ts';

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

export function awsEventSink(): RecordSink {
  return createFirehoseSink({
    client: firehoseClient(),
    deliveryStreamName: requireEnv('RECSYS_EVENTS_STREAM'),
  });
}

export function awsItemSink(): RecordSink {
  return createFirehoseSink({
    client: firehoseClient(),
    deliveryStreamName: requireEnv('RECSYS_ITEMS_STREAM'),
  });
}

/**
 * Each function is given only the tables it uses (serverless.yml), so a table name may be absent: using that
 * part of the store then fails with a message naming the missing setting instead of a DynamoDB validation error.
 */
export function awsServingStore(): ServingStore {
  const catalogTable = process.env.RECSYS_CATALOG_TABLE;
  const activityTable = process.env.RECSYS_ACTIVITY_TABLE;
  const store = createDynamoDbServingStore({
    client: documentClient(),
    catalogTable: catalogTable ?? '',
    activityTable: activityTable ?? '',
  });
  const needs =
    <A extends unknown[], R>(setting: string, call: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      requireEnv(setting);
      return call(...args);
    };
  return {
    putItems: needs('RECSYS_CATALOG_TABLE', store.putItems),
    getItem: needs('RECSYS_CATALOG_TABLE', store.getItem),
    getItems: needs('RECSYS_CATALOG_TABLE', store.getItems),
    appendActivity: needs('RECSYS_ACTIVITY_TABLE', store.appendActivity),
    removeActivity: needs('RECSYS_ACTIVITY_TABLE', store.removeActivity),
    recentActivity: needs('RECSYS_ACTIVITY_TABLE', store.recentActivity),
    close: () => store.close(),
  };
}
