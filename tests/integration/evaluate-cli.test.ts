import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leaveLastNSplit } from '../../shared/evaluation/splits.ts';
import { plantedRecords, recordsCsv, runCli, tempDir, writeText } from '../fixtures/training-data.ts';

let dir: Awaited<ReturnType<typeof tempDir>>;
let all: string;
let trainCsv: string;
let testCsv: string;

beforeAll(async () => {
  dir = await tempDir('recsys-evaluate-cli-');
  const records = plantedRecords();
  const { train, test } = leaveLastNSplit(records, 2);
  all = await writeText(join(dir.path, 'all.csv'), recordsCsv(records));
  trainCsv = await writeText(join(dir.path, 'train.csv'), recordsCsv(train));
  testCsv = await writeText(join(dir.path, 'test.csv'), recordsCsv(test));
});

afterAll(async () => {
  await dir.remove();
});

/** `recsys evaluate` on the whole planted file, split by the command itself. */
const evaluateAll = (...args: string[]) =>
  runCli(['evaluate', '--data-dir', dir.path, '--data', all, ...args]);

describe('CLI: recsys evaluate', () => {
  it('returns models × metrics as JSON for --train/--test, popularity first, models above it on planted data', async () => {
    // Act
    const run = await runCli([
      'evaluate',
      '--data-dir',
      dir.path,
      '--train',
      trainCsv,
      '--test',
      testCsv,
      '--model',
      'item-knn,ease',
      '--k',
      '5',
      '--json',
    ]);
    // Assess
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out).toMatchObject({ k: 5, trainUsers: 80, testUsers: 80, testPairs: 160 });
    expect(out.results.map((r: { name: string }) => r.name)).toEqual(['popularity', 'item-knn', 'ease']);
    const [pop, knn, ease] = out.results;
    expect(knn.ndcg).toBeGreaterThan(pop.ndcg);
    expect(ease.ndcg).toBeGreaterThan(pop.ndcg);
  });

  it('prints a table for --data FILE --split last:2', async () => {
    const run = await evaluateAll('--split', 'last:2', '--model', 'als');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/80 test users, 160 test pairs, k=10/);
    expect(run.stdout).toMatch(/^model\s+P@k\s+R@k\s+nDCG@k/m);
    expect(run.stdout).toMatch(/^popularity\s+0\.\d{4}/m);
    expect(run.stdout).toMatch(/^als\s+0\.\d{4}/m);
  });

  it('tunes auto on the validation that mirrors the split, and --validation overrides it', async () => {
    const auto = ['--split', 'random:0.75', '--model', 'auto', '--budget', '20'];
    const mirrored = await evaluateAll(...auto, '--json');
    const given = await evaluateAll(...auto, '--validation', 'leave-last:0.3');
    expect(mirrored.code).toBe(0);
    const out = JSON.parse(mirrored.stdout);
    expect(out.validation.protocol).toMatch(/^random:0\.2\d?$/);
    expect(out.validation.reason).toMatch(/^the test is held out across time \(\d+ of 80 shoppers/);
    expect(out.results.map((r: { name: string }) => r.name)[1]).toMatch(/^auto \(/);
    expect(given.code).toBe(0);
    expect(given.stdout).toContain('auto/hybrid validated with leave-last:0.3: given with --validation');
  });

  it('returns exit 1 for a bad split, a bad model name and a missing column', async () => {
    const r1 = await evaluateAll('--split', 'random:3');
    const r2 = await evaluateAll('--model', 'svd');
    const cols = await writeText(join(dir.path, 'cols.csv'), 'user,sku\na,b\n');
    const r3 = await runCli(['evaluate', '--data-dir', dir.path, '--train', cols, '--test', cols]);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toMatch(/error: --split random:3: the training share must be in \(0, 1\)/);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/error: --model svd: expected a comma-separated list of/);
    expect(r3.code).toBe(1);
    expect(r3.stderr).toContain('missing column "item"; the columns found are: "user", "sku"');
  });
});
