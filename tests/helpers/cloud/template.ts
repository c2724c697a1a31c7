import type { CfnResource, CfnTemplate } from '../cloudformation.ts';

/** Where the stand-in stack "is": the account and region the stand-ins answer for. */
export interface StackPlace {
  region: string;
  account: string;
  stackName: string;
}

const ARN_SERVICE: Record<string, (name: string) => string> = {
  'AWS::DynamoDB::Table': (n) => `dynamodb:{region}:{account}:table/${n}`,
  'AWS::S3::Bucket': (n) => `s3:::${n}`,
  'AWS::KinesisFirehose::DeliveryStream': (n) => `firehose:{region}:{account}:deliverystream/${n}`,
  'AWS::Lambda::Function': (n) => `lambda:{region}:{account}:function:${n}`,
  'AWS::StepFunctions::StateMachine': (n) => `states:{region}:{account}:stateMachine:${n}`,
  'AWS::IAM::Role': (n) => `iam::{account}:role/${n}`,
  'AWS::IAM::InstanceProfile': (n) => `iam::{account}:instance-profile/${n}`,
  'AWS::SageMaker::ModelPackageGroup': (n) => `sagemaker:{region}:{account}:model-package-group/${n}`,
  'AWS::Logs::LogGroup': (n) => `logs:{region}:{account}:log-group:${n}:*`,
  'AWS::KMS::Key': (n) => `kms:{region}:{account}:key/${n}`,
  'AWS::SNS::Topic': (n) => `sns:{region}:{account}:${n}`,
  'AWS::SQS::Queue': (n) => `sqs:{region}:{account}:${n}`,
  'AWS::Events::Rule': (n) => `events:{region}:{account}:rule/${n}`,
  'AWS::Glue::Crawler': (n) => `glue:{region}:{account}:crawler/${n}`,
  'AWS::Athena::WorkGroup': (n) => `athena:{region}:{account}:workgroup/${n}`,
};

/** The property that names a resource of each type, where the template may set it. */
const NAME_PROPERTY: Record<string, string> = {
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::KinesisFirehose::DeliveryStream': 'DeliveryStreamName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::IAM::Role': 'RoleName',
  'AWS::IAM::InstanceProfile': 'InstanceProfileName',
  'AWS::SageMaker::ModelPackageGroup': 'ModelPackageGroupName',
  'AWS::EMR::SecurityConfiguration': 'Name',
  'AWS::Glue::Crawler': 'Name',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::Events::Rule': 'Name',
  'AWS::Athena::WorkGroup': 'Name',
};

/** Types whose `Ref` is their ARN rather than their name (CloudFormation's return values). */
const REF_IS_ARN = new Set([
  'AWS::StepFunctions::StateMachine',
  'AWS::SageMaker::ModelPackageGroup',
  'AWS::SNS::Topic',
]);

/**
 * CloudFormation's part of a deployment, for a compiled template and the stand-ins: the physical names,
 * `Ref`s and `Fn::GetAtt`s it would give each resource, and the intrinsic functions resolved with them.
 * Names the template sets are kept; the rest are generated the way CloudFormation does (stack-logical-suffix).
 */
export function templateResolver(template: CfnTemplate, place: StackPlace) {
  const arnOf = (type: string, name: string) => {
    const make = ARN_SERVICE[type];
    const tail = make ? make(name) : `unknown:{region}:{account}:${name}`;
    return `arn:aws:${tail.replaceAll('{region}', place.region).replaceAll('{account}', place.account)}`;
  };
  const pseudo: Record<string, string> = {
    'AWS::Region': place.region,
    'AWS::AccountId': place.account,
    'AWS::Partition': 'aws',
    'AWS::StackName': place.stackName,
    'AWS::StackId': `arn:aws:cloudformation:${place.region}:${place.account}:stack/${place.stackName}/standin`,
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::NoValue': '',
  };

  const resource = (logical: string): CfnResource => {
    const r = template.Resources[logical];
    if (r === undefined) throw new Error(`the template has no resource ${logical}`);
    return r;
  };

  const nameOf = (logical: string): string => {
    const r = resource(logical);
    if (r.Type === 'AWS::Glue::Database')
      return resolve((r.Properties?.DatabaseInput as { Name: unknown } | undefined)?.Name) as string;
    const prop = NAME_PROPERTY[r.Type];
    const given = prop === undefined ? undefined : r.Properties?.[prop];
    if (given !== undefined) return resolve(given) as string;
    return `${place.stackName}-${logical}-STANDIN`.slice(0, 64);
  };

  const ref = (logical: string): string => {
    if (logical in pseudo) return pseudo[logical] as string;
    const r = resource(logical);
    if (REF_IS_ARN.has(r.Type)) return arnOf(r.Type, nameOf(logical));
    return nameOf(logical);
  };

  const getAtt = (logical: string, attribute: string): string => {
    const r = resource(logical);
    if (attribute === 'Arn' || attribute === 'ModelPackageGroupArn') return arnOf(r.Type, nameOf(logical));
    if (attribute === 'Name') return nameOf(logical);
    // Attributes nothing on the stand-ins reads (a distribution's domain, a function's metadata ARN): a value of
    // the right kind, named after its origin so a test that does read one sees where it came from.
    return `standin-${logical}-${attribute}`.toLowerCase();
  };

  const sub = (text: string, vars: Record<string, unknown>): string =>
    text.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
      if (name in vars) return String(resolve(vars[name]));
      const [logical, attribute] = name.split('.');
      return attribute === undefined ? ref(logical as string) : getAtt(logical as string, attribute);
    });

  function resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(resolve);
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value);
    if (entries.length === 1) {
      const [key, arg] = entries[0] as [string, unknown];
      switch (key) {
        case 'Ref':
          return ref(arg as string);
        case 'Fn::GetAtt': {
          const [logical, attribute] = Array.isArray(arg) ? arg : String(arg).split('.');
          return getAtt(logical as string, attribute as string);
        }
        case 'Fn::Sub':
          return Array.isArray(arg)
            ? sub(arg[0] as string, arg[1] as Record<string, unknown>)
            : sub(arg as string, {});
        case 'Fn::Join': {
          const [separator, parts] = arg as [string, unknown[]];
          return (resolve(parts) as unknown[]).join(separator);
        }
        case 'Fn::Select': {
          const [index, list] = arg as [number, unknown];
          return (resolve(list) as unknown[])[Number(index)];
        }
        case 'Fn::Split': {
          const [separator, text] = arg as [string, unknown];
          return String(resolve(text)).split(separator);
        }
      }
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, resolve(v)]));
  }

  return { resolve, ref, getAtt, nameOf, arnOf };
}

export type TemplateResolver = ReturnType<typeof templateResolver>;
