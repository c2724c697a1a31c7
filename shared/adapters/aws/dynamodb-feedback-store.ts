import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type Exclusion,
  type ExclusionReason,
  FEEDBACK_LIMITS,
  type FeedbackStore,
  type VariantCounters,
} from '../../ports/feedback-store.ts';

export interface DynamoDbFeedbackStoreOptions {
  client: DynamoDBDocumentClient;
  /** pk/sk table holding idempotency keys (`k#<key>`, sk "-") and exclusions (`x#<shopperKey>`, sk itemId). */
  feedbackTable: string;
  /** pk experiment, sk variant; numeric attributes exposures, clicks, conversions. */
  countersTable: string;
  now?: () => number;
}

/**
 * The FeedbackStore on DynamoDB. Idempotency is a conditional PutItem (the key absent, or present but past its
 * TTL — DynamoDB deletes expired items lazily, so "expired" must be checked, not assumed gone). Counters are
 * UpdateItem ADD: atomic increments without a read, safe from any number of concurrent Lambdas.
 */
export function createDynamoDbFeedbackStore(options: DynamoDbFeedbackStoreOptions): FeedbackStore {
  const { client, feedbackTable, countersTable } = options;
  const now = options.now ?? Date.now;
  const seconds = () => Math.floor(now() / 1000);
  return {
    async recordOnce(key, ttlSeconds = FEEDBACK_LIMITS.idempotencyTtlSeconds) {
      const t = seconds();
      try {
        await client.send(
          new PutCommand({
            TableName: feedbackTable,
            Item: { pk: `k#${key}`, sk: '-', expiresAt: t + ttlSeconds },
            ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
            ExpressionAttributeValues: { ':now': t },
          }),
        );
        return true;
      } catch (error) {
        if ((error as { name?: string }).name === 'ConditionalCheckFailedException') return false;
        throw error;
      }
    },
    async release(key) {
      await client.send(new DeleteCommand({ TableName: feedbackTable, Key: { pk: `k#${key}`, sk: '-' } }));
    },
    async addExclusion(shopperKey, itemId, reason, ttlSeconds) {
      await client.send(
        new PutCommand({
          TableName: feedbackTable,
          Item: { pk: `x#${shopperKey}`, sk: itemId, reason, expiresAt: seconds() + ttlSeconds },
        }),
      );
    },
    async exclusions(shopperKey) {
      const t = seconds();
      const out: Exclusion[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await client.send(
          new QueryCommand({
            TableName: feedbackTable,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': `x#${shopperKey}` },
            ExclusiveStartKey: start,
          }),
        );
        for (const row of page.Items ?? []) {
          const expiresAt = Number(row.expiresAt);
          if (expiresAt <= t) continue;
          out.push({
            itemId: String(row.sk),
            reason: row.reason as ExclusionReason,
            expiresAt: new Date(expiresAt * 1000).toISOString(),
          });
        }
        start = page.LastEvaluatedKey;
      } while (start !== undefined && out.length < FEEDBACK_LIMITS.maxExclusions);
      out.sort((a, b) => b.expiresAt.localeCompare(a.expiresAt));
      return out.slice(0, FEEDBACK_LIMITS.maxExclusions);
    },
    async incrementCounters(experiment, variant, delta) {
      await client.send(
        new UpdateCommand({
          TableName: countersTable,
          Key: { experiment, variant },
          UpdateExpression: 'ADD exposures :e, clicks :c, conversions :v',
          ExpressionAttributeValues: {
            ':e': delta.exposures ?? 0,
            ':c': delta.clicks ?? 0,
            ':v': delta.conversions ?? 0,
          },
        }),
      );
    },
    async counters(experiment) {
      const out: VariantCounters[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await client.send(
          new QueryCommand({
            TableName: countersTable,
            KeyConditionExpression: 'experiment = :e',
            ExpressionAttributeValues: { ':e': experiment },
            ExclusiveStartKey: start,
          }),
        );
        for (const row of page.Items ?? [])
          out.push({
            variant: String(row.variant),
            exposures: Number(row.exposures ?? 0),
            clicks: Number(row.clicks ?? 0),
            conversions: Number(row.conversions ?? 0),
          });
        start = page.LastEvaluatedKey;
      } while (start !== undefined);
      return out.sort((a, b) => (a.variant < b.variant ? -1 : a.variant > b.variant ? 1 : 0));
    },
    async forgetShopper(shopperKey) {
      // Every exclusion, expired or not: TTL deletes lazily, and a forgotten shopper's rows must go now.
      let start: Record<string, unknown> | undefined;
      do {
        const page = await client.send(
          new QueryCommand({
            TableName: feedbackTable,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': `x#${shopperKey}` },
            ProjectionExpression: 'pk, sk',
            ExclusiveStartKey: start,
          }),
        );
        await Promise.all(
          (page.Items ?? []).map((row) =>
            client.send(new DeleteCommand({ TableName: feedbackTable, Key: { pk: row.pk, sk: row.sk } })),
          ),
        );
        start = page.LastEvaluatedKey;
      } while (start !== undefined);
    },
    async close() {
      // The client belongs to the caller (one per Lambda container).
    },
  };
}
