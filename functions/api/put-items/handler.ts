import { awsItemSink, awsServingStore } from '../../../shared/runtime/aws.ts';
import { createPutItemsHandler } from './put-items.ts';

export const handler = createPutItemsHandler(
  { itemSink: awsItemSink(), store: awsServingStore() },
  { metrics: true },
);
