import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataDirLayout } from '../../local/data-dir.ts';
import { createSparkTrainingEngine, sparkTools } from '../../local/training/spark.ts';
import { createTypeScriptTrainingEngine } from '../../local/training/typescript-engine.ts';
import type { ArtifactManifest } from '../../shared/model/artifact.ts';
import { BASKET_ITEMS, basketEvents } from '../fixtures/baskets.ts';
import { startLocalApi } from '../helpers/local-api.ts';

/**
 * Baskets and searches on both training routes: the same lake (planted baskets with orderIds, searches and their
 * follow-ups, and the catalog, in which the red and the blue cup are variants bought together) trained by the
 * TypeScript trainer and by the Spark job gives the same complements, the same near-substitutes left out and the
 * same count of search follow-ups, and serving answers bought-together from the Spark artifact's complements.
 * Without a catalog the Spark job's manifest says the test was not applied (jobs/emr/tests/test_substitutes.py).
 */
let api: Awaited<ReturnType<typeof startLocalApi>>;
let ts: { dir: string; manifest: ArtifactManifest };
let spark: { dir: string; manifest: ArtifactManifest };
const uuid = (n: number) => `00000000-0000-4000-a000-${n.toString(16).padStart(12, '0')}`;
const at = (minutes: number) => new Date(Date.parse('2026-10-05T10:00:00Z') + minutes * 60_000).toISOString();

type Line = { itemId: string; neighbours: [string, number][] };
async function complements(dir: string): Promise<Map<string, [string, number][]>> {
  const text = await readFile(join(dir, 'complements.jsonl'), 'utf8');
  const lines = text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Line);
  return new Map(lines.map((l) => [l.itemId, l.neighbours]));
}

/**
 * b0 searches and clicks the teapot 5 minutes later (1), carts it again 10 minutes later (the same search: no
 * second), views the saucer (a view: none) and buys a bag 45 minutes later (outside 30: none); b1 clicks a result
 * carrying its query (1); b2 clicks without having searched (none). Two follow-ups.
 */
const SEARCHES = [
  { type: 'search', userId: 'b0', query: 'teapot', timestamp: at(0) },
  { type: 'click', userId: 'b0', itemId: 'teapot', timestamp: at(5) },
  { type: 'add_to_cart', userId: 'b0', itemId: 'teapot', timestamp: at(15) },
  { type: 'view', userId: 'b0', itemId: 'saucer', timestamp: at(16) },
  { type: 'click', userId: 'b0', itemId: 'bag', timestamp: at(45) },
  { type: 'click', userId: 'b1', itemId: 'f3', query: 'candle', timestamp: at(60) },
  { type: 'click', userId: 'b2', itemId: 'f4', timestamp: at(70) },
].map((e, n) => ({ eventId: uuid(n + 1), ...e }));

beforeAll(async () => {
  sparkTools(); // a clear error when the venv or Java is missing
  api = await startLocalApi();
  const res = await api.request('/v1/events', {
    method: 'POST',
    body: JSON.stringify({ events: [...basketEvents(), ...SEARCHES] }),
  });
  expect(res.status).toBe(202);
  // The catalog is in the lake's items zone at training time: both trainers test near-substitutes.
  const put = await api.request('/v1/items', {
    method: 'PUT',
    body: JSON.stringify({ items: BASKET_ITEMS }),
  });
  expect(put.status).toBe(200);
  await api.runtime.flush();
  const { dataDir } = api.runtime;
  const models = dataDirLayout(dataDir).models;
  const read = async (version: string) => {
    const dir = join(models, version);
    return { dir, manifest: JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) };
  };
  const first = await createTypeScriptTrainingEngine({ dataDir }).train({
    source: { kind: 'lake' },
    model: 'als',
  });
  ts = await read(first.version);
  // Versions carry the second they were made: the Spark one must sort after the TS one to be served.
  await new Promise((r) => setTimeout(r, 1100));
  const second = await createSparkTrainingEngine({ dataDir }).train({
    source: { kind: 'lake' },
    model: 'als',
  });
  spark = await read(second.version);
}, 600_000);

afterAll(async () => {
  await api?.stop();
});

describe('Baskets and searches: the Spark job as the TypeScript trainer', () => {
  it('writes the same complements, scores to 1e-9, and the same manifest block', async () => {
    const a = await complements(ts.dir);
    const b = await complements(spark.dir);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    // The blue cup (bought with the red one in 8 baskets) is the red one in another colour: left out both ways.
    expect(a.get('cup-red')?.map(([id]) => id)).toEqual(['teapot', 'saucer']);
    expect(a.get('cup-blue')?.map(([id]) => id)).toEqual(['saucer']);
    let ties = 0;
    for (const [item, row] of a) {
      const other = b.get(item)!;
      // Both write the float32 of the score with 9 significant digits, best first.
      expect(other.length, item).toBe(row.length);
      for (let t = 0; t < row.length; t++)
        expect(Math.abs(other[t]![1] - row[t]![1]), item).toBeLessThanOrEqual(1e-9);
      // Ties go to the lower item index, and the trainers number items differently (TS: first seen, Spark:
      // sorted ids): within a tie the order may differ, the items may not.
      const byScore = (r: [string, number][]) =>
        [...r].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).map(([id]) => id);
      expect(byScore(other), item).toEqual(byScore(row));
      ties += row.filter((p, t) => t > 0 && p[1] === row[t - 1]![1]).length;
    }
    expect(ties).toBeGreaterThan(0); // the fillers' symmetric baskets tie: the comparison above covers ties
    expect(ts.manifest.complements?.substitutesExcluded).toBe(2);
    expect(spark.manifest.complements).toEqual(ts.manifest.complements);
    expect(spark.manifest.complements).not.toHaveProperty('substituteTest');
    expect(spark.manifest.complements?.baskets).toBe(74);
    expect(spark.manifest.shapes.complements).toBe(ts.manifest.shapes.complements);
    expect(spark.manifest.files).toContain('complements.jsonl');
  });

  it('counts the same search follow-ups', () => {
    expect(ts.manifest.data.searchFollowUps).toBe(2);
    expect(spark.manifest.data.searchFollowUps).toBe(2);
  });

  it('serves bought-together from the Spark artifact’s complements, the variant left out', async () => {
    const res = await api.request('/v1/items/cup-red/bought-together?k=5');
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      modelVersion: string;
      items: { itemId: string; score: number; reason: string }[];
    };
    expect(body.modelVersion).toBe(spark.manifest.version);
    const row = (await complements(spark.dir)).get('cup-red')!;
    expect(row.map(([id]) => id)).toEqual(['teapot', 'saucer']);
    expect(body.items.map((i) => [i.itemId, i.reason])).toEqual(
      row.map(([id]) => [id, 'often bought with Red Spotty Tea Cup']),
    );
    for (let t = 0; t < row.length; t++) expect(body.items[t]!.score).toBeCloseTo(row[t]![1], 5);
  });
});
