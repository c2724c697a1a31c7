import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Server } from 'node:net';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parse } from 'yaml';

// dynalite is CommonJS without type declarations.
const require = createRequire(import.meta.url);
const dynalite = require('dynalite') as (options: {
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}) => Server;

const RESOURCES_FILE = new URL('../../resources/dynamodb.yml', import.meta.url);
const PUBLICATION_FILE = new URL('../../resources/publication-tables.yml', import.meta.url);
const FEEDBACK_FILE = new URL('../../resources/feedback-tables.yml', import.meta.url);
const LIVE_FILE = new URL('../../resources/live.yml', import.meta.url);

export interface Dynalite {
  endpoint: string;
  client: DynamoDBDocumentClient;
  /** Creates CatalogTable and ActivityTable exactly as resources/dynamodb.yml declares them, uniquely named. */
  createTablesFromResources(): Promise<{ catalogTable: string; activityTable: string }>;
  /** Creates the tables of resources/publication-tables.yml, uniquely named. */
  createPublicationTables(): Promise<{ listsTable: string; deploymentTable: string }>;
  /** Creates the tables of resources/feedback-tables.yml, uniquely named. */
  createFeedbackTables(): Promise<{ feedbackTable: string; countersTable: string }>;
  /** Creates the live counters table of resources/live.yml, uniquely named. */
  createLiveCountersTable(): Promise<string>;
  stop(): Promise<void>;
}

