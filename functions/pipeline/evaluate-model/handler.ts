import { stageConfig } from '../../../shared/evaluation/quality-gate.ts';
import { pipelineAws, pipelineHandler } from '../aws.ts';
import { createEvaluateModel } from './evaluate-model.ts';

export const handler = pipelineHandler(() =>
  createEvaluateModel({
    models: pipelineAws.models(),
    registry: pipelineAws.registry(),
    stage: stageConfig,
    artifactUri: (v) => pipelineAws.models().location(v),
  }),
);
