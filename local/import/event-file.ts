import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { EVENT_LIMITS } from '../../shared/domain/event.ts';
import type { LocalRuntime } from '../runtime.ts';
import { openCsv } from './csv-records.ts';
import { ImportInputError } from './errors.ts';
import { createEventPipeline, type EventInput } from './event-pipeline.ts';
import { type ImportSummary, RejectionLog } from './summary.ts';

export type EventFileFormat = 'jsonl' | 'csv';

export interface EventFileOptions {
  file: string;
  runtime: LocalRuntime;
  /** By extension when omitted: .csv/.tsv → csv, anything else → JSON lines. */
  format?: EventFileFormat;
  onProgress?: (doneBytes: number, totalBytes: number) => void;
  now?: () => number;
}

/** Event fields whose CSV cells are numbers; every other cell stays a string and the schema judges it. */
const NUMERIC_FIELDS = new Set(['value', 'price']);

function eventFileFormat(file: string): EventFileFormat {
  return /\.(csv|tsv)$/i.test(file) ? 'csv' : 'jsonl';
}

/**
 * Ingests a file of events written the way clients send them — one JSON event per line, or a CSV whose header
 * names the event fields (`context.page`, `properties.color` for nested ones; empty cells are absent) — through
 * `ingestEvents` in batches of the API's size. Valid lines are ingested even when others are not; those are
 * listed with their line numbers and field errors. The events carry their own eventIds.
 */
export async function ingestEventFile(options: EventFileOptions): Promise<ImportSummary> {
  const started = performance.now();
  const { file, runtime } = options;
  const now = options.now ?? Date.now;
  const format = options.format ?? eventFileFormat(file);
  const rejections = new RejectionLog();
  const pipeline = createEventPipeline({
    runtime: { eventSink: runtime.eventSink, store: runtime.store, now },
    rejections,
    chunkSize: EVENT_LIMITS.maxBatch,
  });
  let rowsRead = 0;
  const lines = format === 'csv' ? csvEvents(file) : jsonLines(file);
  for await (const entry of lines) {
    if ('total' in entry) {
      options.onProgress?.(entry.done, entry.total);
      continue;
    }
    rowsRead++;
    if ('error' in entry) {
      rejections.add(entry.line, [{ field: '(line)', message: entry.error }]);
      continue;
    }
    const waiting = pipeline.add(entry.line, entry.event);
    if (waiting !== undefined) await waiting;
  }
  const counts = await pipeline.finish();
  const elapsedMs = performance.now() - started;
  return {
    file,
    rowUnit: 'line',
    rowsRead,
    ...counts,
    items: 0,
    rejectedItems: [],
    rejectedRows: rejections.count,
    rejected: rejections.sorted(),
    elapsedMs,
    rowsPerSecond: rowsRead / (elapsedMs / 1000),
  };
}

type Entry =
  | { line: number; event: EventInput }
  | { line: number; error: string }
  | { done: number; total: number };

const PROGRESS_EVERY = 5000;

async function* jsonLines(file: string): AsyncGenerator<Entry> {
  let total: number;
  try {
    total = (await stat(file)).size;
  } catch (error) {
    throw new ImportInputError(file, `cannot read the file (${(error as Error).message})`, { cause: error });
  }
  const input = createReadStream(file);
  const reader = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of reader) {
      line++;
      if (line % PROGRESS_EVERY === 0) yield { done: input.bytesRead, total };
      const trimmed = line === 1 ? text.replace(/^\uFEFF/, '').trim() : text.trim();
      if (trimmed === '') continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(trimmed);
      } catch (error) {
        yield { line, error: `not valid JSON (${(error as Error).message})` };
        continue;
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        yield {
          line,
          error: `expected one JSON object (an event) per line, got ${Array.isArray(parsed) ? 'an array' : typeof parsed}`,
        };
        continue;
      }
      yield { line, event: parsed as EventInput };
    }
  } catch (error) {
    throw new ImportInputError(file, `cannot read the file (${(error as Error).message})`, { cause: error });
  }
  yield { done: total, total };
}

async function* csvEvents(file: string): AsyncGenerator<Entry> {
  const source = await openCsv(file);
  const paths = source.header.map((h) => h.split('.'));
  const bad = paths.findIndex((p) => p.length > 2 || p.some((part) => part === ''));
  if (bad >= 0) {
    throw new ImportInputError(
      file,
      `header column "${source.header[bad]}" is not an event field (use names like type, itemId, context.page, properties.color)`,
    );
  }
  let n = 0;
  for await (const { fields, line } of source.records) {
    if (++n % PROGRESS_EVERY === 0) yield { done: source.bytesRead(), total: source.bytes };
    if (fields.length !== source.header.length) {
      yield { line, error: `has ${fields.length} fields; the header has ${source.header.length}` };
      continue;
    }
    const event: EventInput = {};
    fields.forEach((cell, i) => {
      if (cell === '') return;
      const [key, sub] = paths[i] as [string, string | undefined];
      const value =
        NUMERIC_FIELDS.has(key) && sub === undefined && Number.isFinite(Number(cell)) ? Number(cell) : cell;
      if (sub === undefined) event[key] = value;
      else {
        event[key] ??= {};
        (event[key] as Record<string, unknown>)[sub] = value;
      }
    });
    yield { line, event };
  }
  yield { done: source.bytes, total: source.bytes };
}
