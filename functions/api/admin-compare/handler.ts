import { S3Client } from '@aws-sdk/client-s3';
import { createDynamoDbFeedbackStore } from '../../../shared/adapters/aws/dynamodb-feedback-store.ts';
import { createS3ModelStore } from '../../../shared/adapters/aws/s3-model-store.ts';
import {
  ACTIVITY,
  awsPublicationStore,
  awsServingStore,
  CATALOG,
  documentClient,
  LISTS,
} from '../../../shared/runtime/aws.ts';
import { readSettings } from '../../../shared/runtime/config.ts';
import { LAMBDA_API_OPTIONS } from '../../../shared/runtime/lambda-tracing.ts';
import { composeServing, type Serving } from '../../../shared/runtime/serving.ts';
import { createAdminCompareHandler, pinnedPublications } from './admin-compare.ts';

// At cold start: a missing setting fails the start, naming it.
const settings = readSettings(['RECSYS_LAKE_BUCKET', 'RECSYS_FEEDBACK_TABLE', LISTS, CATALOG, ACTIVITY]);
const models = createS3ModelStore({ client: new S3Client({}), bucket: settings.RECSYS_LAKE_BUCKET });
const publications = awsPublicationStore({ [LISTS]: settings[LISTS] });
const store = awsServingStore([CATALOG, ACTIVITY]);
// Exclusions only: a pinned deployment has no experiment, so no counter is ever touched.
const feedback = createDynamoDbFeedbackStore({
  client: documentClient(),
  feedbackTable: settings.RECSYS_FEEDBACK_TABLE,
  countersTable: 'unused',
});
const servings = new Map<string, Serving>();

export const handler = createAdminCompareHandler(
  {
    async recommenderFor(version) {
      if (!(await models.list()).includes(version)) return undefined;
      let serving = servings.get(version);
      if (serving === undefined) {
        serving = composeServing(
          {
            models,
            publications: pinnedPublications(publications, version),
            store,
            feedback,
            eventSink: {
              put: () => Promise.reject(new Error('compare sends no events')),
              close: async () => {},
            },
          },
          {
            deploymentTtlMs: 60_000,
            catalogTtlMs: 30_000,
            liveTrendRefreshMs: 60_000,
            trendingRefreshMs: 60_000,
          },
        );
        servings.set(version, serving);
      }
      return serving.recommender;
    },
  },
  LAMBDA_API_OPTIONS,
);
