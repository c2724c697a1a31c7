import { ACTIVITY, awsEventSink, awsServingStore } from '../../../shared/runtime/aws.ts';
import { LAMBDA_API_OPTIONS } from '../../../shared/runtime/lambda-tracing.ts';
import { createIngestEventsHandler } from './ingest-events.ts';

export const handler = createIngestEventsHandler(
  { eventSink: awsEventSink(), store: awsServingStore([ACTIVITY]) },
  LAMBDA_API_OPTIONS,
);
