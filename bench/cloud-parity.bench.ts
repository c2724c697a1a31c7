/**
 * The cloud path against the laptop: the same model choice trained by the local TypeScript engine and by the
 * trainer bundle (jobs/trainer, what TrainOnPrimary runs on the EMR primary node) reading the same lake objects
 * from S3 (moto_server) and writing its artifact there. Both artifacts are decoded and scored the same way.
 *
 *   npm run bench:cloud-parity [-- budgetSeconds=60]
 *     Online Retail, the README's temporal split (cut 2011-10-01): the training period becomes a Firehose-layout
 *     lake (events + catalog titles), `auto` is trained both ways, nDCG@10 on the test period for each and the
 *     relative difference (target: within 3 %). `auto` searches within a time budget, so on a loaded machine
 *     the two searches may stop at different candidates: the difference measures that noise too.
 *   npm run bench:cloud-parity -- --lake <data-dir>/lake [model=als] [budgetSeconds=60] [--cloud-only]
 *     wall time of both (or of the bundle alone) on an existing lake (e.g. the 5M events of
 *     jobs/emr/generate_lake.py).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createTypeScriptTrainingEngine } from '../local/training/typescript-engine.ts';
import { createS3ModelStore } from '../shared/adapters/aws/s3-model-store.ts';
import { createLakeWriter } from '../shared/adapters/local/lake-writer.ts';
import { buildTestSet, evaluate } from '../shared/evaluation/evaluate.ts';
import { decodeArtifact, type LoadedModel, loadedScorer } from '../shared/model/artifact-decode.ts';
import type { InteractionRecord } from '../shared/model/interactions.ts';
import type { ModelChoice } from '../shared/model/model-choice.ts';
import { awsClientConfig } from '../tests/helpers/aws-clients.ts';
import { startMotoServer } from '../tests/helpers/moto-server.ts';
import { loadOnlineRetail } from './lib/online-retail-split.ts';

const { writeTrainerBundle } = createRequire(import.meta.url)('../jobs/trainer/bundle.cjs') as {
  writeTrainerBundle: (dir: string) => Promise<string>;
};

const BUCKET = 'recsys-bench-lake';
const VERSION = '20260101T000000Z-0c10d0a1';
const cloudOnly = process.argv.includes('--cloud-only');
const args = process.argv.slice(2).filter((a) => a !== '--cloud-only');
const lakeArg = args[0] === '--lake' ? args[1] : undefined;
const model = (lakeArg !== undefined ? (args[2] ?? 'als') : 'auto') as ModelChoice;
const budgetSeconds = Number((lakeArg !== undefined ? args[3] : args[0]) ?? 60);
const seconds = (t0: number) => (performance.now() - t0) / 1000;

async function writeOnlineRetailLake(dataDir: string) {
  const split = await loadOnlineRetail();
  const root = join(dataDir, 'lake');
  const events = createLakeWriter({ root, zonePrefix: 'raw/events', streamName: 'recsys-bench-events' });
  for (let i = 0; i < split.train.length; i += 10_000)
    await events.put(
      split.train.slice(i, i + 10_000).map((r) => ({
        id: r.eventId as string,
        json: JSON.stringify({
          eventId: r.eventId,
          type: r.type,
          userId: r.userId,
          itemId: r.itemId,
          value: r.value,
          timestamp: new Date(r.timestamp).toISOString(),
        }),
      })),
    );
  await events.close();
  const items = createLakeWriter({ root, zonePrefix: 'raw/items', streamName: 'recsys-bench-items' });
  await items.put(
    split.items.map((it) => ({
      id: it.itemId,
      json: JSON.stringify({ ...it, updatedAt: '2011-01-01T00:00:00Z' }),
    })),
  );
  await items.close();
  return split;
}

async function uploadLake(s3: S3Client, lakeRoot: string): Promise<number> {
  let bytes = 0;
  for (const entry of await readdir(join(lakeRoot, 'raw'), { recursive: true })) {
    if (!entry.endsWith('.gz')) continue;
    const body = await readFile(join(lakeRoot, 'raw', entry));
    bytes += body.length;
    const key = relative(lakeRoot, join(lakeRoot, 'raw', entry))
      .split('\\')
      .join('/');
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
  }
  return bytes;
}

function runBundle(bundle: string, endpoint: string): Promise<void> {
  const argv = [
    bundle,
    ...['--events', `s3://${BUCKET}/raw/events/`, '--items', `s3://${BUCKET}/raw/items/`],
    ...['--out', `s3://${BUCKET}/models/${VERSION}/`, '--version', VERSION, '--model', model],
    ...['--budget-seconds', String(budgetSeconds), '--region', 'us-east-1'],
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, {
      env: {
        ...process.env,
        AWS_ENDPOINT_URL_S3: endpoint,
        AWS_ACCESS_KEY_ID: 'testing',
        AWS_SECRET_ACCESS_KEY: 'testing',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child.stdout.on('data', (c: Buffer) => process.stdout.write(`  cloud ${c}`));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`the bundle exited ${code}`))));
  });
}

const work = await mkdtemp(join(tmpdir(), 'cloud-parity-'));
const moto = await startMotoServer();
try {
  const dataDir = lakeArg !== undefined ? dirname(lakeArg) : join(work, 'data');
  const split = lakeArg === undefined ? await writeOnlineRetailLake(dataDir) : undefined;
  const s3 = new S3Client(awsClientConfig(moto.endpoint));
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  const bytes = await uploadLake(s3, join(dataDir, 'lake'));
  console.log(
    `lake: ${(bytes / 2 ** 20).toFixed(1)} MiB GZIP in moto s3://${BUCKET}/raw/; model ${model}, budget ${budgetSeconds} s`,
  );

  let t = performance.now();
  const local = cloudOnly
    ? undefined
    : await createTypeScriptTrainingEngine({ dataDir }).train({
        source: { kind: 'lake' },
        model,
        budgetSeconds,
        outDir: join(work, 'local-artifact'),
        onProgress: (m) => console.log(`  local ${m}`),
      });
  const localSeconds = seconds(t);

  const bundle = await writeTrainerBundle(join(work, 'bundle'));
  t = performance.now();
  await runBundle(bundle, moto.endpoint);
  const cloudSeconds = seconds(t);

  const store = createS3ModelStore({ client: s3, bucket: BUCKET });
  const cloudModel = await decodeArtifact((n) => store.read(VERSION, n), {
    exists: (n) => store.exists(VERSION, n),
  });
  console.log(`\ncloud: ${cloudSeconds.toFixed(1)} s wall incl. S3 reads and writes, ${kind(cloudModel)}`);
  if (local !== undefined) {
    const localDir = join(work, 'local-artifact');
    const localModel = await decodeArtifact((n) => readFile(join(localDir, n)), {
      exists: (n) =>
        readFile(join(localDir, n)).then(
          () => true,
          () => false,
        ),
    });
    console.log(
      `local: ${localSeconds.toFixed(1)} s wall (${local.manifest.trainingSeconds} s training), ${kind(localModel)}`,
    );
    if (split !== undefined) report(split.test, localModel, cloudModel);
  }
  s3.destroy();
} finally {
  await moto.stop();
  await rm(work, { recursive: true, force: true });
}

function kind(m: LoadedModel): string {
  return JSON.stringify(m.manifest.model.spec ?? m.manifest.model.kind);
}

/** nDCG@10 of both artifacts on the test period, decoded and scored the same way. */
function report(test: InteractionRecord[], localModel: LoadedModel, cloudModel: LoadedModel): void {
  const ndcg = (m: LoadedModel) =>
    evaluate(
      { ...loadedScorer(m), name: m.manifest.version },
      m.history,
      buildTestSet({ userIndex: m.userIndex, itemIndex: m.itemIndex, csr: m.history }, test),
      10,
    ).ndcg;
  const [l, c] = [ndcg(localModel), ndcg(cloudModel)];
  const diff = (c - l) / l;
  console.log(
    `\nOnline Retail, test period from 2011-10-01, nDCG@10: local auto ${l.toFixed(4)}, cloud path ${c.toFixed(4)}, difference ${(diff * 100).toFixed(2)} % (target within 3 %: ${Math.abs(diff) <= 0.03 ? 'MET' : 'NOT met'})`,
  );
}
