import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileKernels } from '../../../scripts/build-wasm.ts';
import { buildTestSet, evaluate } from '../../../shared/evaluation/evaluate.ts';
import { randomSplit } from '../../../shared/evaluation/splits.ts';
import { cgHalfStep, gramian, trainIals } from '../../../shared/model/ials.ts';
import { ialsScorer, scoreAll } from '../../../shared/model/ials-scoring.ts';
import { buildInteractions, type InteractionRecord } from '../../../shared/model/interactions.ts';
import { popularity, popularityScorer } from '../../../shared/model/popularity.ts';
import { mulberry32 } from '../../../shared/model/rng.ts';
import { Arena, ItemScorer, itemScorer, simdAvailable } from '../../../shared/model/simd/kernels.ts';
import { KERNELS_WASM_BASE64 } from '../../../shared/model/simd/kernels-wasm.ts';
import { csrFromTriplets, transpose } from '../../../shared/model/sparse.ts';

function randomMatrix(rows: number, cols: number, seed: number): Float32Array {
  const rand = mulberry32(seed);
  return Float32Array.from({ length: rows * cols }, () => rand() - 0.5);
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('WebAssembly SIMD kernels', () => {
  it('are compiled from the committed kernels.wat (run npm run build:wasm after editing it)', async () => {
    // Act
    const fresh = await compileKernels();
    // Assess
    const committed = readFileSync(
      new URL('../../../shared/model/simd/kernels-wasm.ts', import.meta.url),
      'utf8',
    );
    expect(committed).toBe(fresh);
    expect(KERNELS_WASM_BASE64.length).toBeGreaterThan(100);
  });

  it('run on this Node for factor counts that are multiples of 4 only', () => {
    expect(simdAvailable(64)).toBe(true);
    expect(simdAvailable(4)).toBe(true);
    expect(simdAvailable(10)).toBe(false);
  });

  it('say when a memory would exceed 4 GiB, where callers keep to the JavaScript loops', () => {
    expect(Arena.fits(1_000_000)).toBe(true);
    expect(Arena.fits(2 ** 32)).toBe(false);
    expect(itemScorer(new Float32Array(8), 2 ** 28, 4)).toBeUndefined();
  });

  it('score every item like the JavaScript loop, including a catalog size that is not a multiple of 4', () => {
    for (const [n, f] of [
      [1, 4],
      [7, 8],
      [1001, 64],
    ] as const) {
      // Prepare
      const y = randomMatrix(n, f, n);
      const x = randomMatrix(1, f, 99);
      const expected = new Float32Array(n);
      scoreAll(x, 0, y, f, expected);
      // Act
      const got = new ItemScorer(y, n, f).score(x);
      // Assess
      expect(got.length).toBe(n);
      expect(maxAbsDiff(got, expected)).toBeLessThan(1e-5);
    }
  });

  it('keep one scorer per factor matrix', () => {
    const y = randomMatrix(20, 8, 1);
    expect(itemScorer(y, 20, 8)).toBe(itemScorer(y, 20, 8));
    expect(itemScorer(randomMatrix(20, 8, 1), 20, 8)).not.toBe(itemScorer(y, 20, 8));
    expect(itemScorer(randomMatrix(20, 6, 1), 20, 6)).toBeUndefined();
  });

  it('sum YᵀY like the float64 gramian', () => {
    // Prepare
    const [n, f] = [37, 12];
    const y = randomMatrix(n, f, 5);
    const arena = new Arena(Arena.bytesFor(n * f, f * f));
    const yr = arena.f32(n * f);
    yr.view.set(y);
    const out = arena.f32(f * f);
    const expected = new Float64Array(f * f);
    gramian(y, n, f, 0, expected);
    // Act
    arena.kernels.gramAdd(yr.ptr, n, f, out.ptr);
    // Assess
    expect(maxAbsDiff(out.view, expected)).toBeLessThan(1e-4);
  });

  it('take the same conjugate-gradient half-step as the JavaScript solver', () => {
    // Prepare: a random sparse matrix, fixed item factors, and the same warm start for both solvers.
    const [users, items, f] = [50, 40, 8];
    const rand = mulberry32(17);
    const r: number[] = [];
    const c: number[] = [];
    const v: number[] = [];
    for (let u = 0; u < users; u++)
      for (let j = 0; j < items; j++)
        if (rand() < 0.15) {
          r.push(u);
          c.push(j);
          v.push(1 + Math.floor(rand() * 5));
        }
    const m = csrFromTriplets(
      users,
      items,
      Int32Array.from(r),
      Int32Array.from(c),
      Float64Array.from(v),
      r.length,
    );
    const nnz = m.indptr[users]!;
    const y = randomMatrix(items, f, 3).map((t) => t * 0.3);
    const x0 = randomMatrix(users, f, 4).map((t) => t * 0.01);
    const gram = new Float64Array(f * f);
    gramian(y, items, f, 0.1, gram);
    const expected = Float32Array.from(x0);
    cgHalfStep(m, expected, y, gram, f, 2, 'log', 3);
    const arena = new Arena(Arena.bytesFor(users + 1, nnz, nnz, users * f, items * f, f * f, 3 * f));
    const indptr = arena.i32(users + 1);
    indptr.view.set(m.indptr);
    const indices = arena.i32(nnz);
    indices.view.set(m.indices.subarray(0, nnz));
    const conf = arena.f32(nnz);
    for (let q = 0; q < nnz; q++) conf.view[q] = 1 + 2 * Math.log1p(m.values[q]!);
    const xs = arena.f32(users * f);
    xs.view.set(x0);
    const ys = arena.f32(items * f);
    ys.view.set(y);
    const a = arena.f32(f * f);
    a.view.set(gram);
    const scratch = arena.f32(3 * f);
    // Act
    arena.kernels.cgRows(
      indptr.ptr,
      indices.ptr,
      conf.ptr,
      xs.ptr,
      ys.ptr,
      a.ptr,
      f,
      3,
      0,
      users,
      scratch.ptr,
      0,
      0,
      0,
    );
    // Assess: float32 against float64 arithmetic, so close rather than equal.
    expect(maxAbsDiff(xs.view, expected)).toBeLessThan(1e-4);
    expect(maxAbsDiff(expected, x0)).toBeGreaterThan(1e-2);
  });
});

/** Users in 6 taste groups of 20 items each (90% in-group), 8 purchases each. */
function planted(seed: number): InteractionRecord[] {
  const rand = mulberry32(seed);
  const out: InteractionRecord[] = [];
  for (let u = 0; u < 300; u++) {
    const chosen = new Set<number>();
    while (chosen.size < 8)
      chosen.add(rand() < 0.9 ? (u % 6) * 20 + Math.floor(rand() * 20) : Math.floor(rand() * 120));
    let t = 0;
    for (const j of chosen) out.push({ userId: `u${u}`, itemId: `i${j}`, type: 'purchase', timestamp: t++ });
  }
  return out;
}

describe('iALS on the SIMD kernels', () => {
  it('reaches the JavaScript path’s held-out quality on planted data, far above popularity', () => {
    // Prepare
    const { train, test } = randomSplit(planted(8), 0.75, 1);
    const ix = buildInteractions(train);
    const testSet = buildTestSet(ix, test);
    const params = { factors: 8, iterations: 8, regularization: 0.1, alpha: 5, seed: 2 };
    // Act
    const simd = evaluate(ialsScorer(trainIals(ix.csr, ix.csc, params)), ix.csr, testSet, 10);
    const js = evaluate(
      ialsScorer(trainIals(ix.csr, ix.csc, params, undefined, { simd: false })),
      ix.csr,
      testSet,
      10,
    );
    const pop = evaluate(popularityScorer(popularity(ix.csc)), ix.csr, testSet, 10);
    // Assess
    expect(Math.abs(simd.recall - js.recall)).toBeLessThan(0.03);
    expect(simd.recall).toBeGreaterThan(2 * pop.recall);
  });

  it('is deterministic: same seed, same factors', () => {
    const ix = buildInteractions(planted(3));
    const params = { factors: 8, iterations: 3, regularization: 0.1, alpha: 2, seed: 9 };
    expect(trainIals(ix.csr, ix.csc, params).itemFactors).toEqual(
      trainIals(ix.csr, ix.csc, params).itemFactors,
    );
    expect(transpose(ix.csr).rows).toBe(ix.csc.rows);
  });
});
