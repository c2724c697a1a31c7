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
 * A value that is one variable alone takes the variable's type, as Serverless resolves it (a Choice state's
 * NumericLessThanEquals needs a number).
 */
export async function loadRetrainDefinition(
  vars: Record<string, string | number>,
): Promise<Record<string, unknown>> {
  const text = await readFile(RETRAIN_ASL, 'utf8');
  return parse(
    text,
    (_key, value) => {
      if (typeof value !== 'string') return value;
      const whole = /^\$\{([^}]+)\}$/.exec(value)?.[1];
      if (whole !== undefined && vars[whole] !== undefined) return vars[whole];
      return value.replace(/\$\{([^}]+)\}/g, (all, name: string) => String(vars[name] ?? all));
    },
    { customTags: tags },
  ) as Record<string, unknown>;
}
