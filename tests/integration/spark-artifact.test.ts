/**
 * The Spark job (jobs/emr/train_als.py, Spark local mode) on a generated lake: its artifact loads with the TS
 * reader and serves, and Spark ALS and the TS iALS reach nDCG@10 within 10% of each other on the same split.
 */
import { execFileSync } from 'node:child_process';
import { access, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sparkTools, trainWithSpark } from '../../local/training/spark.ts';
import { buildTestSet, evaluate } from '../../shared/evaluation/evaluate.ts';
import { gateMetricsFromHoldout } from '../../shared/evaluation/holdout.ts';
import { temporalSplit } from '../../shared/evaluation/splits.ts';
import type { ArtifactManifest, HoldoutLine, RecommendationLine } from '../../shared/model/artifact.ts';
import {
  decodeArtifact,
  type LoadedModel,
  loadedScorer,
  readJsonLineParts,
} from '../../shared/model/artifact-decode.ts';
import { trainIals } from '../../shared/model/ials.ts';
import { ialsScorer } from '../../shared/model/ials-scoring.ts';
import { buildInteractions, type InteractionRecord } from '../../shared/model/interactions.ts';
import { topK } from '../../shared/model/topk.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const HOLDOUT_DAYS = 14;
const DAY_MS = 86_400_000;
// The same model on both sides. Spark scales regParam by each row's rating count (ALS-WR), the TS iALS
// uses a plain λ; these two values give both about the same shrinkage on this data.
const RANK = 32;
const ITERATIONS = 10;
const SPARK_REG = 0.05;
const TS_REG = 1;

let work: string;
let artifactDir: string;
let loaded: LoadedModel;
const read = (name: string) => readFile(join(artifactDir, name)).then((b) => new Uint8Array(b));

/** The lake as the TS trainer sees it: every gz object's JSON lines (the generator writes only valid ones). */
async function readLake(root: string): Promise<InteractionRecord[]> {
  const out: InteractionRecord[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.name.endsWith('.gz')) {
        for (const line of gunzipSync(await readFile(p))
          .toString('utf8')
          .split('\n')) {
          if (line === '') continue;
          const ev = JSON.parse(line);
          out.push({
            eventId: ev.eventId,
            type: ev.type,
            userId: ev.userId,
            itemId: ev.itemId,
            value: ev.value,
            timestamp: ev.timestamp,
          });
        }
      }
    }
  };
  await walk(join(root, 'raw/events'));
  return out;
}

