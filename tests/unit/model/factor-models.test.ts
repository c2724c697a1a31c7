import { describe, expect, it } from 'vitest';
import { buildTestSet, evaluate } from '../../../shared/evaluation/evaluate.ts';
import { randomSplit } from '../../../shared/evaluation/splits.ts';
import { trainEase } from '../../../shared/model/ease.ts';
import { cgHalfStep, gramian, trainIals } from '../../../shared/model/ials.ts';
import { foldIn, ialsScorer } from '../../../shared/model/ials-scoring.ts';
import { buildInteractions, type InteractionRecord } from '../../../shared/model/interactions.ts';
import { invertSpd } from '../../../shared/model/linalg.ts';
import { popularity, popularityScorer } from '../../../shared/model/popularity.ts';
import { mulberry32 } from '../../../shared/model/rng.ts';

/** Users in `clusters` taste groups, each buying `perUser` random items of their group's block. */
function planted(
  users: number,
  items: number,
  clusters: number,
  perUser: number,
  seed: number,
): InteractionRecord[] {
  const rand = mulberry32(seed);
  const block = items / clusters;
  const out: InteractionRecord[] = [];
  for (let u = 0; u < users; u++) {
    const c = u % clusters;
    const chosen = new Set<number>();
    while (chosen.size < perUser) {
      // A little noise outside the block so that the problem is not trivially separable.
      const j = rand() < 0.9 ? Math.floor(c * block + rand() * block) : Math.floor(rand() * items);
      chosen.add(j);
    }
    let t = 0;
    for (const j of chosen) out.push({ userId: `u${u}`, itemId: `i${j}`, type: 'purchase', timestamp: t++ });
  }
  return out;
}

/** Gauss–Jordan inverse, the textbook way, as an independent check of the Cholesky route. */
function gaussJordan(a: number[][]): number[][] {
  const n = a.length;
  const m = a.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    const p = m[c]![c]!;
    for (let j = 0; j < 2 * n; j++) m[c]![j]! /= p;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r]![c]!;
      for (let j = 0; j < 2 * n; j++) m[r]![j]! -= f * m[c]![j]!;
    }
  }
  return m.map((row) => row.slice(n));
}

describe('invertSpd', () => {
  it('returns the inverse of a random SPD matrix (A·A⁻¹ = I within 1e-10), across the 4-row blocks', () => {
    const n = 11;
    const rand = mulberry32(3);
    const r = Array.from({ length: n * n }, () => rand() - 0.5);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = i === j ? 1 : 0;
        for (let k = 0; k < n; k++) s += r[i * n + k]! * r[j * n + k]!;
        a[i * n + j] = s;
      }
    const inv = invertSpd(a.slice(), n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += a[i * n + k]! * inv[k * n + j]!;
        expect(Math.abs(s - (i === j ? 1 : 0))).toBeLessThan(1e-10);
      }
  });
});

describe('trainEase', () => {
  it('returns B = I − P·diag(1/diag P) of a direct dense computation on a small case', () => {
    // Prepare
    const records = planted(9, 6, 2, 3, 1);
    const ix = buildInteractions(records);
    const n = ix.itemIds.length;
    const x = Array.from({ length: ix.userIds.length }, () => new Array<number>(n).fill(0));
    for (let u = 0; u < ix.userIds.length; u++)
      for (let p = ix.csr.indptr[u]!; p < ix.csr.indptr[u + 1]!; p++) x[u]![ix.csr.indices[p]!] = 1;
    const lambda = 2;
    const g = Array.from({ length: n }, (_, i) =>
      Array.from(
        { length: n },
        (_, j) => x.reduce((s, row) => s + row[i]! * row[j]!, 0) + (i === j ? lambda : 0),
      ),
    );
    const p = gaussJordan(g);
    // Act
    const model = trainEase(ix.csr, { lambda });
    // Assess
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        const want = i === j ? 0 : -p[i]![j]! / p[j]![j]!;
        expect(model.weights[i * n + j]).toBeCloseTo(want, 5);
      }
  });

  it('returns an error naming the limit when the catalog is too large', () => {
    const ix = buildInteractions(planted(4, 8, 2, 2, 1));
    expect(() => trainEase(ix.csr, { lambda: 1, maxItems: 3 })).toThrow(/limit is 3 items/);
  });
});

