import { awsRecommender } from '../../../shared/runtime/aws-serving.ts';
import { createGetSessionRecommendationsHandler } from './get-session-recommendations.ts';

export const handler = createGetSessionRecommendationsHandler(
  { recommender: awsRecommender },
  { metrics: true },
);
