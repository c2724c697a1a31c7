import { localLakeZone } from '../../shared/adapters/local/lake-reader.ts';
import type { InteractionRecord } from '../../shared/model/interactions.ts';
import {
  type CountProgress,
  type LoadedInteractions,
  readLakeInteractions,
} from '../../shared/training/lake-input.ts';
import { TrainingInputError } from '../../shared/training/pipeline.ts';
import { parseTime } from '../import/csv.ts';
import { openCsv } from '../import/csv-records.ts';
import { ImportInputError } from '../import/errors.ts';

/** Events (`raw/events`), the catalog (`raw/items`, latest updatedAt per item) and the served lists (`raw/impressions`). */
export function loadLake(lakeRoot: string, onCount?: CountProgress): Promise<LoadedInteractions> {
  return readLakeInteractions(
    {
      events: localLakeZone(lakeRoot, 'raw/events'),
      items: localLakeZone(lakeRoot, 'raw/items'),
      // Served lists: exposures without a click as weak negatives (shared/training/exposures.ts).
      impressions: localLakeZone(lakeRoot, 'raw/impressions'),
      users: localLakeZone(lakeRoot, 'raw/users'),
      describe: lakeRoot,
    },
    onCount,
  );
}

export interface CsvColumns {
  user?: string;
  item?: string;
  rating?: string;
  timestamp?: string;
}

const DEFAULT_COLUMNS = { user: 'user', item: 'item', rating: 'rating', timestamp: 'timestamp' };

/**
 * An interactions CSV: user and item columns are required; a rating column makes `rating` events (1–5 scale),
 * without one every row is a purchase; a time column is epoch seconds/ms or ISO 8601, without one the row
 * order stands for time. A rating column or time column named explicitly must exist. Bad values stop the
 * load with the file and line: a training file is the user's own data, and silently dropping rows would
 * train on something else than they think.
 */
export async function loadInteractionsCsv(
  path: string,
  columns: CsvColumns = {},
  onCount?: CountProgress,
): Promise<LoadedInteractions> {
  try {
    const csv = await openCsv(path);
    const header = csv.header;
    const found = `the columns found are: ${header.map((h) => JSON.stringify(h)).join(', ')}`;
    const col = (name: string) => header.indexOf(name);
    const userCol = columns.user ?? DEFAULT_COLUMNS.user;
    const itemCol = columns.item ?? DEFAULT_COLUMNS.item;
    const missing = [userCol, itemCol].filter((c) => col(c) < 0);
    if (columns.rating !== undefined && col(columns.rating) < 0) missing.push(columns.rating);
    if (columns.timestamp !== undefined && col(columns.timestamp) < 0) missing.push(columns.timestamp);
    if (missing.length > 0)
      throw new TrainingInputError(
        `${path}: missing column${missing.length > 1 ? 's' : ''} ${missing.map((m) => JSON.stringify(m)).join(', ')}; ${found}`,
      );
    const u = col(userCol);
    const it = col(itemCol);
    const r = col(columns.rating ?? DEFAULT_COLUMNS.rating);
    const t = col(columns.timestamp ?? DEFAULT_COLUMNS.timestamp);
    const records: InteractionRecord[] = [];
    let rows = 0;
    for await (const rec of csv.records) {
      rows++;
      const f = rec.fields;
      const where = `${path}:${rec.line}`;
      const user = f[u] ?? '';
      const item = f[it] ?? '';
      if (user === '' || item === '')
        throw new TrainingInputError(`${where}: empty ${user === '' ? userCol : itemCol}`);
      let timestamp = rec.line;
      if (t >= 0) {
        const ms = parseTime(f[t] ?? '');
        if (ms === undefined)
          throw new TrainingInputError(
            `${where}: ${header[t]} "${f[t] ?? ''}" is not a time (epoch seconds/ms or ISO 8601)`,
          );
        timestamp = ms;
      }
      if (r >= 0) {
        const text = f[r] ?? '';
        const value = Number(text);
        if (text === '' || !Number.isFinite(value))
          throw new TrainingInputError(`${where}: ${header[r]} "${text}" is not a number`);
        records.push({ userId: user, itemId: item, type: 'rating', value, timestamp });
      } else {
        records.push({ userId: user, itemId: item, type: 'purchase', timestamp });
      }
      if (rows % 50_000 === 0) onCount?.('reading csv', csv.bytesRead(), csv.bytes);
    }
    onCount?.('reading csv', csv.bytes, csv.bytes);
    if (records.length === 0) throw new TrainingInputError(`${path}: no data rows after the header`);
    return {
      records,
      data: {
        source: `csv:${path}`,
        events: rows,
        duplicates: 0,
        malformed: 0,
        unknownTypes: 0,
        skipped: 0,
      },
      warnings: [],
    };
  } catch (error) {
    if (error instanceof ImportInputError) throw new TrainingInputError(error.message, { cause: error });
    throw error;
  }
}
