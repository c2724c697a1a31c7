import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  artifactDirectory,
  createLocalModelStore,
  writeArtifactDirectory,
} from '../../shared/adapters/local/model-store.ts';
import { buildTestSet, evaluate } from '../../shared/evaluation/evaluate.ts';
import { buildHoldoutLines, gateMetricsFromHoldout } from '../../shared/evaluation/holdout.ts';
import { leaveLastNSplit } from '../../shared/evaluation/splits.ts';
import { encodeArtifact, type HoldoutLine, type RecommendationLine } from '../../shared/model/artifact.ts';
import { decodeArtifact, loadedScorer, readJsonLineParts } from '../../shared/model/artifact-decode.ts';
import { buildInteractions, DEFAULT_EVENT_WEIGHTS } from '../../shared/model/interactions.ts';
import { popularity, popularityScorer } from '../../shared/model/popularity.ts';
import { fitModel, type ModelSpec, modelScorer, recommend } from '../../shared/model/trained-model.ts';
import { itemTitle, plantedRecords, tempDir } from '../fixtures/training-data.ts';

const records = plantedRecords();
const catalog = [...new Set(records.map((r) => r.itemId))].map((itemId) => ({
  itemId,
  title: itemTitle(itemId),
}));
// Every kind of part the artifact can carry: factors, EASE weights, scoring neighbours (k ≠ 50), content,
// recent popularity, blended.
const spec: ModelSpec = {
  kind: 'hybrid',
  normalisation: 'zscore',
  components: [
    {
      spec: { kind: 'ials', params: { factors: 8, iterations: 4, regularization: 0.1, alpha: 1, seed: 7 } },
      weight: 1,
    },
    { spec: { kind: 'ease', params: { lambda: 50 } }, weight: 0.5 },
    { spec: { kind: 'item-knn', params: { neighbours: 20, shrink: 5 } }, weight: 0.3 },
    { spec: { kind: 'content' }, weight: 0.2 },
    { spec: { kind: 'recent-popularity', halfLifeDays: 14 }, weight: 0.1 },
  ],
};

function holdoutFor() {
  const { train, test } = leaveLastNSplit(records, 2);
  const data = buildInteractions(train);
  const set = buildTestSet(data, test);
  const model = fitModel(data, train, spec, { catalog });
  return { data, set, model, lines: buildHoldoutLines(modelScorer(model), data, set, 50) };
}

const extras = (holdout: HoldoutLine[]) => ({
  version: '20240101T000000Z-0000abcd',
  data: {
    source: 'test',
    events: records.length,
    duplicates: 0,
    malformed: 0,
    unknownTypes: 0,
    skipped: 0,
    users: 80,
    items: 40,
    interactions: records.length,
    from: null,
    to: null,
  },
  eventWeights: { ...DEFAULT_EVENT_WEIGHTS },
  validation: {
    k: 10,
    split: 'last:2',
    model: { precision: 0, recall: 0, ndcg: 0, map: 0, mrr: 0, hitRate: 0, coverage: 0 },
    baseline: { precision: 0, recall: 0, ndcg: 0, map: 0, mrr: 0, hitRate: 0, coverage: 0 },
  },
  holdout,
  trainingSeconds: 1,
});

let dir: Awaited<ReturnType<typeof tempDir>>;
beforeAll(async () => {
  dir = await tempDir('recsys-artifact-');
});
afterAll(async () => {
  await dir.remove();
});

