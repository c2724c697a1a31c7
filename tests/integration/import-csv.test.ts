import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importInteractionsCsv } from '../../local/import/csv.ts';
import { openLocalRuntime } from '../../local/runtime.ts';
import { lakeEvents, tempDir } from './import-fixtures.ts';

let dir: Awaited<ReturnType<typeof tempDir>>;

beforeEach(async () => {
  dir = await tempDir('recsys-import-csv-');
});

afterEach(async () => {
  await dir.remove();
});

async function runImport(
  content: string,
  options: Partial<Parameters<typeof importInteractionsCsv>[0]> = {},
) {
  const file = join(dir.path, options.file ?? 'ratings.csv');
  await writeFile(file, content);
  const runtime = await openLocalRuntime({ dataDir: join(dir.path, 'data'), bulk: true });
  let summary: Awaited<ReturnType<typeof importInteractionsCsv>>;
  try {
    summary = await importInteractionsCsv({ ...options, file, runtime, chunkSize: 2 });
  } finally {
    await runtime.close();
  }
  // The lake shows objects once they are complete, i.e. after close.
  return { summary, events: await lakeEvents(runtime.lakeRoot) };
}

const MOVIELENS = [
  'userId,movieId,rating,timestamp',
  '1,31,2.5,1260759144',
  '1,1029,3.0,1260759179',
  '2,10,0.5,835355493',
  '2,17,abc,835355681',
  '3,"Heat, the movie",4,2011-12-09 12:50:00',
  ',44,4,835355681',
  '4,55,5',
].join('\n');

describe('Importer: importInteractionsCsv', () => {
  it('returns rating events from a MovieLens-like file and rejects bad rows by line number', async () => {
    // Prepare
    const columns = { userCol: 'userId', itemCol: 'movieId', ratingCol: 'rating', timeCol: 'timestamp' };
    // Act
    const { summary, events } = await runImport(MOVIELENS, columns);
    // Assess
    expect(summary.rowsRead).toBe(7);
    expect(summary.events).toBe(3);
    expect(summary.eventsByType).toEqual({ rating: 3 });
    expect(summary.rejected.map((r) => [r.row, r.errors[0]!.field])).toEqual([
      [4, 'value'],
      [5, 'rating'],
      [7, 'userId'],
      [8, '(row)'],
    ]);
    expect(summary.rejected[0]!.errors[0]!.message).toMatch(/between 1 and 5/);
    expect(summary.rejected[1]!.errors[0]!.message).toBe('"abc" is not a number');
    const byItem = new Map(events.map((e) => [e.itemId, e]));
    expect(byItem.get('31')).toMatchObject({
      type: 'rating',
      userId: '1',
      value: 2.5,
      timestamp: '2009-12-14T02:52:24.000Z',
    });
    expect(byItem.get('Heat, the movie')).toMatchObject({
      userId: '3',
      timestamp: '2011-12-09T12:50:00.000Z',
    });
  });

  it('returns purchase events stamped with the import time when no rating or time column is given', async () => {
    // Prepare
    const now = Date.parse('2024-05-01T12:00:00Z');
    // Act
    const { events } = await runImport('user,item\nu1,i1\nu2,i2\n', { now: () => now });
    // Assess
    expect(events.map((e) => [e.type, e.userId, e.itemId, e.timestamp]).sort()).toEqual([
      ['purchase', 'u1', 'i1', '2024-05-01T12:00:00.000Z'],
      ['purchase', 'u2', 'i2', '2024-05-01T12:00:00.000Z'],
    ]);
  });

  it('returns the event types of a type column, with the rating column as the value', async () => {
    // Prepare
    const content = 'user\titem\tkind\tqty\nu1\ti1\tview\t\nu1\ti1\tadd_to_cart\t2\nu1\ti1\tteleport\t1\n';
    // Act
    const { summary, events } = await runImport(content, {
      file: 'log.tsv',
      typeCol: 'kind',
      ratingCol: 'qty',
      defaultType: 'view',
    });
    // Assess
    expect(summary.eventsByType).toEqual({ view: 1, add_to_cart: 1 });
    expect(events.find((e) => e.type === 'add_to_cart')!.value).toBe(2);
    expect(summary.rejected).toEqual([{ row: 4, errors: [expect.objectContaining({ field: 'type' })] }]);
  });

  it('returns an error naming the missing column and the columns found', async () => {
    // Prepare
    const options = { userCol: 'user_id', itemCol: 'movieId' };
    // Act
    const attempt = runImport(MOVIELENS, options);
    // Assess
    await expect(attempt).rejects.toThrow(
      /no column "user_id" \(the user column\) in the header; the columns are: "userId", "movieId", "rating", "timestamp"/,
    );
  });

  it('returns the same eventIds when the same file is imported twice', async () => {
    // Prepare
    const content = 'user,item\nu1,i1\nu1,i1\nu2,i3\n';
    // Act
    const a = (await runImport(content)).events.map((e) => e.eventId);
    await dir.remove();
    dir = await tempDir('recsys-import-csv-');
    const b = (await runImport(content)).events.map((e) => e.eventId);
    // Assess
    expect(new Set(a).size).toBe(3);
    expect(b.sort()).toEqual(a.sort());
  });
});