describe('trainIals', () => {
  const records = planted(400, 200, 5, 12, 11);
  const params = { factors: 8, iterations: 8, regularization: 1, alpha: 2, seed: 5 };

  it('returns a model that recovers planted structure far better than popularity', () => {
    // Prepare
    const split = randomSplit(records, 0.75, 1);
    const train = buildInteractions(split.train);
    const testSet = buildTestSet(train, split.test);
    // Act
    const model = trainIals(train.csr, train.csc, params);
    const ials = evaluate(ialsScorer(model), train.csr, testSet, 10);
    const pop = evaluate(popularityScorer(popularity(train.csc)), train.csr, testSet, 10);
    // Assess
    // Guessing inside the right 40-item block caps recall@10 near 0.32; popularity cannot find the block.
    expect(ials.recall).toBeGreaterThan(4 * pop.recall);
    expect(ials.recall).toBeGreaterThan(0.2);
  });

  it('returns identical factors for the same seed', () => {
    const ix = buildInteractions(records);
    const a = trainIals(ix.csr, ix.csc, params);
    const b = trainIals(ix.csr, ix.csc, params);
    expect(Buffer.from(a.userFactors.buffer).equals(Buffer.from(b.userFactors.buffer))).toBe(true);
    expect(Buffer.from(a.itemFactors.buffer).equals(Buffer.from(b.itemFactors.buffer))).toBe(true);
  });

  it('returns a CG solution that matches the exact solve within 1e-4 relative', () => {
    // Prepare: factors of a trained model; solve one user's system both ways.
    const ix = buildInteractions(records);
    const model = trainIals(ix.csr, ix.csc, params);
    const f = params.factors;
    const gram = new Float64Array(f * f);
    gramian(model.itemFactors, ix.itemIds.length, f, params.regularization, gram);
    const u = 17;
    const start = ix.csr.indptr[u]!;
    const end = ix.csr.indptr[u + 1]!;
    const exact = new Float32Array(f);
    // Act
    foldIn(model, gram, ix.csr.indices.subarray(start, end), ix.csr.values.subarray(start, end), exact);
    const x = model.userFactors.slice();
    cgHalfStep(ix.csr, x, model.itemFactors, gram, f, params.alpha, 'log', 3 * f, u, u + 1);
    // Assess
    let diff = 0;
    let norm = 0;
    for (let a = 0; a < f; a++) {
      diff += (x[u * f + a]! - exact[a]!) ** 2;
      norm += exact[a]! ** 2;
    }
    expect(Math.sqrt(diff / norm)).toBeLessThan(1e-4);
  });

  it('returns fold-in recommendations that agree with retraining on that user (score correlation ≥ 0.95)', () => {
    // Prepare: model A knows user u; model B is trained without u and folds u in from their items.
    const full = buildInteractions(records);
    const a = trainIals(full.csr, full.csc, { ...params, iterations: 15 });
    const scores = (uv: Float32Array, y: Float32Array) =>
      Array.from({ length: full.itemIds.length }, (_, j) => {
        let s = 0;
        for (let q = 0; q < params.factors; q++) s += uv[q]! * y[j * params.factors + q]!;
        return s;
      });
    for (const u of [3, 42, 250]) {
      const userId = full.userIds[u]!;
      const without = buildInteractions(
        records.filter((r) => r.userId !== userId),
        { userIds: full.userIds, itemIds: full.itemIds },
      );
      const b = trainIals(without.csr, without.csc, { ...params, iterations: 15 });
      const f = params.factors;
      const gram = new Float64Array(f * f);
      gramian(b.itemFactors, full.itemIds.length, f, params.regularization, gram);
      const start = full.csr.indptr[u]!;
      const end = full.csr.indptr[u + 1]!;
      const folded = new Float32Array(f);
      // Act
      foldIn(b, gram, full.csr.indices.subarray(start, end), full.csr.values.subarray(start, end), folded);
      // Assess
      const sa = scores(a.userFactors.subarray(u * f, (u + 1) * f), a.itemFactors);
      const sb = scores(folded, b.itemFactors);
      expect(pearson(sa, sb)).toBeGreaterThan(0.95);
    }
  });
});

function pearson(a: number[], b: number[]): number {
  const n = a.length;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}
