import { DEFAULT_ASSUMPTIONS } from '../../../shared/cost/assumptions.ts';
import { trainingRun } from '../../../shared/cost/training.ts';
import type { Workload } from '../../../shared/cost/workload.ts';
import {
  EmptyLakeError,
  type ExecutionStart,
  RetrainAttemptsError,
  retrainExecutionName,
  startRetrain,
} from '../../../shared/registry/start-retrain.ts';
import { DEFAULT_CONFIG, DEFAULT_PRICES, loadPrices, stageSizes } from '../commands/cost.ts';
import { CliError } from '../errors.ts';
import { onStage, type StageAdapters } from './adapters.ts';
import type { AwsOptions } from './stage.ts';

export interface AwsRetrainOptions extends AwsOptions {
  model: string;
  dryRun?: boolean;
  /** serverless.yml and the price sheet the dry run's estimate reads (default: recsys cost's). */
  config?: string;
  prices?: string;
}

function describeStart(s: ExecutionStart): string {
  return s.outcome === 'started'
    ? `started ${s.name} (${s.executionArn})`
    : `${s.name}: already started (${s.status} since ${s.startedAt}): nothing to do`;
}

/** `recsys retrain --aws`: the shared start (shared/registry/start-retrain.ts), the same the schedule uses. */
export async function retrainOnAws(opts: AwsRetrainOptions): Promise<void> {
  await onStage(opts, 'starting the retrain', async (a) => {
    if (opts.dryRun) return dryRun(a, opts);
    try {
      const { retrain, refreshes } = await startRetrain(
        { describeLake: a.describeLake, executions: a.executions, publications: a.publications },
        { stage: a.stage.stage, model: opts.model, trigger: 'cli' },
      );
      console.log(describeStart(retrain));
      for (const r of refreshes) console.log(`lists about to expire: ${describeStart(r)}`);
    } catch (error) {
      if (error instanceof EmptyLakeError || error instanceof RetrainAttemptsError)
        throw new CliError(`stage ${a.stage.stage}: ${error.message}`, 1, { cause: error });
      throw error;
    }
  });
}

const MiB = 1024 * 1024;

/**
 * What `recsys retrain --aws` would do, without doing it: the execution name and whether it would start, the
 * lake it would read, the cluster the stage's params size, and that run's cost by the cost model (shared/cost:
 * trainingRun, events estimated from the lake's GZIP bytes).
 */
async function dryRun(a: StageAdapters, opts: AwsRetrainOptions): Promise<void> {
  const lake = await a.describeLake();
  if (lake === undefined)
    throw new CliError(
      `stage ${a.stage.stage}: the raw events zone of s3://${a.stage.bucket} is empty: nothing to train on`,
    );
  const { bytes } = await a.lakeBytes();
  const name = retrainExecutionName(lake, { stage: a.stage.stage, model: opts.model });
  const found = await a.executions.describe(name);
  const prices = opts.prices ?? DEFAULT_PRICES;
  const sizes = await stageSizes(opts.config ?? DEFAULT_CONFIG, a.stage.stage);
  const sheet = await loadPrices(prices);
  const instance = sheet.instances[sizes.instanceType];
  if (instance === undefined)
    throw new CliError(`${prices} has no price for ${sizes.instanceType}, the stage's emrInstanceType`);
  const assumptions = DEFAULT_ASSUMPTIONS;
  const events = Math.round((bytes * assumptions.gzipRatio) / assumptions.eventBytes);
  const workload: Workload = {
    eventsPerDay: events,
    historyDays: 1,
    engine: 'emr',
    shoppers: 0,
    products: 0,
    requestsPerSecond: 0,
    runsPerMonth: 1,
    eventsPerRequest: 1,
  };
  const run = trainingRun(workload, sizes, assumptions, sheet.prices, instance);
  const input = JSON.stringify({ trigger: 'cli', model: opts.model });
  const verdict =
    found === undefined
      ? `would start (input ${input})`
      : ['RUNNING', 'SUCCEEDED', 'PENDING_REDRIVE'].includes(found.status)
        ? `exists (${found.status} since ${found.startedAt}): a start would do nothing`
        : `${found.status}: a start would retry it as ${name}-2`;
  console.log(`dry run on stack ${a.stage.stackName}: nothing started`);
  console.log(`  execution  ${name} ${verdict}`);
  console.log(
    `  lake       s3://${a.stage.bucket}/raw/events/: ${lake.objects} objects, ${(bytes / MiB).toFixed(2)} MiB ≈ ${events.toLocaleString('en-US')} events`,
  );
  console.log(
    `  cluster    ${run.instances} × ${sizes.instanceType} (1 primary + ${sizes.coreCount} core), ${run.trainingVcpus} vCPUs training`,
  );
  console.log(
    `  estimate   ${(run.seconds / 60).toFixed(1)} min, $${run.usd.toFixed(2)} (${run.instances} × ${(run.seconds / 3600).toFixed(3)} h × $${run.usdPerInstanceHour.toFixed(4)}/instance-hour; ${sheet.region} prices as of ${sheet.pricesAsOf})`,
  );
}
