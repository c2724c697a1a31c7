import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { stageConfig, stageConfigFromEnvironment } from '../../../shared/evaluation/quality-gate.ts';

interface ServerlessFile {
  params: Record<string, Record<string, unknown>>;
  functions: Record<string, { environment?: Record<string, unknown> }>;
}

// serverless.yml read as text with its CloudFormation tags kept opaque: only params and one env string are needed.
const config = parse(readFileSync(new URL('../../../serverless.yml', import.meta.url), 'utf8'), {
  customTags: ['Ref', 'GetAtt', 'Sub'].map((tag) => ({ tag: `!${tag}`, resolve: (v: string) => v })),
}) as ServerlessFile;

/** RECSYS_GATE_POLICY as `sls package --stage <stage>` writes it: the env template with the stage's params in. */
function packagedPolicy(stage: string): string {
  const params = { ...config.params.default, ...(config.params[stage] ?? {}) };
  const template = String(config.functions.evaluateModel?.environment?.RECSYS_GATE_POLICY);
  return template.replace(/\$\{param:(\w+)\}/g, (_, name: string) => {
    if (!(name in params)) throw new Error(`serverless.yml has no param ${name}`);
    return String(params[name]);
  });
}

describe('Function: stageConfigFromEnvironment', () => {
  it.each(['default', 'staging', 'prod'])(
    'returns, for the %s stage params of serverless.yml, exactly the code’s STAGES policy',
    (stage) => {
      // Act
      const deployed = stageConfigFromEnvironment({ RECSYS_GATE_POLICY: packagedPolicy(stage) })(stage);

      // Assess
      expect(deployed).toEqual(stageConfig(stage));
    },
  );

  it('returns the stage params over the code’s defaults: a changed threshold is the one applied', () => {
    // Act
    const config = stageConfigFromEnvironment({
      RECSYS_GATE_POLICY:
        '{"minUsers":500,"baselineMargin":0.2,"championTolerance":0,"minimum":{"coverage":0.1},"autoApprove":true}',
    })('prod');

    // Assess
    expect(config).toEqual({
      autoApprove: true,
      gate: {
        k: 10,
        primary: 'ndcg',
        minUsers: 500,
        baselineMargin: 0.2,
        championTolerance: 0,
        minimum: { coverage: 0.1 },
      },
    });
  });

  it('returns the code’s stage defaults when RECSYS_GATE_POLICY is not set', () => {
    expect(stageConfigFromEnvironment({})('prod')).toEqual(stageConfig('prod'));
  });

  it.each([
    ['not JSON', '{minUsers: 1', /RECSYS_GATE_POLICY is not JSON/],
    [
      'a negative margin',
      '{"minUsers":1,"baselineMargin":-1,"championTolerance":0,"minimum":{},"autoApprove":true}',
      /RECSYS_GATE_POLICY is invalid: baselineMargin: /,
    ],
    [
      'an unknown metric floor',
      '{"minUsers":1,"baselineMargin":0,"championTolerance":0,"minimum":{"auc":0.5},"autoApprove":true}',
      /RECSYS_GATE_POLICY is invalid: minimum: Unrecognized key: "auc"/,
    ],
    [
      'autoApprove missing',
      '{"minUsers":1,"baselineMargin":0,"championTolerance":0,"minimum":{}}',
      /RECSYS_GATE_POLICY is invalid: autoApprove: /,
    ],
  ])('throws naming the field for %s', (_, text, message) => {
    expect(() => stageConfigFromEnvironment({ RECSYS_GATE_POLICY: text })).toThrow(message);
  });
});
