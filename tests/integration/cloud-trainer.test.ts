import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvaluateModel } from '../../functions/pipeline/evaluate-model/evaluate-model.ts';
import { localRegistry } from '../../local/registry.ts';
import { createS3ModelStore } from '../../shared/adapters/aws/s3-model-store.ts';
import { createLakeWriter } from '../../shared/adapters/local/lake-writer.ts';
import { stageConfig } from '../../shared/evaluation/quality-gate.ts';
import type { ArtifactManifest } from '../../shared/model/artifact.ts';
import { itemTitle, plantedRecords, tempDir } from '../fixtures/training-data.ts';
import { awsClientConfig } from '../helpers/aws-clients.ts';
import { type MotoServer, startMotoServer } from '../helpers/moto-server.ts';

// @ts-expect-error -- a CommonJS module without types; the deploy plugin builds the same bundle with it.
const { writeTrainerBundle } = (await import('../../jobs/trainer/bundle.cjs')).default as {
  writeTrainerBundle: (dir: string) => Promise<string>;
};

const NODE = process.execPath;
const BUCKET = 'recsys-test-lake';
const uuid = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

/** A small lake in Firehose's layout, written by the real lake writer, then uploaded key for key to moto. */
async function uploadLake(s3: S3Client, lakeDir: string, prefix = 'raw'): Promise<number> {
  const events = createLakeWriter({
    root: lakeDir,
    zonePrefix: 'raw/events',
    streamName: 'recsys-ci-events',
  });
  await events.put(
    plantedRecords(80).map((r, n) => {
      const json = JSON.stringify({
        eventId: uuid(n + 1),
        type: r.type,
        userId: r.userId,
        itemId: r.itemId,
        value: 1,
        timestamp: new Date(r.timestamp).toISOString(),
      });
      return { id: uuid(n + 1), json };
    }),
  );
  await events.close();
  const items = createLakeWriter({ root: lakeDir, zonePrefix: 'raw/items', streamName: 'recsys-ci-items' });
  await items.put(
    Array.from({ length: 40 }, (_, j) => ({
      id: `item-${j}`,
      json: JSON.stringify({ itemId: `i${j}`, title: itemTitle(`i${j}`), updatedAt: '2024-01-01T00:00:00Z' }),
    })),
  );
  await items.close();
  let uploaded = 0;
  for (const entry of await readdir(join(lakeDir, 'raw'), { recursive: true })) {
    if (!entry.endsWith('.gz')) continue;
    const key = relative(lakeDir, join(lakeDir, 'raw', entry)).replace(/^raw\//, `${prefix}/`);
    await s3.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: await readFile(join(lakeDir, 'raw', entry)) }),
    );
    uploaded++;
  }
  return uploaded;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runBundle(bundle: string, args: string[], endpoint: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, [bundle, ...args], {
      env: {
        PATH: process.env.PATH ?? '',
        AWS_ENDPOINT_URL_S3: endpoint,
        AWS_ACCESS_KEY_ID: 'testing',
        AWS_SECRET_ACCESS_KEY: 'testing',
        AWS_REGION: 'us-east-1',
        RECSYS_THREADS: '2',
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const MODEL_SLOTS = ['ease', 'als', 'item-knn', 'content', 'popularity', 'hybrid'];
const version = (n: number) => `20260101T00000${n}Z-abcdef0${n}`;
const trainArgs = (model: string, v: string) => [
  '--events',
  `s3://${BUCKET}/raw/events/`,
  '--items',
  `s3://${BUCKET}/raw/items/`,
  '--out',
  `s3://${BUCKET}/models/${v}/`,
  '--version',
  v,
  '--model',
  model,
  '--config',
  join(import.meta.dirname, '../../shared/model/event-weights.json'),
  '--budget-seconds',
  '3',
];

let moto: MotoServer;
let s3: S3Client;
let dir: Awaited<ReturnType<typeof tempDir>>;
let bundle: string;

beforeAll(async () => {
  dir = await tempDir('recsys-cloud-trainer-');
  [moto, bundle] = await Promise.all([startMotoServer(), writeTrainerBundle(join(dir.path, 'bundle'))]);
  s3 = new S3Client(awsClientConfig(moto.endpoint));
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  await uploadLake(s3, join(dir.path, 'lake'));
}, 120_000);

afterAll(async () => {
  s3?.destroy();
  await moto?.stop();
  await dir?.remove();
});

describe('Job: the TypeScript trainer bundle (jobs/trainer) against moto S3', () => {
  const models = () => createS3ModelStore({ client: s3, bucket: BUCKET });
  const manifestOf = async (v: string) =>
    JSON.parse(new TextDecoder().decode(await models().read(v, 'manifest.json'))) as ArtifactManifest;

  it('trains `auto` from the S3 lake: tuned members and a blend, content neighbours from raw/items, and evaluate reads it', async () => {
    // Act
    const run = await runBundle(bundle, trainArgs('auto', version(1)), moto.endpoint);

    // Assess
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`[trainer] training auto ${version(1)} from s3://${BUCKET}/raw/events/`);
    expect(run.stdout).toMatch(
      /read 800 events \(0 duplicates, 0 malformed\) → 800 records; catalog 40 items/,
    );
    const manifest = await manifestOf(version(1));
    expect(manifest).toMatchObject({
      version: version(1),
      engine: 'typescript',
      data: { source: `s3://${BUCKET}/raw/events/`, events: 800, users: 80, items: 40 },
    });
    // auto keeps the search's winner: a single tuned member or a blend; either way from the members auto tries.
    const members =
      manifest.model.spec?.kind === 'hybrid'
        ? manifest.model.spec.components.map((c) => c.spec.kind)
        : [manifest.model.kind];
    for (const m of members)
      expect(['ials', 'ease', 'item-knn', 'content', 'popularity', 'recent-popularity']).toContain(m);
    expect(manifest.files).toEqual(expect.arrayContaining(['content-neighbours.jsonl', 'trending.json']));

    const evaluate = createEvaluateModel({
      models: models(),
      registry: localRegistry(join(dir.path, 'registry-data'), 'ci'),
      stage: stageConfig,
      artifactUri: (v) => models().location(v),
    });
    const outcome = await evaluate({ modelVersion: version(1), stage: 'dev', fingerprint: 'f' });
    expect(outcome.metrics['model.ndcg']).toBeCloseTo(manifest.validation.model.ndcg, 6);
    expect(outcome.metrics['model.ndcg']).toBeGreaterThan(outcome.metrics['baseline.ndcg'] ?? 1);
    expect(outcome.passed).toBe(true);
  }, 180_000);

  // Every other choice of `recsys train`, each the model it names (auto is the search above).
  it.each([
    ['ease', 'ease', 'ease.f32'],
    ['als', 'ials', 'item-factors.f32'],
    ['item-knn', 'item-knn', 'neighbours.jsonl'],
    ['content', 'content', 'content-neighbours.jsonl'],
    ['popularity', 'popularity', 'popularity.f32'],
    ['hybrid', 'hybrid', 'neighbours.jsonl'],
  ] as const)(
    'trains exactly the choice it is given: %s is a %s artifact',
    async (choice, kind, file) => {
      const v = `20260102T00000${MODEL_SLOTS.indexOf(choice)}Z-abcdef0${MODEL_SLOTS.indexOf(choice)}`;
      const run = await runBundle(bundle, trainArgs(choice, v), moto.endpoint);

      expect(run.code, run.stderr).toBe(0);
      const manifest = await manifestOf(v);
      expect(manifest.model.kind).toBe(kind);
      expect(manifest.files).toContain(file);
    },
    180_000,
  );

  it('reads the served lists beside the events (raw/impressions/): exposures without a click as weak negatives', async () => {
    // Prepare: u0's first item shown to u0 twice after his last event, and ignored
    const mine = plantedRecords(80).filter((r) => r.userId === 'u0');
    const after = Math.max(...mine.map((r) => new Date(r.timestamp).getTime())) + 60_000;
    const lakeDir = join(dir.path, 'impressions-lake');
    const impressions = createLakeWriter({
      root: lakeDir,
      zonePrefix: 'raw/impressions',
      streamName: 'recsys-ci-impressions',
    });
    await impressions.put(
      ['r1', 'r2'].map((id, n) => ({
        id,
        json: JSON.stringify({
          recommendationId: id,
          list: 'user',
          shopper: 'u:u0',
          items: [mine[0]!.itemId],
          timestamp: new Date(after + n * 1000).toISOString(),
        }),
      })),
    );
    await impressions.close();
    for (const entry of await readdir(join(lakeDir, 'raw'), { recursive: true }))
      if (entry.endsWith('.gz'))
        await s3.send(
          new PutObjectCommand({
            Bucket: BUCKET,
            Key: `raw/${entry}`,
            Body: await readFile(join(lakeDir, 'raw', entry)),
          }),
        );

    // Act
    const run = await runBundle(bundle, trainArgs('popularity', version(7)), moto.endpoint);

    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect((await manifestOf(version(7))).data).toMatchObject({ impressionLists: 2, exposures: 2 });
  }, 120_000);

  it('exits 1 with the lake named when the events zone is empty', async () => {
    const args = trainArgs('als', version(3)).map((a) => a.replace('/raw/events/', '/raw/nothing/'));
    const run = await runBundle(bundle, args, moto.endpoint);

    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `[trainer] error: the lake s3://${BUCKET}/ has no events under raw/nothing/ (import some: recsys import … / recsys ingest …)\n`,
    );
    expect(await models().exists(version(3), 'manifest.json')).toBe(false);
  }, 60_000);

  it('exits 2 naming the argument on a bad command line', async () => {
    const bad = await runBundle(bundle, trainArgs('svd', version(4)), moto.endpoint);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /^\[trainer\] error: --model svd is not one of auto, als, ease, item-knn, content, popularity, hybrid\nusage: /,
    );

    const missing = await runBundle(bundle, ['--events', `s3://${BUCKET}/raw/events/`], moto.endpoint);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^\[trainer\] error: --out is required\n/);
  }, 60_000);
});
