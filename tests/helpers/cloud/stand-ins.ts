import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import {
  type AttributeDefinition,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
} from '@aws-sdk/client-dynamodb';
import { CreateSecurityConfigurationCommand, EMRClient } from '@aws-sdk/client-emr';
import { CreateDeliveryStreamCommand, FirehoseClient } from '@aws-sdk/client-firehose';
import { CreateCrawlerCommand, CreateDatabaseCommand, GlueClient } from '@aws-sdk/client-glue';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateModelPackageGroupCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { CreateStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { awsClientConfig } from '../aws-clients.ts';
import type { CfnTemplate } from '../cloudformation.ts';
import type { TemplateResolver } from './template.ts';

export interface StandInEndpoints {
  moto: string;
  dynamodb: string;
}

/** What the stand-in deployment made, by logical id, for the tests to look at. */
export interface StandInStack {
  outputs: Record<string, string>;
  created: { logicalId: string; type: string; name: string }[];
}

type Props = Record<string, unknown>;

/**
 * `sls deploy` against the stand-ins: every resource of the compiled template that a handler, the state machine
 * or the CLI touches is created on moto_server or dynalite from the template's own properties (resolved), and a
 * CloudFormation stack of the same name carries the template's outputs, which is where the CLI looks names up.
 * IAM, logs, API Gateway and alarms are not created: nothing here enforces them (their tests read the template).
 */
export async function deployToStandIns(
  template: CfnTemplate,
  resolver: TemplateResolver,
  endpoints: StandInEndpoints,
  stackName: string,
): Promise<StandInStack> {
  const moto = awsClientConfig(endpoints.moto);
  const s3 = new S3Client(moto);
  const firehose = new FirehoseClient(moto);
  const glue = new GlueClient(moto);
  const sagemaker = new SageMakerClient(moto);
  const emr = new EMRClient(moto);
  const sfn = new SFNClient(moto);
  const dynamodb = new DynamoDBClient(awsClientConfig(endpoints.dynamodb));
  const created: StandInStack['created'] = [];
  const byType = (type: string) =>
    Object.entries(template.Resources).filter(([, r]) => r.Type === type) as [
      string,
      { Properties: Props },
    ][];
  const note = (logicalId: string, type: string, name: string) => created.push({ logicalId, type, name });

  for (const [id] of byType('AWS::S3::Bucket')) {
    const name = resolver.nameOf(id);
    await s3.send(new CreateBucketCommand({ Bucket: name }));
    note(id, 'AWS::S3::Bucket', name);
  }
  for (const [id, r] of byType('AWS::KinesisFirehose::DeliveryStream')) {
    const p = resolver.resolve(r.Properties) as Props;
    const dest = p.ExtendedS3DestinationConfiguration as Props;
    await firehose.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: p.DeliveryStreamName as string,
        DeliveryStreamType: 'DirectPut',
        ExtendedS3DestinationConfiguration: {
          BucketARN: dest.BucketARN as string,
          RoleARN: dest.RoleARN as string,
          Prefix: dest.Prefix as string,
          ErrorOutputPrefix: dest.ErrorOutputPrefix as string,
          CompressionFormat: dest.CompressionFormat as 'GZIP',
          BufferingHints: dest.BufferingHints as { SizeInMBs: number; IntervalInSeconds: number },
        },
      }),
    );
    note(id, 'AWS::KinesisFirehose::DeliveryStream', p.DeliveryStreamName as string);
  }
  for (const [id, r] of byType('AWS::DynamoDB::Table')) {
    const p = resolver.resolve(r.Properties) as Props;
    const name = p.TableName as string;
    await dynamodb.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: p.AttributeDefinitions as AttributeDefinition[],
        KeySchema: p.KeySchema as KeySchemaElement[],
        ...(p.GlobalSecondaryIndexes
          ? { GlobalSecondaryIndexes: p.GlobalSecondaryIndexes as GlobalSecondaryIndex[] }
          : {}),
      }),
    );
    // dynalite reports CREATING until the next tick, even with createTableMs 0.
    while (
      (await dynamodb.send(new DescribeTableCommand({ TableName: name }))).Table?.TableStatus !== 'ACTIVE'
    )
      await new Promise((resolve) => setTimeout(resolve, 5));
    note(id, 'AWS::DynamoDB::Table', name);
  }
  for (const [id, r] of byType('AWS::Glue::Database')) {
    const p = resolver.resolve(r.Properties) as Props;
    await glue.send(new CreateDatabaseCommand({ DatabaseInput: p.DatabaseInput as { Name: string } }));
    note(id, 'AWS::Glue::Database', (p.DatabaseInput as { Name: string }).Name);
  }
  for (const [id, r] of byType('AWS::Glue::Crawler')) {
    const p = resolver.resolve(r.Properties) as Props;
    await glue.send(
      new CreateCrawlerCommand({
        Name: p.Name as string,
        Role: p.Role as string,
        DatabaseName: p.DatabaseName as string,
        Targets: p.Targets as { S3Targets: { Path: string }[] },
      }),
    );
    note(id, 'AWS::Glue::Crawler', p.Name as string);
  }
  // A crawl of the stand-in lake has nothing to catalog: it completes as soon as it is looked at.
  const transition = await fetch(`${endpoints.moto}/moto-api/state-manager/set-transition`, {
    method: 'POST',
    body: JSON.stringify({ model_name: 'glue::crawl', transition: { progression: 'immediate' } }),
  });
  if (!transition.ok) throw new Error(`moto refused the crawl transition: ${transition.status}`);
  for (const [id, r] of byType('AWS::SageMaker::ModelPackageGroup')) {
    const p = resolver.resolve(r.Properties) as Props;
    await sagemaker.send(
      new CreateModelPackageGroupCommand({
        ModelPackageGroupName: p.ModelPackageGroupName as string,
        ModelPackageGroupDescription: p.ModelPackageGroupDescription as string,
      }),
    );
    note(id, 'AWS::SageMaker::ModelPackageGroup', p.ModelPackageGroupName as string);
  }
  for (const [id, r] of byType('AWS::EMR::SecurityConfiguration')) {
    const p = resolver.resolve(r.Properties) as Props;
    await emr.send(
      new CreateSecurityConfigurationCommand({
        Name: p.Name as string,
        SecurityConfiguration: JSON.stringify(p.SecurityConfiguration),
      }),
    );
    note(id, 'AWS::EMR::SecurityConfiguration', p.Name as string);
  }
  for (const [id, r] of byType('AWS::StepFunctions::StateMachine')) {
    const p = resolver.resolve(r.Properties) as Props;
    await sfn.send(
      new CreateStateMachineCommand({
        name: p.StateMachineName as string,
        definition: p.DefinitionString as string,
        roleArn: p.RoleArn as string,
      }),
    );
    note(id, 'AWS::StepFunctions::StateMachine', p.StateMachineName as string);
  }

  const outputs = Object.fromEntries(
    Object.entries(template.Outputs ?? {}).map(([k, o]) => [k, String(resolver.resolve(o.Value))]),
  );
  // The stack the CLI reads its names from: the outputs, resolved, on a placeholder resource.
  await new CloudFormationClient(moto).send(
    new CreateStackCommand({
      StackName: stackName,
      TemplateBody: JSON.stringify({
        Resources: { Placeholder: { Type: 'AWS::CloudFormation::WaitConditionHandle' } },
        Outputs: Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, { Value: v }])),
      }),
    }),
  );
  for (const c of [s3, firehose, glue, sagemaker, emr, sfn, dynamodb]) c.destroy();
  return { outputs, created };
}
