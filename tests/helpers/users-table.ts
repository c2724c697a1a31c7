import { readFile } from 'node:fs/promises';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
} from '@aws-sdk/client-dynamodb';
import { parse } from 'yaml';
import type { Dynalite } from './dynalite.ts';

const USERS_FILE = new URL('../../resources/users.yml', import.meta.url);
let tables = 0;

/** UsersTable as resources/users.yml declares it (keys and attributes) on dynalite, uniquely named. */
export async function createUsersTable(d: Dynalite): Promise<string> {
  const { Resources } = parse(await readFile(USERS_FILE, 'utf8')) as {
    Resources: { UsersTable: { Properties: Record<string, unknown> } };
  };
  const p = Resources.UsersTable.Properties;
  const input: CreateTableCommandInput = {
    TableName: `recsys-test${++tables}-users`,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: p.AttributeDefinitions as CreateTableCommandInput['AttributeDefinitions'],
    KeySchema: p.KeySchema as CreateTableCommandInput['KeySchema'],
  };
  await d.client.send(new CreateTableCommand(input));
  while (
    (await d.client.send(new DescribeTableCommand({ TableName: input.TableName }))).Table?.TableStatus !==
    'ACTIVE'
  )
    await new Promise((resolve) => setTimeout(resolve, 5));
  return input.TableName as string;
}
