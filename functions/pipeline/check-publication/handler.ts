import { pipelineAws, pipelineHandler } from '../aws.ts';
import { createCheckPublication } from './check-publication.ts';

export const handler = pipelineHandler(() =>
  createCheckPublication({
    models: pipelineAws.models(),
    publications: pipelineAws.publications('RECSYS_LISTS_TABLE'),
  }),
);
