import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { parse as parseYaml } from 'yaml';
import { type Assumptions, DEFAULT_ASSUMPTIONS } from '../../../shared/cost/assumptions.ts';
import { estimate } from '../../../shared/cost/estimate.ts';
import { formatEstimate } from '../../../shared/cost/format.ts';
import { PriceSheetError, parsePriceSheet } from '../../../shared/cost/prices.ts';
import {
  ENGINES,
  type Engine,
  runsPerMonth,
  type StageSizes,
  type Workload,
  WorkloadError,
} from '../../../shared/cost/workload.ts';
import { CliError } from '../errors.ts';

export const DEFAULT_CONFIG = fileURLToPath(new URL('../../../serverless.yml', import.meta.url));
export const DEFAULT_PRICES = fileURLToPath(
  new URL('../../../shared/cost/prices-eu-west-1.json', import.meta.url),
);

interface CostOptions {
  stage: string;
  eventsPerDay: number;
  shoppers: number;
  products: number;
  requestsPerSecond: number;
  retrain: string;
  engine: Engine;
  instanceType?: string;
  coreCount?: number;
  eventsPerRequest: number;
  historyDays: number;
  throughput?: number;
  personalizeTrainingHours?: number;
  prices: string;
  config: string;
  json?: boolean;
}

function count(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError('expected a number ≥ 0');
  return n;
}

function positive(value: string): number {
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError('expected a positive number');
  return n;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

const NUMERIC_PARAMS = [
  'lambdaMemoryMb',
  'logRetentionDays',
  'firehoseBufferMiB',
  'firehoseBufferSeconds',
  'rawInfrequentAccessDays',
  'rawGlacierDays',
  'emrCoreCount',
  'alsRank',
] as const;

/** The stage's params as the framework resolves them: `default`, overridden by the stage's own entries. */
export async function stageSizes(config: string, stage: string): Promise<StageSizes> {
  let doc: unknown;
  try {
    // CloudFormation's short forms (!Ref, !GetAtt) are unknown tags to a plain YAML parser: harmless here, since
    // only `params` is read, so their warnings are not printed.
    doc = parseYaml(await readFile(config, 'utf8'), { logLevel: 'error' });
  } catch (error) {
    throw new CliError(`--config ${config}: ${(error as Error).message}`, 1, { cause: error });
  }
  const params = (doc as { params?: Record<string, Record<string, unknown> | null> } | null)?.params;
  if (params?.default === undefined || params.default === null)
    throw new CliError(`${config}: no params.default to read the stage's sizes from`);
  if (!Object.hasOwn(params, stage))
    console.error(
      `note: ${config} has no params.${stage}: the stage is sized by params.default, as the framework does`,
    );
  const merged: Record<string, unknown> = { ...params.default, ...(params[stage] ?? {}) };
  const num = (key: (typeof NUMERIC_PARAMS)[number]): number => {
    const v = merged[key];
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new CliError(
        `${config}: params.${stage}.${key} (or params.default.${key}) must be a number, got ${JSON.stringify(v)}`,
      );
    return v;
  };
  const sizes = {
    stage,
    lambdaMemoryMb: num('lambdaMemoryMb'),
    logRetentionDays: num('logRetentionDays'),
    firehoseBufferMiB: num('firehoseBufferMiB'),
    firehoseBufferSeconds: num('firehoseBufferSeconds'),
    rawInfrequentAccessDays: num('rawInfrequentAccessDays'),
    rawGlacierDays: num('rawGlacierDays'),
    coreCount: num('emrCoreCount'),
    alsRank: num('alsRank'),
  };
  const type = merged.emrInstanceType;
  if (typeof type !== 'string')
    throw new CliError(
      `${config}: params.${stage}.emrInstanceType (or params.default.emrInstanceType) must be a string`,
    );
  return { ...sizes, instanceType: type };
}

export async function loadPrices(file: string) {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(`--prices ${file}: ${(error as Error).message}`, 1, { cause: error });
  }
  try {
    return parsePriceSheet(JSON.parse(text), file);
  } catch (error) {
    throw new CliError(
      error instanceof PriceSheetError ? error.message : `--prices ${file}: ${(error as Error).message}`,
      1,
      {
        cause: error,
      },
    );
  }
}

