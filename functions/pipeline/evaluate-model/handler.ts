import { stageConfigFromEnvironment } from '../../../shared/evaluation/quality-gate.ts';
import { recordGateOutcome } from '../../../shared/runtime/metrics.ts';
import { pipelineAws, pipelineHandler } from '../aws.ts';
import { createEvaluateModel } from './evaluate-model.ts';

// The deployed stage's gate and approval policy (RECSYS_GATE_POLICY, from serverless.yml params), read at cold
// start so a malformed one fails the start naming the field.
const stage = stageConfigFromEnvironment(process.env);

export const handler = pipelineHandler(
  () => {
    const evaluate = createEvaluateModel({
      models: pipelineAws.models(),
      registry: pipelineAws.registry(),
      stage,
      artifactUri: (v) => pipelineAws.models().location(v),
    });
    return async (event: unknown) => {
      const outcome = await evaluate(event);
      recordGateOutcome(outcome.status);
      return outcome;
    };
  },
  { metrics: true },
);
