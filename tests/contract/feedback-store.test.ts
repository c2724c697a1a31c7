import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createDynamoDbFeedbackStore } from '../../shared/adapters/aws/dynamodb-feedback-store.ts';
import { createSqliteFeedbackStore } from '../../shared/adapters/local/sqlite-feedback-store.ts';
import { type Dynalite, startDynalite } from '../helpers/dynalite.ts';
import { feedbackStoreContract } from './feedback-store.contract.ts';

feedbackStoreContract('sqlite (file in a temp dir)', async (clock) => {
  const dir = await mkdtemp(join(tmpdir(), 'recsys-feedback-'));
  return {
    store: createSqliteFeedbackStore({ path: join(dir, 'serving.db'), now: clock.now }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

feedbackStoreContract('sqlite (cached reads, as the local runtime runs it)', async (clock) => {
  const dir = await mkdtemp(join(tmpdir(), 'recsys-feedback-'));
  return {
    store: createSqliteFeedbackStore({ path: join(dir, 'serving.db'), now: clock.now, cacheReads: true }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

let dynalite: Dynalite;
beforeAll(async () => {
  dynalite = await startDynalite();
});
afterAll(async () => {
  await dynalite?.stop();
});

feedbackStoreContract('DynamoDB (dynalite, tables from resources/feedback-tables.yml)', async (clock) => {
  const tables = await dynalite.createFeedbackTables();
  return {
    store: createDynamoDbFeedbackStore({ client: dynalite.client, ...tables, now: clock.now }),
    cleanup: async () => {},
  };
});

describe('Resources: resources/feedback-tables.yml', () => {
  it('returns both tables retained, on demand, encrypted, recoverable, and Feedback with TTL on expiresAt', async () => {
    // Prepare
    const text = await readFile(new URL('../../resources/feedback-tables.yml', import.meta.url), 'utf8');

    // Act
    const { Resources: resources } = parse(text) as { Resources: Record<string, Record<string, unknown>> };

    // Assess
    for (const [logicalId, suffix] of [
      ['FeedbackTable', 'feedback'],
      ['ExperimentCountersTable', 'experiment-counters'],
    ] as const) {
      expect(resources[logicalId]).toMatchObject({
        Type: 'AWS::DynamoDB::Table',
        DeletionPolicy: 'Retain',
        Properties: {
          TableName: `\${self:service}-\${sls:stage}-${suffix}`,
          // On demand unless the stage's params.tableBillingMode says PROVISIONED.
          BillingMode: { 'Fn::If': ['ProvisionedTables', 'PROVISIONED', 'PAY_PER_REQUEST'] },
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          SSESpecification: { SSEEnabled: true },
        },
      });
    }
    expect(resources.FeedbackTable).toMatchObject({
      Properties: { TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true } },
    });
  });
});
