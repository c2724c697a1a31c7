import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';
import { createActivateModel } from '../../functions/pipeline/activate-model/activate-model.ts';
import { createCheckPublication } from '../../functions/pipeline/check-publication/check-publication.ts';
import { createEvaluateModel } from '../../functions/pipeline/evaluate-model/evaluate-model.ts';
import { createListRecommendationParts } from '../../functions/pipeline/list-recommendation-parts/list-recommendation-parts.ts';
import { createPrepareRun } from '../../functions/pipeline/prepare-run/prepare-run.ts';
import { createWriteRecommendations } from '../../functions/pipeline/write-recommendations/write-recommendations.ts';
import { describeLocalLake } from '../../shared/adapters/local/lake-reader.ts';
import { createLocalModelStore } from '../../shared/adapters/local/model-store.ts';
import { createSqlitePublicationStore } from '../../shared/adapters/local/sqlite-publication-store.ts';
import { stageConfig } from '../../shared/evaluation/quality-gate.ts';
import type { ModelChoice } from '../../shared/model/model-choice.ts';
import { EXECUTION_TAG } from '../../shared/ports/cluster-control.ts';
import type { CreateModelPackageInput } from '../../shared/ports/model-registry.ts';
import type { TrainingEngine } from '../../shared/ports/training-engine.ts';
import { retrainExecutionName } from '../../shared/registry/start-retrain.ts';
import { dataDirLayout } from '../data-dir.ts';
import { LOCAL_STAGE, localRegistry, SERVICE } from '../registry.ts';
import { createSparkTrainingEngine } from '../training/spark.ts';
import { createTypeScriptTrainingEngine } from '../training/typescript-engine.ts';
import { loadRetrainDefinition } from './asl.ts';
import { executionError, followExecution, type StateRecord } from './execution-log.ts';
import { createLocalCrawler, localClusters, writeJsonAtomically } from './local-services.ts';

export { LOCAL_STAGE, localRegistry };

export interface LocalRetrainOptions {
  dataDir: string;
  stage?: string;
  engine?: 'typescript' | 'spark';
  model?: ModelChoice;
  /** The TypeScript trainer's model-search budget (auto/hybrid). */
  budgetSeconds?: number;
  /** Publish and activate this registered version instead of training (approval, rollback). */
  publish?: { version: string; reason: string };
  /** Replaces the engine `engine` names (tests inject one that fails). */
  trainingEngine?: TrainingEngine;
  /**
   * The state machine's ChooseTrainer threshold (`singleNodeTrainingMaxBytes` on AWS): a raw events zone of at
   * most this many bytes goes to TrainOnPrimary, a larger one to TrainStep. Default: the route of the chosen
   * engine (typescript: TrainOnPrimary, as on AWS for data that fits one machine; spark: TrainStep). Both
   * states run the chosen engine here.
   */
  singleNodeMaxBytes?: number;
  /** Register a version that passes the gate PendingManualApproval, whatever the stage's policy (the console). */
  requireApproval?: boolean;
  /** The local crawler never reports READY (tests: the crawler timeout path). */
  crawlerNeverReady?: boolean;
  onProgress?: (line: string) => void;
}

export interface RunRecord {
  name: string;
  kind: 'retrain' | 'publish';
  stage: string;
  engine: string;
  status: 'SUCCEEDED' | 'FAILED' | 'SKIPPED';
  /** The terminal state reached (Activate, GateRejected, AwaitingApproval, NothingNew, CrawlTimedOut …). */
  outcome: string;
  startedAt: string;
  finishedAt: string;
  seconds: number;
  modelVersion?: string;
  states: StateRecord[];
  output?: unknown;
  error?: { name: string; cause: string };
}

export async function listRuns(dataDir: string): Promise<RunRecord[]> {
  const dir = dataDirLayout(dataDir).runs;
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json'));
  const runs = await Promise.all(
    names.map(async (n) => JSON.parse(await readFile(join(dir, n), 'utf8')) as RunRecord),
  );
  return runs.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}

function argAfter(args: unknown, flag: string): string {
  if (!Array.isArray(args)) throw new Error('the EMR step has no Args array');
  const i = args.indexOf(flag);
  const v = args[i + 1];
  if (i < 0 || typeof v !== 'string') throw new Error(`the EMR step's Args lack ${flag}`);
  return v;
}

/**
 * Both training states (the TypeScript trainer on the primary node, the Spark step) as an EMR step here: the
 * local engine run on the step's own arguments (--version, --model), the cluster record updated as
 * addStep.sync would see it.
 */
