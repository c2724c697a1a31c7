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

function documentClient(): DynamoDBDocumentClient {
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

export function awsServingStore(): ServingStore {
  return createDynamoDbServingStore({
    client: documentClient(),
    catalogTable: process.env.RECSYS_CATALOG_TABLE ?? '',
    activityTable: process.env.RECSYS_ACTIVITY_TABLE ?? '',
  });
}
