import { awsServing } from '../../../shared/runtime/aws-serving.ts';
import { LAMBDA_API_OPTIONS } from '../../../shared/runtime/lambda-tracing.ts';
import { createGetTrendingHandler } from './get-trending.ts';

// At cold start: a missing setting fails the start, naming it.
const { recommender } = awsServing('trending');

export const handler = createGetTrendingHandler({ recommender: () => recommender }, LAMBDA_API_OPTIONS);
