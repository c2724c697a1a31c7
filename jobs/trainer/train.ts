import { readFile } from 'node:fs/promises';
import { isDeepStrictEqual } from 'node:util';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { parseS3Uri, s3LakeZone } from '../../shared/adapters/aws/s3-lake-reader.ts';
import { createS3ModelStore } from '../../shared/adapters/aws/s3-model-store.ts';
import { EVENT_WEIGHTS_CONFIG } from '../../shared/model/interactions.ts';
import { readLakeInteractions } from '../../shared/training/lake-input.ts';
import { TrainingInputError, trainArtifact } from '../../shared/training/pipeline.ts';
import { parseTrainerArgs, type TrainerArgs, TrainerArgsError, USAGE } from './args.ts';

/**
 * The TypeScript trainer on AWS compute (the retrain state machine's TrainOnPrimary step, on the EMR primary
 * node): the S3 lake in, the artifact out through the S3 model store — the very training code `recsys train`
 * runs (shared/training: readLakeInteractions, trainArtifact), so a model choice means the same on both.
 */

function s3Client(region: string | undefined): S3Client {
  // The SDK reads AWS_ENDPOINT_URL(_S3) itself; S3 stand-ins (moto_server, MinIO) need path-style addressing.
  const endpoint = process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
  return new S3Client({
    ...(region !== undefined ? { region } : {}),
    ...(endpoint !== undefined ? { forcePathStyle: true } : {}),
  });
}

async function readText(client: S3Client, uri: string): Promise<string> {
  if (!uri.startsWith('s3://')) return readFile(uri, 'utf8');
  const { bucket, prefix } = parseS3Uri(uri);
  const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: prefix.replace(/\/$/, '') }));
  return (await out.Body?.transformToString('utf8')) ?? '';
}

/**
 * The weights are bundled (shared/model/event-weights.json, the same file the deploy plugin uploads beside the
 * bundle under one content hash); a --config that differs means bundle and config come from two deploys.
 */
async function checkConfig(client: S3Client, uri: string): Promise<void> {
  let config: unknown;
  try {
    config = JSON.parse(await readText(client, uri));
  } catch (error) {
    throw new TrainerArgsError(`--config ${uri}: ${(error as Error).message}`);
  }
  if (!isDeepStrictEqual(config, EVENT_WEIGHTS_CONFIG))
    throw new TrainerArgsError(
      `--config ${uri} is not the event-weights.json this trainer was built with: deploy again so that both come from one commit`,
    );
}

/** `s3://lake/models/<version>/` → the model store's bucket and prefix (`models/`). */
function modelStoreOf(out: string, version: string): { bucket: string; prefix: string } {
  const { bucket, prefix } = parseS3Uri(out);
  if (!prefix.endsWith(`${version}/`))
    throw new TrainerArgsError(`--out ${out} does not end with the version ${version}/`);
  return { bucket, prefix: prefix.slice(0, -(version.length + 1)) };
}

async function train(args: TrainerArgs, log: (line: string) => void): Promise<void> {
  const started = performance.now();
  const stamp = () => `[${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s]`;
  const client = s3Client(args.region);
  const target = modelStoreOf(args.out, args.version);
  if (args.config !== undefined) await checkConfig(client, args.config);
  const events = s3LakeZone({ client, uri: args.events });
  const lake = `s3://${parseS3Uri(args.events).bucket}/`;
  let lastCount = 0;
  const input = await readLakeInteractions(
    {
      events,
      ...(args.items !== undefined ? { items: s3LakeZone({ client, uri: args.items }) } : {}),
      // Beside the events: profiles and tombstones (raw/users/: the right to be forgotten, the cold start) and the
      // served lists (raw/impressions/: exposures without a click as weak negatives), as the local trainer reads them.
      ...(/\/raw\/events\/?$/.test(args.events)
        ? {
            users: s3LakeZone({ client, uri: args.events.replace(/\/raw\/events\/?$/, '/raw/users/') }),
            impressions: s3LakeZone({
              client,
              uri: args.events.replace(/\/raw\/events\/?$/, '/raw/impressions/'),
            }),
          }
        : {}),
      describe: lake,
    },
    (label, done, total) => {
      // One line per ~10 % (or per object when there are few): EMR keeps step stdout in S3, not a terminal.
      const now = total === undefined ? done : Math.floor((done * 10) / total);
      if (now !== lastCount || done === total) log(`${stamp()} ${label}: ${done}${total ? `/${total}` : ''}`);
      lastCount = now;
    },
  );
  log(
    `${stamp()} read ${input.data.events} events (${input.data.duplicates} duplicates, ${input.data.malformed} malformed) → ${input.records.length} records; catalog ${input.catalog?.length ?? 0} items`,
  );
  for (const w of input.warnings) log(`warning: ${w}`);
  const result = trainArtifact(input.records, {
    model: args.model,
    ...(args.budgetSeconds !== undefined ? { budgetSeconds: args.budgetSeconds } : {}),
    ...(input.catalog !== undefined ? { catalog: input.catalog } : {}),
    ...(input.shoppers !== undefined ? { shoppers: input.shoppers } : {}),
    version: args.version,
    createdAt: new Date().toISOString(),
    data: input.data,
    onProgress: (m) => log(`${stamp()} ${m}`),
  });
  const store = createS3ModelStore({ client, bucket: target.bucket, prefix: target.prefix });
  await store.write(args.version, result.files);
  const v = result.manifest.validation;
  log(
    `${stamp()} artifact ${args.version} (${result.manifest.model.kind}) written to ${store.location(args.version)}; validation nDCG@${v.k} ${v.model.ndcg.toFixed(4)}`,
  );
}

/** Exit 2 for a command line it cannot run, 1 for data it cannot train on or a failure; never a stack trace. */
export async function main(argv: readonly string[]): Promise<number> {
  const log = (line: string) => process.stdout.write(`[trainer] ${line}\n`);
  try {
    const args = parseTrainerArgs(argv);
    log(`training ${args.model} ${args.version} from ${args.events}`);
    await train(args, log);
    return 0;
  } catch (error) {
    const e = error as Error;
    process.stderr.write(`[trainer] error: ${e.message}\n`);
    if (e instanceof TrainerArgsError) {
      process.stderr.write(`${USAGE}\n`);
      return 2;
    }
    if (!(e instanceof TrainingInputError)) process.stderr.write(`[trainer] (${e.name})\n`);
    return 1;
  }
}
