import type { SinkFailure, SinkRecord } from '../../ports/record-sink.ts';

/** PutRecordBatch quotas. Sizes count the record bytes as sent (framed, before base64). */
export interface FirehoseLimits {
  maxRecords: number;
  maxBatchBytes: number;
  maxRecordBytes: number;
}

export const FIREHOSE_LIMITS: Readonly<FirehoseLimits> = Object.freeze({
  maxRecords: 500,
  maxBatchBytes: 4 * 1024 * 1024,
  maxRecordBytes: 1_000 * 1024,
});

/** One PutRecordBatch request's worth of records; `indexes[i]` is the position of `data[i]` in the input. */
export interface RecordBatch {
  indexes: number[];
  data: Uint8Array[];
  bytes: number;
}

export interface ChunkedRecords {
  batches: RecordBatch[];
  tooLarge: SinkFailure[];
}

const encoder = new TextEncoder();

/**
 * Firehose concatenates records into S3 objects as they are, so each record carries its own newline:
 * the objects are then JSON lines without any record-separator processing.
 */
function frameRecord(record: SinkRecord): Uint8Array {
  return encoder.encode(`${record.json}\n`);
}

/**
 * Splits records into batches that PutRecordBatch accepts, in input order. Greedy: a batch closes when the
 * next record would break the count or byte limit. Records over the per-record limit are never sent.
 */
export function chunkRecords(
  records: readonly SinkRecord[],
  limits: FirehoseLimits = FIREHOSE_LIMITS,
): ChunkedRecords {
  if (
    !(limits.maxRecords >= 1 && limits.maxRecordBytes >= 1 && limits.maxRecordBytes <= limits.maxBatchBytes)
  ) {
    // Otherwise a record that passes the per-record check could still make a batch Firehose refuses.
    throw new RangeError(`invalid Firehose limits: ${JSON.stringify(limits)}`);
  }
  const batches: RecordBatch[] = [];
  const tooLarge: SinkFailure[] = [];
  let current: RecordBatch = { indexes: [], data: [], bytes: 0 };

  for (let index = 0; index < records.length; index++) {
    const record = records[index]!;
    const data = frameRecord(record);
    if (data.byteLength > limits.maxRecordBytes) {
      tooLarge.push({
        index,
        id: record.id,
        code: 'too_large',
        message: `record is ${data.byteLength} bytes as a JSON line; the limit is ${limits.maxRecordBytes}`,
      });
      continue;
    }
    if (
      current.data.length > 0 &&
      (current.data.length >= limits.maxRecords || current.bytes + data.byteLength > limits.maxBatchBytes)
    ) {
      batches.push(current);
      current = { indexes: [], data: [], bytes: 0 };
    }
    current.indexes.push(index);
    current.data.push(data);
    current.bytes += data.byteLength;
  }
  if (current.data.length > 0) batches.push(current);
  return { batches, tooLarge };
}
