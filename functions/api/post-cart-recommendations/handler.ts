import { awsServing } from '../../../shared/runtime/aws-serving.ts';
import { LAMBDA_API_OPTIONS } from '../../../shared/runtime/lambda-tracing.ts';
import { createPostCartRecommendationsHandler } from './post-cart-recommendations.ts';

// At cold start: a missing setting fails the start, naming it.
const { recommender } = awsServing('cartRecommendations');

export const handler = createPostCartRecommendationsHandler(
  { recommender: () => recommender },
  LAMBDA_API_OPTIONS,
);
