import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, type ScalarTag } from 'yaml';
import {
  asArray,
  type CfnTemplate,
  type PolicyStatement,
  resourcesOfType,
} from '../helpers/cloudformation.ts';

const require = createRequire(import.meta.url);
const aslValidator = require('asl-validator') as (d: unknown) => {
  isValid: boolean;
  errorsText: (sep?: string) => string;
};

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SLS_BIN = join(REPO_ROOT, 'node_modules', 'osls', 'bin', 'serverless.js');
const ASL_FILE = join(REPO_ROOT, 'statemachines', 'retrain.asl.yml');

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type State = Record<string, Json> & { Type: string };

/** What a placeholder of the plugin's Fn::Sub stands for, as one comparable token. */
function token(value: unknown): string {
  const v = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
  if (typeof v.Ref === 'string') return `Ref:${v.Ref}`;
  if (Array.isArray(v['Fn::GetAtt'])) return `GetAtt:${v['Fn::GetAtt'].join('.')}`;
  return `Unknown:${JSON.stringify(value)}`;
}

/** The packaged definition with every placeholder replaced by its token. */
function packagedDefinition(definitionString: unknown): Record<string, Json> {
  const sub = (definitionString as { 'Fn::Sub': [string, Record<string, unknown>] })['Fn::Sub'];
  const [text, map] = Array.isArray(sub) ? sub : [sub as unknown as string, {}];
  return JSON.parse(
    text.replace(/\$\{([0-9a-f]{32})\}/g, (whole, id: string) => (id in map ? token(map[id]) : whole)),
  );
}

/** The file as serverless reads it: `!GetAtt fn.Arn` names a function key, packaged as its logical id. */
function fileDefinition(): Record<string, Json> {
  const logicalId = (fn: string) => `${fn[0]?.toUpperCase()}${fn.slice(1)}LambdaFunction`;
  const tags: ScalarTag[] = [
    { tag: '!GetAtt', resolve: (v: string) => `GetAtt:${logicalId(v.replace(/\.Arn$/, ''))}.Arn` },
    { tag: '!Ref', resolve: (v: string) => `Ref:${v}` },
  ];
  return parse(readFileSync(ASL_FILE, 'utf8'), { customTags: tags }) as Record<string, Json>;
}

/** Deep equality where a file string holding `${…}` matches any resolved value in its place. */
function assertMatches(file: Json, packaged: Json, path = '$'): void {
  if (typeof file === 'string' && file.includes('${')) {
    const pattern = new RegExp(
      `^${file
        .split(/\$\{[^}]+\}/)
        .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('.+')}$`,
    );
    expect(String(packaged), path).toMatch(pattern);
    return;
  }
  if (Array.isArray(file)) {
    expect(Array.isArray(packaged), path).toBe(true);
    expect((packaged as Json[]).length, path).toBe(file.length);
    for (const [i, f] of file.entries()) assertMatches(f, (packaged as Json[])[i] as Json, `${path}[${i}]`);
    return;
  }
  if (file !== null && typeof file === 'object') {
    expect(Object.keys(packaged as object).sort(), path).toEqual(Object.keys(file).sort());
    for (const [k, f] of Object.entries(file))
      assertMatches(f, (packaged as Record<string, Json>)[k] as Json, `${path}.${k}`);
    return;
  }
  expect(packaged, path).toEqual(file);
}

function allStates(states: Record<string, State>): [string, State][] {
  const out: [string, State][] = [];
  for (const [name, s] of Object.entries(states)) {
    out.push([name, s]);
    const inner = (s.ItemProcessor ?? s.Iterator) as { States?: Record<string, State> } | undefined;
    if (inner?.States) out.push(...allStates(inner.States));
  }
  return out;
}

