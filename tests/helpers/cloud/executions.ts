import * as cloudformation from '@aws-sdk/client-cloudformation';
import * as emr from '@aws-sdk/client-emr';
import * as glue from '@aws-sdk/client-glue';
import * as sagemaker from '@aws-sdk/client-sagemaker';
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { StateMachine } from 'aws-local-stepfunctions';
import { executionError, followExecution, type StateRecord } from '../../../local/pipeline/execution-log.ts';
import { awsClientConfig } from '../aws-clients.ts';
import type { EmrStepRunner, StepRun } from './emr-steps.ts';
import type { PackagedLambdas } from './lambdas.ts';

type Json = Record<string, unknown>;

export interface ExecutionRecord {
  executionArn: string;
  name: string;
  input: Json;
  status: 'SUCCEEDED' | 'FAILED';
  /** The last top-level state entered: the terminal state (Activate, NothingNew, TrainingFailed …). */
  lastState: string;
  output?: Json;
  error?: { name: string; cause: string };
  states: StateRecord[];
  steps: StepRun[];
  seconds: number;
}

/** The SDK clients of the optimized and aws-sdk integrations the definition uses, by Step Functions' service name. */
const SDK: Record<string, { module: Record<string, unknown>; client: string; prefix: string }> = {
  glue: { module: glue, client: 'GlueClient', prefix: 'Glue' },
  sagemaker: { module: sagemaker, client: 'SageMakerClient', prefix: 'SageMaker' },
  elasticmapreduce: { module: emr, client: 'EMRClient', prefix: 'EMR' },
  emr: { module: emr, client: 'EMRClient', prefix: 'EMR' },
  cloudformation: { module: cloudformation, client: 'CloudFormationClient', prefix: 'CloudFormation' },
};

/** Every Task state of a definition, Map item processors included, with its Resource. */
function taskStates(states: Json, into: Map<string, string> = new Map()): Map<string, string> {
  for (const [name, s] of Object.entries(states) as [string, Json][]) {
    if (s.Type === 'Task') into.set(name, s.Resource as string);
    const inner = (s.ItemProcessor ?? s.Iterator) as Json | undefined;
    if (inner) taskStates(inner.States as Json, into);
    for (const b of (s.Branches as Json[] | undefined) ?? []) taskStates(b.States as Json, into);
  }
  return into;
}

const upperFirst = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * The Step Functions service for the stand-in stack: the packaged definition (as the template gives it to
 * CloudFormation) run by aws-local-stepfunctions, with every Task bound to what its Resource names — a Lambda ARN
 * to that packaged function, `aws-sdk:<service>:<action>` and the EMR optimized integrations to the SDK call
 * against moto_server, and each EMR step's command run by the step runner. moto's Step Functions is the control
 * plane (StartExecution from the CLI and the Lambdas lands there); `runPending()` runs what was started there.
 * Waits and retry intervals are zero: the stand-ins answer at once.
 */
