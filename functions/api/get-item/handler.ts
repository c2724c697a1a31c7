import { awsServingStore, CATALOG } from '../../../shared/runtime/aws.ts';
import { LAMBDA_API_OPTIONS } from '../../../shared/runtime/lambda-tracing.ts';
import { createGetItemHandler } from './get-item.ts';

export const handler = createGetItemHandler({ store: awsServingStore([CATALOG]) }, LAMBDA_API_OPTIONS);
