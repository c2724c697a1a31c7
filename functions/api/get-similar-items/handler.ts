import { awsRecommender } from '../../../shared/runtime/aws-serving.ts';
import { createGetSimilarItemsHandler } from './get-similar-items.ts';

export const handler = createGetSimilarItemsHandler({ recommender: awsRecommender }, { metrics: true });