function trainingStep(deps: {
  engine: TrainingEngine;
  clusters: ReturnType<typeof localClusters>;
  budgetSeconds?: number;
  log: (line: string) => void;
}) {
  const { engine, clusters, log } = deps;
  return async (i: { ClusterId: string; Step: { Name: string; HadoopJarStep: { Args: string[] } } }) => {
    const args = i.Step.HadoopJarStep.Args;
    const version = argAfter(args, '--version');
    const model = argAfter(args, '--model') as ModelChoice;
    await clusters.update(i.ClusterId, (c) => {
      c.state = 'RUNNING';
      c.steps.push({ name: i.Step.Name, state: 'RUNNING' });
    });
    try {
      await engine.train({
        source: { kind: 'lake' },
        model,
        version,
        ...(deps.budgetSeconds !== undefined ? { budgetSeconds: deps.budgetSeconds } : {}),
        onProgress: (m) => log(`  train: ${m}`),
      });
    } catch (error) {
      await clusters.update(i.ClusterId, (c) => {
        c.state = 'WAITING';
        const s = c.steps.at(-1);
        if (s) Object.assign(s, { state: 'FAILED', error: (error as Error).message });
      });
      // What addStep.sync reports when the step fails.
      throw Object.assign(new Error(`step ${i.Step.Name} failed: ${(error as Error).message}`), {
        name: 'States.TaskFailed',
      });
    }
    await clusters.update(i.ClusterId, (c) => {
      c.state = 'WAITING';
      const s = c.steps.at(-1);
      if (s) s.state = 'COMPLETED';
    });
    return {};
  };
}

/**
 * Runs statemachines/retrain.asl.yml here with aws-local-stepfunctions. Each Task state is bound to its local
 * implementation: the crawler to a partition scan, EMR to the local TrainingEngine with a record of
 * "clusters" (`<data-dir>/clusters.json`), SageMaker to the file registry, the Lambdas to the same factories
 * with local adapters. The execution name is deterministic (the lake's newest object + configuration), so a
 * second trigger for the same data finds its run and does nothing. Each run is recorded in `<data-dir>/runs/`.
 */