describe('Spark job: artifact and parity with the TS trainer', () => {
  beforeAll(async () => {
    sparkTools(); // a clear error when the venv or Java is missing, before anything else
    work = await mkdtemp(join(tmpdir(), 'spark-artifact-'));
    execFileSync(
      join(ROOT, '.venv/bin/python'),
      [
        join(ROOT, 'jobs/emr/generate_lake.py'),
        '--out',
        join(work, 'lake'),
        '--events',
        '40000',
        '--users',
        '800',
        '--items',
        '400',
        '--days',
        '60',
        '--seed',
        '11',
      ],
      { stdio: 'pipe' },
    );
    const lines: string[] = [];
    ({ artifactDir } = await trainWithSpark({
      lakeRoot: join(work, 'lake'),
      outDir: join(work, 'models'),
      rank: RANK,
      iterations: ITERATIONS,
      regularization: SPARK_REG,
      holdoutDays: HOLDOUT_DAYS,
      partitions: 4,
      driverMemory: '1g',
      onLine: (l) => lines.push(l),
    }));
    expect(lines.some((l) => l.includes('[train_als] artifact'))).toBe(true);
    loaded = await decodeArtifact(read, {
      exists: (name) =>
        access(join(artifactDir, name)).then(
          () => true,
          () => false,
        ),
    });
  }, 600_000);

  afterAll(async () => {
    if (work !== undefined) await rm(work, { recursive: true, force: true });
  });

  it('writes an artifact the TS reader loads, with factors and complete validation', () => {
    const m: ArtifactManifest = loaded.manifest;
    expect(m.engine).toBe('spark');
    expect(m.version).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{8}$/);
    expect(artifactDir.endsWith(m.version)).toBe(true);
    expect(loaded.factors?.rank).toBe(RANK);
    expect(loaded.userIds.length).toBe(m.shapes.users);
    expect(m.data.events).toBe(40_000);
    expect(m.validation.model.ndcg).toBeGreaterThan(m.validation.baseline.ndcg);
  });

  it('serves recommendations from it: the factor scorer agrees with the precomputed top-50', async () => {
    const scorer = loadedScorer(loaded);
    const n = loaded.itemIds.length;
    const scores = new Float32Array(n);
    const idx = new Int32Array(10);
    const top = new Float32Array(10);
    let users = 0;
    for await (const line of readJsonLineParts<RecommendationLine>(
      read,
      loaded.manifest,
      'recommendations',
    )) {
      const u = loaded.userIndex.get(line.userId)!;
      scorer.scoreUser(u, scores);
      const h = loaded.history;
      for (let p = h.indptr[u]!; p < h.indptr[u + 1]!; p++) scores[h.indices[p]!] = Number.NaN;
      const got = topK(scores, 10, idx, top);
      expect(got).toBe(10);
      const served = Array.from(idx, (j) => loaded.itemIds[j]!);
      const precomputed = line.items.slice(0, 10).map(([id]) => id);
      // float32 dot products in JS vs the JVM may swap near-equal neighbours; the sets must agree.
      expect(new Set(served).size).toBe(10);
      expect(served.filter((id) => precomputed.includes(id)).length).toBeGreaterThanOrEqual(9);
      for (let t = 0; t < 10; t++) expect(top[t]).toBeCloseTo(line.items[t]![1], 3);
      if (++users === 50) break;
    }
    expect(users).toBe(50);
  });

  it('reaches the TS iALS nDCG@10 within 10% on the same split', async () => {
    const records = await readLake(join(work, 'lake'));
    let newest = 0;
    for (const r of records) newest = Math.max(newest, Date.parse(r.timestamp as string));
    const { train, test } = temporalSplit(records, newest - HOLDOUT_DAYS * DAY_MS);
    const ix = buildInteractions(train);
    const testSet = buildTestSet(ix, test);
    const ials = trainIals(ix.csr, ix.csc, {
      factors: RANK,
      iterations: ITERATIONS,
      regularization: TS_REG,
      alpha: 1,
      transform: 'log',
      seed: 42,
    });
    const ts = evaluate(ialsScorer(ials), ix.csr, testSet, 10);

    const holdout: HoldoutLine[] = [];
    for await (const line of readJsonLineParts<HoldoutLine>(read, loaded.manifest, 'holdout'))
      holdout.push(line);
    // Same split on both sides: the Spark job's held-out sets are exactly the TS buildTestSet's.
    const tsRelevant = new Map<string, string[]>();
    testSet.users.forEach((u, t) => {
      tsRelevant.set(ix.userIds[u]!, [...testSet.relevant[t]!].map((j) => ix.itemIds[j]!).sort());
    });
    expect(holdout.length).toBe(tsRelevant.size);
    for (const h of holdout) expect([...h.relevant].sort()).toEqual(tsRelevant.get(h.userId));

    const spark = gateMetricsFromHoldout(holdout, 10, { catalogSize: loaded.itemIds.length });
    console.log(
      `nDCG@10 on ${testSet.users.length} users: Spark ALS ${spark.model.ndcg.toFixed(4)}, TS iALS ${ts.ndcg.toFixed(4)}, popularity ${spark.baseline.ndcg.toFixed(4)}`,
    );
    expect(Math.abs(spark.model.ndcg - ts.ndcg) / Math.max(spark.model.ndcg, ts.ndcg)).toBeLessThanOrEqual(
      0.1,
    );
    expect(spark.model.ndcg).toBeGreaterThan(spark.baseline.ndcg * 1.5);
  });
});
