import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3ModelStore } from '../../shared/adapters/aws/s3-model-store.ts';
import { encodeArtifact } from '../../shared/model/artifact.ts';
import { decodeArtifact } from '../../shared/model/artifact-decode.ts';
import { buildInteractions, DEFAULT_EVENT_WEIGHTS } from '../../shared/model/interactions.ts';
import { fitModel } from '../../shared/model/trained-model.ts';
import { createModelCache } from '../../shared/serving/model-cache.ts';
import { plantedRecords } from '../fixtures/training-data.ts';
import { awsClientConfig } from '../helpers/aws-clients.ts';
import { type MotoServer, startMotoServer } from '../helpers/moto-server.ts';
import { IALS } from '../helpers/serving-model.ts';

const VERSION = '20240301T000000Z-000000a1';

describe('Adapter: S3 model store (moto_server)', () => {
  let moto: MotoServer;
  let s3: S3Client;
  beforeAll(async () => {
    moto = await startMotoServer();
    s3 = new S3Client(awsClientConfig(moto.endpoint));
    await s3.send(new CreateBucketCommand({ Bucket: 'lake' }));
  }, 60_000);
  afterAll(async () => {
    s3?.destroy();
    await moto?.stop();
  });

  it('returns a written artifact decoded from s3://lake/models/<version>/, loaded once by the model cache', async () => {
    // Prepare
    const records = plantedRecords();
    const model = fitModel(buildInteractions(records), records, IALS, { threads: 1 });
    const zero = { precision: 0, recall: 0, ndcg: 0, map: 0, mrr: 0, hitRate: 0, coverage: 0 };
    const files = encodeArtifact(model, {
      version: VERSION,
      data: {
        source: 'test',
        events: 0,
        duplicates: 0,
        malformed: 0,
        unknownTypes: 0,
        skipped: 0,
        users: 0,
        items: 0,
        interactions: 0,
        from: null,
        to: null,
      },
      eventWeights: { ...DEFAULT_EVENT_WEIGHTS },
      validation: { k: 10, split: 'none', model: zero, baseline: zero },
      holdout: [],
      trainingSeconds: 0,
    });
    const store = createS3ModelStore({ client: s3, bucket: 'lake' });
    // An unfinished version (no manifest) must not be listed.
    await s3.send(
      new PutObjectCommand({
        Bucket: 'lake',
        Key: 'models/20990101T000000Z-unfinished/users.txt',
        Body: 'x',
      }),
    );
    let loads = 0;
    const cache = createModelCache({
      load: (v) => {
        loads++;
        return decodeArtifact((name) => store.read(v, name), { exists: (name) => store.exists(v, name) });
      },
    });

    // Act
    await store.write(VERSION, files);
    const versions = await store.list();
    const [a, b] = await Promise.all([cache.get(VERSION), cache.get(VERSION)]);

    // Assess
    expect(versions).toEqual([VERSION]);
    expect(store.location(VERSION)).toBe(`s3://lake/models/${VERSION}/`);
    expect(a).toBe(b);
    expect(loads).toBe(1);
    expect(a.model.itemIds).toEqual(model.itemIds);
    expect(a.foldIn?.factors).toBe(8);
    expect(Array.from(a.model.factors!.item)).toEqual(Array.from(model.ials!.itemFactors));
    await expect(store.exists(VERSION, 'nope.txt')).resolves.toBe(false);
    await expect(store.write(VERSION, files)).rejects.toThrow(/already exists/);
  });
});
