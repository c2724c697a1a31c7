import {
  type FirehoseClient,
  PutRecordBatchCommand,
  type PutRecordBatchOutput,
} from '@aws-sdk/client-firehose';
import { isServerError, isThrottlingError, isTransientError } from '@smithy/service-error-classification';
import type { RecordSink, SinkFailure, SinkRecord, SinkResult } from '../../ports/record-sink.ts';
import { chunkRecords, FIREHOSE_LIMITS, type FirehoseLimits } from './firehose-batches.ts';

export interface FirehoseSinkOptions {
  /**
   * Built once by the caller and not closed by the sink. The SDK's own retry strategy retries whole-call
   * throttling and 5xx errors before this sink sees them, so the attempts multiply (SDK maxAttempts ×
   * this maxAttempts); build the client with `maxAttempts: 1` to leave the retry budget to the sink alone,
   * which also makes it retry per entry rather than per request.
   */
  client: FirehoseClient;
  deliveryStreamName: string;
  /** Calls per batch, the first included. Default 5. */
  maxAttempts?: number;
  /** Backoff before retry n is uniform in [0, min(maxDelayMs, baseDelayMs × 2^(n-1))] (full jitter). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** PutRecordBatch calls in flight at once. Default 4. */
  concurrency?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  limits?: FirehoseLimits;
}

interface PendingEntry {
  index: number;
  data: Uint8Array;
}

/** An error where trying the same call again may succeed. */
function isRetryable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const sdkError = error as Parameters<typeof isThrottlingError>[0];
  return (
    sdkError.$retryable !== undefined ||
    isThrottlingError(sdkError) ||
    isTransientError(sdkError) ||
    isServerError(sdkError)
  );
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A RecordSink that sends JSON lines to a Firehose Direct PUT delivery stream with PutRecordBatch.
 * Firehose accepts or refuses each entry of a batch on its own, so after a partial failure only the
 * refused entries are sent again. Records still refused after the last attempt, or after an error not worth
 * retrying, come back as `unavailable` with their input index: a record is either reported or accepted.
 */
export function createFirehoseSink(options: FirehoseSinkOptions): RecordSink {
  const {
    client,
    deliveryStreamName,
    maxAttempts = 5,
    baseDelayMs = 100,
    maxDelayMs = 2_000,
    concurrency = 4,
    sleep = defaultSleep,
    random = Math.random,
    limits = FIREHOSE_LIMITS,
  } = options;
  if (!(maxAttempts >= 1 && concurrency >= 1)) {
    throw new RangeError('maxAttempts and concurrency must be at least 1');
  }

  const backoff = (retry: number) => random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (retry - 1));

  /** Sends one batch until every entry is taken or the attempts run out; returns what was not taken. */
  async function sendBatch(entries: PendingEntry[], records: readonly SinkRecord[]): Promise<SinkFailure[]> {
    let pending = entries;
    let lastError = 'not attempted';
    for (let attempt = 1; attempt <= maxAttempts && pending.length > 0; attempt++) {
      if (attempt > 1) await sleep(backoff(attempt - 1));
      let output: PutRecordBatchOutput;
      try {
        output = await client.send(
          new PutRecordBatchCommand({
            DeliveryStreamName: deliveryStreamName,
            Records: pending.map((entry) => ({ Data: entry.data })),
          }),
        );
      } catch (error) {
        lastError = describe(error);
        if (isRetryable(error)) continue;
        break;
      }
      const responses = output.RequestResponses ?? [];
      if (output.FailedPutCount === 0 && responses.length === pending.length) {
        pending = [];
        break;
      }
      // Positions in RequestResponses match positions in the request. An entry counts as taken only with a
      // RecordId and no ErrorCode; anything unclear is sent again, since a duplicate costs less than a loss.
      const refused: PendingEntry[] = [];
      pending.forEach((entry, position) => {
        const response = responses[position];
        if (response?.RecordId && !response.ErrorCode) return;
        refused.push(entry);
        if (response?.ErrorCode) lastError = `${response.ErrorCode}: ${response.ErrorMessage ?? ''}`;
      });
      pending = refused;
    }
    return pending.map(({ index }) => ({
      index,
      id: records[index]!.id,
      code: 'unavailable',
      message: `not taken by Firehose stream ${deliveryStreamName} after up to ${maxAttempts} attempts (${lastError})`,
    }));
  }

  return {
    async put(records: readonly SinkRecord[]): Promise<SinkResult> {
      const { batches, tooLarge } = chunkRecords(records, limits);
      const failed: SinkFailure[] = [...tooLarge];
      let next = 0;
      const worker = async () => {
        while (next < batches.length) {
          const batch = batches[next++]!;
          const entries = batch.indexes.map((index, i) => ({ index, data: batch.data[i]! }));
          failed.push(...(await sendBatch(entries, records)));
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, worker));
      failed.sort((a, b) => a.index - b.index);
      return { failed };
    },
    async close(): Promise<void> {
      // Nothing is buffered, and the client belongs to the caller.
    },
  };
}
