'use strict';
/**
 * The generated half of the stage's monitoring (the fixed half is resources/monitoring.yml): what repeats per
 * function or per table, written once here so a function added to serverless.yml gets its alarms and its log group's
 * encryption without anyone remembering to.
 *
 * - Errors and Throttles alarms for every function (AWS/Lambda, FunctionName = <service>-<stage>-<key>).
 * - A throttle alarm for every DynamoDB table (read + write throttle events).
 * - KMS encryption of every function's log group (an extension of the framework's <Name>LogGroup resource).
 * - The on-call dashboard (API, ingestion, serving sources and fallbacks, experiment CTR, retraining).
 *
 * tests/integration/monitoring.test.ts resolves every name used here against the packaged template.
 */

/** The stack's tables (logical ids): the monitoring test checks every AWS::DynamoDB::Table has its alarm. */
const TABLES = [
  'CatalogTable',
  'ActivityTable',
  'FeedbackTable',
  'ExperimentCountersTable',
  'RecommendationListsTable',
  'DeploymentTable',
  'UsersTable',
  'LiveCountersTable',
];

/** The variants an experiment started by `recsys experiment start` has (shared/serving/experiments.ts). */
const VARIANTS = ['champion', 'challenger'];

/** A reference inside the dashboard body, which is one Fn::Sub string. */
const sub = (name) => `\${${name}}`;
const upperFirst = (s) => s.charAt(0).toUpperCase() + s.slice(1);
/** The framework's logical id for a function key (naming.getNormalizedFunctionName). */
const normalized = (key) => upperFirst(key.replace(/-/g, 'Dash').replace(/_/g, 'Underscore'));

function alarm(description, metric) {
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmDescription: description,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      Period: 300,
      Threshold: 1,
      Statistic: 'Sum',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: 'AlarmTopic' }],
      OKActions: [{ Ref: 'AlarmTopic' }],
      ...metric,
    },
  };
}

function functionAlarms(service, stage, keys) {
  const resources = {};
  for (const key of keys) {
    const id = normalized(key);
    const dimensions = [{ Name: 'FunctionName', Value: `${service}-${stage}-${key}` }];
    for (const metric of ['Errors', 'Throttles'])
      resources[`${id}${metric}Alarm`] = alarm(
        `${metric} of the ${key} function (${service} ${stage}): at least one in 5 minutes`,
        { Namespace: 'AWS/Lambda', MetricName: metric, Dimensions: dimensions },
      );
  }
  return resources;
}

function tableAlarms(service, stage) {
  const resources = {};
  for (const table of TABLES) {
    const dims = [{ Name: 'TableName', Value: { Ref: table } }];
    const m = (id, name) => ({
      Id: id,
      ReturnData: false,
      MetricStat: {
        Metric: { Namespace: 'AWS/DynamoDB', MetricName: name, Dimensions: dims },
        Period: 300,
        Stat: 'Sum',
      },
    });
    resources[`${table}ThrottlesAlarm`] = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmDescription: `Throttled reads or writes on the ${table} (${service} ${stage}): at least one in 5 minutes`,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 1,
        Threshold: 1,
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: 'AlarmTopic' }],
        OKActions: [{ Ref: 'AlarmTopic' }],
        Metrics: [
          m('reads', 'ReadThrottleEvents'),
          m('writes', 'WriteThrottleEvents'),
          { Id: 'throttles', Expression: 'reads + writes', Label: 'Throttled requests', ReturnData: true },
        ],
      },
    };
  }
  return resources;
}

/** The functions EventBridge invokes (asynchronously): a failed event lands in the dead-letter queue. */
const ASYNC_FUNCTIONS = ['cleanupClusters', 'modelApproval'];

const skip = (id, comment) => ({ id, comment });
/** checkov findings on the functions that are decisions, not omissions (README, Observability). */
const FUNCTION_SKIPS = [
  skip(
    'CKV_AWS_115',
    'No reserved concurrency: the API usage plan throttles callers per stage (apiRateLimit/apiBurstLimit) and the retrain state machine bounds its own fan-out; a reserved cap would take from the account pool and turn bursts into 5xx.',
  ),
  skip(
    'CKV_AWS_117',
    'Not in a VPC: the functions reach only AWS APIs (DynamoDB, S3, Firehose, SageMaker, Step Functions) and no private network resource; a VPC would add NAT or endpoint costs and cold-start latency for nothing.',
  ),
  skip(
    'CKV_AWS_173',
    'The environment holds resource names and settings, no secret; Lambda encrypts it at rest with its service key.',
  ),
];
const SYNC_DLQ_SKIP = skip(
  'CKV_AWS_116',
  'Invoked synchronously (API Gateway, or a Step Functions Task that retries and fails the execution), where a dead-letter queue never receives anything; only asynchronous invocations use one.',
);

