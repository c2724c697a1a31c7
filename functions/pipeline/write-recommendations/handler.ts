import { pipelineAws, pipelineHandler } from '../aws.ts';
import { createWriteRecommendations } from './write-recommendations.ts';

export const handler = pipelineHandler(() =>
  createWriteRecommendations({
    models: pipelineAws.models(),
    publications: pipelineAws.publications('RECSYS_LISTS_TABLE'),
  }),
);
