import { resolve } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { ArtifactManifest, ArtifactMetrics } from '../../../shared/model/artifact.ts';
import { RATINGS_MEANINGS, type RatingsMeaning } from '../../../shared/model/interactions.ts';
import { MODEL_CHOICES, type ModelChoice } from '../../../shared/model/model-choice.ts';
import type {
  TrainingEngine,
  TrainingRequest,
  TrainingSource,
} from '../../../shared/ports/training-engine.ts';
import { TrainingInputError } from '../../../shared/training/pipeline.ts';
import { resolveDataDir } from '../../data-dir.ts';
import { trainingProgress } from '../../training/cli-progress.ts';
import { createSparkTrainingEngine, SparkJobError, SparkUnavailableError } from '../../training/spark.ts';
import { createTypeScriptTrainingEngine } from '../../training/typescript-engine.ts';
import { CliError } from '../errors.ts';
import { dataDirOption } from '../options.ts';

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError('expected a positive number');
  return n;
}

export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

/** `lake` or a CSV path, with the column flags. */
export function sourceOf(
  data: string,
  cols: { userCol?: string; itemCol?: string; ratingCol?: string; timeCol?: string },
): TrainingSource {
  if (data === 'lake') return { kind: 'lake' };
  return {
    kind: 'csv',
    path: resolve(data),
    columns: {
      ...(cols.userCol !== undefined ? { user: cols.userCol } : {}),
      ...(cols.itemCol !== undefined ? { item: cols.itemCol } : {}),
      ...(cols.ratingCol !== undefined ? { rating: cols.ratingCol } : {}),
      ...(cols.timeCol !== undefined ? { timestamp: cols.timeCol } : {}),
    },
  };
}

/** Column flags shared by train and evaluate. */
export function addColumnOptions(command: Command): Command {
  return command
    .option('--user-col <name>', 'CSV column with the user id (default "user")')
    .option('--item-col <name>', 'CSV column with the item id (default "item")')
    .option(
      '--rating-col <name>',
      'CSV column with a 1–5 rating (default "rating" when present; else implicit)',
    )
    .option(
      '--time-col <name>',
      'CSV column with the time (default "timestamp" when present; else row order)',
    );
}

function metricRows(k: number, model: ArtifactMetrics, base: ArtifactMetrics): string[] {
  const rows: [string, keyof ArtifactMetrics][] = [
    [`nDCG@${k}`, 'ndcg'],
    [`P@${k}`, 'precision'],
    [`R@${k}`, 'recall'],
    [`MAP@${k}`, 'map'],
    ['MRR', 'mrr'],
    [`HR@${k}`, 'hitRate'],
    ['coverage', 'coverage'],
  ];
  return [
    `  ${'metric'.padEnd(10)} ${'model'.padStart(8)} ${'popularity'.padStart(10)}`,
    ...rows.map(
      ([label, key]) =>
        `  ${label.padEnd(10)} ${Number(model[key]).toFixed(4).padStart(8)} ${Number(base[key]).toFixed(4).padStart(10)}`,
    ),
  ];
}

function describeSpec(m: ArtifactManifest['model']): string {
  const spec = m.spec;
  if (spec === undefined) return `${m.kind} ${JSON.stringify(m.params ?? {})}`;
  const one = (s: { kind: string; params?: unknown; halfLifeDays?: number }) =>
    s.kind === 'recent-popularity'
      ? `recent-popularity(half-life ${s.halfLifeDays}d)`
      : s.params !== undefined
        ? `${s.kind}${JSON.stringify(s.params)}${s.halfLifeDays !== undefined ? ` on pairs decayed with a ${s.halfLifeDays}d half-life` : ''}`
        : s.kind;
  if (spec.kind === 'hybrid')
    return `hybrid (${spec.normalisation}): ${spec.components.map((c) => `${c.weight} × ${one(c.spec)}`).join(' + ')}`;
  return one(spec);
}

/** `4,100 of 4,300 shoppers (95.3%), ` when the manifest records the coverage, else the users scored. */
function validationCoverage(v: ArtifactManifest['validation']): string {
  const n = (x: unknown) => Number(x ?? 0).toLocaleString('en-US');
  if (typeof v.covered === 'number' && typeof v.shoppers === 'number' && v.shoppers > 0)
    return `${n(v.covered)} of ${n(v.shoppers)} shoppers (${((100 * v.covered) / v.shoppers).toFixed(1)}%), `;
  return `${n(v.model.users)} users, `;
}

