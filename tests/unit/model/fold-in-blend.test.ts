import { describe, expect, it } from 'vitest';
import { decodeArtifact } from '../../../shared/model/artifact-decode.ts';
import { type BlendPlan, blendPlan, blendScores, foldInRow } from '../../../shared/model/fold-in.ts';
import { freshFactor, freshnessOf } from '../../../shared/model/fold-in-freshness.ts';
import { buildInteractions } from '../../../shared/model/interactions.ts';
import { emptyNeighbours } from '../../../shared/model/neighbours.ts';
import { fitModel, type ModelSpec, modelScorer } from '../../../shared/model/trained-model.ts';
import { itemTitle, plantedRecords } from '../../fixtures/training-data.ts';
import { testArtifactFiles } from '../../helpers/serving-model.ts';

const records = plantedRecords();
const catalog = [...new Set(records.map((r) => r.itemId))].map((itemId) => ({
  itemId,
  title: itemTitle(itemId),
}));

/** Every member kind at once, on z-scores: what a request with fresh events must score like the trainer. */
const ALL_MEMBERS: ModelSpec = {
  kind: 'hybrid',
  normalisation: 'zscore',
  components: [
    {
      spec: { kind: 'ials', params: { factors: 8, iterations: 6, regularization: 0.05, alpha: 10, seed: 3 } },
      weight: 0.4,
    },
    { spec: { kind: 'ease', params: { lambda: 50, transform: 'log' } }, weight: 0.2 },
    { spec: { kind: 'item-knn', params: { neighbours: 20, shrink: 5 } }, weight: 0.15 },
    { spec: { kind: 'content' }, weight: 0.1 },
    { spec: { kind: 'recent-popularity', halfLifeDays: 20 }, weight: 0.1 },
    { spec: { kind: 'popularity' }, weight: 0.05 },
  ],
};

async function loaded(spec: ModelSpec) {
  const data = buildInteractions(records);
  const model = fitModel(data, records, spec, { catalog, threads: 1 });
  const files = testArtifactFiles(model, data, records.length, '20240101T000000Z-00000b1e');
  const read = async (name: string) => {
    const body = files.get(name)!;
    return typeof body === 'string' ? new TextEncoder().encode(body) : body;
  };
  return { model, artifact: await decodeArtifact(read) };
}

describe('Fold-in of the whole blend', () => {
  it('scores a training row with nothing fresh exactly as the trainer scored it, for every member kind', async () => {
    // Prepare
    const { model, artifact } = await loaded(ALL_MEMBERS);
    const plan = blendPlan(artifact);
    const n = model.itemIds.length;
    const want = new Float32Array(n);
    const got = new Float32Array(n);
    const scorer = modelScorer(model);

    // Act / Assess
    expect(plan.members.map((m) => [m.kind, m.weight])).toEqual([
      ['ials', 0.4],
      ['ease', 0.2],
      ['item-knn', 0.15],
      ['content', 0.1],
      ['recent-popularity', 0.1],
      ['popularity', 0.05],
    ]);
    for (let u = 0; u < model.userIds.length; u++) {
      scorer.scoreUser(u, want);
      blendScores(plan, artifact.history, u, foldInRow(artifact.history, u, new Map()), got);
      expect(got).toEqual(want);
    }
  });

  it('adds a fresh event to the row: its value to the confidence, its presence (uncapped) to the counting members', () => {
    // Prepare: a row of items 2 (value 5) and 7 (value 3); fresh signals on 7, on 9, and a veto on 2.
    const history = {
      rows: 1,
      cols: 12,
      indptr: Int32Array.from([0, 2]),
      indices: Int32Array.from([2, 7]),
      values: Float32Array.from([5, 3]),
    };
    const fresh = new Map([
      [7, { value: 1.5, presence: 0.5 }],
      [9, { value: 2.5, presence: 2 }],
      [2, { value: Number.NEGATIVE_INFINITY, presence: 0 }],
    ]);

    // Act
    const row = foldInRow(history, 0, fresh);
    const unchanged = foldInRow(history, 0, new Map());
    const stranger = foldInRow(history, undefined, new Map([[9, { value: 1, presence: 0.25 }]]));

    // Assess
    expect(row).toEqual({ items: [7, 9], values: [4.5, 2.5], presence: [1.5, 2], changed: true });
    expect(unchanged).toEqual({ items: [2, 7], values: [5, 3], presence: [1, 1], changed: false });
    expect(stranger).toEqual({ items: [9], values: [1], presence: [0.25], changed: true });
  });

  it('weighs a fresh event by the calibrated weight and half-life, and reads only a well-formed block', () => {
    const p = freshnessOf({ freshness: { halfLifeDays: 2, weight: 0.5 } });
    const off = { weight: 0, halfLifeDays: 1 };
    const noTrend = { weight: 0, halfLifeDays: 3 };
    const trend = { weight: 0.5, halfLifeDays: 3 };
    expect(p).toEqual({ halfLifeDays: 2, weight: 0.5, shortTerm: off, trend });
    expect(freshFactor(p, 0)).toBe(0.5);
    expect(freshFactor(p, 4 * 86_400_000)).toBe(0.125);
    expect(freshFactor(p, -1000)).toBe(0.5);
    expect(freshnessOf({})).toEqual({ halfLifeDays: null, weight: 4, shortTerm: off, trend });
    expect(
      freshnessOf({
        freshness: { halfLifeDays: -3, weight: 'x', shortTerm: { weight: 2, halfLifeDays: 0 } },
      }),
    ).toEqual({ halfLifeDays: null, weight: 4, shortTerm: { weight: 2, halfLifeDays: 1 }, trend });
    expect(freshnessOf({ freshness: { weight: 1, trend: { weight: 0 } } }).trend).toEqual(noTrend);
    expect(freshFactor({ halfLifeDays: null, weight: 2, shortTerm: off, trend: noTrend }, 1e12)).toBe(2);
  });

  it('lets a fresh event pull binary EASE by its presence: weight 4 counts as four training items', () => {
    // Prepare: 3 items; B's rows are e0 = [0, 1, 2], e1 = [3, 0, 5], e2 = [7, 11, 0]; the training row is item 0.
    const weights = Float32Array.from([0, 1, 2, 3, 0, 5, 7, 11, 0]);
    const plan: BlendPlan = {
      members: [{ kind: 'ease', weight: 1 }],
      normalisation: 'none',
      statics: [undefined],
      ease: { weights, transform: 'binary' },
      knn: emptyNeighbours(3, 0),
    };
    const history = {
      rows: 1,
      cols: 3,
      indptr: Int32Array.from([0, 1]),
      indices: Int32Array.from([0]),
      values: Float32Array.from([5]),
    };
    const out = new Float32Array(3);

    // Act: a fresh purchase of item 2 at weight 4 (value 5 × 4, presence 4), then the row alone.
    blendScores(plan, history, 0, foldInRow(history, 0, new Map([[2, { value: 20, presence: 4 }]])), out);
    const fresh = Array.from(out);
    blendScores(plan, history, 0, foldInRow(history, 0, new Map()), out);

    // Assess: 1 × e0 + 4 × e2, not 1 × e0 + 1 × e2 (the binary transform no longer drops the weight).
    expect(fresh).toEqual([28, 45, 2]);
    expect(Array.from(out)).toEqual([0, 1, 2]);
  });
});
