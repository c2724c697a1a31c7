import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { ArtifactError, loadedScorer } from '../../../shared/model/artifact.ts';
import { topK } from '../../../shared/model/topk.ts';
import { resolveDataDir } from '../../data-dir.ts';
import { catalogTitles, ModelNotFoundError, openModel } from '../../training/load-model.ts';
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
  dataDir: string;
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function registerRecommend(program: Command): void {
  program
    .command('recommend')
    .description(
      'recommendations from a trained model artifact: one user as a table, or every user into a CSV',
    )
    .requiredOption('--model <dir>', 'the artifact directory, a version under <data-dir>/models, or "latest"')
    .option('--user <id>', 'the user to recommend to')
    .option('--all', 'every user of the model (with --out)')
    .addOption(new Option('--k <k>', 'list length').default(10).argParser(positiveInteger))
    .option('--exclude-seen', "leave out the user's training items (always on with --user)")
    .option('--out <file>', 'with --all: write user,item,rank,score here (default: stdout)')
    .option('--json', 'with --user: print JSON')
    .addOption(dataDirOption())
    .addHelpText(
      'after',
      `
Examples:
  recsys recommend --model latest --user 17850 --k 10
  recsys recommend --model .data/models/<version> --all --k 10 --exclude-seen --out recs.csv`,
    )
    .action(async (opts: RecommendOptions) => {
      if ((opts.user === undefined) === (opts.all !== true))
        throw new CliError('give either --user ID or --all');
      const dataDir = resolveDataDir(opts.dataDir);
      let opened: Awaited<ReturnType<typeof openModel>>;
      try {
        opened = await openModel(opts.model, dataDir);
      } catch (error) {
        if (error instanceof ModelNotFoundError || error instanceof ArtifactError)
          throw new CliError(error.message, 1, { cause: error });
        throw error;
      }
      const m = opened.model;
      const scorer = loadedScorer(m);
      const n = m.itemIds.length;
      const k = Math.min(opts.k, n);
      const scores = new Float32Array(n);
      const idx = new Int32Array(k);
      const sc = new Float32Array(k);
      const h = m.history;
      const top = (u: number, excludeSeen: boolean) => {
        if (u >= 0) scorer.scoreUser(u, scores);
        else scores.set(m.popularity);
        if (u >= 0 && excludeSeen)
          for (let p = h.indptr[u]!; p < h.indptr[u + 1]!; p++) scores[h.indices[p]!] = Number.NaN;
        return topK(scores, k, idx, sc);
      };

      if (opts.user !== undefined) {
        const u = m.userIndex.get(opts.user) ?? -1;
        if (u < 0)
          console.error(
            `note: user ${opts.user} is not in the model's training data (${m.userIds.length} users): showing the most popular items`,
          );
        const got = top(u, true);
        const titles = await catalogTitles(dataDir);
        const rows = Array.from({ length: got }, (_, t) => ({
          rank: t + 1,
          item: m.itemIds[idx[t]!]!,
          score: sc[t]!,
          title: titles.get(m.itemIds[idx[t]!]!) ?? '',
        }));
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
        return;
      }

      const out = opts.out !== undefined ? createWriteStream(resolve(opts.out)) : process.stdout;
      const write = async (s: string) => {
        if (!out.write(s)) await once(out, 'drain');
      };
      const progress = progressReporter('recommend', 'users');
      await write('user,item,rank,score\n');
      const users = m.userIds.length;
      for (let u = 0; u < users; u++) {
        const got = top(u, opts.excludeSeen === true);
        let block = '';
        const user = csvCell(m.userIds[u]!);
        for (let t = 0; t < got; t++)
          block += `${user},${csvCell(m.itemIds[idx[t]!]!)},${t + 1},${Number(sc[t]!.toPrecision(9))}\n`;
        await write(block);
        progress.update(u + 1, users);
      }
      progress.done();
      if (out !== process.stdout) {
        const file = out as ReturnType<typeof createWriteStream>;
        file.end();
        await once(file, 'finish');
        console.error(`wrote ${users} users × ${k} to ${resolve(opts.out!)}`);
      }
    });
}
