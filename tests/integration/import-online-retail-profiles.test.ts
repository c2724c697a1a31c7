import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { importOnlineRetail } from '../../local/import/online-retail.ts';
import { openLocalRuntime } from '../../local/runtime.ts';
import { readLakeZone } from '../../shared/adapters/local/lake-reader.ts';
import { RETAIL_ROWS, tempDir, writeRetailParquet } from './import-fixtures.ts';

let dir: Awaited<ReturnType<typeof tempDir>>;
beforeEach(async () => {
  dir = await tempDir('recsys-import-profiles-');
});
afterEach(async () => {
  await dir.remove();
});

describe('Importer: importOnlineRetail, Country → shopper profiles (issue 16)', () => {
  it('returns each customer’s country at their latest invoice as a profile, in the serving store and raw/users/', async () => {
    // Prepare: customer 13047's last invoice (row 11) is from France; anonymous lines make no profile.
    const rows = RETAIL_ROWS.map((r, i) => (i === 10 ? { ...r, Country: 'France' } : r));
    const file = join(dir.path, 'retail.parquet');
    await writeRetailParquet(file, rows);
    const dataDir = join(dir.path, 'data');

    // Act
    const runtime = await openLocalRuntime({ dataDir, bulk: true });
    let summary: Awaited<ReturnType<typeof importOnlineRetail>>;
    try {
      summary = await importOnlineRetail({ file, runtime });
      // Assess
      expect(summary.profiles).toBe(2);
      expect(await runtime.users.getProfile('17850')).toEqual({
        userId: '17850',
        country: 'United Kingdom',
        updatedAt: '2010-12-01T09:41:00.000Z',
      });
      expect(await runtime.users.getProfile('13047')).toEqual({
        userId: '13047',
        country: 'France',
        updatedAt: '2010-12-03T10:00:00.000Z',
      });
    } finally {
      await runtime.close();
    }
    const lake: unknown[] = [];
    for await (const v of readLakeZone(join(dataDir, 'lake'), 'raw/users')) lake.push(v);
    expect(lake).toEqual([
      { userId: '17850', country: 'United Kingdom', updatedAt: '2010-12-01T09:41:00.000Z' },
      { userId: '13047', country: 'France', updatedAt: '2010-12-03T10:00:00.000Z' },
    ]);
  });
});
