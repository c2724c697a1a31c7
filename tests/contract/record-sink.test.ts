import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFirehoseSink } from '../../shared/adapters/aws/firehose-sink.ts';
import { createLakeWriter } from '../../shared/adapters/local/lake-writer.ts';
import { awsClientConfig } from '../helpers/aws-clients.ts';
import { createDeliveryStream, evaluatePrefix, readDelivered } from '../helpers/firehose-lake.ts';
import { type MotoServer, startMotoServer } from '../helpers/moto-server.ts';
import { recordSinkContract } from './record-sink.contract.ts';

/** Every finished object under the lake root (staging is the writer's own, not the lake's), gunzipped. */
async function readLocalLake(root: string) {
  // The writer makes the root when it first writes: no root is an empty lake.
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  const files = entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  const visible = files.filter((f) => !relative(root, f).startsWith(`.staging${sep}`));
  return Promise.all(
    visible.map(async (file) => ({
      key: relative(root, file).split(sep).join('/'),
      // gunzipSync throws on anything that is not gzip: the local lake stores what Firehose stores.
      text: gunzipSync(await readFile(file)).toString('utf8'),
    })),
  );
}

// The local runtime's writer (local/runtime.ts), durable as it runs it.
recordSinkContract('local lake writer (files under a temp lake root)', async ({ zone, streamName }) => {
  const dir = await mkdtemp(join(tmpdir(), 'recsys-sink-'));
  const root = join(dir, 'lake');
  return {
    sink: createLakeWriter({ root, zonePrefix: `raw/${zone}`, streamName }),
    delivered: () => readLocalLake(root),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

let moto: MotoServer;
let s3: S3Client;
let firehose: FirehoseClient;
beforeAll(async () => {
  moto = await startMotoServer();
  s3 = new S3Client(awsClientConfig(moto.endpoint));
  firehose = new FirehoseClient(awsClientConfig(moto.endpoint));
}, 60_000);
afterAll(async () => {
  s3?.destroy();
  firehose?.destroy();
  await moto?.stop();
});

// The Lambda handlers' sink (shared/runtime/aws.ts), into a stream configured as resources/firehose.yml does.
recordSinkContract('Firehose Direct PUT into S3 (moto_server)', async ({ zone, streamName }) => {
  const bucket = `lake-${streamName}`;
  const config = await createDeliveryStream({ s3, firehose }, { bucket, streamName, zone });
  return {
    sink: createFirehoseSink({ client: firehose, deliveryStreamName: streamName }),
    delivered: () => readDelivered(s3, { bucket, streamName, config }),
    cleanup: async () => {},
  };
});

describe('Test harness: Firehose prefix expressions', () => {
  it('returns the deployed prefix evaluated at the arrival time in UTC, and the default yyyy/MM/dd/HH/ without one', () => {
    // Prepare
    const at = new Date('2026-01-05T23:59:59-02:00');

    // Act
    const evaluated = [
      evaluatePrefix('raw/events/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/', at),
      evaluatePrefix('raw/', at),
    ];

    // Assess
    expect(evaluated).toEqual(['raw/events/year=2026/month=01/day=06/', 'raw/2026/01/06/01/']);
  });
});
