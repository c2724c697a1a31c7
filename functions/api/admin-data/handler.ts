import { S3Client } from '@aws-sdk/client-s3';
import { createDynamoDbLiveCounters } from '../../../shared/adapters/aws/dynamodb-live-counters.ts';
import { dynamoDbTableCount } from '../../../shared/adapters/aws/dynamodb-table-count.ts';
import { describeS3Lake } from '../../../shared/adapters/aws/s3-lake-description.ts';
import { createS3ModelStore } from '../../../shared/adapters/aws/s3-model-store.ts';
import { createCounterDataStats, latestTrainingOf } from '../../../shared/live/data-stats.ts';
import { CATALOG, documentClient } from '../../../shared/runtime/aws.ts';
import { LIVE_COUNTERS } from '../../../shared/runtime/aws-live.ts';
import { readSettings } from '../../../shared/runtime/config.ts';
import { LAMBDA_API_OPTIONS } from '../../../shared/runtime/lambda-tracing.ts';
import { createAdminDataHandler } from './admin-data.ts';

// At cold start: a missing setting fails the start, naming it.
const settings = readSettings(['RECSYS_LAKE_BUCKET', CATALOG, LIVE_COUNTERS]);
const bucket = settings.RECSYS_LAKE_BUCKET;
const s3 = new S3Client({});
const client = documentClient();
const models = createS3ModelStore({ client: s3, bucket });
const zones = ['raw/events/', 'raw/items/'].map((prefix) => describeS3Lake({ client: s3, bucket, prefix }));
const countCatalog = dynamoDbTableCount({ client, table: settings[CATALOG] });
/** The catalog's count is a scan of the table: reused by this container for five minutes. */
const CATALOG_TTL_MS = 300_000;
let catalog: { count: number; at: number } | undefined;

export const handler = createAdminDataHandler(
  createCounterDataStats({
    counters: createDynamoDbLiveCounters({ client, table: settings[LIVE_COUNTERS] }),
    async lakeSize() {
      const sizes = await Promise.all(zones.map((describe) => describe()));
      return {
        objects: sizes.reduce((n, z) => n + (z?.objects ?? 0), 0),
        bytes: sizes.reduce((n, z) => n + (z?.bytes ?? 0), 0),
      };
    },
    async catalogSize() {
      if (catalog === undefined || Date.now() - catalog.at > CATALOG_TTL_MS)
        catalog = { count: await countCatalog(), at: Date.now() };
      return {
        count: catalog.count,
        asOf: new Date(catalog.at).toISOString(),
        source: 'a count of the catalog table (kept 5 minutes)',
      };
    },
    latestTraining: latestTrainingOf(models),
  }),
  LAMBDA_API_OPTIONS,
);
