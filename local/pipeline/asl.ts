import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse, type ScalarTag } from 'yaml';

const RETRAIN_ASL = fileURLToPath(new URL('../../statemachines/retrain.asl.yml', import.meta.url));

/** The local stand-ins for CloudFormation references: what `!GetAtt fn.Arn` / `!Ref X` become here. */
function localArn(functionKey: string): string {
  return `arn:aws:lambda:us-east-1:000000000000:function:recsys-local-${functionKey}`;
}

const tags: ScalarTag[] = [
  {
    tag: '!GetAtt',
    resolve: (value: string) => localArn(value.replace(/\.Arn$/, '')),
  },
  { tag: '!Ref', resolve: (value: string) => `local-${value}` },
];

/**
 * The state machine definition as aws-local-stepfunctions runs it: the same YAML file serverless packages, its
 * CloudFormation tags turned into local ARNs/names and its Serverless variables into the local stage's values.
 * Values the local tasks ignore (instance types, EMR roles) keep their `${…}` text: nothing reads them here.
 */
export async function loadRetrainDefinition(vars: Record<string, string>): Promise<Record<string, unknown>> {
  const text = await readFile(RETRAIN_ASL, 'utf8');
  return parse(
    text,
    (_key, value) =>
      typeof value === 'string'
        ? value.replace(/\$\{([^}]+)\}/g, (whole, name: string) => vars[name] ?? whole)
        : value,
    { customTags: tags },
  ) as Record<string, unknown>;
}
