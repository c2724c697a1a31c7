import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataDirLayout } from '../../local/data-dir.ts';
import { lakeEvents, RETAIL_ROWS, runCli, tempDir, writeRetailParquet } from './import-fixtures.ts';

let dir: Awaited<ReturnType<typeof tempDir>>;

beforeAll(async () => {
  dir = await tempDir('recsys-import-cli-');
});

afterAll(async () => {
  await dir.remove();
});

describe('CLI: recsys import', () => {
  it('returns exit 0 with a summary, rejected rows by number and a warning for an Online Retail file', async () => {
    // Prepare: 11 rows, 6 malformed — more than the default 5% would fail, so allow it explicitly.
    const file = join(dir.path, 'retail.parquet');
    await writeRetailParquet(file, RETAIL_ROWS);
    const dataDir = join(dir.path, 'or-data');
    // Act
    const run = await runCli([
      'import',
      'online-retail',
      file,
      '--data-dir',
      dataDir,
      '--max-rejected',
      '0.6',
    ]);
    // Assess
    expect(run.stderr).toMatch(/warning: 6 of 11 rows \(54\.55%\) were rejected/);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/events ingested: 5 \(purchase 4, return 1\)/);
    expect(run.stdout).toMatch(/row 7: Quantity: is -10 on invoice 536403/);
    expect(await lakeEvents(dataDirLayout(dataDir).lake)).toHaveLength(5);
  });

  it('returns exit 2 when more rows are rejected than --max-rejected allows, after importing the valid ones', async () => {
    // Prepare
    const file = join(dir.path, 'retail2.parquet');
    await writeRetailParquet(file, RETAIL_ROWS);
    const dataDir = join(dir.path, 'or-data2');
    // Act
    const run = await runCli(['import', 'online-retail', file, '--data-dir', dataDir]);
    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/more than --max-rejected 0\.05; the 5 valid events were ingested/);
    expect(await lakeEvents(dataDirLayout(dataDir).lake)).toHaveLength(5);
  });

  it('returns exit 1 naming the file when it does not exist', async () => {
    // Prepare
    const missing = join(dir.path, 'nope.parquet');
    // Act
    const run = await runCli(['import', 'online-retail', missing, '--data-dir', join(dir.path, 'd3')]);
    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`error: ${missing}: cannot read the file`);
  });

  it('returns exit 1 naming the missing CSV column and the columns found', async () => {
    // Prepare
    const file = join(dir.path, 'ratings.csv');
    await writeFile(file, 'userId,movieId,rating\n1,2,3\n');
    // Act
    const run = await runCli([
      'import',
      'csv',
      file,
      '--item-col',
      'movieId',
      '--data-dir',
      join(dir.path, 'd4'),
    ]);
    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /no column "user" \(the user column\) in the header; the columns are: "userId", "movieId", "rating"/,
    );
  });

  it('returns exit 2 listing a rating outside 1–5 by line number', async () => {
    // Prepare
    const file = join(dir.path, 'bad-ratings.csv');
    await writeFile(file, 'u,i,r\n1,10,4\n1,11,7\n');
    const dataDir = join(dir.path, 'd5');
    // Act
    const run = await runCli([
      'import',
      'csv',
      file,
      '--user-col',
      'u',
      '--item-col',
      'i',
      '--rating-col',
      'r',
      '--data-dir',
      dataDir,
    ]);
    // Assess
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(/line 3: value: a rating must be between 1 and 5/);
    expect((await lakeEvents(dataDirLayout(dataDir).lake)).map((e) => e.itemId)).toEqual(['10']);
  });

  it('returns the options and exit codes in --help', async () => {
    // Act
    const run = await runCli(['import', 'csv', '--help']);
    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/--rating-col <name>/);
    expect(run.stdout).toMatch(/2 {2}imported, but more rows were rejected than --max-rejected allows/);
  });
});