export function standInStepFunctions(options: {
  definition: Json;
  stateMachineArn: string;
  motoEndpoint: string;
  lambdas: PackagedLambdas;
  steps: EmrStepRunner;
  /** Each top-level state as it is entered (set RECSYS_TEST_VERBOSE=1 to see them on stderr). */
  onState?: (line: string) => void;
}) {
  const config = awsClientConfig(options.motoEndpoint);
  const clients = new Map<string, { send(c: unknown): Promise<unknown> }>();
  const client = (service: string) => {
    const sdk = SDK[service];
    if (sdk === undefined) throw new Error(`the stand-in has no SDK for Step Functions service ${service}`);
    let c = clients.get(service);
    if (c === undefined) {
      const Client = sdk.module[sdk.client] as new (cfg: unknown) => { send(c: unknown): Promise<unknown> };
      c = new Client(config);
      clients.set(service, c);
    }
    return c;
  };
  const sdkCall = async (service: string, action: string, input: Json): Promise<unknown> => {
    const sdk = SDK[service] as (typeof SDK)[string];
    const Command = sdk.module[`${upperFirst(action)}Command`] as (new (i: unknown) => unknown) | undefined;
    if (Command === undefined) throw new Error(`no ${upperFirst(action)}Command in the ${service} SDK`);
    try {
      const out = (await client(service).send(new Command(input))) as Json;
      const { $metadata: _, ...rest } = out;
      return rest;
    } catch (error) {
      // Step Functions names an aws-sdk integration's error <Service>.<Exception>.
      const e = error as Error;
      throw Object.assign(new Error(e.message), { name: `${sdk.prefix}.${e.name}` });
    }
  };
  const sfn = new SFNClient(config);
  const ran = new Set<string>();
  const records: ExecutionRecord[] = [];

  const tasks = taskStates(options.definition.States as Json);

  async function execute(
    name: string,
    input: Json,
    run: { inject?: (state: string) => Error | undefined; startTime?: Date } = {},
  ): Promise<ExecutionRecord> {
    const executionArn = `${options.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
    const steps: StepRun[] = [];
    const handlers: Record<string, (input: Json) => Promise<unknown>> = {};
    for (const [state, resource] of tasks) {
      const bound = bind(resource, steps);
      handlers[state] = async (i) => {
        const injected = run.inject?.(state);
        if (injected) throw injected;
        return bound(i);
      };
    }
    const startedAt = run.startTime ?? new Date();
    const machine = new StateMachine(options.definition as never, { validationOptions: { checkArn: false } });
    const execution = machine.run(input as never, {
      overrides: {
        taskResourceLocalHandlers: handlers as never,
        waitTimeOverrides: Object.fromEntries(
          Object.entries(options.definition.States as Json)
            .filter(([, s]) => (s as Json).Type === 'Wait')
            .map(([n]) => [n, 0]),
        ),
        retryIntervalOverrides: Object.fromEntries([...tasks.keys()].map((s) => [s, 0])),
      },
      context: {
        Execution: { Id: executionArn, Name: name, StartTime: startedAt.toISOString(), Input: input },
        StateMachine: { Id: options.stateMachineArn },
      } as never,
    });
    const followed = followExecution(execution, (state) => options.onState?.(`${name} ▶ ${state}`));
    let output: Json | undefined;
    let error: ExecutionRecord['error'];
    try {
      output = (await execution.result) as Json;
    } catch (e) {
      error = executionError(e);
    }
    await followed.done;
    const record: ExecutionRecord = {
      executionArn,
      name,
      input,
      status: error === undefined ? 'SUCCEEDED' : 'FAILED',
      lastState: followed.lastState(),
      ...(output !== undefined ? { output } : {}),
      ...(error !== undefined ? { error } : {}),
      states: followed.states,
      steps,
      seconds: (Date.now() - startedAt.getTime()) / 1000,
    };
    records.push(record);
    ran.add(executionArn);
    return record;
  }

  function bind(resource: string, steps: StepRun[]): (input: Json) => Promise<unknown> {
    if (resource.startsWith('arn:aws:lambda:')) return (i) => options.lambdas.invoke(resource, i);
    const sdkIntegration = /^arn:aws:states:::aws-sdk:([a-z0-9]+):(\w+)$/.exec(resource);
    if (sdkIntegration) return (i) => sdkCall(sdkIntegration[1] as string, sdkIntegration[2] as string, i);
    switch (resource) {
      case 'arn:aws:states:::elasticmapreduce:createCluster.sync':
        return async (i) => {
          const out = (await sdkCall('elasticmapreduce', 'runJobFlow', i)) as Json;
          return { ClusterId: out.JobFlowId, ClusterArn: out.ClusterArn };
        };
      case 'arn:aws:states:::elasticmapreduce:addStep.sync':
        return async (i) => {
          const step = i.Step as { HadoopJarStep: { Jar: string; Args: string[] } };
          const added = (await sdkCall('elasticmapreduce', 'addJobFlowSteps', {
            JobFlowId: i.ClusterId,
            Steps: [step],
          })) as { StepIds: string[] };
          try {
            steps.push(await options.steps.run(step.HadoopJarStep.Jar, step.HadoopJarStep.Args));
          } catch (e) {
            // addStep.sync fails the task when the step ends FAILED.
            throw Object.assign(new Error((e as Error).message), { name: 'States.TaskFailed' });
          }
          return { StepId: added.StepIds[0] };
        };
      case 'arn:aws:states:::elasticmapreduce:terminateCluster':
      case 'arn:aws:states:::elasticmapreduce:terminateCluster.sync':
        return async (i) => sdkCall('elasticmapreduce', 'terminateJobFlows', { JobFlowIds: [i.ClusterId] });
    }
    throw new Error(`the stand-in cannot run the Task resource ${resource}`);
  }

  return {
    execute,
    /** Runs, in start order, every execution started on moto's Step Functions that has not run here yet. */
    async runPending(): Promise<ExecutionRecord[]> {
      const listed = await sfn.send(new ListExecutionsCommand({ stateMachineArn: options.stateMachineArn }));
      const fresh = (listed.executions ?? [])
        .filter((e) => !ran.has(e.executionArn as string))
        .sort((a, b) => (a.startDate?.getTime() ?? 0) - (b.startDate?.getTime() ?? 0));
      const out: ExecutionRecord[] = [];
      for (const e of fresh) {
        const d = await sfn.send(new DescribeExecutionCommand({ executionArn: e.executionArn }));
        out.push(
          await execute(d.name as string, JSON.parse(d.input ?? '{}') as Json, {
            ...(d.startDate ? { startTime: d.startDate } : {}),
          }),
        );
      }
      return out;
    },
    records: () => records,
    close() {
      sfn.destroy();
      for (const c of clients.values()) (c as { destroy?: () => void }).destroy?.();
    },
  };
}
