import { awsServingStore, CATALOG } from '../../../shared/runtime/aws.ts';
import { createGetItemHandler } from './get-item.ts';

export const handler = createGetItemHandler({ store: awsServingStore([CATALOG]) }, { metrics: true });
