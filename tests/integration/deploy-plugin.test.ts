import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStacksCommand,
} from '@aws-sdk/client-cloudformation';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsClientConfig } from '../helpers/aws-clients.ts';
import { type MotoServer, startMotoServer } from '../helpers/moto-server.ts';

const require = createRequire(import.meta.url);
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const STACK = 'recsys-ci';

type Hooks = Record<string, () => Promise<unknown>>;
const EmrJobPlugin = require('../../jobs/emr/deploy-plugin.cjs') as {
  new (serverless: unknown, options: unknown, utils: unknown): { hooks: Hooks };
  jobKeys(root: string): Promise<{ files: [string, Buffer, string][] }>;
};

let moto: MotoServer;
let s3: S3Client;

/** The slice of osls's AWS provider the plugin uses, answering with clients bound to moto_server. */
function providerOn(endpoint: string) {
  const config = awsClientConfig(endpoint);
  return {
    naming: { getStackName: () => STACK },
    getRegion: () => config.region,
    getAwsSdkV3Config: async () => config,
    getCloudFormationClient: async () => new CloudFormationClient(config),
  };
}

beforeAll(async () => {
  moto = await startMotoServer();
  const config = awsClientConfig(moto.endpoint);
  s3 = new S3Client(config);
  // A stack shaped like the deployed one where the plugin looks: a bucket named in the LakeBucketName output.
  const cloudFormation = new CloudFormationClient(config);
  await cloudFormation.send(
    new CreateStackCommand({
      StackName: STACK,
      TemplateBody: JSON.stringify({
        Resources: { LakeBucket: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'recsys-ci-lake' } } },
        Outputs: { LakeBucketName: { Value: { Ref: 'LakeBucket' } } },
      }),
    }),
  );
  const stacks = await cloudFormation.send(new DescribeStacksCommand({ StackName: STACK }));
  expect(stacks.Stacks?.[0]?.StackStatus).toBe('CREATE_COMPLETE');
}, 60_000);

afterAll(async () => {
  await moto?.stop();
});

describe('Plugin: jobs/emr/deploy-plugin.cjs after sls deploy', () => {
  it('uploads the Spark job and its module, its weights, the trainer bundle, the Node bootstrap and the TLS bundle to the stack’s lake bucket, once', async () => {
    // Prepare
    const notices: string[] = [];
    const serverless = {
      config: { servicePath: REPO_ROOT },
      service: { provider: { stage: 'ci' }, custom: { emrJob: { subnetId: 'subnet-00000000000000000' } } },
      getProvider: () => providerOn(moto.endpoint),
    };
    const plugin = new EmrJobPlugin(
      serverless,
      {},
      { log: { notice: (m: string) => notices.push(m), info() {} } },
    );

    // Act
    await plugin.hooks['after:deploy:deploy']!();
    await plugin.hooks['after:deploy:deploy']!();

    // Assess
    const files = (await EmrJobPlugin.jobKeys(REPO_ROOT)).files;
    expect(files.map(([key]) => key.split('/').pop())).toEqual([
      'train_als.py',
      'baskets.py',
      'event-weights.json',
      'trainer.mjs',
      'bootstrap-node.sh',
    ]);
    for (const [key, body] of files) {
      const object = await s3.send(new GetObjectCommand({ Bucket: 'recsys-ci-lake', Key: key }));
      expect(Buffer.from(await object.Body!.transformToByteArray()).equals(body), key).toBe(true);
    }
    const tls = await s3.send(
      new GetObjectCommand({ Bucket: 'recsys-ci-lake', Key: 'security/emr-tls/certificates.zip' }),
    );
    const zip = Buffer.from(await tls.Body!.transformToByteArray());
    expect(zip.readUInt32LE(0)).toBe(0x04034b50);
    expect(zip.toString('latin1')).toContain('-----BEGIN CERTIFICATE-----');
    // The second deploy found everything in place and uploaded nothing.
    expect(notices).toEqual([
      `EMR job: uploaded s3://recsys-ci-lake/${files[0]![0]}`,
      `EMR job: uploaded s3://recsys-ci-lake/${files[1]![0]}`,
      `EMR job: uploaded s3://recsys-ci-lake/${files[2]![0]}`,
      `EMR job: uploaded s3://recsys-ci-lake/${files[3]![0]}`,
      `EMR job: uploaded s3://recsys-ci-lake/${files[4]![0]}`,
      'EMR in-transit encryption: generated s3://recsys-ci-lake/security/emr-tls/certificates.zip',
    ]);
  }, 60_000);
});
