import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type Deployment,
  DeploymentConflictError,
  type PublicationStore,
  type RecommendationList,
  type ScoredItem,
} from '../../ports/publication-store.ts';
import { type RetryOptions, UnprocessedItemsError } from './dynamodb-serving-store.ts';

export interface DynamoDbPublicationStoreOptions {
  client: DynamoDBDocumentClient;
  /** pk `pk` = `<modelVersion>#<userId>`, attribute `items` (the list as stored JSON). */
  listsTable: string;
  /** One item, pk `pk` = "deployment", with `revision` and the record. */
  deploymentTable: string;
  /** Backoff for UnprocessedItems (throttling exceptions are retried by the SDK itself). */
  retry?: Partial<RetryOptions>;
  /** BatchWriteItem calls in flight at once per putRecommendations. */
  concurrency?: number;
}

const DEFAULT_RETRY: RetryOptions = { maxAttempts: 8, baseDelayMs: 50, maxDelayMs: 2_000 };
const BATCH_WRITE_MAX = 25;
const DEPLOYMENT_KEY = 'deployment';

type WriteRequest =
  | { PutRequest: { Item: Record<string, unknown> } }
  | { DeleteRequest: { Key: Record<string, unknown> } };

/** The lists key: one partition per (version, user), so a read is one GetItem and versions never mix. */
function listKey(modelVersion: string, userId: string): string {
  return `${modelVersion}#${userId}`;
}

/**
 * The version's own item (pk without '#', so no list key can equal it): the expiry its latest publication wrote,
 * what listsExpireAt reads without a scan. It carries the same TTL attribute and goes with the lists.
 */
const versionKey = (modelVersion: string) => modelVersion;

const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * The PublicationStore on DynamoDB. Lists: BatchWriteItem in chunks of 25, the unprocessed part resent with
 * full-jitter backoff (a retried shard rewrites the same rows: idempotent). Deployment: one item replaced by a
 * PutItem conditioned on the revision the writer read, so two activations cannot both win.
 */
export function createDynamoDbPublicationStore(options: DynamoDbPublicationStoreOptions): PublicationStore {
  const { client, listsTable, deploymentTable } = options;
  const retry: RetryOptions = { ...DEFAULT_RETRY, ...options.retry };
  const concurrency = options.concurrency ?? 8;

  async function batchWrite(requests: WriteRequest[]): Promise<void> {
    let pending = requests;
    for (let attempt = 1; ; attempt++) {
      const out = await client.send(new BatchWriteCommand({ RequestItems: { [listsTable]: pending } }));
      const left = (out.UnprocessedItems?.[listsTable] ?? []) as WriteRequest[];
      if (left.length === 0) return;
      if (attempt >= retry.maxAttempts) throw new UnprocessedItemsError(listsTable, left.length, attempt);
      pending = left;
      await backoff(attempt, retry);
    }
  }

  return {
    async putRecommendations(modelVersion: string, lists: readonly RecommendationList[], expiresAt: number) {
      if (modelVersion === '') throw new Error('putRecommendations: modelVersion is empty');
      if (!Number.isInteger(expiresAt) || expiresAt <= 0)
        throw new Error(
          `putRecommendations: expiresAt must be epoch seconds (a positive integer), got ${expiresAt}`,
        );
      // BatchWriteItem rejects a request naming one key twice: the last list of a user wins, as in sqlite.
      const byUser = new Map<string, RecommendationList>();
      for (const l of lists) byUser.set(l.userId, l);
      const requests: WriteRequest[] = [...byUser.values()].map((l) => ({
        PutRequest: {
          Item: {
            pk: listKey(modelVersion, l.userId),
            modelVersion,
            userId: l.userId,
            items: JSON.stringify(l.items),
            expiresAt,
          },
        },
      }));
      requests.push({ PutRequest: { Item: { pk: versionKey(modelVersion), modelVersion, expiresAt } } });
      const chunks: WriteRequest[][] = [];
      for (let i = 0; i < requests.length; i += BATCH_WRITE_MAX)
        chunks.push(requests.slice(i, i + BATCH_WRITE_MAX));
      let next = 0;
      const worker = async () => {
        while (next < chunks.length) await batchWrite(chunks[next++] as WriteRequest[]);
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, chunks.length) }, worker));
    },

    async getRecommendations(modelVersion: string, userId: string) {
      const out = await client.send(
        new GetCommand({ TableName: listsTable, Key: { pk: listKey(modelVersion, userId) } }),
      );
      const items = out.Item?.items;
      const expiresAt = out.Item?.expiresAt;
      // TTL deletes within days of the expiry, not at it: an item still there may be expired already.
      if (typeof expiresAt === 'number' && expiresAt <= nowSeconds()) return undefined;
      return typeof items === 'string' ? (JSON.parse(items) as ScoredItem[]) : undefined;
    },

    async listsExpireAt(modelVersion: string) {
      const out = await client.send(
        new GetCommand({ TableName: listsTable, Key: { pk: versionKey(modelVersion) } }),
      );
      const expiresAt = out.Item?.expiresAt;
      return typeof expiresAt === 'number' ? expiresAt : undefined;
    },

    async getDeployment() {
      const out = await client.send(
        new GetCommand({ TableName: deploymentTable, Key: { pk: DEPLOYMENT_KEY }, ConsistentRead: true }),
      );
      const record = out.Item?.record;
      return typeof record === 'string' ? (JSON.parse(record) as Deployment) : undefined;
    },

    async putDeployment(next: Deployment, expectedRevision: number | undefined) {
      const wanted = (expectedRevision ?? 0) + 1;
      if (next.revision !== wanted)
        throw new Error(
          `putDeployment: next.revision must be ${wanted} (expected revision ${expectedRevision ?? 'none'}), got ${next.revision}`,
        );
      try {
        await client.send(
          new PutCommand({
            TableName: deploymentTable,
            Item: { pk: DEPLOYMENT_KEY, revision: next.revision, record: JSON.stringify(next) },
            ...(expectedRevision === undefined
              ? { ConditionExpression: 'attribute_not_exists(pk)' }
              : {
                  ConditionExpression: 'revision = :expected',
                  ExpressionAttributeValues: { ':expected': expectedRevision },
                }),
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
      } catch (error) {
        if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
        const found = (error as { Item?: Record<string, { N?: string }> }).Item?.revision?.N;
        const actual = found !== undefined ? Number(found) : (await this.getDeployment())?.revision;
        throw new DeploymentConflictError(expectedRevision, actual, { cause: error });
      }
    },

    async removeLists(userId: string, versions: readonly string[]) {
      const requests = [...new Set(versions)].map(
        (v): WriteRequest => ({ DeleteRequest: { Key: { pk: listKey(v, userId) } } }),
      );
      for (let i = 0; i < requests.length; i += BATCH_WRITE_MAX)
        await batchWrite(requests.slice(i, i + BATCH_WRITE_MAX));
    },
    async close() {},
  };
}

/** Full jitter: spreads the retries of the Map's parallel batch writers. */
function backoff(attempt: number, retry: RetryOptions): Promise<void> {
  const ceiling = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}
