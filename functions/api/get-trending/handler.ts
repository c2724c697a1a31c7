import { awsRecommender } from '../../../shared/runtime/aws-serving.ts';
import { createGetTrendingHandler } from './get-trending.ts';

export const handler = createGetTrendingHandler({ recommender: awsRecommender }, { metrics: true });
