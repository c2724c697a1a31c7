import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importInteractionsCsv } from '../../local/import/csv.ts';
import { importOnlineRetail } from '../../local/import/online-retail.ts';
import { openLocalRuntime } from '../../local/runtime.ts';
import { lakeEvents, RETAIL_ROWS, tempDir, writeRetailParquet } from './import-fixtures.ts';

/** The importers fill `orderId`: the basket "bought together" learns from (issue 16). */
let dir: Awaited<ReturnType<typeof tempDir>>;

beforeEach(async () => {
  dir = await tempDir('recsys-import-orders-');
});

afterEach(async () => {
  await dir.remove();
});

describe('Importers: orderId', () => {
  it('Online Retail: every line’s InvoiceNo becomes its event’s orderId', async () => {
    // Prepare
    const file = join(dir.path, 'retail.parquet');
    await writeRetailParquet(file, RETAIL_ROWS);
    const runtime = await openLocalRuntime({ dataDir: join(dir.path, 'data'), bulk: true });
    // Act
    try {
      await importOnlineRetail({ file, runtime, chunkSize: 3 });
    } finally {
      await runtime.close();
    }
    // Assess
    const events = await lakeEvents(runtime.lakeRoot);
    expect(events.map((e) => [e.type, e.itemId, e.orderId]).sort()).toEqual(
      [
        ['purchase', '85123A', '536365'],
        ['purchase', '71053', '536365'],
        ['return', '85123A', 'C536379'],
        ['purchase', '85123A', '536400'],
        ['purchase', '22633', '536406'],
      ].sort(),
    );
  });

  it('CSV: --order-col fills orderId, an empty cell leaves it out, a missing column is named', async () => {
    // Prepare
    const file = join(dir.path, 'orders.csv');
    await writeFile(file, 'user,item,order\nu1,i1,o-1\nu1,i2,o-1\nu2,i1,\n');
    const runtime = await openLocalRuntime({ dataDir: join(dir.path, 'data'), bulk: true });
    // Act
    try {
      await importInteractionsCsv({ file, runtime, orderCol: 'order' });
      await expect(importInteractionsCsv({ file, runtime, orderCol: 'basket' })).rejects.toThrow(
        /no column "basket" \(the order column\)/,
      );
    } finally {
      await runtime.close();
    }
    // Assess
    const events = await lakeEvents(runtime.lakeRoot);
    expect(events.map((e) => [e.userId, e.itemId, e.orderId ?? null]).sort()).toEqual([
      ['u1', 'i1', 'o-1'],
      ['u1', 'i2', 'o-1'],
      ['u2', 'i1', null],
    ]);
  });
});