/** The learned second stage's verdict, when the search tried one. */
function rankerLine(v: ArtifactManifest['validation']): string[] {
  type Gain = { gain: number; gainLow: number; gainHigh: number };
  const r = v.ranker as
    | (Gain & { kept: boolean; ndcg: number; parts?: (Gain & { name: string })[] })
    | undefined;
  if (r === undefined) return [];
  const fmt = (g: Gain) =>
    `${g.gain >= 0 ? '+' : ''}${g.gain.toFixed(4)} [${g.gainLow.toFixed(4)}, ${g.gainHigh.toFixed(4)}]`;
  const parts = (r.parts ?? []).map((p) => `; ${p.name} part ${fmt(p)}`).join('');
  return [
    `  ranker: ${r.kept ? 'kept' : 'not kept'} (validation nDCG@${v.k} ${r.ndcg.toFixed(4)}, ${fmt(r)} over the first stage${parts})`,
  ];
}

export function formatManifestSummary(manifest: ArtifactManifest, location: string): string[] {
  const d = manifest.data;
  const v = manifest.validation;
  const n = (x: unknown) => Number(x ?? 0).toLocaleString('en-US');
  const lines = [
    `model ${manifest.version} (${manifest.engine}) → ${location}`,
    `winner: ${describeSpec(manifest.model)}`,
    ...(typeof v.selection === 'string' ? [`  why: ${v.selection}`] : []),
    ...rankerLine(v),
    `data: ${d.source}`,
    `  ${n(d.events)} events read: ${n(d.duplicates)} duplicates, ${n(d.malformed)} malformed, ${n(d.unknownTypes)} of unknown type, ${n(d.skipped)} skipped${d.skippedAnonymous !== undefined ? ` (${n(d.skippedAnonymous)} anonymous)` : ''}`,
    `  ${n(d.users)} users × ${n(d.items)} items, ${n(d.interactions)} interactions, ${d.from ?? '?'} … ${d.to ?? '?'}`,
    `  ratings: ${manifest.ratings ?? 'preference'}${manifest.ratings === 'interactions' ? ' (every rated item is an interaction)' : ' (1–2 stars are dislikes)'}`,
    `validation (${v.split}, ${validationCoverage(v)}k=${v.k}):`,
    ...metricRows(v.k, v.model, v.baseline),
    `trained in ${manifest.trainingSeconds.toFixed(1)} s`,
  ];
  return lines;
}

interface TrainOptions {
  data: string;
  model: ModelChoice;
  budget: number;
  out?: string;
  engine: 'typescript' | 'spark';
  dataDir: string;
  k: number;
  seed: number;
  validation?: string;
  ratings?: RatingsMeaning;
  ranker?: boolean;
  json?: boolean;
  userCol?: string;
  itemCol?: string;
  ratingCol?: string;
  timeCol?: string;
}

/**
 * The trainer `--engine` names. Spark (the EMR job in local mode) trains ALS only, from the lake; it writes
 * `<out or data-dir/models>/<version>/` and shows Spark's whole log.
 */
function engineFor(opts: TrainOptions, dataDir: string): TrainingEngine {
  if (opts.engine === 'typescript') return createTypeScriptTrainingEngine({ dataDir });
  if (opts.validation !== undefined || opts.ratings !== undefined || opts.ranker === true)
    throw new CliError(
      '--engine spark takes neither --validation, --ratings nor --ranker (it trains one ALS on the lake)',
    );
  if (opts.data !== 'lake') throw new CliError('--engine spark reads the lake only (--data lake)');
  if (opts.model !== 'auto' && opts.model !== 'als')
    throw new CliError(`--engine spark trains ALS only (--model als or auto), not ${opts.model}`);
  return createSparkTrainingEngine({
    dataDir,
    verbose: true,
    ...(opts.out !== undefined ? { modelsDir: resolve(opts.out) } : {}),
  });
}

