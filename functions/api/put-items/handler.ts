import { awsItemSink, awsServingStore, CATALOG } from '../../../shared/runtime/aws.ts';
import { createPutItemsHandler } from './put-items.ts';

export const handler = createPutItemsHandler(
  { itemSink: awsItemSink(), store: awsServingStore([CATALOG]) },
  { metrics: true },
);
