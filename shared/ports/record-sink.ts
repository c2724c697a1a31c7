/**
 * Where validated records go on their way to the lake. One sink per stream (events, items).
 * AWS: a Firehose delivery stream. Local: the filesystem lake writer, same object layout and bytes.
 */
export interface SinkRecord {
  /** The record's own id (eventId / itemId), reported back on failure. */
  id: string;
  /** One JSON document, no trailing newline: the sink frames records as JSON lines. */
  json: string;
}

export interface SinkFailure {
  /** Index into the records passed to `put`. */
  index: number;
  id: string;
  /** `too_large` is permanent (the client must shrink the record); `unavailable` is worth retrying later. */
  code: 'too_large' | 'unavailable';
  message: string;
}

export interface SinkResult {
  /** Records not taken. Every record not listed here is durably accepted when `put` resolves. */
  failed: SinkFailure[];
}

export interface RecordSink {
  put(records: readonly SinkRecord[]): Promise<SinkResult>;
  /** Flushes what is buffered and releases files/clients. */
  close(): Promise<void>;
}
