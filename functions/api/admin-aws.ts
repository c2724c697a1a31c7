import { S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  type ExecutionStatus,
  ListExecutionsCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { describeS3Lake } from '../../shared/adapters/aws/s3-lake-description.ts';
import { createStepFunctionsExecutions } from '../../shared/adapters/aws/step-functions-executions.ts';
import { startRetrain } from '../../shared/registry/start-retrain.ts';
import { requireEnv } from '../../shared/runtime/config.ts';
import type { RunsPort, RunView } from './admin-runs/admin-runs.ts';
import { NotAvailableError } from './admin-runs/admin-runs.ts';

let sfn: SFNClient | undefined;
const client = () => {
  sfn ??= new SFNClient({});
  return sfn;
};

function viewOf(e: {
  name?: string | undefined;
  status?: ExecutionStatus | string | undefined;
  startDate?: Date | undefined;
  stopDate?: Date | undefined;
  output?: string | undefined;
  error?: string | undefined;
  cause?: string | undefined;
}): RunView {
  const started = e.startDate ?? new Date(0);
  const output = e.output ? (JSON.parse(e.output) as { model?: { modelVersion?: string } }) : undefined;
  return {
    name: e.name ?? '',
    kind: e.name?.startsWith('publish-') ? 'publish' : 'retrain',
    status: (e.status ?? 'RUNNING') as RunView['status'],
    outcome: null,
    startedAt: started.toISOString(),
    finishedAt: e.stopDate?.toISOString() ?? null,
    seconds: e.stopDate ? (e.stopDate.getTime() - started.getTime()) / 1000 : null,
    modelVersion: output?.model?.modelVersion ?? null,
    error: e.error ? { name: e.error, cause: e.cause ?? '' } : null,
  };
}

/**
 * The retrain state machine's executions on AWS (Step Functions ListExecutions, DescribeExecution,
 * StartExecution). The per-state record and the progress lines exist only locally; here the console shows each
 * execution's status, times and failure, and links nothing it cannot read.
 */
export function stepFunctionsRuns(): RunsPort {
  const arn = () => requireEnv('RECSYS_RETRAIN_STATE_MACHINE');
  return {
    async list() {
      const out = await client().send(new ListExecutionsCommand({ stateMachineArn: arn(), maxResults: 50 }));
      return (out.executions ?? []).map(viewOf);
    },
    async get(name) {
      const executionArn = `${arn().replace(':stateMachine:', ':execution:')}:${name}`;
      try {
        return viewOf(await client().send(new DescribeExecutionCommand({ executionArn })));
      } catch (error) {
        if ((error as Error).name === 'ExecutionDoesNotExist') return undefined;
        throw error;
      }
    },
    // The one safe start (shared/registry/start-retrain.ts): named by the lake's fingerprint and the model, so a
    // console click, `recsys retrain --aws` and the schedule for the same data train once.
    async start(request) {
      if (request.requireApproval)
        throw new NotAvailableError(
          "on AWS the stage's approval policy decides (prod waits for a person); requireApproval applies locally only",
        );
      const { retrain } = await startRetrain(
        {
          describeLake: describeS3Lake({
            client: new S3Client({}),
            bucket: requireEnv('RECSYS_LAKE_BUCKET'),
          }),
          executions: createStepFunctionsExecutions({ client: client(), stateMachineArn: arn() }),
        },
        { stage: requireEnv('RECSYS_STAGE'), model: request.model, trigger: 'console' },
      );
      return { name: retrain.name };
    },
  };
}
