import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createDynamoDbUserStore } from '../../shared/adapters/aws/dynamodb-user-store.ts';
import { createSqliteUserStore } from '../../shared/adapters/local/sqlite-user-store.ts';
import { type Dynalite, startDynalite } from '../helpers/dynalite.ts';
import { createUsersTable } from '../helpers/users-table.ts';
import { userStoreContract } from './user-store.contract.ts';

const USERS_FILE = new URL('../../resources/users.yml', import.meta.url);
type Resources = Record<
  string,
  { Type: string; Properties: Record<string, unknown> } & Record<string, unknown>
>;
const resources = async () =>
  (parse(await readFile(USERS_FILE, 'utf8')) as { Resources: Resources }).Resources;

userStoreContract('sqlite (file in a temp dir)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'recsys-users-'));
  return {
    store: createSqliteUserStore({ path: join(dir, 'serving.db') }),
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

userStoreContract('DynamoDB (dynalite, UsersTable from resources/users.yml)', async () => ({
  store: createDynamoDbUserStore({ client: dynalite.client, usersTable: await createUsersTable(dynalite) }),
  cleanup: async () => {},
}));

describe('Resources: resources/users.yml', () => {
  it('returns the users table retained, on demand, encrypted, recoverable, and a stream delivering to raw/users/ only', async () => {
    // Act
    const r = await resources();

    // Assess
    expect(r.UsersTable).toMatchObject({
      Type: 'AWS::DynamoDB::Table',
      DeletionPolicy: 'Retain',
      Properties: {
        TableName: `\${self:service}-\${sls:stage}-users`,
        BillingMode: { 'Fn::If': ['ProvisionedTables', 'PROVISIONED', 'PAY_PER_REQUEST'] },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      },
    });
    expect(r.UsersDeliveryStream).toMatchObject({
      Properties: {
        ExtendedS3DestinationConfiguration: {
          Prefix: 'raw/users/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/',
          CompressionFormat: 'GZIP',
        },
      },
    });
    const policy = JSON.stringify(r.UsersDeliveryRole?.Properties);
    expect(policy).toContain('/raw/users/*');
    expect(policy).not.toContain('/raw/events/*');
  });
});