export function registerCost(program: Command): void {
  program
    .command('cost')
    .description(
      'monthly AWS cost of a workload per component, Amazon Personalize beside it, and the idle cost',
    )
    .addOption(new Option('--stage <name>', 'serverless.yml params to size with').default('prod'))
    .addOption(
      new Option('--events-per-day <n>', 'shopper events ingested a day').default(1_000_000).argParser(count),
    )
    .addOption(
      new Option('--shoppers <n>', 'shoppers with a published list').default(100_000).argParser(count),
    )
    .addOption(new Option('--products <n>', 'catalog size').default(50_000).argParser(count))
    .addOption(
      new Option('--requests-per-second <n>', 'average recommendation requests a second')
        .default(20)
        .argParser(count),
    )
    .addOption(new Option('--retrain <cadence>', 'hourly | daily | weekly | runs a month').default('daily'))
    .addOption(new Option('--engine <engine>', 'training engine').choices(ENGINES).default('emr'))
    .addOption(
      new Option('--instance-type <type>', "training instance type (default: the stage's emrInstanceType)"),
    )
    .addOption(
      new Option('--core-count <n>', "EMR core nodes (default: the stage's emrCoreCount)").argParser(
        positiveInteger,
      ),
    )
    .addOption(
      new Option('--events-per-request <n>', 'events per POST /v1/events (1–500)')
        .default(1)
        .argParser(positiveInteger),
    )
    .addOption(
      new Option('--history-days <n>', 'days of events kept in the lake, all read by each retrain')
        .default(90)
        .argParser(positive),
    )
    .addOption(
      new Option(
        '--throughput <n>',
        "training events per vCPU-second (default: the engine's assumption)",
      ).argParser(positive),
    )
    .addOption(
      new Option(
        '--personalize-training-hours <n>',
        'billed Personalize training hours per retrain',
      ).argParser(count),
    )
    .addOption(
      new Option('--prices <file>', 'price sheet (JSON)').default(
        DEFAULT_PRICES,
        'shared/cost/prices-eu-west-1.json',
      ),
    )
    .addOption(
      new Option('--config <file>', 'serverless.yml to read the stage params from').default(
        DEFAULT_CONFIG,
        "the repository's serverless.yml",
      ),
    )
    .option('--json', 'print the estimate as JSON')
    .addHelpText(
      'after',
      `
Defaults are the worked example of docs/cost.md (1M events/day, 100k shoppers, 50k products, 20 requests/s, daily
retrain on the prod stage). The formulas and every assumption are in docs/cost.md.

Examples:
  recsys cost
  recsys cost --stage dev --events-per-day 50000 --requests-per-second 2 --retrain weekly --json
  recsys cost --engine single-machine --history-days 365 --events-per-request 20`,
    )
    .action(runCost);
}

/** The estimate for the options: the stage's sizes, the price sheet, the workload, then the report. */
async function runCost(opts: CostOptions): Promise<void> {
  let runs: number;
  try {
    runs = runsPerMonth(opts.retrain);
  } catch (error) {
    throw new CliError(`--retrain ${(error as Error).message}`, 1, { cause: error });
  }
  const sizes = await stageSizes(opts.config, opts.stage);
  if (opts.instanceType !== undefined) sizes.instanceType = opts.instanceType;
  if (opts.coreCount !== undefined) sizes.coreCount = opts.coreCount;
  const sheet = await loadPrices(opts.prices);
  const workload: Workload = {
    eventsPerDay: opts.eventsPerDay,
    shoppers: opts.shoppers,
    products: opts.products,
    requestsPerSecond: opts.requestsPerSecond,
    runsPerMonth: runs,
    engine: opts.engine,
    eventsPerRequest: opts.eventsPerRequest,
    historyDays: opts.historyDays,
  };
  const assumptions: Assumptions = { ...DEFAULT_ASSUMPTIONS };
  if (opts.throughput !== undefined) {
    const key = opts.engine === 'emr' ? 'emr' : 'singleMachine';
    assumptions[key] = { ...assumptions[key], eventsPerVcpuSecond: opts.throughput };
  }
  try {
    const e = estimate(workload, sizes, assumptions, sheet, {
      ...(opts.personalizeTrainingHours !== undefined
        ? { trainingHoursPerRun: opts.personalizeTrainingHours }
        : {}),
    });
    console.log(opts.json === true ? JSON.stringify({ ...e, assumptions }, null, 2) : formatEstimate(e));
  } catch (error) {
    if (error instanceof WorkloadError) throw new CliError(error.message, 1, { cause: error });
    throw error;
  }
}
