import { awsServing } from '../../../shared/runtime/aws-serving.ts';
import { LAMBDA_API_OPTIONS } from '../../../shared/runtime/lambda-tracing.ts';
import { createGetSimilarItemsHandler } from './get-similar-items.ts';

// At cold start: a missing setting fails the start, naming it.
const { recommender } = awsServing('similarItems');

export const handler = createGetSimilarItemsHandler({ recommender: () => recommender }, LAMBDA_API_OPTIONS);
