import { describe, expect, it } from 'vitest';
import { buildTestSet, evaluate } from '../../../shared/evaluation/evaluate.ts';
import { listMetrics, MetricsAccumulator } from '../../../shared/evaluation/metrics.ts';
import { leaveLastNSplit, randomSplit, temporalSplit } from '../../../shared/evaluation/splits.ts';
import { buildInteractions, type InteractionRecord } from '../../../shared/model/interactions.ts';

describe('listMetrics', () => {
  it('returns the hand-computed values for hits at ranks 1 and 3 of 4 relevant items', () => {
    // Prepare
    const ranked = [7, 2, 5, 9, 4];
    const relevant = new Set([7, 5, 11, 12]);
    // Act
    const m = listMetrics(ranked, ranked.length, relevant, 5);
    // Assess: DCG = 1 + 1/log2(4) = 1.5; IDCG = 1 + 1/log2 3 + 1/2 + 1/log2 5
    const idcg = 1 + 1 / Math.log2(3) + 0.5 + 1 / Math.log2(5);
    expect(m.precision).toBeCloseTo(2 / 5, 12);
    expect(m.recall).toBeCloseTo(2 / 4, 12);
    expect(m.ndcg).toBeCloseTo(1.5 / idcg, 12);
    expect(m.ap).toBeCloseTo((1 / 1 + 2 / 3) / 4, 12);
    expect(m.rr).toBe(1);
    expect(m.hit).toBe(1);
  });

  it('returns zeros when nothing relevant is ranked', () => {
    const m = listMetrics([1, 2], 2, new Set([3]), 2);
    expect(m).toEqual({ precision: 0, recall: 0, ndcg: 0, ap: 0, rr: 0, hit: 0 });
  });

  it('returns a reciprocal rank of 1/3 and caps the AP denominator at k', () => {
    const m = listMetrics([1, 2, 3], 3, new Set([3, 10, 11, 12, 13]), 3);
    expect(m.rr).toBeCloseTo(1 / 3, 12);
    expect(m.ap).toBeCloseTo(1 / 3 / 3, 12);
    expect(m.ndcg).toBeCloseTo(0.5 / (1 + 1 / Math.log2(3) + 0.5), 12);
  });
});

describe('MetricsAccumulator', () => {
  it('returns averages over users and the catalog coverage', () => {
    const acc = new MetricsAccumulator(2, 10);
    acc.add([0, 1], 2, new Set([0]));
    acc.add([1, 2], 2, new Set([9]));
    const r = acc.result();
    expect(r.users).toBe(2);
    expect(r.precision).toBeCloseTo(0.25, 12);
    expect(r.hitRate).toBeCloseTo(0.5, 12);
    expect(r.mrr).toBeCloseTo(0.5, 12);
    expect(r.coverage).toBeCloseTo(3 / 10, 12);
  });
});

const rec = (userId: string, itemId: string, day: number): InteractionRecord => ({
  userId,
  itemId,
  type: 'purchase',
  timestamp: Date.UTC(2024, 0, 1 + day),
});

describe('splits', () => {
  const records = [
    rec('a', 'x', 0),
    rec('a', 'y', 1),
    rec('a', 'z', 5),
    rec('b', 'x', 2),
    rec('b', 'z', 6),
    rec('a', 'x', 7),
  ];

  it('returns records before the cut-off as training for a temporal split', () => {
    const { train, test } = temporalSplit(records, Date.UTC(2024, 0, 5));
    expect(train).toHaveLength(3);
    expect(test.map((r) => r.itemId)).toEqual(['z', 'z', 'x']);
  });

  it('returns the last-touched item of each user as test for leave-last-1', () => {
    const { train, test } = leaveLastNSplit(records, 1);
    expect(test.map((r) => `${r.userId}${r.itemId}`).sort()).toEqual(['az', 'bz']);
    expect(train).toHaveLength(4);
  });

  it('returns the same per-user random split for the same seed and keeps pairs on one side', () => {
    const many = Array.from({ length: 200 }, (_, i) => rec(`u${i % 10}`, `i${i % 37}`, i));
    const s1 = randomSplit(many, 0.75, 7);
    const s2 = randomSplit(many, 0.75, 7);
    expect(s1.test).toEqual(s2.test);
    const trainPairs = new Set(s1.train.map((r) => `${r.userId}|${r.itemId}`));
    expect(s1.test.some((r) => trainPairs.has(`${r.userId}|${r.itemId}`))).toBe(false);
    expect(s1.train.length + s1.test.length).toBe(200);
  });
});

describe('evaluate', () => {
  it('returns perfect scores for a scorer that ranks the held-out item first, excluding training items', () => {
    // Prepare: user a bought x; the test asks for y; the scorer likes x most, then y.
    const train = buildInteractions([rec('a', 'x', 0), rec('b', 'y', 0), rec('b', 'z', 0)]);
    const testSet = buildTestSet(train, [rec('a', 'y', 9), rec('a', 'x', 9)]);
    const ix = train.itemIndex;
    const scorer = {
      name: 'fixed',
      scoreUser(_u: number, out: Float32Array) {
        out.fill(0);
        out[ix.get('x')!] = 3;
        out[ix.get('y')!] = 2;
      },
    };
    // Act
    const r = evaluate(scorer, train.csr, testSet, 1);
    // Assess: x is excluded (bought in training) and the repeat pair a–x is not a test pair.
    expect(testSet.pairs).toBe(1);
    expect(r.ndcg).toBe(1);
    expect(r.precision).toBe(1);
  });
});
