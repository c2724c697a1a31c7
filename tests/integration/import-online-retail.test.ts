import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importOnlineRetail } from '../../local/import/online-retail.ts';
import { openLocalRuntime } from '../../local/runtime.ts';
import { lakeEvents, RETAIL_ROWS, tempDir, writeRetailParquet } from './import-fixtures.ts';

let dir: Awaited<ReturnType<typeof tempDir>>;
let file: string;

beforeEach(async () => {
  dir = await tempDir('recsys-import-or-');
  file = join(dir.path, 'retail.parquet');
  await writeRetailParquet(file, RETAIL_ROWS);
});

afterEach(async () => {
  await dir.remove();
});

async function runImport(dataDir: string, path = file) {
  const runtime = await openLocalRuntime({ dataDir, bulk: true });
  const progress: [number, number][] = [];
  try {
    const summary = await importOnlineRetail({
      file: path,
      runtime,
      chunkSize: 3,
      onProgress: (done, total) => progress.push([done, total]),
    });
    return { summary, progress, lakeRoot: runtime.lakeRoot };
  } finally {
    await runtime.close();
  }
}

describe('Importer: importOnlineRetail', () => {
  it('returns counts of purchases, returns, anonymous lines and rejected rows by row number', async () => {
    // Prepare: the fixture's rows 5–10 are malformed in six different ways.
    // Act
    const { summary, progress } = await runImport(join(dir.path, 'data'));
    // Assess
    expect(summary.rowsRead).toBe(11);
    expect(summary.events).toBe(5);
    expect(summary.eventsByType).toEqual({ purchase: 4, return: 1 });
    expect(summary.anonymousEvents).toBe(1);
    expect(summary.rejectedRows).toBe(6);
    expect(summary.rejected.map((r) => [r.row, r.errors[0]!.field])).toEqual([
      [5, 'StockCode'],
      [6, 'Quantity'],
      [7, 'Quantity'],
      [8, 'InvoiceDate'],
      [9, 'UnitPrice'],
      [10, 'itemId'],
    ]);
    expect(summary.rejected[1]!.errors[0]!.message).toBe('is 0');
    expect(summary.rejected[2]!.errors[0]!.message).toMatch(/-10 .*not a cancellation/);
    expect(progress.at(-1)).toEqual([11, 11]);
  });

  it('lands purchase and return events in the lake with userId as the integer string and anonymous sessions per invoice', async () => {
    // Prepare
    const dataDir = join(dir.path, 'data');
    // Act
    const { lakeRoot } = await runImport(dataDir);
    const events = await lakeEvents(lakeRoot);
    // Assess
    expect(events).toHaveLength(5);
    const first = events.find((e) => e.itemId === '71053')!;
    expect(first).toMatchObject({
      type: 'purchase',
      userId: '17850',
      itemId: '71053',
      timestamp: '2010-12-01T08:26:00.000Z',
      value: 6,
      price: 3.39,
      currency: 'GBP',
      properties: { invoiceNo: '536365', country: 'United Kingdom' },
    });
    expect(first.sessionId).toBeUndefined();
    const ret = events.find((e) => e.type === 'return')!;
    expect(ret).toMatchObject({
      userId: '17850',
      itemId: '85123A',
      value: 2,
      properties: { invoiceNo: 'C536379' },
    });
    const anonymous = events.filter((e) => e.userId === undefined);
    expect(anonymous).toEqual([
      expect.objectContaining({ sessionId: 'invoice-536400', itemId: '85123A', value: 1 }),
    ]);
    expect(events.find((e) => e.itemId === '22633')!.userId).toBe('13047');
  });

  it('returns the same eventIds when the same file is imported twice', async () => {
    // Prepare
    const ids = async (dataDir: string) => {
      const { lakeRoot } = await runImport(dataDir);
      return (await lakeEvents(lakeRoot)).map((e) => e.eventId as string).sort();
    };
    // Act
    const once = await ids(join(dir.path, 'a'));
    const twice = await ids(join(dir.path, 'b'));
    // Assess
    expect(new Set(once).size).toBe(5);
    expect(twice).toEqual(once);
  });

  it('returns different eventIds for a different file', async () => {
    // Prepare
    const other = join(dir.path, 'other.parquet');
    await writeRetailParquet(other, RETAIL_ROWS.slice(0, 4));
    // Act
    const a = await lakeEvents((await runImport(join(dir.path, 'a'))).lakeRoot);
    const b = await lakeEvents((await runImport(join(dir.path, 'b'), other)).lakeRoot);
    // Assess
    const idsA = new Set(a.map((e) => e.eventId));
    expect(b.some((e) => idsA.has(e.eventId))).toBe(false);
  });

  it('builds the catalog from StockCode: most frequent description, latest sale price, last invoice date', async () => {
    // Prepare
    const dataDir = join(dir.path, 'data');
    // Act
    const { summary } = await runImport(dataDir);
    const runtime = await openLocalRuntime({ dataDir });
    try {
      const heart = await runtime.store.getItem('85123A');
      const warmer = await runtime.store.getItem('22633');
      // Assess
      expect(heart).toMatchObject({
        itemId: '85123A',
        title: 'WHITE HANGING HEART',
        price: 2.95,
        currency: 'GBP',
        updatedAt: '2010-12-02T10:00:00.000Z',
      });
      expect(warmer).toMatchObject({
        title: 'HAND WARMER',
        price: 1.85,
        updatedAt: '2010-12-03T10:00:00.000Z',
      });
      expect(await runtime.store.getItem('B')).toBeUndefined();
      expect(summary.items).toBe(3);
      expect(summary.rejectedItems).toEqual([
        { itemId: 'X'.repeat(200), errors: [expect.objectContaining({ field: 'itemId' })] },
      ]);
    } finally {
      await runtime.close();
    }
  });

  it('returns an error naming the missing column and the columns found', async () => {
    // Prepare
    const partial = join(dir.path, 'partial.parquet');
    await writeRetailParquet(partial, RETAIL_ROWS, ['CustomerID']);
    // Act
    const attempt = runImport(join(dir.path, 'data'), partial);
    // Assess
    await expect(attempt).rejects.toThrow(
      /missing column CustomerID \(found: InvoiceNo, StockCode, .*Country\)/,
    );
  });

  it('returns an error naming the file when it is not parquet', async () => {
    // Prepare
    const notParquet = join(dir.path, 'notes.parquet');
    await import('node:fs/promises').then((fs) => fs.writeFile(notParquet, 'InvoiceNo,StockCode\n1,2\n'));
    // Act
    const attempt = runImport(join(dir.path, 'data'), notParquet);
    // Assess
    await expect(attempt).rejects.toThrow(/notes\.parquet: is not a parquet file/);
  });
});
