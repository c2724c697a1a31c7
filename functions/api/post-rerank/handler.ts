import { awsServing } from '../../../shared/runtime/aws-serving.ts';
import { LAMBDA_API_OPTIONS } from '../../../shared/runtime/lambda-tracing.ts';
import { createPostRerankHandler } from './post-rerank.ts';

// At cold start: a missing setting fails the start, naming it.
const { recommender } = awsServing('rerank');

export const handler = createPostRerankHandler({ recommender: () => recommender }, LAMBDA_API_OPTIONS);
