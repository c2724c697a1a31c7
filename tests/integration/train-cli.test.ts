import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataDirLayout } from '../../local/data-dir.ts';
import { createLakeWriter } from '../../shared/adapters/local/lake-writer.ts';
import {
  itemTitle,
  plantedRecords,
  recordsCsv,
  runCli,
  tempDir,
  writeText,
} from '../fixtures/training-data.ts';

let dir: Awaited<ReturnType<typeof tempDir>>;
let dataDir: string;

const uuid = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

beforeAll(async () => {
  dir = await tempDir('recsys-train-cli-');
  dataDir = join(dir.path, 'data');
  // The lake exactly as the ingest path writes it: the real lake writer, StoredEvents with receivedAt.
  const lakeRoot = dataDirLayout(dataDir).lake;
  const events = createLakeWriter({
    root: lakeRoot,
    zonePrefix: 'raw/events',
    streamName: 'recsys-local-events',
  });
  const items = createLakeWriter({
    root: lakeRoot,
    zonePrefix: 'raw/items',
    streamName: 'recsys-local-items',
  });
  const receivedAt = '2024-03-01T00:00:00.000Z';
  const stored = plantedRecords().map((r, n) => ({
    eventId: uuid(n + 1),
    type: r.type,
    userId: r.userId,
    itemId: r.itemId,
    value: 1,
    timestamp: new Date(r.timestamp).toISOString(),
    receivedAt,
  }));
  const extra = [
    stored[0]!, // delivered twice (Firehose is at-least-once)
    stored[1]!,
    { ...stored[2]!, eventId: uuid(90_001), userId: undefined, sessionId: 's-1' }, // anonymous
    { ...stored[3]!, eventId: uuid(90_002), sessionId: 's-2', userId: undefined },
  ];
  await events.put([...stored, ...extra].map((e) => ({ id: e.eventId, json: JSON.stringify(e) })));
  await events.put([
    { id: 'bad-1', json: '{"eventId": "x", "type": "view"}' }, // no timestamp
    { id: 'bad-2', json: 'not json at all' },
  ]);
  await events.close();
  const ids = [...new Set(stored.map((e) => e.itemId))];
  await items.put(
    ids.map((itemId) => ({
      id: itemId,
      json: JSON.stringify({ itemId, title: itemTitle(itemId), inStock: true, updatedAt: receivedAt }),
    })),
  );
  await items.close();
});

afterAll(async () => {
  await dir.remove();
});

