import { pipelineAws, pipelineHandler } from '../aws.ts';
import { createActivateModel } from './activate-model.ts';

export const handler = pipelineHandler(() =>
  createActivateModel({ publications: pipelineAws.publications('RECSYS_DEPLOYMENT_TABLE') }),
);
