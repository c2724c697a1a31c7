import { describe, expect, it } from 'vitest';
import { precomputeRecommendations } from '../../../shared/model/artifact.ts';
import { decodeArtifact } from '../../../shared/model/artifact-decode.ts';
import { buildInteractions } from '../../../shared/model/interactions.ts';
import { emptyNeighbours } from '../../../shared/model/neighbours.ts';
import {
  parseRanker,
  RANKER_FEATURE_COUNT,
  RANKER_FEATURES,
  type RankerModel,
  rankedScorer,
} from '../../../shared/model/ranker.ts';
import { mulberry32 } from '../../../shared/model/rng.ts';
import { topKExcluding } from '../../../shared/model/topk.ts';
import { fitModel, modelScorer } from '../../../shared/model/trained-model.ts';
import type { ActivityEntry } from '../../../shared/ports/serving-store.ts';
import { activityDigest } from '../../../shared/serving/activity.ts';
import { RequestExclusions } from '../../../shared/serving/exclusions.ts';
import { servingModel } from '../../../shared/serving/model-cache.ts';
import { rankPersonal } from '../../../shared/serving/ranker.ts';
import { scratchFor } from '../../../shared/serving/scoring.ts';
import { blendMetrics } from '../../../shared/training/blend.ts';
import { trainRanker } from '../../../shared/training/ranker-training.ts';
import { plantedRecords } from '../../fixtures/training-data.ts';
import { KNN, testArtifactFiles } from '../../helpers/serving-model.ts';

/** A ranker that scores by log popularity alone (feature 2): its order is easy to check. */
function popularityRanker(): RankerModel {
  const f = RANKER_FEATURE_COUNT;
  return {
    kind: 'mlp-pairwise',
    candidates: 200,
    features: [...RANKER_FEATURES],
    mean: new Array(f).fill(0),
    std: new Array(f).fill(1),
    hidden: 1,
    w1: new Array(f).fill(0),
    b1: [0],
    w2: [0],
    b2: 0,
    linear: Array.from({ length: f }, (_, i) => (i === 2 ? 1 : 0)),
  };
}

const mean = (a: Float64Array) => a.reduce((s, x) => s + x, 0) / a.length;
const nonIncreasing = (xs: number[]) => xs.every((x, i) => i === 0 || xs[i - 1]! >= x);

