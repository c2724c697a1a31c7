import { awsServing } from '../../../shared/runtime/aws-serving.ts';
import { createGetSessionRecommendationsHandler } from './get-session-recommendations.ts';

// At cold start: a missing setting fails the start, naming it.
const { recommender } = awsServing('sessionRecommendations');

export const handler = createGetSessionRecommendationsHandler(
  { recommender: () => recommender },
  { metrics: true },
);
