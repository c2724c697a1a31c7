import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createDynamoDbLiveCounters } from '../../shared/adapters/aws/dynamodb-live-counters.ts';
import { createSqliteLiveCounters } from '../../shared/adapters/local/sqlite-live-counters.ts';
import { type Dynalite, startDynalite } from '../helpers/dynalite.ts';
import { liveCountersContract } from './live-counters.contract.ts';

liveCountersContract('sqlite (written in add)', async (clock) => {
  const dir = await mkdtemp(join(tmpdir(), 'recsys-counters-'));
  return {
    counters: createSqliteLiveCounters({ path: join(dir, 'serving.db'), now: clock.now }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

liveCountersContract('sqlite (buffered, as the local runtime runs it)', async (clock) => {
  const dir = await mkdtemp(join(tmpdir(), 'recsys-counters-'));
  return {
    counters: createSqliteLiveCounters({ path: join(dir, 'serving.db'), now: clock.now, flushDelayMs: 100 }),
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

liveCountersContract('DynamoDB (dynalite, table from resources/live.yml)', async (clock) => {
  const table = await dynalite.createLiveCountersTable();
  return {
    counters: createDynamoDbLiveCounters({ client: dynalite.client, table, now: clock.now }),
    cleanup: async () => {},
  };
});

describe('Resources: resources/live.yml', () => {
  it('returns the counters table on demand, encrypted, recoverable, with TTL on expiresAt', async () => {
    // Prepare
    const text = await readFile(new URL('../../resources/live.yml', import.meta.url), 'utf8');

    // Act
    const { Resources: resources } = parse(text) as { Resources: Record<string, Record<string, unknown>> };

    // Assess
    expect(resources.LiveCountersTable).toMatchObject({
      Type: 'AWS::DynamoDB::Table',
      Properties: {
        TableName: `\${self:service}-\${sls:stage}-live-counters`,
        BillingMode: { 'Fn::If': ['ProvisionedTables', 'PROVISIONED', 'PAY_PER_REQUEST'] },
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      },
    });
  });
});
