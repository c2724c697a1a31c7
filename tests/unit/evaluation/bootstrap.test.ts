import { describe, expect, it } from 'vitest';
import { bootstrapMean, pairedDifference } from '../../../shared/evaluation/bootstrap.ts';
import { leaveLastShareSplit } from '../../../shared/evaluation/splits.ts';
import { mulberry32 } from '../../../shared/model/rng.ts';

const draws = (n: number, p: number, seed: number) => {
  const rand = mulberry32(seed);
  return Float64Array.from({ length: n }, () => (rand() < p ? 1 : 0));
};

describe('bootstrapMean', () => {
  it('returns the mean inside an interval that narrows as shoppers grow, about ±2 standard errors', () => {
    const small = bootstrapMean(draws(100, 0.3, 1));
    const large = bootstrapMean(draws(10_000, 0.3, 1));
    expect(small.low).toBeLessThan(small.mean);
    expect(small.high).toBeGreaterThan(small.mean);
    expect(large.high - large.low).toBeLessThan((small.high - small.low) / 5);
    // Binomial standard error at n = 10 000, p ≈ 0.3 is 0.0046: the 95 % interval is ~0.018 wide.
    expect(large.high - large.low).toBeGreaterThan(0.014);
    expect(large.high - large.low).toBeLessThan(0.022);
    expect(large.mean).toBeGreaterThan(large.low);
    expect(large.mean).toBeLessThan(large.high);
  });

  it('returns a point interval for a single shopper and the same interval for the same seed', () => {
    expect(bootstrapMean([0.4])).toEqual({ mean: 0.4, low: 0.4, high: 0.4 });
    const v = draws(500, 0.5, 3);
    expect(bootstrapMean(v, { seed: 9 })).toEqual(bootstrapMean(v, { seed: 9 }));
  });
});

describe('pairedDifference', () => {
  it('returns an interval above zero for a candidate better on most shoppers and around zero for a twin', () => {
    const a = draws(400, 0.5, 5);
    const better = a.map((x, i) => (i % 4 === 0 ? 1 : x));
    const d = pairedDifference(better, a);
    expect(d.mean).toBeGreaterThan(0);
    expect(d.low).toBeGreaterThan(0);
    expect(pairedDifference(a, a)).toEqual({ mean: 0, low: 0, high: 0 });
    expect(() => pairedDifference([1, 2], [1])).toThrow(/same shoppers: 2 vs 1/);
  });
});

describe('leaveLastShareSplit', () => {
  it('returns each shopper’s newest share of items (at least one) as test and keeps single-item shoppers whole', () => {
    const rec = (userId: string, itemId: string, day: number) => ({
      userId,
      itemId,
      timestamp: day * 86_400_000,
    });
    const records = [
      ...Array.from({ length: 10 }, (_, d) => rec('a', `i${d}`, 10 - d)), // i0 newest
      rec('b', 'x', 1),
      rec('b', 'y', 2),
      rec('b', 'x', 3), // a second touch of x does not make it newer
      rec('c', 'z', 5),
    ];
    const { train, test } = leaveLastShareSplit(records, 0.2);
    expect(test.filter((r) => r.userId === 'a').map((r) => r.itemId)).toEqual(['i1', 'i0']);
    expect(test.filter((r) => r.userId === 'b').map((r) => r.itemId)).toEqual(['y']);
    expect(train.filter((r) => r.userId === 'b').map((r) => r.itemId)).toEqual(['x', 'x']);
    expect(train.filter((r) => r.userId === 'c')).toHaveLength(1);
    expect(() => leaveLastShareSplit(records, 1)).toThrow(/share must be in \(0, 1\)/);
  });
});
