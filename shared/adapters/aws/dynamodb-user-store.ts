import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Preferences, UserProfile } from '../../domain/user.ts';
import type { UserStore } from '../../ports/user-store.ts';

export interface DynamoDbUserStoreOptions {
  client: DynamoDBDocumentClient;
  /** pk userId, sk "profile" | "preferences"; the document as JSON text in `json` (resources/users.yml). */
  usersTable: string;
  /** Conditional puts in flight at once (default 16). */
  concurrency?: number;
}

const PROFILE = 'profile';
const PREFERENCES = 'preferences';
const TOMBSTONE = 'tombstone';

/**
 * The UserStore on DynamoDB: one item per shopper and document, so a shopper's profile and preferences come back
 * in one Query and go away in two deletes. A profile put is conditional on `updatedAtMs` (the later one wins,
 * whatever order concurrent Lambdas write in). Documents are stored as JSON text: exactly what was validated
 * comes back, with no marshalling rules in between.
 */
export function createDynamoDbUserStore(options: DynamoDbUserStoreOptions): UserStore {
  const { client, usersTable } = options;
  const concurrency = options.concurrency ?? 16;

  async function putProfile(p: UserProfile): Promise<void> {
    const at = Date.parse(p.updatedAt);
    try {
      await client.send(
        new PutCommand({
          TableName: usersTable,
          Item: { userId: p.userId, sk: PROFILE, updatedAtMs: at, json: JSON.stringify(p) },
          ConditionExpression: 'attribute_not_exists(userId) OR updatedAtMs < :u',
          ExpressionAttributeValues: { ':u': at },
        }),
      );
    } catch (error) {
      // The stored profile is as new or newer: ignoring this one is the upsert rule, not a failure.
      if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
    }
  }

  async function get<T>(userId: string, sk: string): Promise<T | undefined> {
    const out = await client.send(new GetCommand({ TableName: usersTable, Key: { userId, sk } }));
    return out.Item === undefined ? undefined : (JSON.parse(String(out.Item.json)) as T);
  }

  return {
    async putProfiles(profiles) {
      // Concurrent puts of one userId would race; keep only what sequential upserts would have left.
      const latest = new Map<string, UserProfile>();
      for (const p of profiles) {
        const seen = latest.get(p.userId);
        if (seen === undefined || Date.parse(p.updatedAt) > Date.parse(seen.updatedAt))
          latest.set(p.userId, p);
      }
      const queue = [...latest.values()];
      const worker = async () => {
        for (let p = queue.shift(); p !== undefined; p = queue.shift()) await putProfile(p);
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker));
    },
    getProfile: (userId) => get<UserProfile>(userId, PROFILE),
    async putPreferences(userId, preferences) {
      const [old, profile] = await Promise.all([
        client.send(
          new PutCommand({
            TableName: usersTable,
            Item: { userId, sk: PREFERENCES, json: JSON.stringify(preferences) },
            ReturnValues: 'ALL_OLD',
          }),
        ),
        client.send(
          new GetCommand({ TableName: usersTable, Key: { userId, sk: PROFILE }, ProjectionExpression: 'sk' }),
        ),
      ]);
      return { created: old.Attributes === undefined && profile.Item === undefined };
    },
    getPreferences: (userId) => get<Preferences>(userId, PREFERENCES),
    async getShopper(userId) {
      const out = await client.send(
        new QueryCommand({
          TableName: usersTable,
          KeyConditionExpression: 'userId = :u',
          ExpressionAttributeValues: { ':u': userId },
          ConsistentRead: true,
        }),
      );
      const shopper: { profile?: UserProfile; preferences?: Preferences; forgottenAt?: string } = {};
      for (const row of out.Items ?? []) {
        if (row.sk === TOMBSTONE) shopper.forgottenAt = String(row.forgottenAt);
        if (row.sk === PROFILE) shopper.profile = JSON.parse(String(row.json)) as UserProfile;
        else if (row.sk === PREFERENCES) shopper.preferences = JSON.parse(String(row.json)) as Preferences;
      }
      return shopper;
    },
    async forget(userId, forgottenAt) {
      await client.send(
        new PutCommand({ TableName: usersTable, Item: { userId, sk: TOMBSTONE, forgottenAt } }),
      );
      const gone = await Promise.all(
        [PROFILE, PREFERENCES].map((sk) =>
          client.send(
            new DeleteCommand({ TableName: usersTable, Key: { userId, sk }, ReturnValues: 'ALL_OLD' }),
          ),
        ),
      );
      return gone.some((g) => g.Attributes !== undefined);
    },
    async close() {},
  };
}
