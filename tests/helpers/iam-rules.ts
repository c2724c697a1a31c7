import { asArray, type CfnTemplate, type PolicyStatement } from './cloudformation.ts';

/**
 * The only actions the service stack grants on `Resource: "*"`, each with why AWS leaves no narrower choice. A grant
 * on `*` missing here is a finding; so is an entry no statement uses, so the list stays the truth.
 */
const UNSCOPABLE: Record<string, string> = {
  'xray:PutTraceSegments':
    'X-Ray has no resource-level permissions (every traced function and the state machine)',
  'xray:PutTelemetryRecords': 'X-Ray has no resource-level permissions',
  'xray:GetSamplingRules': 'X-Ray has no resource-level permissions (the state machine’s tracing)',
  'xray:GetSamplingTargets': 'X-Ray has no resource-level permissions',
  'sagemaker:ListModelPackages': 'ListModelPackages has no resource type in IAM (the registry reads)',
  'elasticmapreduce:ListClusters':
    'ListClusters has no resource type in IAM (cleanup finds an execution’s clusters)',
  'logs:CreateLogDelivery': 'Step Functions’ vended log delivery has no resource type in IAM',
  'logs:GetLogDelivery': 'vended log delivery has no resource type',
  'logs:UpdateLogDelivery': 'vended log delivery has no resource type',
  'logs:DeleteLogDelivery': 'vended log delivery has no resource type',
  'logs:ListLogDeliveries': 'vended log delivery has no resource type',
  'logs:PutResourcePolicy': 'log resource policies are account-wide: no resource type',
  'logs:DescribeResourcePolicies': 'log resource policies are account-wide: no resource type',
  'logs:DescribeLogGroups':
    'Step Functions checks the destination with DescribeLogGroups, which takes no resource',
};

interface Located extends PolicyStatement {
  where: string;
}

/** Every identity-policy statement of the template: role inline policies and standalone IAM policies. */
function identityStatements(template: CfnTemplate): Located[] {
  const found: Located[] = [];
  const add = (where: string, doc: unknown) => {
    for (const s of asArray((doc as { Statement?: PolicyStatement[] } | undefined)?.Statement))
      found.push({ ...s, where });
  };
  for (const [id, r] of Object.entries(template.Resources)) {
    const p = r.Properties ?? {};
    if (r.Type === 'AWS::IAM::Role')
      for (const policy of asArray(p.Policies as { PolicyName: unknown; PolicyDocument: unknown }[]))
        add(`${id}/${JSON.stringify(policy.PolicyName)}`, policy.PolicyDocument);
    if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') add(id, p.PolicyDocument);
  }
  return found;
}

/**
 * Least-privilege rules checkov has no check for, over every identity policy of a template. Returns one line per
 * finding (empty: none): an allowed `*` or `service:*` action, NotAction/NotResource, iam:PassRole on a wildcard,
 * a `Resource: "*"` for an action not in UNSCOPABLE, an UNSCOPABLE entry nothing uses, an AWS managed policy.
 */
export function leastPrivilegeFindings(template: CfnTemplate): string[] {
  const findings: string[] = [];
  const starred = new Set<string>();
  for (const s of identityStatements(template)) {
    if (s.Effect !== 'Allow') continue;
    const raw = s as unknown as Record<string, unknown>;
    if ('NotAction' in raw || 'NotResource' in raw) findings.push(`${s.where}: NotAction/NotResource`);
    const actions = asArray(s.Action);
    const resources = asArray(s.Resource);
    for (const action of actions) {
      if (action === '*' || action.endsWith(':*')) findings.push(`${s.where}: action ${action}`);
      if (action.toLowerCase() === 'iam:passrole')
        for (const target of resources)
          if (typeof target === 'string' && target.includes('*'))
            findings.push(`${s.where}: iam:PassRole on ${target}`);
    }
    if (resources.includes('*'))
      for (const action of actions) {
        starred.add(action);
        if (!(action in UNSCOPABLE)) findings.push(`${s.where}: ${action} on "*"`);
      }
  }
  for (const action of Object.keys(UNSCOPABLE))
    if (!starred.has(action)) findings.push(`UNSCOPABLE lists ${action}, which no statement grants on "*"`);
  for (const [id, r] of Object.entries(template.Resources))
    if (r.Type === 'AWS::IAM::Role')
      for (const arn of asArray(r.Properties?.ManagedPolicyArns as unknown[]))
        if (!MANAGED_POLICIES.some((name) => JSON.stringify(arn).endsWith(`${name}"}`)))
          findings.push(`${id}: managed policy ${JSON.stringify(arn)}`);
  return findings;
}

/** AWS managed policies a role may hold: the service roles AWS writes and keeps for exactly that service. */
const MANAGED_POLICIES = [
  // EMR's service role: what EMR needs to run the cluster, scoped by AWS to tagged resources.
  'service-role/AmazonEMRServicePolicy_v2',
  // The Glue crawler's base role (catalog writes, its logs); the lake reads are the stack's own statements.
  'service-role/AWSGlueServiceRole',
];
