import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plantedRecords, recordsCsv, runCli, tempDir, writeText } from '../fixtures/training-data.ts';

let dir: Awaited<ReturnType<typeof tempDir>>;
let model: string;
let csv: string;

beforeAll(async () => {
  dir = await tempDir('recsys-recommend-cli-');
  csv = await writeText(join(dir.path, 'ratings.csv'), recordsCsv(plantedRecords()));
  model = join(dir.path, 'model');
  const run = await runCli([
    'train',
    '--data-dir',
    dir.path,
    '--data',
    csv,
    '--model',
    'item-knn',
    '--out',
    model,
  ]);
  if (run.code !== 0) throw new Error(`training the fixture model failed: ${run.stderr}`);
});

afterAll(async () => {
  await dir.remove();
});

describe('CLI: recsys recommend', () => {
  it('prints a ranked table for one user, without the items the user already has', async () => {
    // Act
    const run = await runCli([
      'recommend',
      '--data-dir',
      dir.path,
      '--model',
      model,
      '--user',
      'u0',
      '--k',
      '5',
    ]);
    // Assess
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^rank\s+item\s+score\s+title$/);
    expect(lines).toHaveLength(6);
    const items = lines.slice(1).map((l) => l.trim().split(/\s+/)[1]!);
    const seen = new Set(
      plantedRecords()
        .filter((r) => r.userId === 'u0')
        .map((r) => r.itemId),
    );
    for (const item of items) expect(seen.has(item)).toBe(false);
    // The user's list is the one the artifact precomputed for serving.
    const pre = (await readFile(join(model, 'recommendations', 'part-00000.jsonl'), 'utf8'))
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { userId: string; items: [string, number][] })
      .find((l) => l.userId === 'u0')!;
    expect(items).toEqual(pre.items.slice(0, 5).map(([id]) => id));
  });

  it('writes user,item,rank,score for every user with --all --exclude-seen --out', async () => {
    // Prepare
    const out = join(dir.path, 'recs.csv');
    // Act
    const run = await runCli([
      'recommend',
      '--data-dir',
      dir.path,
      '--model',
      model,
      '--all',
      '--k',
      '3',
      '--exclude-seen',
      '--out',
      out,
    ]);
    // Assess
    expect(run.code).toBe(0);
    const lines = (await readFile(out, 'utf8')).trim().split('\n');
    expect(lines[0]).toBe('user,item,rank,score');
    expect(lines).toHaveLength(1 + 80 * 3);
    const seen = new Set(plantedRecords().map((r) => `${r.userId},${r.itemId}`));
    for (const line of lines.slice(1)) {
      const [user, item, rank, score] = line.split(',');
      expect(seen.has(`${user},${item}`)).toBe(false);
      expect(['1', '2', '3']).toContain(rank);
      expect(Number.isFinite(Number(score))).toBe(true);
    }
  });

  it('returns exit 1 for a directory that is not a model and without --user or --all', async () => {
    const r1 = await runCli(['recommend', '--data-dir', dir.path, '--model', dir.path, '--user', 'u0']);
    const r2 = await runCli(['recommend', '--data-dir', dir.path, '--model', model]);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toMatch(/error: .*not a model artifact \(no manifest\.json there/);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/error: give either --user ID or --all/);
  });
});
