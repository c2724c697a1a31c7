import { ListStateMachinesCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
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
import { dataDirOption } from '../options.ts';
import { formatRunStates } from '../run-report.ts';
import { positiveNumber } from './train.ts';

const stageOption = () =>
  new Option(
    '--stage <name>',
    'the stage whose policies (quality gate, approval) and registry group apply',
  ).default(LOCAL_STAGE);

function printRun(run: RunRecord): void {
  if (run.status === 'SKIPPED') {
    console.log(`${run.name}: SKIPPED (${run.outcome}; model ${run.modelVersion ?? '—'})`);
    return;
  }
  for (const line of formatRunStates(run)) console.log(line);
  console.log(
    `${run.name}: ${run.status} at ${run.outcome}${run.modelVersion ? ` (model ${run.modelVersion})` : ''}`,
  );
  if (run.error) console.log(`  ${run.error.name}: ${run.error.cause}`);
}

async function startOnAws(opts: { stage: string; stateMachineArn?: string; engine: string; model: string }) {
  const client = new SFNClient({});
  let arn = opts.stateMachineArn ?? process.env.RECSYS_RETRAIN_STATE_MACHINE_ARN;
  const wanted = `recsys-${opts.stage}-retrain`;
  if (arn === undefined) {
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListStateMachinesCommand({ ...(token ? { nextToken: token } : {}) }),
      );
      arn = page.stateMachines?.find((m) => m.name === wanted)?.stateMachineArn;
      token = arn === undefined ? page.nextToken : undefined;
    } while (token !== undefined);
  }
  if (arn === undefined)
    throw new CliError(
      `no state machine ${wanted} in this account/region: deploy the stage or pass --state-machine-arn`,
    );
  const out = await client.send(
    new StartExecutionCommand({
      stateMachineArn: arn,
      // Prepare finds a repeat of the same data by its fingerprint; the name only has to be unique.
      name: `cli-${new Date().toISOString().replace(/[:.]/g, '-')}`,
      input: JSON.stringify({ trigger: 'cli', model: opts.model }),
    }),
  );
  console.log(`started ${out.executionArn}`);
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
    .addOption(
      new Option('--aws', 'start an execution of the deployed state machine instead (StartExecution)').env(
        'RECSYS_RETRAIN_ON_AWS',
      ),
    )
    .addOption(
      new Option(
        '--state-machine-arn <arn>',
        'with --aws: the state machine (default: recsys-<stage>-retrain)',
      ),
    )
    .action(
      async (opts: {
        dataDir: string;
        stage: string;
        engine: 'typescript' | 'spark';
        model: ModelChoice;
        budget: number;
        aws?: boolean;
        stateMachineArn?: string;
      }) => {
        if (opts.aws) return startOnAws(opts);
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
      },
    );

  program
    .command('models')
    .description('registered model versions: metrics, gate decision, approval status, which one serves')
    .addOption(dataDirOption())
    .addOption(stageOption())
    .option('--json', 'print the packages as JSON')
    .action(async (opts: { dataDir: string; stage: string; json?: boolean }) => {
      const dataDir = resolveDataDir(opts.dataDir);
      const packages = await localRegistry(dataDir, opts.stage).list();
      const store = createSqlitePublicationStore({ path: dataDirLayout(dataDir).servingDb });
      const deployment = await store.getDeployment().finally(() => store.close());
      if (opts.json) {
        console.log(JSON.stringify({ deployment: deployment ?? null, packages }, null, 2));
        return;
      }
      if (packages.length === 0) {
        console.log('no registered versions yet: run `recsys retrain`');
        return;
      }
      const k = packages[0]?.metrics.k ?? 10;
      console.log(
        `#    version                    status                 nDCG@${k}  popularity  gate    serves`,
      );
      for (const p of packages) {
        const serves =
          deployment?.champion === p.modelVersion
            ? 'champion'
            : deployment?.previousChampion === p.modelVersion
              ? '(previous)'
              : '';
        console.log(
          `${String(p.modelPackageVersion).padEnd(4)} ${p.modelVersion.padEnd(26)} ${p.approvalStatus.padEnd(22)} ${(p.metrics['model.ndcg'] ?? Number.NaN).toFixed(4).padStart(8)}  ${(p.metrics['baseline.ndcg'] ?? Number.NaN).toFixed(4).padStart(10)}  ${(p.gate.passed ? 'passed' : 'failed').padEnd(6)}  ${serves}`,
        );
        if (!p.gate.passed)
          for (const r of p.gate.reasons.filter((x) => x.startsWith('FAILED'))) console.log(`       ${r}`);
        if (p.approvalDescription) console.log(`       ${p.approvalDescription}`);
      }
    });

  const statusCommand = (name: 'approve' | 'reject', what: string) =>
    program
      .command(`${name} <version>`)
      .description(what)
      .addOption(dataDirOption())
      .addOption(stageOption())
      .option('--description <text>', 'why (recorded as the ApprovalDescription)')
      .action(async (version: string, opts: { dataDir: string; stage: string; description?: string }) => {
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
          console.log(
            `${version}: ${name === 'approve' ? 'Approved' : 'Rejected'}; ${JSON.stringify(action)}`,
          );
        } catch (error) {
          if (error instanceof ModelPackageNotFoundError)
            throw new CliError(`${version} is not registered (see recsys models)`);
          throw new CliError((error as Error).message, 1, { cause: error });
        }
      });
  statusCommand('approve', 'approve a registered version: it is published and serves');
  statusCommand('reject', 'reject a version: if it serves, the newest Approved version serves again');

  program
    .command('rollback <version>')
    .description('serve an Approved version again (its lists are republished, then it is activated)')
    .addOption(dataDirOption())
    .addOption(stageOption())
    .action(async (version: string, opts: { dataDir: string; stage: string }) => {
      let run: RunRecord;
      try {
        run = await rollbackTo({ dataDir: resolveDataDir(opts.dataDir), stage: opts.stage, version });
      } catch (error) {
        throw new CliError((error as Error).message, 1, { cause: error });
      }
      printRun(run);
      if (run.status === 'FAILED') process.exitCode = 1;
    });

  program
    .command('runs')
    .description('state machine executions run here: states, durations, outcome')
    .addOption(dataDirOption())
    .option('--json', 'print the run records as JSON')
    .action(async (opts: { dataDir: string; json?: boolean }) => {
      const runs = await listRuns(resolveDataDir(opts.dataDir));
      if (opts.json) {
        console.log(JSON.stringify(runs, null, 2));
        return;
      }
      if (runs.length === 0) console.log('no runs yet: run `recsys retrain`');
      for (const r of runs) {
        const slowest = [...r.states].sort((a, b) => b.seconds - a.seconds)[0];
        console.log(
          `${r.startedAt}  ${r.status.padEnd(9)} ${r.outcome.padEnd(18)} ${r.seconds.toFixed(1).padStart(7)} s  ${r.name}${r.modelVersion ? `  model ${r.modelVersion}` : ''}${slowest ? `  (slowest: ${slowest.name} ${slowest.seconds.toFixed(1)} s)` : ''}`,
        );
        if (r.error) console.log(`    ${r.error.name}: ${r.error.cause}`);
      }
    });
}
