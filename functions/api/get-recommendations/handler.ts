import { awsServing } from '../../../shared/runtime/aws-serving.ts';
import { LAMBDA_API_OPTIONS } from '../../../shared/runtime/lambda-tracing.ts';
import { createGetRecommendationsHandler } from './get-recommendations.ts';

// At cold start: a missing setting fails the start, naming it.
const { recommender } = awsServing('recommendations');

export const handler = createGetRecommendationsHandler(
  { recommender: () => recommender },
  LAMBDA_API_OPTIONS,
);