/**
 * Merged into the framework's resources: every function log group and the API access log group encrypted with the
 * stage's key (monitoring.yml); the dead-letter queue of the asynchronously invoked functions; checkov's skips.
 */
function extensions(keys) {
  const out = {};
  const kms = { KmsKeyId: { 'Fn::GetAtt': ['ObservabilityKey', 'Arn'] } };
  for (const key of keys) {
    const id = normalized(key);
    out[`${id}LogGroup`] = { Properties: kms };
    const async = ASYNC_FUNCTIONS.includes(key);
    out[`${id}LambdaFunction`] = {
      Metadata: { checkov: { skip: async ? FUNCTION_SKIPS : [...FUNCTION_SKIPS, SYNC_DLQ_SKIP] } },
      ...(async
        ? {
            Properties: {
              DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': ['EventHandlersDeadLetterQueue', 'Arn'] } },
            },
          }
        : {}),
    };
  }
  out.ApiGatewayLogGroup = { Properties: kms };
  const publicRoute = skip(
    'CKV_AWS_59',
    'Public on purpose, like /health: the API contract (openapi.yaml) and liveness carry no shop data; every data route requires an API key.',
  );
  out.ApiGatewayMethodHealthGet = { Metadata: { checkov: { skip: [publicRoute] } } };
  out.ApiGatewayMethodOpenapiyamlGet = { Metadata: { checkov: { skip: [publicRoute] } } };
  out.ServerlessDeploymentBucket = {
    Metadata: {
      checkov: {
        skip: [
          skip(
            'CKV_AWS_18',
            "The framework's deployment bucket holds only packaged code and templates, written by the deploying role; CloudTrail records who deployed.",
          ),
        ],
      },
    },
  };
  return out;
}

