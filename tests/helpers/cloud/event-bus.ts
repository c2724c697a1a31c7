import { randomUUID } from 'node:crypto';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { awsClientConfig } from '../aws-clients.ts';
import type { CfnTemplate } from '../cloudformation.ts';
import type { PackagedLambdas } from './lambdas.ts';
import type { TemplateResolver } from './template.ts';

type Json = Record<string, unknown>;

/** EventBridge's matching for the pattern forms the template uses: exact values in arrays, nested objects. */
function matchesPattern(pattern: Json, event: Json): boolean {
  return Object.entries(pattern).every(([key, expected]) => {
    const actual = event[key];
    if (Array.isArray(expected)) return expected.some((v) => v === actual);
    if (expected !== null && typeof expected === 'object')
      return (
        actual !== null && typeof actual === 'object' && matchesPattern(expected as Json, actual as Json)
      );
    return false;
  });
}

interface Target {
  Arn: string;
  Input?: string;
  InputTransformer?: { InputPathsMap?: Record<string, string>; InputTemplate: string };
}

/** A `$.a.b` path of the event (the forms InputPathsMap uses here). */
const at = (event: Json, path: string): unknown =>
  path
    .replace(/^\$\.?/, '')
    .split('.')
    .filter((p) => p !== '')
    .reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Json)[k] : undefined), event);

/** EventBridge's input transformer: `<name>` in the template replaced by the mapped path's value. */
function transform(t: NonNullable<Target['InputTransformer']>, event: Json): string {
  return t.InputTemplate.replace(/<(\w+)>/g, (whole, name: string) => {
    const path = t.InputPathsMap?.[name];
    if (path === undefined) return whole;
    const v = at(event, path);
    return typeof v === 'string' ? v : JSON.stringify(v);
  });
}

export interface Delivery {
  rule: string;
  target: string;
  result?: unknown;
  error?: string;
}

/**
 * The default event bus of the stand-in stack: the template's rules (patterns and targets, resolved), so an event
 * reaches exactly the functions and state machines the deployed rules would send it to. Schedule rules are fired
 * by `tick(ruleName)`, as EventBridge does at their time.
 */
export function standInEventBus(options: {
  template: CfnTemplate;
  resolver: TemplateResolver;
  lambdas: PackagedLambdas;
  motoEndpoint: string;
}) {
  const rules = Object.entries(options.template.Resources)
    .filter(([, r]) => r.Type === 'AWS::Events::Rule')
    .map(([id, r]) => {
      const p = options.resolver.resolve(r.Properties) as {
        Name?: string;
        EventPattern?: Json;
        ScheduleExpression?: string;
        Targets: Target[];
      };
      return {
        id,
        name: p.Name ?? id,
        pattern: p.EventPattern,
        schedule: p.ScheduleExpression,
        targets: p.Targets,
      };
    });
  const sfn = new SFNClient(awsClientConfig(options.motoEndpoint));
  const notices: { topic: string; message: string }[] = [];

  async function deliver(rule: (typeof rules)[number], event: Json): Promise<Delivery[]> {
    const out: Delivery[] = [];
    for (const t of rule.targets) {
      const payload = t.Input !== undefined ? (JSON.parse(t.Input) as Json) : event;
      try {
        if (t.Arn.startsWith('arn:aws:sns:')) {
          const message = t.InputTransformer ? transform(t.InputTransformer, event) : JSON.stringify(payload);
          notices.push({ topic: t.Arn, message });
          out.push({ rule: rule.name, target: t.Arn, result: message });
          continue;
        }
        if (t.Arn.startsWith('arn:aws:lambda:'))
          out.push({ rule: rule.name, target: t.Arn, result: await options.lambdas.invoke(t.Arn, payload) });
        else if (t.Arn.startsWith('arn:aws:states:')) {
          // EventBridge names the execution itself (a random id), which is why a schedule that starts the
          // machine directly cannot deduplicate with a manual start.
          const r = await sfn.send(
            new StartExecutionCommand({
              stateMachineArn: t.Arn,
              name: randomUUID(),
              input: JSON.stringify(payload),
            }),
          );
          out.push({ rule: rule.name, target: t.Arn, result: r.executionArn });
        } else throw new Error(`the stand-in bus cannot deliver to ${t.Arn}`);
      } catch (error) {
        out.push({ rule: rule.name, target: t.Arn, error: (error as Error).message });
      }
    }
    return out;
  }

  return {
    /** What the rules sent to SNS topics (the alarm topic's notices, as subscribers would read them), oldest first. */
    notices: () => notices,
    rules: () => rules.map(({ name, pattern, schedule }) => ({ name, pattern, schedule })),
    /** PutEvents of one AWS service event: `source`, `detail-type`, `detail` as the service sends them. */
    async put(event: { source: string; 'detail-type': string; detail: Json }): Promise<Delivery[]> {
      const full: Json = {
        version: '0',
        id: randomUUID(),
        account: '123456789012',
        time: new Date().toISOString(),
        region: 'us-east-1',
        resources: [],
        ...event,
      };
      const out: Delivery[] = [];
      for (const rule of rules)
        if (rule.pattern && matchesPattern(rule.pattern, full)) out.push(...(await deliver(rule, full)));
      return out;
    },
    /** A schedule rule's time came. */
    async tick(ruleNameOrId: string): Promise<Delivery[]> {
      const rule = rules.find((r) => (r.name === ruleNameOrId || r.id === ruleNameOrId) && r.schedule);
      if (rule === undefined) throw new Error(`no schedule rule ${ruleNameOrId}`);
      return deliver(rule, { source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} });
    },
    close: () => sfn.destroy(),
  };
}
