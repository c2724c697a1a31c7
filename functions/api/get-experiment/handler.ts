import { awsServing } from '../../../shared/runtime/aws-serving.ts';
import { LAMBDA_API_OPTIONS } from '../../../shared/runtime/lambda-tracing.ts';
import { createGetExperimentHandler } from './get-experiment.ts';

// At cold start: a missing setting fails the start, naming it.
const { experiments } = awsServing('experiments');

export const handler = createGetExperimentHandler(() => experiments, LAMBDA_API_OPTIONS);
