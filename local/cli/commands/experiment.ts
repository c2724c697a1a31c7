import type { Command } from 'commander';
import { createLocalModelStore } from '../../../shared/adapters/local/model-store.ts';
import { createSqlitePublicationStore } from '../../../shared/adapters/local/sqlite-publication-store.ts';
import {
  type Deployment,
  DeploymentConflictError,
  type PublicationStore,
} from '../../../shared/ports/publication-store.ts';
import { type DeploymentChange, updateDeployment } from '../../../shared/registry/deployment.ts';
import {
  ExperimentStateError,
  promoteExperiment,
  startExperiment,
  stopExperiment,
} from '../../../shared/serving/experiments.ts';
import { dataDirLayout, resolveDataDir } from '../../data-dir.ts';
import { CliError } from '../errors.ts';
import { awsOption, dataDirOption, regionOption } from '../options.ts';
import { describeDeployment } from '../run-report.ts';

interface Target {
  dataDir?: string;
  aws?: boolean;
  stage?: string;
  region?: string;
}

/** Applies `change` to the deployment record (shared/registry/deployment.ts: re-applied after a lost race). */
async function update(store: PublicationStore, change: DeploymentChange): Promise<Deployment> {
  try {
    const next = await updateDeployment(store, change);
    // Every experiment change returns a record or throws (ExperimentStateError without one).
    return next as Deployment;
  } catch (error) {
    if (error instanceof ExperimentStateError) throw new CliError(error.message, 1, { cause: error });
    if (error instanceof DeploymentConflictError)
      throw new CliError(`${error.message}: it kept changing meanwhile; run the command again`, 1, {
        cause: error,
      });
    throw error;
  }
}

/**
 * Runs `act` on the deployment record of the data dir, or of the deployed stage with --aws (its DynamoDB table).
 * Locally it opens the PublicationStore file itself rather than the runtime: the server may hold the data-dir
 * lock, and sqlite lets both use the record (WAL). `check` vets the change's inputs first (the challenger exists).
 */
async function onRecord(
  target: Target,
  check: (challengerKnown: (version: string) => Promise<string | undefined>) => Promise<void>,
  change: DeploymentChange,
): Promise<Deployment> {
  if (target.aws)
    return (await import('../aws/adapters.ts')).onStage(
      target,
      'changing the deployment record',
      async (a) => {
        await check(async (v) => {
          if ((await a.registry.get(v)) === undefined)
            return `${v} is not registered in ${a.stage.modelPackageGroup}`;
          // A challenger serves its published lists: without them every shopper it draws gets the fallback.
          if ((await a.publications.listsExpireAt(v)) === undefined)
            return `${v} has no published lists in ${a.stage.listsTable}: publish it first`;
          return undefined;
        });
        return update(a.publications, change);
      },
    );
  const dataDir = resolveDataDir(target.dataDir);
  await check(async (v) => {
    const models = createLocalModelStore({ root: dataDirLayout(dataDir).models });
    return (await models.list()).includes(v)
      ? undefined
      : `no complete model ${v} under ${dataDirLayout(dataDir).models}`;
  });
  const store = createSqlitePublicationStore({ path: dataDirLayout(dataDir).servingDb });
  try {
    return await update(store, change);
  } finally {
    await store.close();
  }
}

const noCheck = async () => {};

function weight(value: string): number {
  const n = Number(value);
  if (!(n > 0 && n < 1)) throw new CliError(`--weight must be a number between 0 and 1, got ${value}`);
  return n;
}

/** The options every experiment subcommand takes: the data dir, or a deployed stage. */
function target(command: Command): Command {
  return command
    .addOption(dataDirOption())
    .option('--stage <name>', 'with --aws: the deployed stage')
    .addOption(awsOption())
    .addOption(regionOption());
}

export function registerExperiment(program: Command): void {
  const experiment = program
    .command('experiment')
    .description('A/B experiments: champion against a challenger model, in the deployment record');
  target(
    experiment
      .command('start <name>')
      .description('start serving a challenger to a share of shoppers (sticky per shopper)')
      .requiredOption('--challenger <version>', 'the model version to test against the champion')
      .option('--weight <share>', 'share of shoppers served the challenger, 0–1', '0.5'),
  ).action(async (name: string, options: Target & { challenger: string; weight: string }) => {
    const share = weight(options.weight);
    const next = await onRecord(
      options,
      async (known) => {
        const problem = await known(options.challenger);
        if (problem !== undefined) throw new CliError(problem);
      },
      (d) => startExperiment(d, { name, challenger: options.challenger, weight: share, now: new Date() }),
    );
    console.log(`experiment ${name} started — ${describeDeployment(next)}`);
  });
  target(
    experiment
      .command('promote <name>')
      .description("make the experiment's challenger the champion and end the experiment"),
  ).action(async (name: string, options: Target) => {
    const next = await onRecord(options, noCheck, (d) => promoteExperiment(d, name, new Date()));
    console.log(`experiment ${name} promoted — ${describeDeployment(next)}`);
  });
  target(
    experiment.command('stop <name>').description('end the experiment; the champion serves everyone'),
  ).action(async (name: string, options: Target) => {
    const next = await onRecord(options, noCheck, (d) => stopExperiment(d, name, new Date()));
    console.log(`experiment ${name} stopped — ${describeDeployment(next)}`);
  });
}
