import { ACTIVITY, awsEventSink, awsServingStore } from '../../../shared/runtime/aws.ts';
import { awsLiveCounters } from '../../../shared/runtime/aws-live.ts';
import { LAMBDA_API_OPTIONS } from '../../../shared/runtime/lambda-tracing.ts';
import { logger } from '../../../shared/runtime/observability.ts';
import { createIngestEventsHandler } from './ingest-events.ts';

export const handler = createIngestEventsHandler(
  {
    eventSink: awsEventSink(),
    store: awsServingStore([ACTIVITY]),
    // Live trending's and the data statistics' counters: UpdateItem ADD beside the Firehose put.
    counters: awsLiveCounters(),
    onCounterError: (error) => logger.error('live counters not updated', { error }),
  },
  LAMBDA_API_OPTIONS,
);
