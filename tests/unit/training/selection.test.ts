import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../shared/model/rng.ts';
import type { ModelSpec } from '../../../shared/model/trained-model.ts';
import { selectModel } from '../../../shared/training/selection.ts';

const EASE: ModelSpec = { kind: 'ease', params: { lambda: 500 } };
const KNN: ModelSpec = { kind: 'item-knn', params: { neighbours: 50, shrink: 10 } };
const POP: ModelSpec = { kind: 'popularity' };
const HYBRID: ModelSpec = {
  kind: 'hybrid',
  normalisation: 'zscore',
  components: [
    { spec: EASE, weight: 1 },
    { spec: KNN, weight: 0.2 },
  ],
};

/** Per-shopper nDCG: a shared shopper difficulty plus the model's own noise, like real validation scores. */
function scores(n: number, level: number, noise: number, seed: number): Float64Array {
  const difficulty = mulberry32(1);
  const own = mulberry32(seed);
  return Float64Array.from({ length: n }, () =>
    Math.min(1, Math.max(0, difficulty() * 0.6 + level + (own() - 0.5) * noise)),
  );
}

describe('selectModel', () => {
  it('returns the simpler model when the best one is ahead within the noise', () => {
    const s = selectModel([
      { spec: POP, name: 'popularity', perUser: scores(300, 0.0, 0.2, 2) },
      { spec: KNN, name: 'item-knn', perUser: scores(300, 0.2, 0.2, 3) },
      { spec: HYBRID, name: 'hybrid', perUser: scores(300, 0.202, 0.2, 4) },
    ]);
    expect(s.best.name).toBe('hybrid');
    expect(s.chosen.name).toBe('item-knn');
    expect(s.judged.map((j) => j.tied)).toEqual([false, true, true]);
    expect(s.reason).toMatch(/item-knn is within the noise of the best, hybrid/);
  });

  it('returns the best model when it is ahead beyond the noise, with every candidate’s interval', () => {
    const s = selectModel([
      { spec: POP, name: 'popularity', perUser: scores(2000, 0.0, 0.2, 2) },
      { spec: KNN, name: 'item-knn', perUser: scores(2000, 0.1, 0.2, 3) },
      { spec: EASE, name: 'ease', perUser: scores(2000, 0.15, 0.2, 4) },
    ]);
    expect(s.chosen.name).toBe('ease');
    expect(s.judged.map((j) => j.tied)).toEqual([false, false, true]);
    for (const j of s.judged) {
      expect(j.interval.low).toBeLessThan(j.interval.mean);
      expect(j.interval.high).toBeGreaterThan(j.interval.mean);
    }
    expect(s.judged[1]!.behindBest.low).toBeGreaterThan(0.03);
  });

  it('returns the better of two equally simple models within the noise', () => {
    const s = selectModel([
      {
        spec: { kind: 'ease', params: { lambda: 250 } },
        name: 'ease 250',
        perUser: scores(200, 0.1, 0.2, 5),
      },
      { spec: EASE, name: 'ease 500', perUser: scores(200, 0.101, 0.2, 6) },
    ]);
    expect(s.chosen.name).toBe(s.best.name);
  });
});
