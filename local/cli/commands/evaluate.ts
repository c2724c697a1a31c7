import { type Command, Option } from 'commander';
import { formatResults } from '../../../shared/evaluation/evaluate.ts';
import type { ContentItem } from '../../../shared/model/content.ts';
import {
  type InteractionRecord,
  RATINGS_MEANINGS,
  type RatingsMeaning,
} from '../../../shared/model/interactions.ts';
import { MODEL_CHOICES, type ModelChoice } from '../../../shared/model/model-choice.ts';
import { TrainingInputError } from '../../../shared/training/pipeline.ts';
import { parseValidation, ValidationProtocolError } from '../../../shared/training/validation.ts';
import { resolveDataDir } from '../../data-dir.ts';
import { trainingProgress } from '../../training/cli-progress.ts';
import { applySplit, evaluateModels, parseSplit } from '../../training/evaluate-models.ts';
import { loadSource } from '../../training/typescript-engine.ts';
import { CliError } from '../errors.ts';
import { dataDirOption } from '../options.ts';
import { addColumnOptions, positiveInteger, positiveNumber, sourceOf } from './train.ts';

interface EvaluateOptions {
  train?: string;
  test?: string;
  data?: string;
  split?: string;
  model: string;
  k: number;
  budget: number;
  seed: number;
  validation?: string;
  ratings?: RatingsMeaning;
  json?: boolean;
  dataDir: string;
  userCol?: string;
  itemCol?: string;
  ratingCol?: string;
  timeCol?: string;
}

function parseModels(text: string): ModelChoice[] {
  const list = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const bad = list.filter((m) => !(MODEL_CHOICES as readonly string[]).includes(m));
  if (bad.length > 0 || list.length === 0)
    throw new CliError(`--model ${text}: expected a comma-separated list of ${MODEL_CHOICES.join(', ')}`);
  return list as ModelChoice[];
}

export function registerEvaluate(program: Command): void {
  addColumnOptions(
    program
      .command('evaluate')
      .description(
        'offline evaluation: models × metrics at k on a train/test split, popularity always beside',
      )
      .option('--train <file>', 'training interactions CSV (with --test)')
      .option('--test <file>', 'test interactions CSV (with --train)')
      .option('--data <source>', '"lake" or an interactions CSV, split with --split')
      .option('--split <split>', 'temporal:YYYY-MM-DD | random:RATIO | last:N', 'temporal:2011-10-01')
      .option('--model <list>', `comma-separated: ${MODEL_CHOICES.join(', ')}`, 'item-knn,als,ease')
      .addOption(new Option('--k <k>', 'list length').default(10).argParser(positiveInteger))
      .addOption(
        new Option('--budget <seconds>', 'search time for auto/hybrid')
          .default(120)
          .argParser(positiveNumber),
      )
      .addOption(
        new Option('--seed <n>', 'seed of random splits and models').default(42).argParser(positiveInteger),
      )
      .option(
        '--validation <protocol>',
        'auto/hybrid: how the search validates inside the training part (recsys train --help); default: the protocol that mirrors the split',
      )
      .addOption(
        new Option('--ratings <meaning>', 'what a rating means (default preference)').choices(
          RATINGS_MEANINGS,
        ),
      )
      .option('--json', 'print the results as JSON')
      .addOption(dataDirOption()),
  )
    .addHelpText(
      'after',
      `
The test set is the new (user, item) pairs of the test part whose user and item appear in training; training
items are excluded from the lists.

auto and hybrid validate, inside the training part, the way the split tests: a global time cut → temporal over the
test's horizon; each shopper's test after his training → leave-last; a hold-out across time → random. No model wins
every kind of future (on Online Retail the best temporal model loses a quarter of the random split's nDCG), so the
tuner is asked the question the test asks; recsys train, which has no test, defaults to mixed. --validation overrides.

Examples:
  recsys evaluate --train train.csv --test test.csv --k 10 --model als,ease
  recsys evaluate --data lake --split temporal:2011-10-01 --model item-knn,als,ease,auto`,
    )
    .action(async (opts: EvaluateOptions) => {
      const models = parseModels(opts.model);
      let validation: ReturnType<typeof parseValidation> | undefined;
      try {
        if (opts.validation !== undefined) validation = parseValidation(opts.validation, opts.seed);
      } catch (error) {
        if (error instanceof ValidationProtocolError) throw new CliError(error.message);
        throw error;
      }
      const dataDir = resolveDataDir(opts.dataDir);
      const progress = trainingProgress();
      try {
        let train: InteractionRecord[];
        let test: InteractionRecord[];
        let catalog: ContentItem[] | undefined;
        let splitName: string;
        if (opts.train !== undefined || opts.test !== undefined) {
          if (opts.train === undefined || opts.test === undefined)
            throw new CliError('--train and --test go together');
          if (opts.data !== undefined) throw new CliError('give either --train/--test or --data, not both');
          const a = await loadSource(dataDir, {
            source: sourceOf(opts.train, opts),
            onCount: progress.count,
          });
          const b = await loadSource(dataDir, { source: sourceOf(opts.test, opts), onCount: progress.count });
          train = a.records;
          test = b.records;
          splitName = `${opts.train} / ${opts.test}`;
        } else {
          if (opts.data === undefined)
            throw new CliError('give --train A.csv --test B.csv, or --data lake|FILE --split …');
          const split = parseSplit(opts.split ?? 'temporal:2011-10-01');
          const input = await loadSource(dataDir, {
            source: sourceOf(opts.data, opts),
            onCount: progress.count,
          });
          ({ train, test } = applySplit(input.records, split, opts.seed));
          catalog = input.catalog;
          splitName = `${opts.data} ${opts.split}`;
          if (train.length === 0 || test.length === 0)
            throw new CliError(
              `--split ${opts.split} leaves ${train.length} training and ${test.length} test records: choose another split`,
            );
        }
        const r = evaluateModels(train, test, {
          models,
          k: opts.k,
          seed: opts.seed,
          budgetSeconds: opts.budget,
          ...(validation !== undefined ? { validation } : {}),
          ...(opts.ratings !== undefined ? { ratings: opts.ratings } : {}),
          ...(catalog !== undefined ? { catalog } : {}),
          onProgress: progress.message,
        });
        progress.finish();
        if (opts.json === true) {
          console.log(JSON.stringify({ split: splitName, k: opts.k, ...r }, null, 2));
          return;
        }
        console.log(
          `${splitName}: ${r.trainUsers} users × ${r.items} items, ${r.trainPairs} training pairs; ${r.testUsers} test users, ${r.testPairs} test pairs, k=${opts.k}`,
        );
        if (r.validation !== undefined)
          console.log(`auto/hybrid validated with ${r.validation.protocol}: ${r.validation.reason}`);
        console.log(formatResults(r.results));
      } catch (error) {
        progress.finish();
        if (error instanceof TrainingInputError) throw new CliError(error.message, 1, { cause: error });
        throw error;
      }
    });
}