describe('the learned ranker in the artifact and at serving', () => {
  it('returns precomputed lists and fresh-event requests in the ranker’s order, the ranker read back from ranker.json', async () => {
    // Prepare
    const records = plantedRecords();
    const data = buildInteractions(records);
    const trained = fitModel(data, records, KNN, { threads: 1 });
    const plain = precomputeRecommendations(trained);
    trained.ranker = popularityRanker();
    const files = testArtifactFiles(trained, data, records.length, 'v');
    const bytes = (name: string) => {
      const f = files.get(name);
      return f === undefined
        ? Promise.reject(new Error(`no ${name}`))
        : Promise.resolve(typeof f === 'string' ? new TextEncoder().encode(f) : f);
    };
    // Act
    const loaded = await decodeArtifact(bytes, { exists: async (name) => files.has(name) });
    const model = servingModel('v', loaded);
    const pop = (id: string) => loaded.popularity[loaded.itemIndex.get(id)!]!;
    const lists = precomputeRecommendations(trained);
    const u = loaded.userIndex.get('u1')!;
    const fresh: ActivityEntry[] = ['i0', 'i5', 'i12'].map((itemId, t) => ({
      eventId: `f${t}`,
      type: 'purchase',
      itemId,
      timestamp: '2030-01-01T00:00:00.000Z',
      receivedAt: '2030-01-01T00:00:00.000Z',
    }));
    const scratch = scratchFor({}, loaded.itemIds.length);
    const excluded = new RequestExclusions(model, ['purchased'], fresh, [], undefined, u);
    excluded.markInto(scratch.excluded, activityDigest(model, fresh));
    const { ranked } = rankPersonal(
      {
        model,
        k: 10,
        userId: 'u1',
        userIndex: u,
        list: lists[1]!.items,
        fresh,
        context: undefined,
        excluded,
        mode: 'blend',
        now: Date.parse('2030-01-01T00:00:00.000Z'),
      },
      scratch,
    );
    // Assess
    expect(files.get('manifest.json')).toContain('"ranker.json"');
    expect(loaded.ranker).toEqual(popularityRanker());
    for (const line of lists) expect(nonIncreasing(line.items.map(([id]) => pop(id)))).toBe(true);
    expect(plain.some((line) => !nonIncreasing(line.items.map(([id]) => pop(id))))).toBe(true);
    expect(ranked.length).toBeGreaterThan(10);
    expect(nonIncreasing(ranked.map((r) => pop(r.itemId)))).toBe(true);
    expect(ranked.map((r) => r.itemId)).not.toContain('i5');
    // Evaluation ranks as the lists do.
    const scorer = rankedScorer(modelScorer(trained), popularityRanker(), trained, trained.history);
    const scores = new Float32Array(loaded.itemIds.length);
    scorer.scoreUser(1, scores);
    const idx = new Int32Array(50);
    const got = topKExcluding(scores, trained.history, 1, 50, idx, new Float32Array(50));
    expect(Array.from(idx.subarray(0, got), (j) => trained.itemIds[j])).toEqual(
      lists[1]!.items.map(([id]) => id),
    );
  });

  it('throws naming the field of a ranker.json that is wrong', () => {
    expect(() => parseRanker({ ...popularityRanker(), kind: 'gbdt' })).toThrow(
      'ranker.json: kind must be "mlp-pairwise"',
    );
    expect(() => parseRanker({ ...popularityRanker(), w1: [1, 2] })).toThrow(
      `ranker.json: w1 must be ${RANKER_FEATURE_COUNT} finite numbers`,
    );
    expect(() =>
      parseRanker({ ...popularityRanker(), std: new Array(RANKER_FEATURE_COUNT).fill(0) }),
    ).toThrow('ranker.json: std must be positive');
  });

  it('learns what the first stage misses and is judged against it on the shoppers it was not trained on', () => {
    // A first stage that is noise, and shoppers who take popular items: the ranker must find popularity.
    const n = 300;
    const users = 400;
    const rand = mulberry32(5);
    const popularity = Float32Array.from({ length: n }, () => Math.floor(rand() ** 3 * 1000));
    const order = Array.from({ length: n }, (_, j) => j).sort((a, b) => popularity[b]! - popularity[a]!);
    const base = Float32Array.from({ length: users * n }, () => rand());
    const relevant = Array.from(
      { length: users },
      () => new Set([0, 1, 2].map(() => order[Math.floor(rand() * rand() * 60)]!)),
    );
    const set = {
      users: Int32Array.from({ length: users }, (_, t) => t),
      relevant,
      pairs: relevant.reduce((s, r) => s + r.size, 0),
    };
    const history = {
      rows: users,
      cols: n,
      indptr: new Int32Array(users + 1),
      indices: new Int32Array(0),
      values: new Float32Array(0),
    };
    const first = blendMetrics({ mats: [base], set, n, k: 10 }, [1]);
    const basePerUser = first.perUser;
    const outcome = trainRanker({
      ctx: { popularity, neighbours: emptyNeighbours(n, 1) },
      history,
      set,
      base,
      basePerUser,
      n,
      k: 10,
      seed: 42,
    });
    expect(first.metrics.ndcg).toBeLessThan(0.08);
    // Judged on the shoppers it was not trained on: every other one.
    expect(Array.from(outcome.users)).toEqual(Array.from({ length: users / 2 }, (_, i) => 2 * i + 1));
    const baseJudged = Float64Array.from(outcome.users, (t) => basePerUser[t]!);
    expect(outcome.gain.mean).toBeCloseTo(mean(outcome.perUser) - mean(baseJudged), 6);
    expect(outcome.gain.low).toBeGreaterThan(0.1);
    expect(outcome.model.linear[2]).toBeGreaterThan(0);
  });
});
