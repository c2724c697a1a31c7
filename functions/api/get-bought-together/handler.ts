import { awsServing } from '../../../shared/runtime/aws-serving.ts';
import { LAMBDA_API_OPTIONS } from '../../../shared/runtime/lambda-tracing.ts';
import { createGetBoughtTogetherHandler } from './get-bought-together.ts';

// At cold start: a missing setting fails the start, naming it.
const { recommender } = awsServing('boughtTogether');

export const handler = createGetBoughtTogetherHandler({ recommender: () => recommender }, LAMBDA_API_OPTIONS);