describe('Model artifact', () => {
  it('round-trips: encode → write → read → decode gives identical recommendations for every user', async () => {
    // Prepare
    const all = buildInteractions(records);
    const model = fitModel(all, records, spec, { catalog });
    const { lines } = holdoutFor();
    const files = encodeArtifact(model, extras(lines));
    const store = createLocalModelStore({ root: join(dir.path, 'models') });
    // Act
    await store.write('20240101T000000Z-0000abcd', files);
    const read = (name: string) => store.read('20240101T000000Z-0000abcd', name);
    const loaded = await decodeArtifact(read, {
      exists: (n) => store.exists('20240101T000000Z-0000abcd', n),
    });
    // Assess
    expect(await store.list()).toEqual(['20240101T000000Z-0000abcd']);
    expect(loaded.manifest.files.sort()).toEqual([...files.keys()].sort());
    expect(loaded.manifest.eventWeights.not_interested).toBe('veto');
    expect(loaded.factors?.rank).toBe(8);
    expect(loaded.ease).toHaveLength(40 * 40);
    const scorer = loadedScorer(loaded);
    const a = new Float32Array(40);
    const b = new Float32Array(40);
    const original = modelScorer(model);
    for (let u = 0; u < model.userIds.length; u++) {
      original.scoreUser(u, a);
      scorer.scoreUser(u, b);
      expect(Array.from(b)).toEqual(Array.from(a));
    }
    const precomputed: RecommendationLine[] = [];
    for await (const line of readJsonLineParts<RecommendationLine>(read, loaded.manifest, 'recommendations'))
      precomputed.push(line);
    expect(precomputed).toHaveLength(80);
    for (const line of precomputed) {
      const expected = recommend(model, all.userIndex.get(line.userId)!, 50);
      expect(line.items.map(([id]) => id)).toEqual(expected.map((r) => r.itemId));
      expect(line.items.map(([, s]) => Math.fround(s))).toEqual(expected.map((r) => r.score));
    }
    const holdout: HoldoutLine[] = [];
    for await (const line of readJsonLineParts<HoldoutLine>(read, loaded.manifest, 'holdout'))
      holdout.push(line);
    expect(holdout).toEqual(lines);
  });

  it('refuses an unknown schemaVersion and an artifact with a listed file missing', async () => {
    // Prepare
    const model = fitModel(buildInteractions(records), records, { kind: 'popularity' });
    const path = join(dir.path, 'bad');
    await writeArtifactDirectory(path, encodeArtifact(model, extras([])));
    const a = artifactDirectory(path);
    const manifest = JSON.parse(await readFile(join(path, 'manifest.json'), 'utf8'));
    // Act / Assess
    await writeFile(
      join(path, 'manifest.json'),
      JSON.stringify({ ...manifest, files: [...manifest.files, 'x.f32'] }),
    );
    await expect(decodeArtifact(a.read, { exists: a.exists })).rejects.toThrow(
      /x\.f32 listed in the manifest but missing/,
    );
    await writeFile(join(path, 'manifest.json'), JSON.stringify({ ...manifest, schemaVersion: 2 }));
    await expect(decodeArtifact(a.read)).rejects.toThrow(/schemaVersion 2 is not supported/);
  });

  it('refuses to overwrite an existing artifact directory', async () => {
    const model = fitModel(buildInteractions(records), records, { kind: 'popularity' });
    const path = join(dir.path, 'twice');
    await writeArtifactDirectory(path, encodeArtifact(model, extras([])));
    await expect(writeArtifactDirectory(path, encodeArtifact(model, extras([])))).rejects.toThrow(
      /already exists/,
    );
  });
});

describe('gateMetricsFromHoldout', () => {
  it('returns hand-computed metrics on a tiny case', () => {
    // Prepare: relevant {a, b}; model ranks a first and b third → nDCG = (1 + 1/2) / (1 + 1/log2 3)
    const lines = [
      JSON.stringify({
        userId: 'u',
        relevant: ['a', 'b'],
        recommended: ['a', 'x', 'b'],
        baseline: ['x', 'y', 'z'],
      }),
    ];
    // Act
    const g = gateMetricsFromHoldout(lines, 3, { catalogSize: 10 });
    // Assess
    expect(g.users).toBe(1);
    expect(g.model.ndcg).toBeCloseTo(1.5 / (1 + 1 / Math.log2(3)), 10);
    expect(g.model.precision).toBeCloseTo(2 / 3, 10);
    expect(g.model.recall).toBe(1);
    expect(g.model.mrr).toBe(1);
    expect(g.model.coverage).toBeCloseTo(3 / 10, 10);
    expect(g.baseline.hitRate).toBe(0);
  });

  it('returns the metrics evaluate() computes on the same split, for the model and for popularity', () => {
    // Prepare
    const { data, set, model, lines } = holdoutFor();
    // Act
    const g = gateMetricsFromHoldout(lines, 10, { catalogSize: data.itemIds.length });
    const direct = evaluate(modelScorer(model), data.csr, set, 10);
    const base = evaluate(popularityScorer(popularity(data.csc)), data.csr, set, 10);
    // Assess
    for (const key of ['precision', 'recall', 'ndcg', 'map', 'mrr', 'hitRate', 'coverage'] as const) {
      expect(g.model[key]).toBeCloseTo(direct[key], 12);
      expect(g.baseline[key]).toBeCloseTo(base[key], 12);
    }
    expect(g.model.ndcg).toBeGreaterThan(g.baseline.ndcg);
  });
});
