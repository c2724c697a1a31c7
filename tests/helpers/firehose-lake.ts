import { gunzipSync } from 'node:zlib';
import { CreateDeliveryStreamCommand, type FirehoseClient } from '@aws-sdk/client-firehose';
import {
  CreateBucketCommand,
  GetObjectCommand,
  paginateListObjectsV2,
  type S3Client,
} from '@aws-sdk/client-s3';
import { type CfnTemplate, loadYaml } from './cloudformation.ts';

/** The S3 delivery settings of one of resources/firehose.yml's streams, as deployed. */
interface DeliveryConfig {
  prefix: string;
  errorOutputPrefix: string;
  compressionFormat: string;
}

function deliveryConfig(zone: string): DeliveryConfig {
  const template = loadYaml<CfnTemplate>(new URL('../../resources/firehose.yml', import.meta.url));
  const stream = Object.values(template.Resources).find(
    (r) =>
      r.Type === 'AWS::KinesisFirehose::DeliveryStream' &&
      String(r.Properties?.DeliveryStreamName).endsWith(`-${zone}`),
  );
  const s3 = stream?.Properties?.ExtendedS3DestinationConfiguration as Record<string, string> | undefined;
  if (s3 === undefined) throw new Error(`resources/firehose.yml has no delivery stream for ${zone}`);
  return {
    prefix: s3.Prefix!,
    errorOutputPrefix: s3.ErrorOutputPrefix!,
    compressionFormat: s3.CompressionFormat!,
  };
}

/** A bucket and a Direct PUT stream into it on moto_server, configured as resources/firehose.yml configures `zone`. */
export async function createDeliveryStream(
  clients: { s3: S3Client; firehose: FirehoseClient },
  options: { bucket: string; streamName: string; zone: string },
): Promise<DeliveryConfig> {
  const config = deliveryConfig(options.zone);
  await clients.s3.send(new CreateBucketCommand({ Bucket: options.bucket }));
  await clients.firehose.send(
    new CreateDeliveryStreamCommand({
      DeliveryStreamName: options.streamName,
      DeliveryStreamType: 'DirectPut',
      ExtendedS3DestinationConfiguration: {
        BucketARN: `arn:aws:s3:::${options.bucket}`,
        RoleARN: 'arn:aws:iam::123456789012:role/firehose-delivery',
        Prefix: config.prefix,
        ErrorOutputPrefix: config.errorOutputPrefix,
        CompressionFormat: config.compressionFormat as 'GZIP',
        BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 64 },
      },
    }),
  );
  return config;
}

const pad = (n: number, width = 2) => n.toString().padStart(width, '0');

/**
 * Firehose's `!{timestamp:<pattern>}` expressions, evaluated at the arrival time in UTC. A prefix without one gets
 * Firehose's default `yyyy/MM/dd/HH/` appended (docs: "Custom Prefixes for Amazon S3 Objects").
 */
export function evaluatePrefix(prefix: string, at: Date): string {
  const fields: Record<string, string> = {
    yyyy: pad(at.getUTCFullYear(), 4),
    MM: pad(at.getUTCMonth() + 1),
    dd: pad(at.getUTCDate()),
    HH: pad(at.getUTCHours()),
    mm: pad(at.getUTCMinutes()),
    ss: pad(at.getUTCSeconds()),
  };
  const format = (pattern: string) =>
    pattern.replace(/[A-Za-z]+/g, (token) => {
      const value = fields[token];
      if (value === undefined) throw new Error(`timestamp pattern ${token} is not modelled here`);
      return value;
    });
  if (!prefix.includes('!{timestamp:')) return `${prefix}${format('yyyy/MM/dd/HH/')}`;
  return prefix.replace(/!\{([a-z]+):([^}]*)\}/g, (expression, namespace: string, pattern: string) => {
    if (namespace !== 'timestamp') throw new Error(`${expression} is not modelled here`);
    return format(pattern);
  });
}

export interface DeliveredObject {
  key: string;
  /** The object's bytes as UTF-8, gunzipped. */
  text: string;
}

const isGzip = (bytes: Uint8Array) => bytes[0] === 0x1f && bytes[1] === 0x8b;
const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The objects a real Firehose stream would have written, from what moto_server wrote. moto (5.2.x) delivers each
 * PutRecordBatch at once as one object with the records' bytes as sent, and keys it `<Prefix verbatim>YYYY/MM/DD/HH/
 * <stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid>`: it neither evaluates the prefix's expressions nor compresses.
 * Firehose evaluates the prefix at the arrival time (the time in the object name), names a GZIP object `.gz`, and
 * gzips the same bytes. Anything else from moto fails here, loudly, rather than being read some other way.
 */
export async function readDelivered(
  s3: S3Client,
  options: { bucket: string; streamName: string; config: DeliveryConfig },
): Promise<DeliveredObject[]> {
  const { prefix, compressionFormat } = options.config;
  const motoKey = new RegExp(
    `^${literal(prefix)}\\d{4}/\\d{2}/\\d{2}/\\d{2}/(?<name>${literal(options.streamName)}-\\d+-(?<y>\\d{4})-(?<mo>\\d{2})-(?<d>\\d{2})-(?<h>\\d{2})-(?<mi>\\d{2})-(?<s>\\d{2})-[0-9a-f-]{36})$`,
  );
  const objects: DeliveredObject[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: options.bucket })) {
    for (const { Key: key } of page.Contents ?? []) {
      const g = motoKey.exec(key ?? '')?.groups;
      if (g === undefined) throw new Error(`moto_server wrote ${key}, not in the shape modelled here`);
      const arrival = new Date(Date.UTC(+g.y!, +g.mo! - 1, +g.d!, +g.h!, +g.mi!, +g.s!));
      const got = await s3.send(new GetObjectCommand({ Bucket: options.bucket, Key: key }));
      const body = await got.Body!.transformToByteArray();
      objects.push({
        key: `${evaluatePrefix(prefix, arrival)}${g.name}${compressionFormat === 'GZIP' ? '.gz' : ''}`,
        text: Buffer.from(isGzip(body) ? gunzipSync(body) : body).toString('utf8'),
      });
    }
  }
  return objects;
}
