import type { RecordSink, SinkRecord } from '../ports/record-sink.ts';

/** Which route served the list. */
export type ListKind = 'user' | 'session' | 'similar' | 'trending';

/**
 * One served list as the lake keeps it (`raw/impressions/`), compactly: the position of an item is its index
 * in `items` plus one. `shopper` is the shopper key (`u:<userId>` / `s:<sessionId>`), null for lists that are
 * not asked for by a shopper (similar items, trending). `sampleRate` is the share of lists recorded when this
 * one was, so a count of sampled impressions divided by it estimates the whole.
 */
export interface Impression {
  recommendationId: string;
  list: ListKind;
  shopper: string | null;
  variant: string;
  experiment?: string;
  modelVersion: string | null;
  items: string[];
  timestamp: string;
  sampleRate: number;
}

export type ServedList = Omit<Impression, 'timestamp' | 'sampleRate'>;

export interface ImpressionRecorder {
  /** Records a served list (or skips it, by the sample rate). Never rejects: a failure is reported, not thrown. */
  record(list: ServedList): Promise<void>;
  /** Waits until every list recorded so far has been handed to the sink. */
  flush(): Promise<void>;
}

export interface ImpressionRecorderOptions {
  sink: RecordSink;
  /** Share of lists recorded, 0..1 (1: all). */
  sampleRate: number;
  /**
   * 'background' (the local server): `record` returns at once; lists are put in batches, one sink call per
   * `batchDelayMs` or per 500 lists, off the request's path. 'inline' (Lambda): `record` resolves once the sink has
   * the list, because a Lambda is frozen after its answer and work left pending may never run.
   */
  mode: 'background' | 'inline';
  batchDelayMs?: number;
  random?: () => number;
  now?: () => number;
  onError?: (message: string, error: unknown) => void;
}

const MAX_BATCH = 500;

/** Reads RECSYS_IMPRESSION_SAMPLE_RATE (default 1), failing on anything but a number in 0..1. */
export function impressionSampleRate(value: string | undefined): number {
  if (value === undefined || value.trim() === '') return 1;
  const rate = Number(value);
  if (!(rate >= 0 && rate <= 1))
    throw new Error(`RECSYS_IMPRESSION_SAMPLE_RATE must be a number from 0 to 1, got "${value}"`);
  return rate;
}

export function createImpressionRecorder(options: ImpressionRecorderOptions): ImpressionRecorder {
  const { sink, sampleRate, mode } = options;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const report = options.onError ?? (() => {});
  const delay = options.batchDelayMs ?? 50;
  let pending: SinkRecord[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inFlight: Promise<void> = Promise.resolve();

  const put = async (records: SinkRecord[]) => {
    try {
      const { failed } = await sink.put(records);
      if (failed.length > 0)
        report(`${failed.length} of ${records.length} impressions were not taken by the lake`, failed[0]);
    } catch (error) {
      report(`${records.length} impressions were not recorded`, error);
    }
  };
  const drain = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    inFlight = inFlight.then(() => put(batch));
  };
  return {
    record(list) {
      if (sampleRate < 1 && !(random() < sampleRate)) return Promise.resolve();
      const impression: Impression = { ...list, timestamp: new Date(now()).toISOString(), sampleRate };
      const record = { id: list.recommendationId, json: JSON.stringify(impression) };
      if (mode === 'inline') return put([record]);
      pending.push(record);
      if (pending.length >= MAX_BATCH) drain();
      else if (timer === undefined) timer = setTimeout(drain, delay);
      return Promise.resolve();
    },
    async flush() {
      drain();
      await inFlight;
    },
  };
}
