import { awsItemSink, awsServingStore, CATALOG } from '../../../shared/runtime/aws.ts';
import { LAMBDA_API_OPTIONS } from '../../../shared/runtime/lambda-tracing.ts';
import { createPutItemsHandler } from './put-items.ts';

export const handler = createPutItemsHandler(
  { itemSink: awsItemSink(), store: awsServingStore([CATALOG]) },
  LAMBDA_API_OPTIONS,
);
