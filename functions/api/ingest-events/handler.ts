import { ACTIVITY, awsEventSink, awsServingStore } from '../../../shared/runtime/aws.ts';
import { createIngestEventsHandler } from './ingest-events.ts';

export const handler = createIngestEventsHandler(
  { eventSink: awsEventSink(), store: awsServingStore([ACTIVITY]) },
  { metrics: true },
);
