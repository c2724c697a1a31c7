import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CliError } from '../errors.ts';

/** The deployed resources `--aws` commands act on, named by the stack's outputs (resources/outputs.yml). */
export interface AwsStage {
  stage: string;
  stackName: string;
  /** Undefined: the SDK's own resolution (AWS_REGION, the profile). */
  region: string | undefined;
  stateMachineArn: string;
  listsTable: string;
  deploymentTable: string;
  bucket: string;
  modelPackageGroup: string;
}

/** Output key per field: what the stack must declare for the CLI. */
const OUTPUTS = {
  stateMachineArn: 'RetrainStateMachineArn',
  listsTable: 'RecommendationListsTableName',
  deploymentTable: 'DeploymentTableName',
  bucket: 'LakeBucketName',
  modelPackageGroup: 'ModelPackageGroupName',
} as const;

export interface AwsOptions {
  aws?: boolean;
  stage?: string;
  region?: string;
}

/** The client settings every --aws command uses: the region, if given. */
export function clientConfig(stage: AwsStage): { region?: string } {
  return stage.region !== undefined ? { region: stage.region } : {};
}

/** An SDK failure as one line the user can act on (credentials, network, permissions), never a stack trace. */
export function awsError(what: string, error: unknown): CliError {
  const e = error as { name?: string; message?: string };
  return new CliError(`${what}: ${e.name ?? 'Error'}: ${e.message ?? String(error)}`, 1, { cause: error });
}

/**
 * Reads stack `recsys-<stage>`'s outputs. `--aws` without `--stage`, a stack that does not exist, or one that
 * lacks an output are each a one-line error naming what is missing.
 */
export async function resolveStage(opts: AwsOptions): Promise<AwsStage> {
  if (opts.stage === undefined || opts.stage === '')
    throw new CliError('--aws needs --stage NAME: which deployed stage (stack recsys-<stage>) to act on');
  const stackName = `recsys-${opts.stage}`;
  const region = opts.region;
  const client = new CloudFormationClient(region !== undefined ? { region } : {});
  let outputs: Record<string, string>;
  try {
    const out = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = out.Stacks?.[0];
    if (stack === undefined) throw new CliError(`no stack ${stackName}`);
    outputs = Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']));
  } catch (error) {
    if (error instanceof CliError) throw error;
    if (/does not exist/.test((error as Error).message ?? ''))
      throw new CliError(
        `no stack ${stackName} in ${region ?? (await client.config.region())}: deploy the stage (sls deploy --stage ${opts.stage}) or check --stage and --region`,
        1,
        { cause: error },
      );
    throw awsError(`reading stack ${stackName}`, error);
  } finally {
    client.destroy();
  }
  const missing = Object.values(OUTPUTS).filter((k) => !outputs[k]);
  if (missing.length > 0)
    throw new CliError(
      `stack ${stackName} lacks the output${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: deploy this version of the stage`,
    );
  const value = (k: keyof typeof OUTPUTS) => outputs[OUTPUTS[k]] as string;
  return {
    stage: opts.stage,
    stackName,
    region,
    stateMachineArn: value('stateMachineArn'),
    listsTable: value('listsTable'),
    deploymentTable: value('deploymentTable'),
    bucket: value('bucket'),
    modelPackageGroup: value('modelPackageGroup'),
  };
}
