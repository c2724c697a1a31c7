import { type Command, Option } from 'commander';
import { createSqlitePublicationStore } from '../../../shared/adapters/local/sqlite-publication-store.ts';
import { MODEL_CHOICES, type ModelChoice } from '../../../shared/model/model-choice.ts';
import { ModelPackageNotFoundError } from '../../../shared/ports/model-registry.ts';
import { dataDirLayout, resolveDataDir } from '../../data-dir.ts';
import { approveVersion, rejectVersion, rollbackTo } from '../../pipeline/approval.ts';
import {
  LOCAL_STAGE,
  listRuns,
  localRegistry,
  type RunRecord,
  runRetrainLocally,
} from '../../pipeline/retrain.ts';
import { CliError } from '../errors.ts';
import { awsOption, dataDirOption, regionOption } from '../options.ts';
import { refreshLocalLists } from '../refresh-lists.ts';
import { formatModels, formatRun, formatRunList } from '../run-report.ts';
import { positiveNumber } from './train.ts';

const stageOption = () =>
  new Option(
    '--stage <name>',
    'the stage whose policies (quality gate, approval) and registry group apply; with --aws, the deployed stage (required)',
  ).default(LOCAL_STAGE);

// Each --aws branch imports its wiring (local/cli/aws/) when taken: a local command loads no AWS SDK client.

function printRun(run: RunRecord): void {
  for (const line of formatRun(run)) console.log(line);
}

/** --stage as typed: undefined when left at its local default, so `--aws` alone is refused by resolveStage. */
function typedStage(command: Command, stage: string | undefined): string | undefined {
  return command.getOptionValueSource('stage') === 'default' ? undefined : stage;
}

