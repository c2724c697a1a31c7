import { awsRecommender } from '../../../shared/runtime/aws-serving.ts';
import { createGetRecommendationsHandler } from './get-recommendations.ts';

export const handler = createGetRecommendationsHandler({ recommender: awsRecommender }, { metrics: true });
