import type { Command } from 'commander';
import { createLocalModelStore } from '../../../shared/adapters/local/model-store.ts';
import { createSqlitePublicationStore } from '../../../shared/adapters/local/sqlite-publication-store.ts';
import { type Deployment, DeploymentConflictError } from '../../../shared/ports/publication-store.ts';
import { type DeploymentChange, updateDeployment } from '../../../shared/registry/deployment.ts';
import {
  ExperimentStateError,
  promoteExperiment,
  startExperiment,
  stopExperiment,
} from '../../../shared/serving/experiments.ts';
import { dataDirLayout, resolveDataDir } from '../../data-dir.ts';
import { CliError } from '../errors.ts';
import { dataDirOption } from '../options.ts';

/**
 * Applies `change` to the deployment record (shared/registry/deployment.ts: re-applied after a lost race). Opens
 * the PublicationStore file itself rather than the runtime: the server may hold the data-dir lock, and sqlite
 * lets both use the record (WAL).
 */
async function update(dataDir: string, change: DeploymentChange): Promise<Deployment> {
  const store = createSqlitePublicationStore({ path: dataDirLayout(dataDir).servingDb });
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
  } finally {
    await store.close();
  }
}

function weight(value: string): number {
  const n = Number(value);
  if (!(n > 0 && n < 1)) throw new CliError(`--weight must be a number between 0 and 1, got ${value}`);
  return n;
}

function describe(d: Deployment): string {
  const e = d.experiment;
  const variants = e?.variants.map((v) => `${v.name}=${v.modelVersion} (${v.weight})`).join(', ');
  return `revision ${d.revision}: champion ${d.champion}${e !== undefined ? `; experiment ${e.name}: ${variants}` : ''}`;
}

export function registerExperiment(program: Command): void {
  const experiment = program
    .command('experiment')
    .description('A/B experiments: champion against a challenger model, in the deployment record');
  experiment
    .command('start <name>')
    .description('start serving a challenger to a share of shoppers (sticky per shopper)')
    .requiredOption('--challenger <version>', 'the model version to test against the champion')
    .option('--weight <share>', 'share of shoppers served the challenger, 0–1', '0.5')
    .addOption(dataDirOption())
    .action(async (name: string, options: { challenger: string; weight: string; dataDir?: string }) => {
      const dataDir = resolveDataDir(options.dataDir);
      const share = weight(options.weight);
      const models = createLocalModelStore({ root: dataDirLayout(dataDir).models });
      if (!(await models.list()).includes(options.challenger))
        throw new CliError(`no complete model ${options.challenger} under ${dataDirLayout(dataDir).models}`);
      const next = await update(dataDir, (d) =>
        startExperiment(d, { name, challenger: options.challenger, weight: share, now: new Date() }),
      );
      console.log(`experiment ${name} started — ${describe(next)}`);
    });
  experiment
    .command('promote <name>')
    .description("make the experiment's challenger the champion and end the experiment")
    .addOption(dataDirOption())
    .action(async (name: string, options: { dataDir?: string }) => {
      const next = await update(resolveDataDir(options.dataDir), (d) =>
        promoteExperiment(d, name, new Date()),
      );
      console.log(`experiment ${name} promoted — ${describe(next)}`);
    });
  experiment
    .command('stop <name>')
    .description('end the experiment; the champion serves everyone')
    .addOption(dataDirOption())
    .action(async (name: string, options: { dataDir?: string }) => {
      const next = await update(resolveDataDir(options.dataDir), (d) => stopExperiment(d, name, new Date()));
      console.log(`experiment ${name} stopped — ${describe(next)}`);
    });
}
