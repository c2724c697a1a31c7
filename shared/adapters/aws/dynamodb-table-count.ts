import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';

/**
 * A table's exact item count: a parallel COUNT scan (DescribeTable's ItemCount is refreshed only about every six
 * hours, too stale beside live counters). It reads the whole table — eventually consistent, so ~1 RCU per 8 KB:
 * 100,000 catalog items of 1 KB cost ~12,500 RCUs, a fraction of a cent on demand — so callers cache it.
 */
export function dynamoDbTableCount(options: {
  client: DynamoDBDocumentClient;
  table: string;
  segments?: number;
}) {
  const segments = options.segments ?? 4;
  return async (): Promise<number> => {
    const counts = await Promise.all(
      Array.from({ length: segments }, async (_, segment) => {
        let n = 0;
        let start: Record<string, unknown> | undefined;
        do {
          const page = await options.client.send(
            new ScanCommand({
              TableName: options.table,
              Select: 'COUNT',
              Segment: segment,
              TotalSegments: segments,
              ExclusiveStartKey: start,
            }),
          );
          n += page.Count ?? 0;
          start = page.LastEvaluatedKey;
        } while (start !== undefined);
        return n;
      }),
    );
    return counts.reduce((a, b) => a + b, 0);
  };
}
