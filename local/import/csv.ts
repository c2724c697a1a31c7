import { EVENT_TYPES, type EventType } from '../../shared/domain/event.ts';
import type { LocalRuntime } from '../runtime.ts';
import { openCsv } from './csv-records.ts';
import { ImportInputError } from './errors.ts';
import { fileFingerprint, rowEventIds } from './event-id.ts';
import { createEventPipeline, type EventInput } from './event-pipeline.ts';
import { type ImportSummary, RejectionLog } from './summary.ts';

export interface InteractionsCsvImportOptions {
  file: string;
  runtime: LocalRuntime;
  /** Header names of the columns to read. */
  userCol?: string;
  itemCol?: string;
  /** A rating (1–5) or, with another event type, the event's value (e.g. a quantity). */
  ratingCol?: string;
  /** Epoch seconds, epoch milliseconds or an ISO 8601 date; dates without a zone are taken as UTC. */
  timeCol?: string;
  /** A column holding each row's event type (view, purchase, …). */
  typeCol?: string;
  /** A column holding the order (basket) of each row: its `orderId`, what "bought together" learns from. */
  orderCol?: string;
  /** The type of rows without a type column (or with an empty cell): `rating` when there is a rating column, else `purchase`. */
  defaultType?: EventType;
  /** Field separator; `,` by default, tab for `.tsv` files. */
  delimiter?: string;
  /** Bytes read so far out of the file's size (rows are not known until the end). */
  onProgress?: (doneBytes: number, totalBytes: number) => void;
  chunkSize?: number;
  now?: () => number;
}

/**
 * Imports any interaction data set (MovieLens-like: user, item, rating, timestamp) from a CSV with a header line,
 * streaming, through the same `ingestEvents` path as the API. Rows that cannot become a valid event are skipped and
 * listed with their line numbers; a missing column or an unreadable file throws ImportInputError. eventIds derive
 * from the file's SHA-1 and the line number, so importing the same file again is idempotent for training.
 * Without a time column every event is stamped with the import's start time.
 */
export async function importInteractionsCsv(options: InteractionsCsvImportOptions): Promise<ImportSummary> {
  const started = performance.now();
  const { file, runtime } = options;
  const now = options.now ?? Date.now;
  const userCol = options.userCol ?? 'user';
  const itemCol = options.itemCol ?? 'item';
  const defaultType = options.defaultType ?? (options.ratingCol !== undefined ? 'rating' : 'purchase');
  if (!(EVENT_TYPES as readonly string[]).includes(defaultType)) {
    throw new ImportInputError(
      file,
      `the event type "${defaultType}" is not one of ${EVENT_TYPES.join(', ')}`,
    );
  }

  const fingerprint = await fileFingerprint(file);
  const eventId = rowEventIds(fingerprint);
  const source = await openCsv(file, options.delimiter !== undefined ? { delimiter: options.delimiter } : {});
  const wanted: [flag: string, column: string | undefined][] = [
    ['user', userCol],
    ['item', itemCol],
    ['rating', options.ratingCol],
    ['time', options.timeCol],
    ['type', options.typeCol],
    ['order', options.orderCol],
  ];
  const missing = wanted.filter(([, c]) => c !== undefined && !source.header.includes(c));
  if (missing.length > 0) {
    throw new ImportInputError(
      file,
      `no column ${missing.map(([flag, c]) => `"${c}" (the ${flag} column)`).join(', ')} in the header; ` +
        `the columns are: ${source.header.map((h) => `"${h}"`).join(', ')}`,
    );
  }
  const at = (column: string | undefined) => (column === undefined ? -1 : source.header.indexOf(column));
  const userAt = at(userCol);
  const itemAt = at(itemCol);
  const ratingAt = at(options.ratingCol);
  const timeAt = at(options.timeCol);
  const typeAt = at(options.typeCol);
  const orderAt = at(options.orderCol);
  const importTime = new Date(now()).toISOString();

  const rejections = new RejectionLog();
  const pipeline = createEventPipeline({
    runtime: { eventSink: runtime.eventSink, store: runtime.store, now },
    rejections,
    ...(options.chunkSize !== undefined ? { chunkSize: options.chunkSize } : {}),
  });
  let rowsRead = 0;

  for await (const { fields, line } of source.records) {
    rowsRead++;
    if (fields.length !== source.header.length) {
      rejections.add(line, [
        { field: '(row)', message: `has ${fields.length} fields; the header has ${source.header.length}` },
      ]);
      continue;
    }
    const userId = fields[userAt]!;
    const itemId = fields[itemAt]!;
    if (userId === '') {
      rejections.add(line, [{ field: userCol, message: 'is empty' }]);
      continue;
    }
    if (itemId === '') {
      rejections.add(line, [{ field: itemCol, message: 'is empty' }]);
      continue;
    }
    let timestamp = importTime;
    if (timeAt >= 0) {
      const ms = parseTime(fields[timeAt]!);
      if (ms === undefined) {
        rejections.add(line, [
          {
            field: options.timeCol!,
            message: `"${fields[timeAt]}" is not a date (epoch seconds, epoch milliseconds or ISO 8601)`,
          },
        ]);
        continue;
      }
      timestamp = new Date(ms).toISOString();
    }
    let value: number | undefined;
    if (ratingAt >= 0 && fields[ratingAt] !== '') {
      value = Number(fields[ratingAt]);
      if (!Number.isFinite(value)) {
        rejections.add(line, [
          { field: options.ratingCol!, message: `"${fields[ratingAt]}" is not a number` },
        ]);
        continue;
      }
    }
    const type = typeAt >= 0 && fields[typeAt] !== '' ? fields[typeAt]! : defaultType;
    // The schema judges the rest (rating range, type names, id lengths) and its errors come back by line.
    const event: EventInput = { eventId: eventId(line), type, userId, itemId, timestamp };
    if (value !== undefined) event.value = value;
    if (orderAt >= 0 && fields[orderAt] !== '') event.orderId = fields[orderAt];
    const waiting = pipeline.add(line, event);
    if (waiting !== undefined) {
      await waiting;
      options.onProgress?.(source.bytesRead(), source.bytes);
    }
  }
  const counts = await pipeline.finish();
  options.onProgress?.(source.bytes, source.bytes);

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

const NUMERIC = /^\d+(\.\d+)?$/;
const ZONELESS = /^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/;

/** Epoch seconds (MovieLens), epoch milliseconds (13 digits and more) or ISO 8601; zoneless dates are UTC. */
export function parseTime(text: string): number | undefined {
  if (text === '') return undefined;
  if (NUMERIC.test(text)) {
    const n = Number(text);
    // 1e11 seconds is the year 5138; anything larger is milliseconds.
    return n < 1e11 ? Math.round(n * 1000) : Math.round(n);
  }
  const iso = ZONELESS.test(text)
    ? `${text.replace(' ', 'T')}${text.length === 10 ? 'T00:00:00' : ''}Z`
    : text;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : undefined;
}
