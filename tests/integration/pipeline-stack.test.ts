import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  asArray,
  type CfnTemplate,
  loadYaml,
  type PolicyStatement,
  resource,
} from '../helpers/cloudformation.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TEMPLATE_PATH = join(ROOT, 'resources', 'pipeline.yml');
const CFN_LINT = join(ROOT, '.venv', 'bin', 'cfn-lint');
const run = promisify(execFile);
const template = loadYaml<CfnTemplate>(TEMPLATE_PATH);

/**
 * The only calls granted on `Resource: "*"` outside key policies, each with why IAM leaves no narrower choice.
 * A grant missing here fails the test; an entry no statement uses fails it too, so the list stays the truth.
 */
const UNSCOPABLE: Record<string, string> = {
  'cloudformation:ValidateTemplate': 'acts on a template body, not a stack: no resource type',
  'cloudformation:ListExports': 'lists the account’s exports: no resource type',
  'kms:CreateKey': 'the key has no ARN before it exists',
  'elasticmapreduce:CreateSecurityConfiguration': 'EMR security configurations have no resource type',
  'elasticmapreduce:DeleteSecurityConfiguration': 'EMR security configurations have no resource type',
  'elasticmapreduce:DescribeSecurityConfiguration': 'EMR security configurations have no resource type',
  'glue:CreateSecurityConfiguration': 'Glue security configurations have no resource type',
  'glue:DeleteSecurityConfiguration': 'Glue security configurations have no resource type',
  'glue:GetSecurityConfiguration': 'Glue security configurations have no resource type',
  'logs:CreateLogDelivery': 'vended log delivery (Step Functions, API Gateway) has no resource type',
  'logs:GetLogDelivery': 'vended log delivery has no resource type',
  'logs:UpdateLogDelivery': 'vended log delivery has no resource type',
  'logs:DeleteLogDelivery': 'vended log delivery has no resource type',
  'logs:ListLogDeliveries': 'vended log delivery has no resource type',
  'logs:PutResourcePolicy': 'log resource policies are account-wide: no resource type',
  'logs:DescribeResourcePolicies': 'log resource policies are account-wide: no resource type',
};

interface Located extends PolicyStatement {
  where: string;
  keyPolicy: boolean;
}

/** Every statement of every policy in the template: role policies, key, bucket and topic policies. */
function statements(t: CfnTemplate): Located[] {
  const found: Located[] = [];
  const add = (where: string, doc: unknown, keyPolicy = false) => {
    for (const s of asArray((doc as { Statement?: PolicyStatement[] } | undefined)?.Statement))
      found.push({ ...s, where, keyPolicy });
  };
  for (const [id, r] of Object.entries(t.Resources)) {
    const p = r.Properties ?? {};
    if (r.Type === 'AWS::IAM::Role') {
      add(`${id} (trust)`, p.AssumeRolePolicyDocument);
      for (const policy of asArray(p.Policies as { PolicyName: string; PolicyDocument: unknown }[]))
        add(`${id}/${policy.PolicyName}`, policy.PolicyDocument);
    } else if (r.Type === 'AWS::KMS::Key') add(id, p.KeyPolicy, true);
    else if (r.Type === 'AWS::S3::BucketPolicy' || r.Type === 'AWS::SNS::TopicPolicy')
      add(id, p.PolicyDocument);
  }
  return found;
}

async function cfnLint(path: string): Promise<string[]> {
  interface Match {
    Rule: { Id: string };
    Level: string;
    Message: string;
    Location: { Path: (string | number)[] };
  }
  let stdout: string;
  try {
    ({ stdout } = await run(CFN_LINT, ['--format', 'json', path]));
  } catch (error) {
    // cfn-lint's exit code is a bit set of the levels it found; the findings are in its JSON either way.
    stdout = (error as { stdout?: string }).stdout ?? '';
    if (!stdout.trim().startsWith('[')) throw error;
  }
  return (JSON.parse(stdout || '[]') as Match[]).map(
    (m) => `${m.Level} ${m.Rule.Id} ${m.Location.Path.join('/')}: ${m.Message}`,
  );
}

