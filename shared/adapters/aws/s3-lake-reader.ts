import type { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { LakeZone } from '../../ports/lake-description.ts';
import { gzipJsonLines } from '../lake-lines.ts';

/** `s3://bucket/raw/events/` → bucket and key prefix (with its trailing slash); anything else is refused. */
export function parseS3Uri(uri: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.*)$/.exec(uri);
  if (m === null) throw new Error(`"${uri}" is not an s3://bucket/prefix/ URI`);
  const prefix = m[2]!;
  return { bucket: m[1]!, prefix: prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/` };
}

/**
 * A zone of the S3 lake (`s3://lake/raw/events/`) as the trainers read it: every `*.gz` object under the
 * prefix in key order — the same objects the Spark job reads (`pathGlobFilter *.gz`, recursive) — each
 * streamed and parsed by the local lake's line reader. Firehose's own names are not required: its
 * DeliveryStreamVersion in the name grows with every update of the stream.
 */
export function s3LakeZone(options: { client: S3Client; uri: string }): LakeZone {
  const { client } = options;
  const { bucket, prefix } = parseS3Uri(options.uri);
  return {
    location: `s3://${bucket}/${prefix}`,
    async keys() {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
        );
        for (const o of page.Contents ?? []) if (o.Key?.endsWith('.gz')) keys.push(o.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
      return keys.sort();
    },
    async *read(key, onBadLine) {
      const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (out.Body === undefined) throw new Error(`s3://${bucket}/${key} has no body`);
      yield* gzipJsonLines(out.Body as Readable, key, onBadLine);
    },
  };
}
