import { FirehoseClient } from '@aws-sdk/client-firehose';
import { S3Client } from '@aws-sdk/client-s3';
import { createDynamoDbFeedbackStore } from '../adapters/aws/dynamodb-feedback-store.ts';
import { createDynamoDbUserStore } from '../adapters/aws/dynamodb-user-store.ts';
import { createFirehoseSink } from '../adapters/aws/firehose-sink.ts';
import { createS3ModelStore } from '../adapters/aws/s3-model-store.ts';
import type { RecordSink } from '../ports/record-sink.ts';
import type { UserStore } from '../ports/user-store.ts';
import type { ForgetDeps } from '../users/forget.ts';
import { ACTIVITY, awsPublicationStore, awsServingStore, DEPLOYMENT, documentClient, LISTS } from './aws.ts';
import { readSettings } from './config.ts';

export const USERS_TABLE = 'RECSYS_USERS_TABLE';
const USERS_STREAM = 'RECSYS_USERS_STREAM';

let firehose: FirehoseClient | undefined;

/** The shoppers' DynamoDB table (resources/users.yml), read from the function's settings now. */
export function awsUserStore(env: NodeJS.ProcessEnv = process.env): UserStore {
  const { [USERS_TABLE]: usersTable } = readSettings([USERS_TABLE], env);
  return createDynamoDbUserStore({ client: documentClient(), usersTable });
}

/** The users delivery stream: profiles and tombstones into the lake's `raw/users/`. */
export function awsUserSink(env: NodeJS.ProcessEnv = process.env): RecordSink {
  const { [USERS_STREAM]: deliveryStreamName } = readSettings([USERS_STREAM], env);
  firehose ??= new FirehoseClient({});
  return createFirehoseSink({ client: firehose, deliveryStreamName });
}

/** Everything `DELETE /v1/users/{userId}` erases, on the tables and bucket the function is given. */
export function awsForgetDeps(env: NodeJS.ProcessEnv = process.env): ForgetDeps {
  const s = readSettings(['RECSYS_LAKE_BUCKET', 'RECSYS_FEEDBACK_TABLE', LISTS, DEPLOYMENT, ACTIVITY], env);
  const client = documentClient();
  const models = createS3ModelStore({ client: new S3Client({}), bucket: s.RECSYS_LAKE_BUCKET });
  return {
    users: awsUserStore(env),
    userSink: awsUserSink(env),
    store: awsServingStore([ACTIVITY], env),
    feedback: createDynamoDbFeedbackStore({
      client,
      feedbackTable: s.RECSYS_FEEDBACK_TABLE,
      // Forgetting never touches experiment counters (they hold no shopper): the function is not given the table.
      countersTable: 'RECSYS_COUNTERS_TABLE',
    }),
    publications: awsPublicationStore(s),
    versions: () => models.list(),
  };
}
