import { METRIC } from '../../shared/runtime/metrics.ts';
import { asArray, type CfnResource, type CfnTemplate, referencedLogicalIds } from './cloudformation.ts';

interface MetricRef {
  namespace: string;
  name: string;
  dimensions: Record<string, unknown>;
  where: string;
}

/** The dimensions each custom metric is emitted with besides `service` (shared/runtime/metrics.ts). */
const CUSTOM_DIMENSIONS: Record<string, string[][]> = {
  [METRIC.eventsAccepted]: [[]],
  [METRIC.eventsRejected]: [[]],
  [METRIC.eventsRefused]: [[]],
  [METRIC.served]: [['source'], ['variant']],
  [METRIC.fallback]: [[]],
  [METRIC.latency]: [['route']],
  [METRIC.exposures]: [['variant']],
  [METRIC.clicks]: [['variant']],
  [METRIC.conversions]: [['variant']],
  [METRIC.gateOutcome]: [['status']],
  [METRIC.modelActivated]: [[]],
  [METRIC.retrainDuration]: [[]],
};

function ofType(template: CfnTemplate, type: string): [string, CfnResource][] {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

/** The metrics an alarm watches: its own, or those of its metric-math query. */
function alarmMetrics(id: string, alarm: CfnResource): MetricRef[] {
  const p = alarm.Properties ?? {};
  const dims = (list: unknown) =>
    Object.fromEntries(asArray(list as { Name: string; Value: unknown }[]).map((d) => [d.Name, d.Value]));
  if (typeof p.MetricName === 'string')
    return [
      { namespace: String(p.Namespace), name: p.MetricName, dimensions: dims(p.Dimensions), where: id },
    ];
  return asArray(p.Metrics as { MetricStat?: { Metric: Record<string, unknown> } }[])
    .filter((m) => m.MetricStat !== undefined)
    .map((m) => {
      const metric = m.MetricStat!.Metric;
      return {
        namespace: String(metric.Namespace),
        name: String(metric.MetricName),
        dimensions: dims(metric.Dimensions),
        where: id,
      };
    });
}

/** The metrics a dashboard widget draws: [namespace, name, dim, value, …, options?] rows and SEARCH expressions. */
function dashboardMetrics(body: string): { metrics: MetricRef[]; searches: string[]; subs: string[] } {
  const subs = [...body.matchAll(/\$\{([^}]+)\}/g)].map((m) => m[1]!);
  // The body is one Fn::Sub string: its ${…} references are checked against the template by the caller.
  const parsed = JSON.parse(body) as {
    widgets: { properties: { title: string; metrics?: unknown[][] } }[];
  };
  const metrics: MetricRef[] = [];
  const searches: string[] = [];
  for (const widget of parsed.widgets)
    for (const row of widget.properties.metrics ?? []) {
      const head = row.filter((x) => typeof x === 'string') as string[];
      const options = row.find((x) => typeof x === 'object') as { expression?: string } | undefined;
      if (head.length === 0) {
        const search = options?.expression?.match(/SEARCH\('\{([^}]*)\} MetricName="(\w+)"/);
        if (search) searches.push(`${search[1]}|${search[2]}`);
        continue;
      }
      const [namespace, name, ...pairs] = head;
      const dimensions: Record<string, string> = {};
      for (let i = 0; i + 1 < pairs.length; i += 2) dimensions[pairs[i]!] = pairs[i + 1]!;
      metrics.push({ namespace: namespace!, name: name!, dimensions, where: widget.properties.title });
    }
  return { metrics, searches, subs };
}

/**
 * Checks that every alarm, notice rule and dashboard widget of a packaged template names something real: AWS
 * metrics by dimensions that resolve to resources of the template (each function, table, stream, the state machine,
 * the REST API and stage), custom metrics by names and dimensions the functions emit in the namespace they are
 * given. Returns one line per finding.
 */
export function monitoringFindings(template: CfnTemplate, stage: string): string[] {
  const findings: string[] = [];
  const R = template.Resources;
  const functions = ofType(template, 'AWS::Lambda::Function');
  const env = (functions[0]![1].Properties!.Environment as { Variables: Record<string, string> }).Variables;
  const namespace = env.POWERTOOLS_METRICS_NAMESPACE;
  const service = env.POWERTOOLS_SERVICE_NAME;
  if (namespace !== `recsys/${stage}`) findings.push(`metrics namespace ${namespace}, not recsys/${stage}`);
  const functionNames = new Set(functions.map(([, f]) => String(f.Properties?.FunctionName)));
  const apiName = String(R.ApiGatewayRestApi?.Properties?.Name);
  const refOf = (value: unknown, type: string) => {
    const [id] = referencedLogicalIds(value);
    return id !== undefined && R[id]?.Type === type;
  };

  const check = (m: MetricRef) => {
    const d = m.dimensions;
    const bad = (why: string) => findings.push(`${m.where}: ${m.namespace} ${m.name} ${why}`);
    switch (m.namespace) {
      case 'AWS/Lambda':
        if (!functionNames.has(String(d.FunctionName))) bad(`names no function (${String(d.FunctionName)})`);
        break;
      case 'AWS/DynamoDB':
        if (!refOf(d.TableName, 'AWS::DynamoDB::Table')) bad('names no table');
        break;
      case 'AWS/Firehose':
        if (
          !refOf(d.DeliveryStreamName, 'AWS::KinesisFirehose::DeliveryStream') &&
          !/^\$\{\w+\}$/.test(String(d.DeliveryStreamName))
        )
          bad('names no delivery stream');
        break;
      case 'AWS/States':
        if (
          !refOf(d.StateMachineArn, 'AWS::StepFunctions::StateMachine') &&
          !/^\$\{\w+\}$/.test(String(d.StateMachineArn))
        )
          bad('names no state machine');
        break;
      case 'AWS/SQS':
        if (!refOf(d.QueueName, 'AWS::SQS::Queue')) bad('names no queue');
        break;
      case 'AWS/ApiGateway':
        if (d.ApiName !== apiName || d.Stage !== stage)
          bad(`names API ${String(d.ApiName)}/${String(d.Stage)}`);
        break;
      case namespace: {
        const shapes = CUSTOM_DIMENSIONS[m.name];
        const extra = Object.keys(d)
          .filter((k) => k !== 'service')
          .sort();
        if (shapes === undefined) bad('is not emitted by any function');
        else if (!shapes.some((s) => s.join() === extra.join())) bad(`has dimensions ${extra.join()}`);
        if (d.service !== service) bad(`has service ${String(d.service)}`);
        break;
      }
      default:
        bad('is in an unknown namespace');
    }
  };

  const alarms = ofType(template, 'AWS::CloudWatch::Alarm');
  for (const [id, alarm] of alarms) {
    for (const m of alarmMetrics(id, alarm)) check(m);
    for (const action of asArray(alarm.Properties?.AlarmActions as unknown[]))
      if (!refOf(action, 'AWS::SNS::Topic')) findings.push(`${id}: alarm action is not the stage's topic`);
  }
  // Every function and table is watched.
  const watched = new Set(
    alarms.flatMap(([id, a]) => alarmMetrics(id, a)).map((m) => JSON.stringify([m.name, m.dimensions])),
  );
  for (const name of functionNames)
    for (const metric of ['Errors', 'Throttles'])
      if (!watched.has(JSON.stringify([metric, { FunctionName: name }])))
        findings.push(`no ${metric} alarm for ${name}`);
  for (const [id] of ofType(template, 'AWS::DynamoDB::Table'))
    if (!watched.has(JSON.stringify(['ReadThrottleEvents', { TableName: { Ref: id } }])))
      findings.push(`no throttle alarm for ${id}`);

  for (const [id, dash] of ofType(template, 'AWS::CloudWatch::Dashboard')) {
    const body = (dash.Properties!.DashboardBody as { 'Fn::Sub': string })['Fn::Sub'];
    const { metrics, searches, subs } = dashboardMetrics(body);
    for (const name of subs)
      if (name !== 'AWS::Region' && R[name] === undefined) findings.push(`${id}: \${${name}} is no resource`);
    for (const m of metrics) check(m);
    for (const search of searches) {
      const [schema, name] = search.split('|');
      const [ns, ...keys] = schema!.split(',');
      check({
        namespace: ns!,
        name: name!,
        dimensions: Object.fromEntries(keys.map((k) => [k, k === 'service' ? service : 'x'])),
        where: `${id} SEARCH`,
      });
    }
  }

  // Notices: the model registry's group and the state machine of this stack, to the stage's topic.
  const rules = ofType(template, 'AWS::Events::Rule').filter(([, r]) =>
    asArray(r.Properties?.Targets as { Arn: unknown }[]).some((t) => refOf(t.Arn, 'AWS::SNS::Topic')),
  );
  const group = R.ModelPackageGroup?.Properties?.ModelPackageGroupName;
  const patterns = rules.map(
    ([, r]) => r.Properties?.EventPattern as { source: string[]; detail: Record<string, unknown[]> },
  );
  const registry = patterns.find((p) => p.source[0] === 'aws.sagemaker');
  if (registry === undefined || registry.detail.ModelPackageGroupName?.[0] !== group)
    findings.push(`no notice for the model package group ${String(group)}`);
  else if (JSON.stringify(registry.detail.ModelApprovalStatus) !== '["PendingManualApproval","Rejected"]')
    findings.push('the registry notice is not for PendingManualApproval and Rejected');
  const executions = patterns.find((p) => p.source[0] === 'aws.states');
  if (
    executions === undefined ||
    !refOf(executions.detail.stateMachineArn?.[0], 'AWS::StepFunctions::StateMachine')
  )
    findings.push('no notice for the retrain state machine’s failed executions');
  return findings;
}