/** An in-process dynalite on a free loopback port, with a client that talks only to it. */
export async function startDynalite(): Promise<Dynalite> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('dynalite did not bind a TCP port');
  const endpoint = `http://127.0.0.1:${address.port}`;
  const raw = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 3,
  });
  // Default marshalling, as a Lambda's client would have it: adapters must not rely on lenient options.
  const client = DynamoDBDocumentClient.from(raw);
  let stage = 0;
  // Even with createTableMs 0 a table is CREATING until the next tick; requests then fail as not found.
  const create = async (inputs: CreateTableCommandInput[]) => {
    for (const input of inputs) {
      await raw.send(new CreateTableCommand(input));
      while (
        (await raw.send(new DescribeTableCommand({ TableName: input.TableName }))).Table?.TableStatus !==
        'ACTIVE'
      ) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
  };

  return {
    endpoint,
    client,
    async createTablesFromResources() {
      // A fresh stage per call: suites share one server without seeing each other's rows.
      stage += 1;
      const inputs = await tableInputsFromResources({ service: 'recsys', stage: `test${stage}` });
      await create(Object.values(inputs));
      return {
        catalogTable: inputs.CatalogTable.TableName as string,
        activityTable: inputs.ActivityTable.TableName as string,
      };
    },
    async createPublicationTables() {
      stage += 1;
      const vars = { service: 'recsys', stage: `test${stage}` };
      const lists = await tableInputFromFile(PUBLICATION_FILE, 'RecommendationListsTable', vars);
      const deployment = await tableInputFromFile(PUBLICATION_FILE, 'DeploymentTable', vars);
      await create([lists, deployment]);
      return { listsTable: lists.TableName as string, deploymentTable: deployment.TableName as string };
    },
    async createFeedbackTables() {
      stage += 1;
      const vars = { service: 'recsys', stage: `test${stage}` };
      const feedback = await tableInputFromFile(FEEDBACK_FILE, 'FeedbackTable', vars);
      const counters = await tableInputFromFile(FEEDBACK_FILE, 'ExperimentCountersTable', vars);
      await create([feedback, counters]);
      return { feedbackTable: feedback.TableName as string, countersTable: counters.TableName as string };
    },
    async createLiveCountersTable() {
      stage += 1;
      const table = await tableInputFromFile(LIVE_FILE, 'LiveCountersTable', {
        service: 'recsys',
        stage: `test${stage}`,
      });
      await create([table]);
      return table.TableName as string;
    },
    async stop() {
      client.destroy();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
  };
}

/** The stage params the table files use, at their default (dynalite has no capacity to provision). */
const TABLE_PARAMS: Record<string, string> = {
  'param:tableBillingMode': 'PAY_PER_REQUEST',
  'param:tableReadCapacity': '5',
  'param:tableWriteCapacity': '5',
};

interface TableResource {
  Type: string;
  Properties: {
    TableName: string;
    BillingMode?: CreateTableCommandInput['BillingMode'];
    AttributeDefinitions: CreateTableCommandInput['AttributeDefinitions'];
    KeySchema: CreateTableCommandInput['KeySchema'];
    GlobalSecondaryIndexes?: CreateTableCommandInput['GlobalSecondaryIndexes'];
    SSESpecification?: { SSEEnabled?: boolean };
  };
}

/**
 * The CreateTable inputs the CloudFormation in resources/dynamodb.yml stands for, with the Serverless
 * variables `${self:service}` and `${sls:stage}` substituted. TTL and point-in-time recovery are separate
 * APIs that dynalite lacks; the store filters expired rows itself, so tests do not depend on them.
 */
async function tableInputsFromResources(vars: {
  service: string;
  stage: string;
}): Promise<{ CatalogTable: CreateTableCommandInput; ActivityTable: CreateTableCommandInput }> {
  const values: Record<string, string> = {
    'self:service': vars.service,
    'sls:stage': vars.stage,
    ...TABLE_PARAMS,
  };
  // Substituted after parsing, so comments may mention variables; an unknown one would leave the test
  // tables named differently from the deployed ones, hence the throw.
  const doc = parse(await readFile(RESOURCES_FILE, 'utf8'), (_key, value) =>
    typeof value !== 'string'
      ? value
      : value.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
          const known = values[name];
          if (known === undefined)
            throw new Error(`resources/dynamodb.yml uses \${${name}}, unknown to the helper`);
          return known;
        }),
  ) as { Resources: Record<string, TableResource> };
  const toInput = (logicalId: string): CreateTableCommandInput => {
    const resource = doc.Resources[logicalId];
    if (resource?.Type !== 'AWS::DynamoDB::Table') throw new Error(`${logicalId} is not a DynamoDB table`);
    const p = resource.Properties;
    return {
      TableName: p.TableName,
      // The stage's mode is a condition on params.tableBillingMode; dynalite needs no capacity either way.
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: p.AttributeDefinitions,
      KeySchema: p.KeySchema,
      GlobalSecondaryIndexes: p.GlobalSecondaryIndexes,
      SSESpecification: p.SSESpecification ? { Enabled: p.SSESpecification.SSEEnabled } : undefined,
    };
  };
  return { CatalogTable: toInput('CatalogTable'), ActivityTable: toInput('ActivityTable') };
}

/** One table of a resources/*.yml file as a CreateTable input (variables substituted as above). */
async function tableInputFromFile(
  file: URL,
  logicalId: string,
  vars: { service: string; stage: string },
): Promise<CreateTableCommandInput> {
  const values: Record<string, string> = {
    'self:service': vars.service,
    'sls:stage': vars.stage,
    ...TABLE_PARAMS,
  };
  const doc = parse(await readFile(file, 'utf8'), (_key, value) =>
    typeof value !== 'string'
      ? value
      : value.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
          const known = values[name];
          if (known === undefined)
            throw new Error(`${file.pathname} uses \${${name}}, unknown to the helper`);
          return known;
        }),
  ) as { Resources: Record<string, TableResource> };
  const resource = doc.Resources[logicalId];
  if (resource?.Type !== 'AWS::DynamoDB::Table') throw new Error(`${logicalId} is not a DynamoDB table`);
  const p = resource.Properties;
  return {
    TableName: p.TableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: p.AttributeDefinitions,
    KeySchema: p.KeySchema,
    GlobalSecondaryIndexes: p.GlobalSecondaryIndexes,
    SSESpecification: p.SSESpecification ? { Enabled: p.SSESpecification.SSEEnabled } : undefined,
  };
}
