import { pipelineAws, pipelineHandler } from '../aws.ts';
import { createListRecommendationParts } from './list-recommendation-parts.ts';

export const handler = pipelineHandler(() => createListRecommendationParts({ models: pipelineAws.models() }));
