import { LAMBDA_API_OPTIONS } from '../../../shared/runtime/lambda-tracing.ts';
import { stepFunctionsRuns } from '../admin-aws.ts';
import { createGetRunHandler, createListRunsHandler, createStartRunHandler } from './admin-runs.ts';

const runs = stepFunctionsRuns();

/** Three routes, three Lambdas (serverless.yml names each export), one Step Functions port. */
export const listHandler = createListRunsHandler(runs, LAMBDA_API_OPTIONS);
export const getHandler = createGetRunHandler(runs, LAMBDA_API_OPTIONS);
export const startHandler = createStartRunHandler(runs, LAMBDA_API_OPTIONS);