describe('Pipeline stack: resources/pipeline.yml', () => {
  const all = statements(template);
  const allows = all.filter((s) => s.Effect === 'Allow');

  it('cfn-lint finds nothing', async () => {
    expect(await cfnLint(TEMPLATE_PATH)).toEqual([]);
  });

  it('grants no action `*` or `service:*`', () => {
    expect(allows.length).toBeGreaterThan(40);
    const wild = allows.flatMap((s) =>
      asArray(s.Action)
        .filter((a) => a === '*' || /^[a-z0-9-]+:\*$/.test(a))
        .map((a) => `${s.where}: ${a}`),
    );
    expect(wild).toEqual([]);
  });

  it('passes roles only by name, each to the one service that uses it', () => {
    const passes = allows.filter((s) => asArray(s.Action).includes('iam:PassRole'));
    expect(passes.map((s) => s.where).sort()).toEqual([
      'DevCloudFormationRole/recsys-dev-stack',
      'DevDeployRole/deploy-dev',
      'ProdCloudFormationRole/recsys-prod-stack',
      'ProdDeployRole/deploy-prod',
    ]);
    for (const s of passes) {
      for (const target of asArray(s.Resource)) expect(target, s.where).not.toBe('*');
      expect(s.Condition?.StringEquals?.['iam:PassedToService'], s.where).toBeDefined();
    }
    // A stage's deploy hands CloudFormation that stage's execution role and nothing else.
    for (const stage of ['Dev', 'Prod']) {
      const pass = passes.find((s) => s.where === `${stage}DeployRole/deploy-${stage.toLowerCase()}`)!;
      expect(pass.Resource).toEqual({ 'Fn::GetAtt': [`${stage}CloudFormationRole`, 'Arn'] });
      expect(pass.Condition?.StringEquals?.['iam:PassedToService']).toBe('cloudformation.amazonaws.com');
    }
  });

  it('grants `Resource: "*"` only for the calls IAM cannot scope, and every listed call is used', () => {
    const starred = allows.filter((s) => !s.keyPolicy && asArray(s.Resource).includes('*'));
    const actions = starred.flatMap((s) => asArray(s.Action));
    expect(actions.filter((a) => !(a in UNSCOPABLE))).toEqual([]);
    expect(Object.keys(UNSCOPABLE).filter((a) => !actions.includes(a))).toEqual([]);
    // In a key policy `*` is the key itself; who may use it is then pinned by principal and condition.
    for (const s of all.filter((x) => x.keyPolicy)) {
      const principal = JSON.stringify(s.Principal);
      expect(principal, s.Sid).not.toBe('"*"');
      expect(principal, s.Sid).not.toContain('"AWS":"*"');
    }
  });

  it('the build role, which runs npm test, can reach nothing but artifacts, its key and its logs', () => {
    const build = allows.filter((s) => s.where.startsWith('BuildRole/'));
    const services = new Set(build.flatMap((s) => asArray(s.Action)).map((a) => a.split(':')[0]));
    expect([...services].sort()).toEqual(['kms', 'logs', 's3']);
    expect(JSON.stringify(build)).not.toMatch(/recsys-(dev|prod)/);
  });

  it('prod repeats dev with the stage swapped, and nothing of dev reaches prod', () => {
    const stageIds = (prefix: string) =>
      Object.keys(template.Resources)
        .filter((id) => id.startsWith(prefix))
        .map((id) => id.slice(prefix.length))
        .sort();
    expect(stageIds('Dev')).toEqual([
      'CloudFormationRole',
      'DeployLogGroup',
      'DeployProject',
      'DeployRole',
      'SmokeLogGroup',
      'SmokeProject',
      'SmokeRole',
    ]);
    expect(stageIds('Prod')).toEqual(stageIds('Dev'));
    for (const id of stageIds('Dev')) {
      const dev = JSON.stringify(resource(template, `Dev${id}`));
      const asProd = dev
        .replace(/(?<![A-Za-z])dev(?![a-z])/g, 'prod')
        .replace(/(?<![A-Za-z])Dev(?=[A-Z])/g, 'Prod');
      expect(JSON.parse(asProd), id).toEqual(resource(template, `Prod${id}`));
      expect(dev, id).not.toMatch(/prod/i);
    }
  });

  it('runs source → build → dev deploy and smoke test → approval → prod deploy and smoke test', () => {
    const stages = resource(template, 'Pipeline').Properties!.Stages as {
      Name: string;
      Actions: {
        Name: string;
        RunOrder?: number;
        ActionTypeId: { Provider: string };
        Configuration?: Record<string, unknown>;
        InputArtifacts?: { Name: string }[];
        OutputArtifacts?: { Name: string }[];
      }[];
    }[];
    const shape = stages.map((s) => ({
      stage: s.Name,
      actions: s.Actions.map((a) => ({
        name: a.Name,
        provider: a.ActionTypeId.Provider,
        order: a.RunOrder ?? 1,
        project: (a.Configuration?.ProjectName as { Ref?: string } | undefined)?.Ref,
        inputs: (a.InputArtifacts ?? []).map((i) => i.Name),
      })),
    }));
    const deployAndSmoke = (stage: string) => [
      {
        name: 'Deploy',
        provider: 'CodeBuild',
        order: 1,
        project: `${stage}DeployProject`,
        inputs: ['SourceOutput', 'BuildOutput'],
      },
      {
        name: 'SmokeTest',
        provider: 'CodeBuild',
        order: 2,
        project: `${stage}SmokeProject`,
        inputs: ['SourceOutput'],
      },
    ];
    expect(shape).toEqual([
      {
        stage: 'Source',
        actions: [
          { name: 'Source', provider: 'CodeStarSourceConnection', order: 1, project: undefined, inputs: [] },
        ],
      },
      {
        stage: 'Build',
        actions: [
          {
            name: 'TestAndPackage',
            provider: 'CodeBuild',
            order: 1,
            project: 'BuildProject',
            inputs: ['SourceOutput'],
          },
        ],
      },
      { stage: 'Dev', actions: deployAndSmoke('Dev') },
      {
        stage: 'Approve',
        actions: [{ name: 'ApproveProd', provider: 'Manual', order: 1, project: undefined, inputs: [] }],
      },
      { stage: 'Prod', actions: deployAndSmoke('Prod') },
    ]);
    // The source comes from the parameters; the approval is announced where failures are.
    const source = stages[0]!.Actions[0]!.Configuration!;
    expect([source.ConnectionArn, source.FullRepositoryId, source.BranchName]).toEqual([
      { Ref: 'ConnectionArn' },
      { Ref: 'FullRepositoryId' },
      { Ref: 'BranchName' },
    ]);
    expect(stages[3]!.Actions[0]!.Configuration!.NotificationArn).toEqual({ Ref: 'NotificationTopic' });
  });

  it('keeps artifacts in a versioned, KMS-encrypted, TLS-only bucket closed to the public', () => {
    const bucket = resource(template, 'ArtifactBucket').Properties!;
    expect(bucket.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    const sse = (bucket.BucketEncryption as { ServerSideEncryptionConfiguration: unknown[] })
      .ServerSideEncryptionConfiguration[0] as { ServerSideEncryptionByDefault: Record<string, unknown> };
    expect(sse.ServerSideEncryptionByDefault).toEqual({
      SSEAlgorithm: 'aws:kms',
      KMSMasterKeyID: { 'Fn::GetAtt': ['PipelineKey', 'Arn'] },
    });
    const store = resource(template, 'Pipeline').Properties!.ArtifactStore;
    expect(store).toMatchObject({ Location: { Ref: 'ArtifactBucket' }, EncryptionKey: { Type: 'KMS' } });
    const tls = all.find((s) => s.where === 'ArtifactBucketPolicy' && s.Effect === 'Deny');
    expect(tls?.Condition).toEqual({ Bool: { 'aws:SecureTransport': 'false' } });
    expect(resource(template, 'PipelineKey').Properties!.EnableKeyRotation).toBe(true);
  });

  it('tells the topic when an execution fails', () => {
    const rule = resource(template, 'PipelineFailedRule').Properties!;
    expect(rule.EventPattern).toEqual({
      source: ['aws.codepipeline'],
      'detail-type': ['CodePipeline Pipeline Execution State Change'],
      detail: { state: ['FAILED'], pipeline: [{ Ref: 'Pipeline' }] },
    });
    expect((rule.Targets as { Arn: unknown }[]).map((t) => t.Arn)).toEqual([{ Ref: 'NotificationTopic' }]);
    const publish = all.find((s) => s.where === 'NotificationTopicPolicy');
    expect(publish?.Condition).toEqual({
      ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': ['PipelineFailedRule', 'Arn'] } },
    });
  });
});
