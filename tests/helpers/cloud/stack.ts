import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { awsClientConfig } from '../aws-clients.ts';
import type { CfnTemplate } from '../cloudformation.ts';
import { type Dynalite, startDynalite } from '../dynalite.ts';
import { type MotoServer, startMotoServer } from '../moto-server.ts';
import { packagedStage } from '../sls-package.ts';
import { apiRoutes } from './api-routes.ts';
import { emrStepRunner } from './emr-steps.ts';
import { standInEventBus } from './event-bus.ts';
import { standInStepFunctions } from './executions.ts';
import { standInFirehose } from './firehose.ts';
import { packagedLambdas } from './lambdas.ts';
import { deployToStandIns } from './stand-ins.ts';
import { templateResolver } from './template.ts';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const require = createRequire(import.meta.url);
type Hooks = Record<string, () => Promise<unknown>>;
const EmrJobPlugin = require('../../../jobs/emr/deploy-plugin.cjs') as {
  new (serverless: unknown, options: unknown, utils: unknown): { hooks: Hooks };
};

/** moto_server's account; the stand-in stack lives there so the ARNs the template resolves to are moto's. */
const STAND_IN_PLACE = { region: 'us-east-1', account: '123456789012' };

/**
 * A stage "deployed" to the stand-ins: `sls package` (the real artifacts), the compiled template's resources on
 * moto_server and dynalite, the deploy plugin's after-deploy upload against them, the packaged Lambdas behind the
 * template's API routes and event rules, and the packaged state machine definition run by the stand-in Step
 * Functions. `stop()` tears all of it down.
 */
export async function deployStandInStage(stage = 'ci') {
  const work = await mkdtemp(join(tmpdir(), `recsys-cloud-${stage}-`));
  const timings: Record<string, number> = {};
  const timed = async <T>(label: string, f: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await f();
    } finally {
      timings[label] = (performance.now() - t0) / 1000;
    }
  };
  let moto: MotoServer | undefined;
  let dynamo: Dynalite | undefined;
  const [packageDir, servers] = await Promise.all([
    timed('sls package', () => packagedStage(stage)),
    timed('start stand-ins', () => Promise.all([startMotoServer(), startDynalite()])),
  ]);
  [moto, dynamo] = servers;
  const template = JSON.parse(
    await readFile(join(packageDir, 'cloudformation-template-update-stack.json'), 'utf8'),
  ) as CfnTemplate;
  const stackName = `recsys-${stage}`;
  const resolver = templateResolver(template, { ...STAND_IN_PLACE, stackName });
  const stack = await timed('deploy', () =>
    deployToStandIns(template, resolver, { moto: moto!.endpoint, dynamodb: dynamo!.endpoint }, stackName),
  );

  // The deploy plugin's after-deploy hook, as `sls deploy` runs it, against the stand-in stack.
  const clientConfig = awsClientConfig(moto.endpoint);
  const plugin = new EmrJobPlugin(
    {
      config: { servicePath: REPO_ROOT },
      service: { provider: { stage }, custom: {} },
      getProvider: () => ({
        naming: { getStackName: () => stackName },
        getRegion: () => clientConfig.region,
        getAwsSdkV3Config: async () => clientConfig,
        getCloudFormationClient: async () => new CloudFormationClient(clientConfig),
      }),
    },
    {},
    { log: { notice() {}, info() {} } },
  );
  await timed('deploy plugin upload', () =>
    (plugin.hooks['after:deploy:deploy'] as () => Promise<unknown>)(),
  );

  const lambdas = await packagedLambdas({
    packageDir,
    extractDir: join(work, 'functions'),
    template,
    resolver,
    runtime: {
      region: STAND_IN_PLACE.region,
      motoEndpoint: moto.endpoint,
      dynamodbEndpoint: dynamo.endpoint,
    },
  });
  const steps = emrStepRunner({ motoEndpoint: moto.endpoint, workRoot: work });
  const stateMachine = Object.entries(template.Resources).find(
    ([, r]) => r.Type === 'AWS::StepFunctions::StateMachine',
  );
  if (stateMachine === undefined) throw new Error('the packaged template has no state machine');
  const definition = JSON.parse(
    resolver.resolve(stateMachine[1].Properties?.DefinitionString) as string,
  ) as Record<string, unknown>;
  const stepFunctions = standInStepFunctions({
    definition,
    stateMachineArn: resolver.ref(stateMachine[0]),
    motoEndpoint: moto.endpoint,
    lambdas,
    steps,
    ...(process.env.RECSYS_TEST_VERBOSE
      ? { onState: (line: string) => process.stderr.write(`${line}\n`) }
      : {}),
  });
  const bus = standInEventBus({ template, resolver, lambdas, motoEndpoint: moto.endpoint });
  const api = apiRoutes({ template, resolver, lambdas });
  const firehose = standInFirehose({ template, resolver, motoEndpoint: moto.endpoint });

  return {
    stage,
    stackName,
    template,
    resolver,
    stack,
    moto,
    dynamo,
    lambdas,
    steps,
    stepFunctions,
    bus,
    api,
    firehose,
    definition,
    timings,
    work,
    /** The name a resource of the template got, by logical id. */
    name: (logicalId: string) => resolver.nameOf(logicalId),
    async stop() {
      stepFunctions.close();
      bus.close();
      firehose.close();
      steps.close();
      await Promise.allSettled([moto?.stop(), dynamo?.stop()]);
      await rm(work, { recursive: true, force: true });
    },
  };
}

export type StandInStage = Awaited<ReturnType<typeof deployStandInStage>>;
