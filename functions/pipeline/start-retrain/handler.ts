import { requireEnv } from '../../../shared/runtime/config.ts';
import { pipelineAws, pipelineHandler } from '../aws.ts';
import { createStartRetrain } from './start-retrain.ts';

export const handler = pipelineHandler(() =>
  createStartRetrain({
    describeLake: pipelineAws.describeLake(),
    executions: pipelineAws.executions(),
    publications: pipelineAws.publications('RECSYS_LISTS_TABLE', 'RECSYS_DEPLOYMENT_TABLE'),
    stage: requireEnv('RECSYS_STAGE'),
    model: requireEnv('RECSYS_RETRAIN_MODEL'),
  }),
);
