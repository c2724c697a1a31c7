import { gzipSync } from 'node:zlib';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  paginateListObjectsV2,
  S3Client,
} from '@aws-sdk/client-s3';
import { awsClientConfig } from '../aws-clients.ts';
import type { CfnTemplate } from '../cloudformation.ts';
import { evaluatePrefix } from '../firehose-lake.ts';
import type { TemplateResolver } from './template.ts';

const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Firehose's delivery for the stand-in stack. moto_server (5.2.x) takes PutRecordBatch and writes one object per
 * call at once, but with the prefix's `!{timestamp:…}` expressions left verbatim, `YYYY/MM/DD/HH/` appended and no
 * compression. `flush()` is the buffer interval passing: each such object becomes the object Firehose writes — the
 * prefix evaluated at the arrival time, GZIP, `.gz` — so everything downstream reads the lake's real layout.
 */
export function standInFirehose(options: {
  template: CfnTemplate;
  resolver: TemplateResolver;
  motoEndpoint: string;
}) {
  const s3 = new S3Client(awsClientConfig(options.motoEndpoint));
  const streams = Object.values(options.template.Resources)
    .filter((r) => r.Type === 'AWS::KinesisFirehose::DeliveryStream')
    .map((r) => {
      const p = options.resolver.resolve(r.Properties) as {
        DeliveryStreamName: string;
        ExtendedS3DestinationConfiguration: { BucketARN: string; Prefix: string; CompressionFormat?: string };
      };
      const d = p.ExtendedS3DestinationConfiguration;
      return {
        name: p.DeliveryStreamName,
        bucket: d.BucketARN.replace('arn:aws:s3:::', ''),
        prefix: d.Prefix,
        gzip: d.CompressionFormat === 'GZIP',
        motoKey: new RegExp(
          `^${literal(d.Prefix)}\\d{4}/\\d{2}/\\d{2}/\\d{2}/(?<name>${literal(p.DeliveryStreamName)}-\\d+-(?<y>\\d{4})-(?<mo>\\d{2})-(?<d>\\d{2})-(?<h>\\d{2})-(?<mi>\\d{2})-(?<s>\\d{2})-[0-9a-f-]{36})$`,
        ),
      };
    });

  return {
    /** Delivers what moto holds for every stream; returns the keys written. */
    async flush(): Promise<string[]> {
      const written: string[] = [];
      for (const stream of streams) {
        const verbatim = stream.prefix.slice(
          0,
          stream.prefix.indexOf('!{') >= 0 ? stream.prefix.indexOf('!{') : undefined,
        );
        for await (const page of paginateListObjectsV2(
          { client: s3 },
          { Bucket: stream.bucket, Prefix: verbatim },
        )) {
          for (const { Key: key } of page.Contents ?? []) {
            const g = stream.motoKey.exec(key ?? '')?.groups;
            if (g === undefined) continue;
            const arrival = new Date(Date.UTC(+g.y!, +g.mo! - 1, +g.d!, +g.h!, +g.mi!, +g.s!));
            const got = await s3.send(new GetObjectCommand({ Bucket: stream.bucket, Key: key }));
            const body = Buffer.from(await got.Body!.transformToByteArray());
            const target = `${evaluatePrefix(stream.prefix, arrival)}${g.name}${stream.gzip ? '.gz' : ''}`;
            await s3.send(
              new PutObjectCommand({
                Bucket: stream.bucket,
                Key: target,
                Body: stream.gzip ? gzipSync(body) : body,
              }),
            );
            await s3.send(new DeleteObjectCommand({ Bucket: stream.bucket, Key: key }));
            written.push(target);
          }
        }
      }
      return written;
    },
    close: () => s3.destroy(),
  };
}
