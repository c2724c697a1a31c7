import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

/**
 * The raw events zone's newest object key, object count and bytes (keys sort by partition, then arrival time).
 * `objects` also counts the objects under `alsoCount` (default the users zone): a tombstone must change the
 * fingerprint, so that forgetting a shopper makes the next retrain run even when no event came (issue 16).
 */
export function describeS3Lake(options: {
  client: S3Client;
  bucket: string;
  prefix?: string;
  alsoCount?: readonly string[];
}) {
  const prefix = options.prefix ?? 'raw/events/';
  const alsoCount = options.alsoCount ?? ['raw/users/'];
  return async (): Promise<{ newestKey: string; objects: number; bytes: number } | undefined> => {
    let newestKey: string | undefined;
    let objects = 0;
    let bytes = 0;
    let token: string | undefined;
    for (const other of alsoCount) {
      do {
        const page = await options.client.send(
          new ListObjectsV2Command({ Bucket: options.bucket, Prefix: other, ContinuationToken: token }),
        );
        for (const o of page.Contents ?? []) if (o.Key !== undefined && !o.Key.endsWith('/')) objects++;
        token = page.NextContinuationToken;
      } while (token !== undefined);
    }
    do {
      const page = await options.client.send(
        new ListObjectsV2Command({ Bucket: options.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) {
        if (o.Key === undefined || o.Key.endsWith('/')) continue;
        objects++;
        bytes += o.Size ?? 0;
        if (newestKey === undefined || o.Key > newestKey) newestKey = o.Key;
      }
      token = page.NextContinuationToken;
    } while (token !== undefined);
    return newestKey === undefined ? undefined : { newestKey, objects, bytes };
  };
}
