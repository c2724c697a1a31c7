import { pipelineAws, pipelineHandler } from '../aws.ts';
import { createModelApproval } from './model-approval.ts';

export const handler = pipelineHandler(() =>
  createModelApproval({
    registry: pipelineAws.registry(),
    publications: pipelineAws.publications('RECSYS_DEPLOYMENT_TABLE'),
    startPublication: pipelineAws.startPublication,
  }),
);
