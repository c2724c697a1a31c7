import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3ModelStore } from '../../shared/adapters/aws/s3-model-store.ts';
import { createLocalModelStore } from '../../shared/adapters/local/model-store.ts';
import { awsClientConfig } from '../helpers/aws-clients.ts';
import { type MotoServer, startMotoServer } from '../helpers/moto-server.ts';
import { artifact, modelStoreContract, V1 } from './model-store.contract.ts';

async function localSetup() {
  const dir = await mkdtemp(join(tmpdir(), 'recsys-models-'));
  const root = join(dir, 'models');
  return {
    root,
    store: createLocalModelStore({ root }),
    async plantUnfinished(version: string, name: string, body: string) {
      await mkdir(dirname(join(root, version, name)), { recursive: true });
      await writeFile(join(root, version, name), body);
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

modelStoreContract('files (<data-dir>/models in a temp dir)', localSetup);

let moto: MotoServer;
let s3: S3Client;
let buckets = 0;
beforeAll(async () => {
  moto = await startMotoServer();
  s3 = new S3Client(awsClientConfig(moto.endpoint));
}, 60_000);
afterAll(async () => {
  s3?.destroy();
  await moto?.stop();
});

/** A fresh bucket per test: the lake bucket, versions under models/ as on AWS. */
async function s3Setup() {
  const bucket = `lake-${process.pid}-${++buckets}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    bucket,
    store: createS3ModelStore({ client: s3, bucket }),
    async plantUnfinished(version: string, name: string, body: string) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `models/${version}/${name}`, Body: body }));
    },
    cleanup: async () => {},
  };
}

modelStoreContract('S3 (moto_server, s3://<lake>/models/)', s3Setup);

describe('Adapter: model stores, where a version lives', () => {
  it('returns <root>/<version> for files and s3://<lake>/models/<version>/ for S3', async () => {
    // Prepare
    const local = await localSetup();
    const remote = await s3Setup();

    // Act
    await local.store.write(V1, artifact('a'));
    await remote.store.write(V1, artifact('a'));
    const places = [local.store.location(V1), remote.store.location(V1)];
    await local.cleanup();

    // Assess
    expect(places).toEqual([join(local.root, V1), `s3://${remote.bucket}/models/${V1}/`]);
  });
});
