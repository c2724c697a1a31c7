import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataDirLayout } from '../../local/data-dir.ts';
import { createLakeWriter } from '../../shared/adapters/local/lake-writer.ts';
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

  it('--user with --out writes the same user,item,rank,score CSV as --all; --json with --out is refused', async () => {
    // Prepare
    const out = join(dir.path, 'u0.csv');
    const base = ['recommend', '--data-dir', dir.path, '--model', model, '--user', 'u0', '--k', '4'];
    // Act
    const table = await runCli(base);
    const written = await runCli([...base, '--out', out]);
    const both = await runCli([...base, '--out', out, '--json']);
    // Assess
    expect(written.code).toBe(0);
    expect(written.stdout).toBe('');
    expect(written.stderr).toContain(`wrote 1 user × 4 to ${out}`);
    const rows = (await readFile(out, 'utf8')).trim().split('\n');
    expect(rows[0]).toBe('user,item,rank,score');
    const shown = table.stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/));
    expect(rows.slice(1).map((r) => r.split(',').slice(0, 3))).toEqual(
      shown.map(([rank, item]) => ['u0', item!, rank!]),
    );
    expect(both.code).toBe(1);
    expect(both.stderr).toContain('error: give either --json (printed) or --out FILE (CSV), not both');
  });

  it('--model latest takes the newest version the registry has not rejected, and says which', async () => {
    // Prepare: an unregistered version from `recsys train`, then a newer one registered by `recsys retrain`.
    const dataDir = join(dir.path, 'registered');
    const first = await runCli(['train', '--data-dir', dataDir, '--data', csv, '--model', 'item-knn']);
    expect(first.code, first.stderr).toBe(0);
    const versions = async () =>
      (await readdir(dataDirLayout(dataDir).models)).filter((v) => !v.startsWith('.'));
    const [older] = await versions();
    // Versions are named by the second their training started, and `latest` is the last name: a retrain started
    // in the same second as the train could sort either way.
    await new Promise((r) => setTimeout(r, 1_000));
    await writeLake(dataDir);
    const retrain = await runCli(['retrain', '--data-dir', dataDir, '--model', 'als', '--budget', '2']);
    expect(retrain.code, retrain.stderr).toBe(0);
    const newer = (await versions()).find((v) => v !== older);
    const latest = ['recommend', '--data-dir', dataDir, '--model', 'latest', '--user', 'u0', '--k', '3'];
    // Act
    const before = await runCli(latest);
    const reject = await runCli(['reject', newer!, '--data-dir', dataDir]);
    const after = await runCli(latest);
    // Assess
    expect(before.code, before.stderr).toBe(0);
    expect(before.stderr).toContain(`model: ${newer} (the newest not rejected)`);
    expect(reject.code, reject.stderr).toBe(0);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stderr).toContain(`model: ${older} (the newest not rejected; skipped Rejected ${newer})`);
    const items = after.stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/)[1]);
    const pre = (
      await readFile(
        join(dataDirLayout(dataDir).models, older!, 'recommendations', 'part-00000.jsonl'),
        'utf8',
      )
    )
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { userId: string; items: [string, number][] })
      .find((l) => l.userId === 'u0')!;
    expect(items).toEqual(pre.items.slice(0, 3).map(([id]) => id));
  }, 120_000);
});

const uuid = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

/** The planted records as lake events, as the ingest path lands them. */
async function writeLake(dataDir: string): Promise<void> {
  const events = createLakeWriter({
    root: dataDirLayout(dataDir).lake,
    zonePrefix: 'raw/events',
    streamName: 'recsys-local-events',
  });
  const stored = plantedRecords(240).map((r, n) => ({
    eventId: uuid(n + 1),
    type: r.type,
    userId: r.userId,
    itemId: r.itemId,
    value: 1,
    timestamp: new Date(r.timestamp).toISOString(),
    receivedAt: '2024-03-01T00:00:00.000Z',
  }));
  await events.put(stored.map((e) => ({ id: e.eventId, json: JSON.stringify(e) })));
  await events.close();
}