/** The IAM actions a Task's resource performs (Step Functions' service integration docs). */
function actionsOf(resource: string): string[] {
  const sdk = /^arn:aws:states:::aws-sdk:(\w+):(\w+)$/.exec(resource);
  if (sdk) return [`${sdk[1]}:${sdk[2]![0]!.toUpperCase()}${sdk[2]!.slice(1)}`];
  switch (resource) {
    case 'arn:aws:states:::elasticmapreduce:createCluster.sync':
      return [
        'elasticmapreduce:RunJobFlow',
        'elasticmapreduce:DescribeCluster',
        'elasticmapreduce:TerminateJobFlows',
        'iam:PassRole',
        'events:PutRule',
        'events:PutTargets',
        'events:DescribeRule',
      ];
    case 'arn:aws:states:::elasticmapreduce:addStep.sync':
      return [
        'elasticmapreduce:AddJobFlowSteps',
        'elasticmapreduce:DescribeStep',
        'elasticmapreduce:CancelSteps',
        'events:PutRule',
        'events:PutTargets',
        'events:DescribeRule',
      ];
    case 'arn:aws:states:::elasticmapreduce:terminateCluster':
      return ['elasticmapreduce:TerminateJobFlows', 'elasticmapreduce:DescribeCluster'];
  }
  if (resource.startsWith('GetAtt:') && resource.endsWith('LambdaFunction.Arn'))
    return ['lambda:InvokeFunction'];
  throw new Error(`no known IAM actions for Task resource ${resource}`);
}

let outDir: string;
let template: CfnTemplate;

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'recsys-sfn-package-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'offline',
    AWS_SECRET_ACCESS_KEY: 'offline',
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
  };
  delete env.AWS_PROFILE;
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [SLS_BIN, 'package', '--stage', 'ci', '--package', outDir], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`sls package exited with ${code}:\n${output}`)),
    );
  });
  template = JSON.parse(
    readFileSync(join(outDir, 'cloudformation-template-update-stack.json'), 'utf8'),
  ) as CfnTemplate;
}, 200_000);

