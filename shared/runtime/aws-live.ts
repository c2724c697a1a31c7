import { FirehoseClient } from '@aws-sdk/client-firehose';
import { createDynamoDbLiveCounters } from '../adapters/aws/dynamodb-live-counters.ts';
import { createFirehoseSink } from '../adapters/aws/firehose-sink.ts';
import {
  createImpressionRecorder,
  type ImpressionRecorder,
  impressionSampleRate,
} from '../live/impressions.ts';
import type { LiveCounters } from '../ports/live-counters.ts';
import { documentClient } from './aws.ts';
import { readSettings } from './config.ts';
import { logger } from './observability.ts';

export const LIVE_COUNTERS = 'RECSYS_LIVE_COUNTERS_TABLE';
export const IMPRESSIONS = 'RECSYS_IMPRESSIONS_STREAM';
export const IMPRESSION_SAMPLE_RATE = 'RECSYS_IMPRESSION_SAMPLE_RATE';

/** The live counters table (resources/live.yml), named by the function's environment (read now). */
export function awsLiveCounters(env: NodeJS.ProcessEnv = process.env): LiveCounters {
  const { [LIVE_COUNTERS]: table } = readSettings([LIVE_COUNTERS], env);
  return createDynamoDbLiveCounters({ client: documentClient(), table });
}

let firehose: FirehoseClient | undefined;

/**
 * Served lists into the impressions delivery stream (raw/impressions), each sent before the answer: a Lambda is
 * frozen once it has answered, so a put left pending could be lost or run minutes later. The stage's
 * `impressionSampleRate` (RECSYS_IMPRESSION_SAMPLE_RATE) is the share recorded.
 */
export function awsImpressions(env: NodeJS.ProcessEnv = process.env): ImpressionRecorder {
  const given = readSettings([IMPRESSIONS, IMPRESSION_SAMPLE_RATE], env);
  firehose ??= new FirehoseClient({});
  return createImpressionRecorder({
    sink: createFirehoseSink({ client: firehose, deliveryStreamName: given[IMPRESSIONS] }),
    sampleRate: impressionSampleRate(given[IMPRESSION_SAMPLE_RATE]),
    mode: 'inline',
    onError: (message, error) => logger.error(message, { error }),
  });
}
