import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { ArtifactError, type LoadedModel, loadedScorer } from '../../../shared/model/artifact-decode.ts';
import { topKExcluding } from '../../../shared/model/topk.ts';
import { resolveDataDir } from '../../data-dir.ts';
import { LOCAL_STAGE, localRegistry } from '../../registry.ts';
import { catalogTitles, ModelNotFoundError, type OpenedModel, openModel } from '../../training/load-model.ts';
import { CliError } from '../errors.ts';
import { dataDirOption } from '../options.ts';
import { progressReporter } from '../progress.ts';
import { positiveInteger } from './train.ts';

interface RecommendOptions {
  model: string;
  user?: string;
  all?: boolean;
  k: number;
  excludeSeen?: boolean;
  out?: string;
  json?: boolean;
  stage: string;
  dataDir: string;
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** Top-k of one user (its scores with its training items left out, or the popularity ranking for a stranger). */
function topKer(m: LoadedModel, k: number) {
  const scorer = loadedScorer(m);
  const scores = new Float32Array(m.itemIds.length);
  const idx = new Int32Array(k);
  const sc = new Float32Array(k);
  const h = m.history;
  return (u: number, excludeSeen: boolean): { item: string; score: number }[] => {
    if (u >= 0) scorer.scoreUser(u, scores);
    else scores.set(m.popularity);
    const got = topKExcluding(scores, h, excludeSeen ? u : -1, k, idx, sc);
    return Array.from({ length: got }, (_, t) => ({ item: m.itemIds[idx[t]!]!, score: sc[t]! }));
  };
}

/** The same rows for `--all` and `--user … --out`. */
function csvRows(user: string, list: { item: string; score: number }[]): string {
  let block = '';
  for (const [t, r] of list.entries())
    block += `${csvCell(user)},${csvCell(r.item)},${t + 1},${Number(r.score.toPrecision(9))}\n`;
  return block;
}

async function writeCsv(
  path: string | undefined,
  rows: (write: (s: string) => Promise<void>) => Promise<void>,
) {
  const out = path !== undefined ? createWriteStream(resolve(path)) : process.stdout;
  const write = async (s: string) => {
    if (!out.write(s)) await once(out, 'drain');
  };
  await write('user,item,rank,score\n');
  await rows(write);
  if (out !== process.stdout) {
    const file = out as ReturnType<typeof createWriteStream>;
    file.end();
    await once(file, 'finish');
  }
}

/** Opens `--model`; `latest` skips what the stage's registry has rejected, and says which version it took. */
async function open(opts: RecommendOptions, dataDir: string): Promise<OpenedModel> {
  const rejected = new Set(
    (await localRegistry(dataDir, opts.stage).list({ status: 'Rejected' })).map((p) => p.modelVersion),
  );
  let opened: OpenedModel;
  try {
    opened = await openModel(opts.model, dataDir, { rejected });
  } catch (error) {
    if (error instanceof ModelNotFoundError || error instanceof ArtifactError)
      throw new CliError(error.message, 1, { cause: error });
    throw error;
  }
  const version = opened.model.manifest.version;
  if (opts.model === 'latest')
    console.error(
      `model: ${version} (the newest not rejected${opened.skipped.length > 0 ? `; skipped Rejected ${opened.skipped.join(', ')}` : ''})`,
    );
  else if (rejected.has(version)) console.error(`note: model ${version} is Rejected in the registry`);
  return opened;
}

async function recommendOne(opts: RecommendOptions & { user: string }, dataDir: string, m: LoadedModel) {
  const u = m.userIndex.get(opts.user) ?? -1;
  if (u < 0)
    console.error(
      `note: user ${opts.user} is not in the model's training data (${m.userIds.length} users): showing the most popular items`,
    );
  const list = topKer(m, Math.min(opts.k, m.itemIds.length))(u, true);
  if (opts.out !== undefined) {
    await writeCsv(opts.out, (write) => write(csvRows(opts.user, list)));
    console.error(`wrote 1 user × ${list.length} to ${resolve(opts.out)}`);
    return;
  }
  const titles = await catalogTitles(dataDir);
  const rows = list.map((r, t) => ({ rank: t + 1, ...r, title: titles.get(r.item) ?? '' }));
  if (opts.json === true) {
    console.log(
      JSON.stringify({ userId: opts.user, modelVersion: m.manifest.version, items: rows }, null, 2),
    );
    return;
  }
  const w = Math.max(4, ...rows.map((r) => r.item.length));
  console.log(`${'rank'.padStart(4)}  ${'item'.padEnd(w)}  ${'score'.padStart(9)}  title`);
  for (const r of rows)
    console.log(
      `${String(r.rank).padStart(4)}  ${r.item.padEnd(w)}  ${r.score.toFixed(4).padStart(9)}  ${r.title}`,
    );
}

async function recommendAll(opts: RecommendOptions, m: LoadedModel) {
  const k = Math.min(opts.k, m.itemIds.length);
  const top = topKer(m, k);
  const progress = progressReporter('recommend', 'users');
  const users = m.userIds.length;
  await writeCsv(opts.out, async (write) => {
    for (let u = 0; u < users; u++) {
      await write(csvRows(m.userIds[u]!, top(u, opts.excludeSeen === true)));
      progress.update(u + 1, users);
    }
  });
  progress.done();
  if (opts.out !== undefined) console.error(`wrote ${users} users × ${k} to ${resolve(opts.out)}`);
}

export function registerRecommend(program: Command): void {
  program
    .command('recommend')
    .description(
      'recommendations from a trained model artifact: one user as a table, or every user into a CSV',
    )
    .requiredOption(
      '--model <dir>',
      'the artifact directory, a version under <data-dir>/models, or "latest" (the newest not rejected)',
    )
    .option('--user <id>', 'the user to recommend to')
    .option('--all', 'every user of the model (with --out)')
    .addOption(new Option('--k <k>', 'list length').default(10).argParser(positiveInteger))
    .option('--exclude-seen', "leave out the user's training items (always on with --user)")
    .option('--out <file>', 'write user,item,rank,score here (default: --all to stdout, --user as a table)')
    .option('--json', 'with --user: print JSON')
    .addOption(
      new Option('--stage <name>', 'the stage whose registry says which versions are rejected').default(
        LOCAL_STAGE,
      ),
    )
    .addOption(dataDirOption())
    .addHelpText(
      'after',
      `
Examples:
  recsys recommend --model latest --user 17850 --k 10
  recsys recommend --model latest --user 17850 --out recs-17850.csv
  recsys recommend --model .data/models/<version> --all --k 10 --exclude-seen --out recs.csv`,
    )
    .action(async (opts: RecommendOptions) => {
      if ((opts.user === undefined) === (opts.all !== true))
        throw new CliError('give either --user ID or --all');
      if (opts.json === true && opts.out !== undefined)
        throw new CliError('give either --json (printed) or --out FILE (CSV), not both');
      const dataDir = resolveDataDir(opts.dataDir);
      const { model } = await open(opts, dataDir);
      if (opts.user !== undefined) await recommendOne({ ...opts, user: opts.user }, dataDir, model);
      else await recommendAll(opts, model);
    });
}