export function registerTrain(program: Command): void {
  addColumnOptions(
    program
      .command('train')
      .description('train a model version from the lake (or a CSV) and write its artifact')
      .option('--data <source>', '"lake" (the data directory\'s lake) or an interactions CSV file', 'lake')
      .addOption(
        new Option('--model <model>', 'model to train; auto searches models and blends within --budget')
          .choices(MODEL_CHOICES)
          .default('auto'),
      )
      .addOption(
        new Option('--budget <seconds>', 'time for the auto/hybrid search (final fits come on top)')
          .default(300)
          .argParser(positiveNumber),
      )
      .option(
        '--out <dir>',
        'write the artifact into this directory instead of <data-dir>/models/<version> (spark: into <dir>/<version>)',
      )
      .addOption(
        new Option('--engine <engine>', 'trainer: in-process TypeScript, or Spark (local mode)')
          .choices(['typescript', 'spark'])
          .default('typescript'),
      )
      .addOption(
        new Option('--k <k>', 'cut-off of the validation metrics').default(10).argParser(positiveInteger),
      )
      .addOption(new Option('--seed <n>', 'random seed').default(42).argParser(positiveInteger))
      .option(
        '--validation <protocol>',
        'how the search validates: mixed[:SHARE] (default, 0.2), leave-last[:SHARE], temporal[:DAYS] or random[:SHARE] (below)',
      )
      .addOption(
        new Option('--ratings <meaning>', 'what a rating means (default preference; below)').choices(
          RATINGS_MEANINGS,
        ),
      )
      .option(
        '--ranker',
        'auto/hybrid: also train the learned second-stage ranker, kept only when it wins beyond the noise',
      )
      .option('--json', 'print the manifest as JSON instead of the summary')
      .addOption(dataDirOption()),
  )
    .addHelpText(
      'after',
      `
The artifact format is docs/model-artifact.md. Lake events are deduplicated by eventId; anonymous (session-only)
events, events without an item and malformed lines are counted in the manifest's data block and skipped.

Validation (the split the search scores candidates on, carved from the training data; the quality gate's
holdout lists use the same split):
  mixed[:SHARE]       default. Per shopper, SHARE (0.2) of his distinct items held out: half his newest (at least
                      one, in time order within the shopper), half at random from the rest. Every shopper with two
                      or more items is validated, so the score stands for the shoppers, not for the few active in
                      the last weeks; and a model must predict what comes next and fill in what is missing alike.
  leave-last[:SHARE]  per shopper, only the newest SHARE (0.2) of his distinct items, at least one.
  temporal[:DAYS]     one global cut: the last DAYS (default 70, at most a quarter of the span).
                      With it or leave-last the search also tries EASE on recency-weighted pairs (what is bought
                      together lately): it wins where the future is what matters and loses on a random hold-out.
  random[:SHARE]      per shopper, a seeded random SHARE (0.25) of his items, whatever their time.
Every candidate gets a bootstrap interval over the validated shoppers; among those whose paired difference to the
best is within the noise, the simplest wins (popularity < recent popularity < item-kNN/content < EASE < iALS <
blend). The summary says how many shoppers validation covered. See docs/training.md.
No model wins every kind of future (on Online Retail the best model for the next ten weeks loses a quarter of
EASE's score on a random hold-out), so mixed hedges; when you know the question, say it. recsys evaluate knows
its split and, without --validation, validates the way the split tests (a time cut → temporal, each shopper's
last → leave-last, a random hold-out → random).

Ratings (a CSV rating column, or rating events):
  preference          default. A rating is an opinion: 4–5 stars add interest, 1–2 stars are dislikes that
                      cancel the pair.
  interactions        every rated item is an interaction (weighted by the stars), as the usual implicit
                      protocols on movie-rating data count them.

Examples:
  recsys train                                  # auto, from the lake, into .data/models/<version>
  recsys train --model als --budget 60
  recsys train --data ratings.csv --user-col userId --item-col movieId --rating-col rating --time-col timestamp --out model/`,
    )
    .action(async (opts: TrainOptions) => {
      const dataDir = resolveDataDir(opts.dataDir);
      const engine = engineFor(opts, dataDir);
      const progress = trainingProgress();
      const request: TrainingRequest = {
        source: sourceOf(opts.data, opts),
        model: opts.model,
        budgetSeconds: opts.budget,
        k: opts.k,
        seed: opts.seed,
        ...(opts.validation !== undefined ? { validation: opts.validation } : {}),
        ...(opts.ratings !== undefined ? { ratings: opts.ratings } : {}),
        ...(opts.ranker === true ? { ranker: true } : {}),
        // Spark takes --out as its model store (modelsDir above), not as the artifact directory.
        ...(opts.out !== undefined && engine.name === 'typescript' ? { outDir: resolve(opts.out) } : {}),
        onProgress: progress.message,
        onCount: progress.count,
      };
      try {
        const outcome = await engine.train(request);
        progress.finish();
        if (opts.json === true) console.log(JSON.stringify(outcome.manifest, null, 2));
        else for (const line of formatManifestSummary(outcome.manifest, outcome.location)) console.log(line);
        if (outcome.warnings.length > 0) {
          console.error(`warning: ${outcome.manifest.data.malformed} malformed lines skipped, e.g.:`);
          for (const w of outcome.warnings.slice(0, 5)) console.error(`  ${w}`);
        }
      } catch (error) {
        progress.finish();
        if (error instanceof TrainingInputError) throw new CliError(error.message, 1, { cause: error });
        if (error instanceof SparkUnavailableError || error instanceof SparkJobError)
          throw new CliError(`--engine spark: ${error.message}`, 1, { cause: error });
        // --out onto an existing artifact: the user's to resolve, not a crash.
        if (error instanceof Error && /already exists and is not empty/.test(error.message))
          throw new CliError(`--out ${error.message}`, 1, { cause: error });
        throw error;
      }
    });
}