function dashboard(service, stage, keys) {
  const ns = `${service}/${stage}`;
  const api = ['ApiName', `${stage}-${service}`, 'Stage', stage];
  const region = sub('AWS::Region');
  const graph = (title, metrics, extra = {}) => ({
    type: 'metric',
    width: 12,
    height: 6,
    properties: { title, region, view: 'timeSeries', stacked: false, period: 300, metrics, ...extra },
  });
  const apiFunctions = keys.filter(
    (k) => k.startsWith('get') || ['ingestEvents', 'putItems', 'postFeedback', 'health'].includes(k),
  );
  const ctr = VARIANTS.flatMap((v, i) => [
    [ns, 'Clicks', 'service', service, 'variant', v, { id: `c${i}`, stat: 'Sum', visible: false }],
    [ns, 'Exposures', 'service', service, 'variant', v, { id: `e${i}`, stat: 'Sum', visible: false }],
    [{ expression: `IF(e${i} > 0, 100 * c${i} / e${i}, 0)`, label: `CTR % ${v}`, id: `ctr${i}` }],
  ]);
  const widgets = [
    graph('API requests and errors', [
      ['AWS/ApiGateway', 'Count', ...api, { stat: 'Sum' }],
      ['AWS/ApiGateway', '4XXError', ...api, { stat: 'Sum' }],
      ['AWS/ApiGateway', '5XXError', ...api, { stat: 'Sum' }],
    ]),
    graph('API latency (ms)', [
      ['AWS/ApiGateway', 'Latency', ...api, { stat: 'p50' }],
      ['AWS/ApiGateway', 'Latency', ...api, { stat: 'p99' }],
      ['AWS/ApiGateway', 'IntegrationLatency', ...api, { stat: 'p99' }],
    ]),
    graph('Ingestion: events accepted, rejected, refused by the lake', [
      [ns, 'EventsAccepted', 'service', service, { stat: 'Sum' }],
      [ns, 'EventsRejected', 'service', service, { stat: 'Sum' }],
      [ns, 'EventsRefused', 'service', service, { stat: 'Sum' }],
    ]),
    graph('Firehose delivery to the lake', [
      [
        'AWS/Firehose',
        'DeliveryToS3.DataFreshness',
        'DeliveryStreamName',
        sub('EventsDeliveryStream'),
        { stat: 'Maximum' },
      ],
      [
        'AWS/Firehose',
        'DeliveryToS3.Success',
        'DeliveryStreamName',
        sub('EventsDeliveryStream'),
        { stat: 'Minimum', yAxis: 'right' },
      ],
      [
        'AWS/Firehose',
        'IncomingRecords',
        'DeliveryStreamName',
        sub('EventsDeliveryStream'),
        { stat: 'Sum', yAxis: 'right' },
      ],
    ]),
    graph('Recommendations served by source', [
      ...['precomputed', 'fold-in', 'fallback'].map((source) => [
        ns,
        'RecommendationsServed',
        'service',
        service,
        'source',
        source,
        { stat: 'Sum' },
      ]),
    ]),
    graph('Fallback rate (%) and request latency by route (ms)', [
      [ns, 'Fallback', 'service', service, { stat: 'Average', id: 'f', visible: false }],
      [{ expression: '100 * f', label: 'Fallback %', id: 'fp' }],
      [
        {
          expression: `SEARCH('{${ns},service,route} MetricName="Latency"', 'p99', 300)`,
          label: 'p99',
          id: 'lat',
          yAxis: 'right',
        },
      ],
    ]),
    graph('Experiment CTR per variant (%)', ctr),
    graph('Exposures and clicks per variant', [
      [
        {
          expression: `SEARCH('{${ns},service,variant} MetricName="Exposures"', 'Sum', 300)`,
          id: 'ex',
          label: 'exposures',
        },
      ],
      [
        {
          expression: `SEARCH('{${ns},service,variant} MetricName="Clicks"', 'Sum', 300)`,
          id: 'cl',
          label: 'clicks',
        },
      ],
    ]),
    graph(
      'Retraining: executions',
      [
        ['AWS/States', 'ExecutionsSucceeded', 'StateMachineArn', sub('RetrainStateMachine'), { stat: 'Sum' }],
        ['AWS/States', 'ExecutionsFailed', 'StateMachineArn', sub('RetrainStateMachine'), { stat: 'Sum' }],
        ['AWS/States', 'ExecutionsTimedOut', 'StateMachineArn', sub('RetrainStateMachine'), { stat: 'Sum' }],
        [ns, 'ModelActivated', 'service', service, { stat: 'Sum' }],
        ...['Approved', 'PendingManualApproval', 'Rejected'].map((status) => [
          ns,
          'GateOutcome',
          'service',
          service,
          'status',
          status,
          { stat: 'Sum' },
        ]),
      ],
      { period: 86400 },
    ),
    graph(
      'Retraining: duration (s)',
      [
        [ns, 'RetrainDuration', 'service', service, { stat: 'Maximum' }],
        [
          'AWS/States',
          'ExecutionTime',
          'StateMachineArn',
          sub('RetrainStateMachine'),
          { stat: 'Maximum', yAxis: 'right' },
        ],
      ],
      { period: 86400 },
    ),
    graph(
      'API functions: errors and throttles',
      apiFunctions.flatMap((k) => [
        ['AWS/Lambda', 'Errors', 'FunctionName', `${service}-${stage}-${k}`, { stat: 'Sum' }],
        ['AWS/Lambda', 'Throttles', 'FunctionName', `${service}-${stage}-${k}`, { stat: 'Sum' }],
      ]),
    ),
  ];
  return {
    OnCallDashboard: {
      Type: 'AWS::CloudWatch::Dashboard',
      Properties: {
        DashboardName: `${service}-${stage}`,
        DashboardBody: { 'Fn::Sub': JSON.stringify({ widgets }) },
      },
    },
  };
}

module.exports = async ({ options, resolveConfigurationProperty, resolveVariable }) => {
  const service = await resolveVariable('self:service');
  const stage = options.stage ?? (await resolveVariable('sls:stage'));
  const functions = (await resolveConfigurationProperty(['functions'])) ?? {};
  const keys = Object.keys(functions);
  return {
    Resources: {
      ...functionAlarms(service, stage, keys),
      ...tableAlarms(service, stage),
      ...dashboard(service, stage, keys),
    },
    extensions: extensions(keys),
  };
};