describe('CLI: recsys train', () => {
  it('trains from the lake into <data-dir>/models/<version> and reports data counts and validation', async () => {
    // Act
    const run = await runCli(['train', '--data-dir', dataDir, '--model', 'als', '--budget', '5']);
    // Assess
    expect(run.stderr).not.toMatch(/^error/m);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/winner: ials/);
    expect(run.stdout).toMatch(/nDCG@10\s+\d\.\d{4}\s+\d\.\d{4}/);
    expect(run.stderr).toMatch(/iALS iteration 10\/10/);
    const versions = (await readdir(dataDirLayout(dataDir).models)).filter((v) => !v.startsWith('.'));
    expect(versions).toHaveLength(1);
    expect(versions[0]).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{8}$/);
    const manifest = JSON.parse(
      await readFile(join(dataDirLayout(dataDir).models, versions[0]!, 'manifest.json'), 'utf8'),
    );
    expect(manifest).toMatchObject({
      schemaVersion: 1,
      engine: 'typescript',
      model: { kind: 'ials' },
      data: {
        events: 806,
        duplicates: 2,
        malformed: 2,
        skipped: 2,
        skippedAnonymous: 2,
        users: 80,
        items: 40,
      },
      shapes: { users: 80, items: 40, rank: 64, recommendationsPerUser: 50 },
    });
    expect(manifest.data.interactions).toBe(800);
    expect(manifest.validation.model.ndcg).toBeGreaterThan(manifest.validation.baseline.ndcg);
    for (const f of manifest.files) await readFile(join(dataDirLayout(dataDir).models, versions[0]!, f));
    expect(manifest.files).toContain('content-neighbours.jsonl');
  });

  it('tunes (auto) from a CSV with renamed columns into --out', async () => {
    // Prepare
    const csv = await writeText(
      join(dir.path, 'ratings.csv'),
      recordsCsv(plantedRecords(), 'userId,movieId,stars,when'),
    );
    const out = join(dir.path, 'auto-model');
    // Act
    const run = await runCli([
      'train',
      '--data-dir',
      dataDir,
      '--data',
      csv,
      '--user-col',
      'userId',
      '--item-col',
      'movieId',
      '--rating-col',
      'stars',
      '--time-col',
      'when',
      '--budget',
      '3',
      '--ranker',
      '--out',
      out,
    ]);
    // Assess
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/winner:/);
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
    expect(manifest.data.source).toBe(`csv:${csv}`);
    expect(manifest.validation.tried.length).toBeGreaterThan(1);
    // --ranker: the second stage was trained and judged; the summary and the manifest give the verdict.
    expect(typeof manifest.validation.ranker.kept).toBe('boolean');
    expect(manifest.files.includes('ranker.json')).toBe(manifest.validation.ranker.kept);
    expect(run.stdout).toMatch(/ranker: (kept|not kept) \(validation nDCG@10 \d\.\d{4}, [+-]\d\.\d{4} \[/);
    // The default (mixed) validation judges it on the shoppers' newest items and on the random ones apart too.
    expect(manifest.validation.ranker.parts.map((p: { name: string }) => p.name)).toEqual([
      'newest',
      'random',
    ]);
    expect(run.stdout).toMatch(/; newest part [+-]\d\.\d{4} \[.*; random part [+-]\d\.\d{4} \[/);
    // The same --out again is refused, not overwritten.
    const again = await runCli([
      'train',
      '--data-dir',
      dataDir,
      '--data',
      await writeText(join(dir.path, 'plain.csv'), recordsCsv(plantedRecords())),
      '--model',
      'popularity',
      '--out',
      out,
    ]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists/);
  });

  it('--ratings interactions keeps 1–2 star ratings that preference drops, and the summary says which was used', async () => {
    // Prepare: every fifth rating is a 1 or a 2.
    const lines = plantedRecords().map(
      (r, n) =>
        `${r.userId},${r.itemId},${n % 5 === 4 ? 1 + (n % 2) : 5},${new Date(r.timestamp).toISOString()}`,
    );
    const csv = await writeText(
      join(dir.path, 'stars.csv'),
      `user,item,rating,timestamp\n${lines.join('\n')}\n`,
    );
    const out = (name: string) => join(dir.path, name);
    // Act
    const all = await runCli([
      'train',
      '--data-dir',
      dataDir,
      '--data',
      csv,
      '--model',
      'ease',
      '--ratings',
      'interactions',
      '--validation',
      'temporal:14',
      '--out',
      out('stars-all'),
    ]);
    const pref = await runCli([
      'train',
      '--data-dir',
      dataDir,
      '--data',
      csv,
      '--model',
      'ease',
      '--out',
      out('stars-pref'),
    ]);
    // Assess
    expect(all.code, all.stderr).toBe(0);
    expect(pref.code, pref.stderr).toBe(0);
    expect(all.stdout).toContain('ratings: interactions (every rated item is an interaction)');
    expect(pref.stdout).toContain('ratings: preference (1–2 stars are dislikes)');
    const mAll = JSON.parse(await readFile(join(out('stars-all'), 'manifest.json'), 'utf8'));
    const mPref = JSON.parse(await readFile(join(out('stars-pref'), 'manifest.json'), 'utf8'));
    expect(mAll).toMatchObject({
      ratings: 'interactions',
      data: { interactions: 800 },
      validation: { split: 'temporal:14d' },
    });
    // Shoppers whose held-out ratings are all 1–2 stars have nothing to find under preference: 73 of 80 left.
    expect(mPref).toMatchObject({
      ratings: 'preference',
      data: { interactions: 640 },
      validation: { split: 'mixed:20%', shoppers: 80, covered: 73 },
    });
    expect(pref.stdout).toContain('validation (mixed:20%, 73 of 80 shoppers (91.3%), k=10):');
  });

  it('returns exit 1 naming a bad --validation or --ratings, and explains the default in --help', async () => {
    const csv = await writeText(join(dir.path, 'val.csv'), recordsCsv(plantedRecords()));
    const r1 = await runCli(['train', '--data-dir', dataDir, '--data', csv, '--validation', 'global:3']);
    const r2 = await runCli(['train', '--data-dir', dataDir, '--data', csv, '--ratings', 'stars']);
    const r3 = await runCli([
      'train',
      '--data-dir',
      dataDir,
      '--engine',
      'spark',
      '--validation',
      'temporal',
    ]);
    const help = await runCli(['train', '--help']);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toContain(
      'error: --validation global:3: expected mixed[:…], leave-last[:…], temporal[:…], random[:…]',
    );
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(
      /--ratings <meaning>' argument 'stars' is invalid. Allowed choices are interactions, preference/,
    );
    expect(r3.code).toBe(1);
    expect(r3.stderr).toContain('error: --engine spark takes neither --validation, --ratings nor --ranker');
    expect(help.stdout).toMatch(
      /mixed\[:SHARE\]\s+default\. Per shopper, SHARE \(0\.2\) of his distinct items held out: half his newest/,
    );
    expect(help.stdout).toMatch(/interactions\s+every rated item is an interaction/);
  });

  it('returns exit 1 naming the missing columns and the columns found', async () => {
    const csv = await writeText(join(dir.path, 'cols.csv'), 'customer,product\na,b\n');
    const run = await runCli(['train', '--data-dir', dataDir, '--data', csv]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `error: ${csv}: missing columns "user", "item"; the columns found are: "customer", "product"`,
    );
  });

  it('returns exit 1 with file and line for a non-numeric rating', async () => {
    const csv = await writeText(join(dir.path, 'rating.csv'), 'user,item,rating\na,x,5\nb,y,five\n');
    const run = await runCli(['train', '--data-dir', dataDir, '--data', csv]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`error: ${csv}:3: rating "five" is not a number`);
  });

  it('returns exit 1 for a CSV without data rows and for a single user', async () => {
    const empty = await writeText(join(dir.path, 'empty.csv'), 'user,item\n');
    const one = await writeText(join(dir.path, 'one.csv'), 'user,item\na,x\na,y\na,z\n');
    const r1 = await runCli(['train', '--data-dir', dataDir, '--data', empty]);
    const r2 = await runCli(['train', '--data-dir', dataDir, '--data', one]);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toContain(`error: ${empty}: no data rows after the header`);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/error: only one user \(a\) has interactions/);
  });

  it('--engine spark: the EMR job in local mode writes <out>/<version> and the same summary', async () => {
    // Prepare
    const out = join(dir.path, 'spark-models');
    // Act
    const run = await runCli(['train', '--data-dir', dataDir, '--engine', 'spark', '--out', out]);
    // Assess
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    const versions = (await readdir(out)).filter((v) => !v.startsWith('.'));
    expect(versions).toHaveLength(1);
    expect(versions[0]).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{8}$/);
    const manifest = JSON.parse(await readFile(join(out, versions[0]!, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ engine: 'spark', version: versions[0], data: { users: 80, items: 40 } });
    expect(run.stdout).toContain(`model ${versions[0]} (spark) → ${join(out, versions[0]!)}`);
    // The gate's metrics, filled in from the job's holdout lists, are the ones printed.
    const { model, baseline } = manifest.validation;
    expect(run.stdout).toContain(`nDCG@10      ${model.ndcg.toFixed(4)}     ${baseline.ndcg.toFixed(4)}`);
    expect(run.stderr).toMatch(/\[train_als\]/);
  }, 600_000);

  it('--engine spark: returns exit 1 for a CSV source and for a model other than ALS', async () => {
    const csv = await writeText(join(dir.path, 'spark.csv'), recordsCsv(plantedRecords()));
    const r1 = await runCli(['train', '--data-dir', dataDir, '--engine', 'spark', '--data', csv]);
    const r2 = await runCli(['train', '--data-dir', dataDir, '--engine', 'spark', '--model', 'ease']);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toContain('error: --engine spark reads the lake only (--data lake)');
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain('error: --engine spark trains ALS only (--model als or auto), not ease');
  });

  it('returns exit 1 when the lake is empty', async () => {
    const run = await runCli(['train', '--data-dir', join(dir.path, 'nothing')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/error: the lake .* has no events under raw\/events/);
  });
});
