import { pipelineAws, pipelineHandler } from '../aws.ts';
import { createPrepareRun } from './prepare-run.ts';

export const handler = pipelineHandler(() =>
  createPrepareRun({
    describeLake: pipelineAws.describeLake(),
    registry: pipelineAws.registry(),
    artifactUri: (v) => pipelineAws.models().location(v),
  }),
);
