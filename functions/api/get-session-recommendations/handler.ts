import { awsServing } from '../../../shared/runtime/aws-serving.ts';
import { LAMBDA_API_OPTIONS } from '../../../shared/runtime/lambda-tracing.ts';
import { createGetSessionRecommendationsHandler } from './get-session-recommendations.ts';

// At cold start: a missing setting fails the start, naming it.
const { recommender } = awsServing('sessionRecommendations');

export const handler = createGetSessionRecommendationsHandler(
  { recommender: () => recommender },
  LAMBDA_API_OPTIONS,
);