afterAll(() => {
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

function stateMachine() {
  const machines = resourcesOfType(template, 'AWS::StepFunctions::StateMachine');
  expect(machines).toHaveLength(1);
  return machines[0]![1].Properties as Record<string, unknown>;
}

function roleStatements(logicalId: string): PolicyStatement[] {
  const role = template.Resources[logicalId]?.Properties as {
    Policies?: { PolicyDocument: { Statement: PolicyStatement[] } }[];
  };
  return (role.Policies ?? []).flatMap((p) => p.PolicyDocument.Statement);
}

describe('Infrastructure: the packaged retrain state machine', () => {
  it('returns the definition of statemachines/retrain.asl.yml, with its references and variables resolved', () => {
    // Act
    const packaged = packagedDefinition(stateMachine().DefinitionString);

    // Assess
    assertMatches(fileDefinition(), packaged);
    expect(stateMachine()).toMatchObject({
      StateMachineName: 'recsys-ci-retrain',
      RoleArn: { 'Fn::GetAtt': ['RetrainStateMachineRole', 'Arn'] },
    });
  });

  it('returns ChooseTrainer comparing the lake bytes with the stage param as a number, and both steps given the model', () => {
    // Act
    interface StepTask {
      Parameters: {
        Step: { HadoopJarStep: Record<string, string> };
        BootstrapActions: { ScriptBootstrapAction: Record<string, string> }[];
      };
      Catch: unknown;
    }
    const states = (
      packagedDefinition(stateMachine().DefinitionString) as unknown as { States: Record<string, StepTask> }
    ).States;

    // Assess: 2 GiB is the default stage's singleNodeTrainingMaxBytes (serverless.yml), resolved to a number.
    expect(states.ChooseTrainer).toEqual({
      Type: 'Choice',
      Choices: [
        { Variable: '$.model.trainer', StringEquals: 'spark', Next: 'PrimaryAndCoreNodes' },
        { Variable: '$.model.trainer', StringEquals: 'single-node', Next: 'PrimaryNodeOnly' },
        { Variable: '$.model.lakeBytes', NumericLessThanEquals: 2147483648, Next: 'PrimaryNodeOnly' },
      ],
      Default: 'PrimaryAndCoreNodes',
    });
    // The route shapes the cluster: a single node for the TypeScript trainer, the stage's core nodes for Spark.
    const shape = (state: string) =>
      (states[state] as unknown as { Result: { trainer: string; instanceGroups: unknown[] } }).Result;
    expect(shape('PrimaryNodeOnly')).toEqual({
      trainer: 'TrainOnPrimary',
      instanceGroups: [
        { Name: 'Primary', InstanceRole: 'MASTER', InstanceType: 'm6g.xlarge', InstanceCount: 1 },
      ],
    });
    expect(shape('PrimaryAndCoreNodes').instanceGroups).toEqual([
      { Name: 'Primary', InstanceRole: 'MASTER', InstanceType: 'm6g.xlarge', InstanceCount: 1 },
      { Name: 'Core', InstanceRole: 'CORE', InstanceType: 'm6g.xlarge', InstanceCount: 2 },
    ]);
    expect(states.RunTrainer).toEqual({
      Type: 'Choice',
      Choices: [{ Variable: '$.route.trainer', StringEquals: 'TrainOnPrimary', Next: 'TrainOnPrimary' }],
      Default: 'TrainStep',
    });
    const primaryArgs = states.TrainOnPrimary!.Parameters.Step.HadoopJarStep['Args.$'] as string;
    expect(primaryArgs).toMatch(
      /^States\.Array\('bash', '-c', '[^']+', 'recsys-trainer', States\.Format\('s3:\/\/\{\}\/code\/emr\/[0-9a-f]{12}\/trainer\.mjs', \$\.config\.bucket\)/,
    );
    expect(primaryArgs).toContain("'--region', 'eu-west-1'");
    // The Spark job's module travels with it, from the same content-hashed prefix.
    expect(states.TrainStep!.Parameters.Step.HadoopJarStep['Args.$']).toMatch(
      /'--py-files', States\.Format\('s3:\/\/\{\}\/code\/emr\/([0-9a-f]{12})\/baskets\.py', \$\.config\.bucket\), States\.Format\('s3:\/\/\{\}\/code\/emr\/\1\/train_als\.py'/,
    );
    for (const step of [states.TrainOnPrimary!, states.TrainStep!]) {
      expect(step.Parameters.Step.HadoopJarStep['Args.$']).toContain("'--model', $.model.modelChoice");
      expect(step.Catch).toEqual([
        { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'TerminateAfterFailure' },
      ]);
    }
    expect(states.CreateCluster!.Parameters.BootstrapActions[0]!.ScriptBootstrapAction['Path.$']).toMatch(
      /code\/emr\/[0-9a-f]{12}\/bootstrap-node\.sh/,
    );
  });

  it('returns a definition asl-validator accepts, with TimeoutSeconds on every Task', () => {
    // Prepare: placeholders become well-formed ARNs, as CloudFormation would make them.
    const definition = JSON.parse(
      JSON.stringify(packagedDefinition(stateMachine().DefinitionString)).replace(
        /"(GetAtt|Ref):([A-Za-z0-9]+)[^"]*"/g,
        (_, _kind, id: string) => `"arn:aws:lambda:eu-west-1:123456789012:function:${id}"`,
      ),
    );

    // Act
    const result = aslValidator(definition);

    // Assess
    expect(result.errorsText('\n'), 'asl-validator').toBe('');
    expect(result.isValid).toBe(true);
    for (const [name, s] of allStates(definition.States))
      if (s.Type === 'Task') expect(s.TimeoutSeconds, name).toBeGreaterThan(0);
  });

  it('returns a role that allows every Task’s actions on that Task’s resources, and the Distributed Map’s', () => {
    // Prepare
    const packaged = packagedDefinition(stateMachine().DefinitionString) as { States: Record<string, State> };
    const statements = roleStatements('RetrainStateMachineRole');
    const allowed = (action: string) =>
      statements.filter((s) => s.Effect === 'Allow' && asArray(s.Action).includes(action));

    // Act
    const tasks = allStates(packaged.States).filter(([, s]) => s.Type === 'Task');
    const maps = allStates(packaged.States).filter(([, s]) => s.Type === 'Map');

    // Assess
    expect(tasks.length).toBeGreaterThan(10);
    for (const [name, s] of tasks) {
      const resource = String(s.Resource);
      for (const action of actionsOf(resource)) {
        const grants = allowed(action);
        expect(grants.length, `${name}: ${action}`).toBeGreaterThan(0);
        const targets = JSON.stringify(grants.map((g) => g.Resource));
        if (action === 'lambda:InvokeFunction')
          expect(targets, name).toContain(`"Fn::GetAtt":["${resource.slice(7, -4)}","Arn"]`);
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a CloudFormation Fn::Sub placeholder
        if (action.startsWith('glue:')) expect(targets, name).toContain('crawler/${RawEventsCrawler}');
        if (action.startsWith('sagemaker:')) expect(targets, name).toContain('ModelPackageGroup');
        if (action === 'iam:PassRole') expect(targets).toMatch(/EmrServiceRole.*EmrInstanceRole/);
      }
    }
    expect(maps.map(([, m]) => (m.ItemProcessor as { ProcessorConfig: Json }).ProcessorConfig)).toEqual([
      { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
    ]);
    expect(JSON.stringify(allowed('states:StartExecution').map((g) => g.Resource))).toContain(
      ':stateMachine:recsys-ci-retrain',
    );
    for (const a of ['states:DescribeExecution', 'states:StopExecution'])
      expect(allowed(a).length, a).toBe(1);
  });

  it('returns no IAM statement in the template that allows action * or resource * with a wildcard action', () => {
    // Prepare
    const roles = resourcesOfType(template, 'AWS::IAM::Role');
    const policies = resourcesOfType(template, 'AWS::IAM::Policy');

    // Act
    const statements = [
      ...roles.flatMap(([, r]) =>
        (
          (r.Properties as { Policies?: { PolicyDocument: { Statement: PolicyStatement[] } }[] }).Policies ??
          []
        ).flatMap((p) => p.PolicyDocument.Statement),
      ),
      ...policies.flatMap(
        ([, p]) =>
          (p.Properties as { PolicyDocument: { Statement: PolicyStatement[] } }).PolicyDocument.Statement,
      ),
    ];

    // Assess
    expect(statements.length).toBeGreaterThan(20);
    for (const s of statements) {
      const actions = asArray(s.Action);
      const resources = asArray(s.Resource);
      expect(actions.includes('*') && resources.includes('*'), JSON.stringify(s)).toBe(false);
      // '*' only where IAM knows no resource type for the action: List* calls, X-Ray, and the state machine's
      // log delivery (tests/helpers/iam-rules.ts lists each with its reason).
      if (resources.includes('*'))
        for (const a of actions)
          expect(a, JSON.stringify(s)).toMatch(
            /^((sagemaker|elasticmapreduce):List|xray:(PutTraceSegments|PutTelemetryRecords|GetSampling(Rules|Targets))$|logs:((Create|Get|Update|Delete)LogDelivery|ListLogDeliveries|PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups)$)/,
          );
    }
  });

  it('returns the schedule, the cleanup rule on failed/aborted/timed-out executions and the approval rule', () => {
    // Act
    const rules = resourcesOfType(template, 'AWS::Events::Rule').map(
      ([, r]) => r.Properties as Record<string, unknown>,
    );

    // Assess
    const patterns = rules.map((r) => JSON.stringify(r.EventPattern ?? {}));
    expect(
      patterns.some(
        (p) =>
          p.includes('Step Functions Execution Status Change') &&
          p.includes('TIMED_OUT') &&
          p.includes('ABORTED') &&
          p.includes('FAILED'),
      ),
    ).toBe(true);
    expect(
      patterns.some((p) => p.includes('SageMaker Model Package State Change') && p.includes('recsys-ci')),
    ).toBe(true);
    expect(rules.some((r) => r.ScheduleExpression === 'rate(1 day)' && r.State === 'DISABLED')).toBe(true);
  });
});