export function registerRetrain(program: Command): void {
  program
    .command('retrain')
    .description(
      'run the retraining state machine (statemachines/retrain.asl.yml): here, or on AWS with --aws',
    )
    .addOption(dataDirOption())
    .addOption(stageOption())
    .addOption(
      new Option('--engine <engine>', 'local trainer standing in for EMR')
        .choices(['typescript', 'spark'])
        .default('typescript'),
    )
    .addOption(new Option('--model <model>', 'what to train').choices([...MODEL_CHOICES]).default('auto'))
    .addOption(
      new Option('--budget <seconds>', 'model-search budget of the TypeScript trainer')
        .argParser(positiveNumber)
        .default(10),
    )
    .addOption(awsOption())
    .addOption(regionOption())
    .option('--dry-run', 'with --aws: print what would run and what it would cost, and start nothing')
    .action(
      async (
        opts: {
          dataDir: string;
          stage: string;
          engine: 'typescript' | 'spark';
          model: ModelChoice;
          budget: number;
          aws?: boolean;
          region?: string;
          dryRun?: boolean;
        },
        command: Command,
      ) => {
        if (opts.aws)
          return (await import('../aws/retrain.ts')).retrainOnAws({
            stage: typedStage(command, opts.stage),
            ...(opts.region !== undefined ? { region: opts.region } : {}),
            model: opts.model,
            ...(opts.dryRun ? { dryRun: true } : {}),
          });
        if (opts.dryRun) throw new CliError('--dry-run goes with --aws (a local retrain is its own dry run)');
        const dataDir = resolveDataDir(opts.dataDir);
        let run: RunRecord;
        try {
          run = await runRetrainLocally({
            dataDir,
            stage: opts.stage,
            engine: opts.engine,
            model: opts.model,
            budgetSeconds: opts.budget,
            onProgress: (line) => console.log(line),
          });
        } catch (error) {
          throw new CliError((error as Error).message, 1, { cause: error });
        }
        printRun(run);
        if (run.status === 'FAILED') process.exitCode = 1;
        else {
          const refreshes = await refreshLocalLists(dataDir, opts.stage, printRun);
          if (refreshes.some((r) => r.status === 'FAILED')) process.exitCode = 1;
        }
      },
    );

  program
    .command('models')
    .description('registered model versions: metrics, gate decision, approval status, which one serves')
    .addOption(dataDirOption())
    .addOption(stageOption())
    .addOption(awsOption())
    .addOption(regionOption())
    .option('--json', 'print the packages as JSON')
    .action(
      async (
        opts: { dataDir: string; stage: string; json?: boolean; aws?: boolean; region?: string },
        command: Command,
      ) => {
        if (opts.aws)
          return (await import('../aws/registry.ts')).modelsOnAws({
            ...opts,
            stage: typedStage(command, opts.stage),
          });
        const dataDir = resolveDataDir(opts.dataDir);
        const packages = await localRegistry(dataDir, opts.stage).list();
        const store = createSqlitePublicationStore({ path: dataDirLayout(dataDir).servingDb });
        const deployment = await store.getDeployment().finally(() => store.close());
        console.log(
          opts.json
            ? JSON.stringify({ deployment: deployment ?? null, packages }, null, 2)
            : formatModels(packages, deployment).join('\n'),
        );
      },
    );

  const statusCommand = (name: 'approve' | 'reject', what: string) =>
    program
      .command(`${name} <version>`)
      .description(what)
      .addOption(dataDirOption())
      .addOption(stageOption())
      .addOption(awsOption())
      .addOption(regionOption())
      .option('--description <text>', 'why (recorded as the ApprovalDescription)')
      .action(
        async (
          version: string,
          opts: { dataDir: string; stage: string; description?: string; aws?: boolean; region?: string },
          command: Command,
        ) => {
          const status = name === 'approve' ? 'Approved' : 'Rejected';
          if (opts.aws)
            return (await import('../aws/registry.ts')).changeStatusOnAws({
              ...opts,
              stage: typedStage(command, opts.stage),
              version,
              status,
            });
          const dataDir = resolveDataDir(opts.dataDir);
          try {
            const change = name === 'approve' ? approveVersion : rejectVersion;
            const result = await change({
              dataDir,
              stage: opts.stage,
              version,
              ...(opts.description !== undefined ? { description: opts.description } : {}),
            });
            if (result.run) printRun(result.run);
            const { run: _run, ...action } = result;
            console.log(`${version}: ${status}; ${JSON.stringify(action)}`);
          } catch (error) {
            if (error instanceof ModelPackageNotFoundError)
              throw new CliError(`${version} is not registered (see recsys models)`);
            throw new CliError((error as Error).message, 1, { cause: error });
          }
        },
      );
  statusCommand('approve', 'approve a registered version: it is published and serves');
  statusCommand('reject', 'reject a version: if it serves, the newest Approved version serves again');

  program
    .command('rollback <version>')
    .description('serve an Approved version again (its lists are republished, then it is activated)')
    .addOption(dataDirOption())
    .addOption(stageOption())
    .addOption(awsOption())
    .addOption(regionOption())
    .action(
      async (
        version: string,
        opts: { dataDir: string; stage: string; aws?: boolean; region?: string },
        command: Command,
      ) => {
        if (opts.aws)
          return (await import('../aws/registry.ts')).rollbackOnAws({
            ...opts,
            stage: typedStage(command, opts.stage),
            version,
          });
        let run: RunRecord;
        try {
          run = await rollbackTo({ dataDir: resolveDataDir(opts.dataDir), stage: opts.stage, version });
        } catch (error) {
          throw new CliError((error as Error).message, 1, { cause: error });
        }
        printRun(run);
        if (run.status === 'FAILED') process.exitCode = 1;
      },
    );

  program
    .command('runs')
    .description('state machine executions: run here, or of the deployed stage with --aws')
    .addOption(dataDirOption())
    .addOption(new Option('--stage <name>', 'with --aws: the deployed stage'))
    .addOption(awsOption())
    .addOption(regionOption())
    .addOption(
      new Option('--limit <n>', 'with --aws: how many of the newest executions')
        .argParser(positiveNumber)
        .default(20),
    )
    .option('--json', 'print the run records as JSON')
    .action(
      async (opts: {
        dataDir: string;
        stage?: string;
        json?: boolean;
        aws?: boolean;
        region?: string;
        limit: number;
      }) => {
        if (opts.aws)
          return (await import('../aws/runs.ts')).runsOnAws({ ...opts, limit: Math.floor(opts.limit) });
        const runs = await listRuns(resolveDataDir(opts.dataDir));
        console.log(opts.json ? JSON.stringify(runs, null, 2) : formatRunList(runs).join('\n'));
      },
    );
}