export async function runRetrainLocally(options: LocalRetrainOptions): Promise<RunRecord> {
  const layout = dataDirLayout(options.dataDir);
  const dataDir = layout.root;
  const stage = options.stage ?? LOCAL_STAGE;
  const engineName = options.trainingEngine?.name ?? options.engine ?? 'typescript';
  const model = options.model ?? 'auto';
  const log = options.onProgress ?? (() => {});
  const lakeRoot = layout.lake;
  const models = createLocalModelStore({ root: layout.models });
  const registry = localRegistry(dataDir, stage);
  const describeLake = describeLocalLake(lakeRoot);
  const clusters = localClusters(layout.clusters);
  const crawler = createLocalCrawler({
    lakeRoot,
    catalogPath: layout.crawlerCatalog,
    ...(options.crawlerNeverReady ? { neverReady: true } : {}),
    onCrawled: (summary) =>
      log(
        `crawled ${summary.objects} objects in ${summary.partitions.length} partitions; fields: ${Object.keys(summary.schema).join(', ')}`,
      ),
  });

  const startedAt = new Date();
  let name: string;
  if (options.publish !== undefined) {
    name = `publish-${options.publish.version}-${startedAt.getTime()}`;
  } else {
    const lake = await describeLake();
    if (lake === undefined)
      throw new Error(
        `the lake ${join(lakeRoot, 'raw/events')} holds no events: import or ingest some first`,
      );
    name = retrainExecutionName(lake, { stage, engine: engineName, model });
    const previous = (await listRuns(dataDir)).find((r) => r.name === name && r.status === 'SUCCEEDED');
    if (previous !== undefined) {
      log(`${name} ran already for this data (${previous.outcome}, ${previous.startedAt}): nothing to do`);
      return { ...previous, status: 'SKIPPED', outcome: `duplicate of ${previous.name}` };
    }
  }
  const executionArn = `arn:aws:states:us-east-1:000000000000:execution:${SERVICE}-${stage}-retrain:${name}`;
  const input: Record<string, string> =
    options.publish !== undefined
      ? { publishVersion: options.publish.version, reason: options.publish.reason }
      : { trigger: 'cli', engine: engineName, model };

  const publications = createSqlitePublicationStore({ path: layout.servingDb });
  const engine =
    options.trainingEngine ??
    (engineName === 'spark'
      ? createSparkTrainingEngine({ dataDir })
      : createTypeScriptTrainingEngine({ dataDir }));
  const artifactUri = (v: string) => models.location(v);
  const lambdas = {
    Prepare: createPrepareRun({ describeLake, registry, artifactUri }),
    Evaluate: createEvaluateModel({
      models,
      registry,
      stage: options.requireApproval ? (s) => ({ ...stageConfig(s), autoApprove: false }) : stageConfig,
      artifactUri,
    }),
    ListParts: createListRecommendationParts({ models }),
    WriteRecommendations: createWriteRecommendations({ models, publications }),
    CheckPublication: createCheckPublication({ models, publications }),
    Activate: createActivateModel({ publications }),
  };
  const terminate = async (i: unknown) => {
    await clusters.terminate([(i as { ClusterId: string }).ClusterId]);
    return {};
  };
  const train = trainingStep({
    engine,
    clusters,
    log,
    ...(options.budgetSeconds !== undefined ? { budgetSeconds: options.budgetSeconds } : {}),
  });
  const handlers: Record<string, (input: never) => Promise<unknown>> = {
    ...lambdas,
    StartCrawler: async () => {
      await crawler.start();
      return {};
    },
    // GetCrawler's response shape, as the Choice states read it.
    GetCrawler: async () => {
      const st = await crawler.status();
      return {
        Crawler: { State: st.state, ...(st.lastCrawl ? { LastCrawl: { Status: st.lastCrawl.status } } : {}) },
      };
    },
    CreateCluster: async (i: {
      Name: string;
      Tags: { Key: string; Value: string }[];
      Instances: { InstanceGroups: { InstanceRole: string; InstanceCount: number }[] };
    }) => {
      const c = await clusters.create(
        i.Name,
        Object.fromEntries(i.Tags.map((t) => [t.Key, t.Value])),
        i.Instances.InstanceGroups.map((g) => ({ role: g.InstanceRole, count: g.InstanceCount })),
      );
      log(`cluster ${c.id} (${engine.name} trainer) for ${i.Name}`);
      return { ClusterId: c.id };
    },
    TrainOnPrimary: train,
    TrainStep: train,
    TerminateCluster: terminate,
    TerminateAfterFailure: terminate,
    Register: async (i: CreateModelPackageInput) => {
      const p = await registry.createModelPackage(i);
      log(
        `registered ${p.modelVersion} as ${p.modelPackageGroupName}/${p.modelPackageVersion}: ${p.approvalStatus}`,
      );
      return { ModelPackageArn: p.modelPackageArn };
    },
  };

  const definition = await loadRetrainDefinition({
    'self:service': SERVICE,
    'sls:stage': stage,
    'aws:region': 'us-east-1',
    // This machine is the whole "cluster": one core group of one node when the route asks for core nodes.
    'param:emrInstanceType': 'local',
    'param:emrCoreCount': 1,
    'param:singleNodeTrainingMaxBytes':
      options.singleNodeMaxBytes ?? (engineName === 'spark' ? -1 : Number.MAX_SAFE_INTEGER),
  });
  const machine = new StateMachine(definition as never, { validationOptions: { checkArn: false } });
  const execution = machine.run(input, {
    overrides: {
      taskResourceLocalHandlers: handlers as never,
      waitTimeOverrides: { WaitForCrawler: 0 },
      retryIntervalOverrides: Object.fromEntries(
        [
          'Prepare',
          'StartCrawler',
          'GetCrawler',
          'CreateCluster',
          'TerminateCluster',
          'TerminateAfterFailure',
          'Evaluate',
          'Register',
          'ListParts',
          'WriteRecommendations',
          'CheckPublication',
          'Activate',
        ].map((s) => [s, 0]),
      ),
    },
    context: {
      Execution: { Id: executionArn, Name: name, StartTime: startedAt.toISOString(), Input: input },
    } as never,
  });

  const followed = followExecution(execution, (state) => log(`▶ ${state}`));

  let output: unknown;
  let error: RunRecord['error'];
  try {
    output = await execution.result;
  } catch (e) {
    error = executionError(e);
  } finally {
    await publications.close();
  }
  await followed.done;
  const lastState = followed.lastState();
  const finishedAt = new Date();
  const modelVersion =
    options.publish?.version ??
    (output as { model?: { modelVersion?: string } } | undefined)?.model?.modelVersion;
  const record: RunRecord = {
    name,
    kind: options.publish !== undefined ? 'publish' : 'retrain',
    stage,
    engine: engineName,
    status: error === undefined ? 'SUCCEEDED' : 'FAILED',
    outcome: lastState,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    seconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
    ...(modelVersion !== undefined ? { modelVersion } : {}),
    states: followed.states,
    ...(output !== undefined ? { output } : {}),
    ...(error !== undefined ? { error } : {}),
  };
  await writeJsonAtomically(join(layout.runs, `${name}.json`), record);
  // The FAILED execution's EventBridge rule → the cleanup Lambda: terminate whatever still carries its tag.
  if (error !== undefined) {
    const left = await clusters.activeClustersTagged(EXECUTION_TAG, executionArn);
    if (left.length > 0) await clusters.terminate(left);
  }
  return record;
}
