import { afterAll, describe, expect, it } from 'vitest';
import { gemmNT } from '../../../shared/model/blocked-spd.ts';
import { trainEase } from '../../../shared/model/ease.ts';
import { cgHalfStep, gramian, ialsShape, trainIals, trainIalsInArena } from '../../../shared/model/ials.ts';
import { foldIn } from '../../../shared/model/ials-scoring.ts';
import { buildInteractions, type InteractionRecord } from '../../../shared/model/interactions.ts';
import { invertSpd } from '../../../shared/model/linalg.ts';
import { shutdownPool } from '../../../shared/model/parallel.ts';
import { mulberry32 } from '../../../shared/model/rng.ts';
import { IalsArena } from '../../../shared/model/simd/ials-simd.ts';
import { Arena } from '../../../shared/model/simd/kernels.ts';
import { invertSpdInArena, spdArena } from '../../../shared/model/simd/spd-simd.ts';
import { type Csr, csrFromTriplets, transpose } from '../../../shared/model/sparse.ts';

afterAll(async () => {
  await shutdownPool();
});

const random = (n: number, seed: number, scale = 1) => {
  const rand = mulberry32(seed);
  return Float32Array.from({ length: n }, () => (rand() - 0.5) * scale);
};

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function randomCsr(rows: number, cols: number, density: number, seed: number): Csr {
  const rand = mulberry32(seed);
  const r: number[] = [];
  const c: number[] = [];
  const v: number[] = [];
  for (let u = 0; u < rows; u++)
    for (let j = 0; j < cols; j++)
      if (rand() < density) {
        r.push(u);
        c.push(j);
        v.push(1 + Math.floor(rand() * 5));
      }
  return csrFromTriplets(rows, cols, Int32Array.from(r), Int32Array.from(c), Float64Array.from(v), r.length);
}

describe('the fused iALS kernel (dot and axpy of each nonzero in one loop)', () => {
  it('accumulates Σ coef·y_j like the two-pass reference, for factor counts with and without a 16-float tail', () => {
    for (const f of [4, 12, 16, 20, 64, 68]) {
      for (const residual of [0, 1]) {
        // Prepare: 9 nonzeros of one row over 30 item rows, confidences 1..5.
        const items = 30;
        const nz = 9;
        const rand = mulberry32(f * 7 + residual);
        const idx = Int32Array.from({ length: nz }, () => Math.floor(rand() * items));
        const conf = Float32Array.from({ length: nz }, () => 1 + 4 * rand());
        const y = random(items * f, f);
        const v = random(f, f + 1);
        const out0 = random(f, f + 2);
        const expected = Float64Array.from(out0);
        for (let q = 0; q < nz; q++) {
          let d = 0;
          for (let k = 0; k < f; k++) d += y[idx[q]! * f + k]! * v[k]!;
          const coef = residual ? conf[q]! - (conf[q]! - 1) * d : (conf[q]! - 1) * d;
          for (let k = 0; k < f; k++) expected[k]! += coef * y[idx[q]! * f + k]!;
        }
        const arena = new Arena(Arena.bytesFor(nz, nz, items * f, f, f));
        const [ri, rc, ry, rv, ro] = [
          arena.i32(nz),
          arena.f32(nz),
          arena.f32(items * f),
          arena.f32(f),
          arena.f32(f),
        ];
        ri.view.set(idx);
        rc.view.set(conf);
        ry.view.set(y);
        rv.view.set(v);
        ro.view.set(out0);
        // Act
        arena.kernels.accumulate(ri.ptr, rc.ptr, 0, nz, ry.ptr, rv.ptr, ro.ptr, f, residual);
        // Assess
        expect(maxAbsDiff(ro.view, expected)).toBeLessThan(1e-5);
        expect(maxAbsDiff(ro.view, out0)).toBeGreaterThan(1e-3);
      }
    }
  });

  it('sums YᵀY four rows at a time like the float64 gramian, whatever the row count mod 4', () => {
    for (const [n, f] of [
      [1, 4],
      [3, 12],
      [4, 8],
      [7, 64],
      [37, 20],
    ] as const) {
      // Prepare
      const y = random(n * f, n + f);
      const arena = new Arena(Arena.bytesFor(n * f, f * f));
      const yr = arena.f32(n * f);
      yr.view.set(y);
      const out = arena.f32(f * f);
      const expected = new Float64Array(f * f);
      gramian(y, n, f, 0, expected);
      // Act
      arena.kernels.gramAdd(yr.ptr, n, f, out.ptr);
      // Assess
      expect(maxAbsDiff(out.view, expected)).toBeLessThan(1e-5);
      expect(out.view[0]).toBeCloseTo(expected[0]!, 5);
    }
  });

  it('takes the same CG half-step as the float64 JavaScript solver at 20 and 64 factors, rows gathered or not', () => {
    for (const f of [20, 64]) {
      // Prepare
      const [users, items] = [40, 60];
      const m = randomCsr(users, items, 0.2, f);
      const y = random(items * f, 3, 0.6);
      const x0 = random(users * f, 4, 0.02);
      const gram = new Float64Array(f * f);
      gramian(y, items, f, 0.1, gram);
      const expected = Float32Array.from(x0);
      cgHalfStep(m, expected, y, gram, f, 1, 'log', 3);
      const ia = IalsArena.fromCsr(
        m,
        undefined,
        { rows: users, cols: items, nnz: m.indptr[users]!, factors: f, members: 1 },
        1,
        'log',
      );
      const { indptr, indices, conf } = ia.sparse(ia.users);
      // Act: no copy, every row copied whole, and rows longer than 4 split between the copy and in place.
      const results = [0, 4096, 4].map((cap) => {
        ia.x.view.set(x0);
        ia.y.view.set(y);
        ia.a.view.set(gram);
        ia.arena.kernels.cgRows(
          indptr,
          indices,
          conf,
          ia.x.ptr,
          ia.y.ptr,
          ia.a.ptr,
          f,
          3,
          0,
          users,
          ia.scratch.ptr,
          ia.gather.ptr,
          ia.iota.ptr,
          cap,
        );
        return Float32Array.from(ia.x.view);
      });
      // Assess
      expect(
        Math.max(...Array.from({ length: users }, (_, u) => m.indptr[u + 1]! - m.indptr[u]!)),
      ).toBeGreaterThan(4);
      expect(maxAbsDiff(results[0]!, expected)).toBeLessThan(2e-4);
      expect(maxAbsDiff(expected, x0)).toBeGreaterThan(1e-2);
      expect(results[1]).toEqual(results[0]);
      expect(results[2]).toEqual(results[0]);
    }
  });
});

describe('fold-in on the kernel', () => {
  it('gives the JavaScript loop’s vector bit for bit, over more events than one kernel call takes', () => {
    for (const [f, events] of [
      [64, 50],
      [20, 300],
    ] as const) {
      // Prepare
      const items = 500;
      const model = {
        factors: f,
        itemFactors: random(items * f, 11, 0.4),
        params: {
          factors: f,
          iterations: 0,
          regularization: 0.1,
          alpha: 2,
          transform: 'log' as const,
          cgSteps: 3,
          seed: 0,
        },
      };
      const gram = new Float64Array(f * f);
      gramian(model.itemFactors, items, f, 0.1, gram);
      const rand = mulberry32(f);
      const its = Int32Array.from({ length: events }, () => Math.floor(rand() * items));
      const values = Float32Array.from({ length: events }, () => 1 + Math.floor(rand() * 5));
      const [onKernel, inJs] = [new Float32Array(f), new Float32Array(f)];
      // Act
      foldIn(model, gram, its, values, onKernel);
      foldIn(model, gram, its, values, inJs, undefined, false);
      // Assess
      expect(Array.from(onKernel)).toEqual(Array.from(inJs));
      expect(maxAbsDiff(onKernel, new Float32Array(f))).toBeGreaterThan(1e-3);
    }
  });
});

describe('the iALS arena', () => {
  it('trains the same factors from raw values read into it and transposed there as trainIals from a CSR', () => {
    // Prepare
    const m = randomCsr(1500, 90, 0.05, 12);
    const nnz = m.indptr[m.rows]!;
    const params = { factors: 8, iterations: 3, regularization: 0.1, alpha: 2, seed: 5 };
    const ia = new IalsArena(ialsShape(m.rows, m.cols, nnz, 8, { threads: 1 }));
    ia.users.indptr.set(m.indptr);
    ia.users.indices.set(m.indices.subarray(0, nnz));
    ia.users.values.set(m.values.subarray(0, nnz));
    // Act
    ia.confidencesInPlace(2, 'log');
    ia.transposeUsers();
    const inArena = trainIalsInArena(ia, params, undefined, { threads: 1 });
    const fromCsr = trainIals(m, transpose(m), params, undefined, { threads: 1 });
    // Assess
    expect(ia.items.indptr[m.cols]).toBe(nnz);
    expect(Array.from(inArena.itemFactors)).toEqual(Array.from(fromCsr.itemFactors));
    expect(Array.from(inArena.userFactors)).toEqual(Array.from(fromCsr.userFactors));
    expect(inArena.userFactors.buffer).toBe(ia.arena.memory.buffer);
    expect(fromCsr.userFactors.buffer instanceof SharedArrayBuffer).toBe(false);
  });

  it('returns identical factors on one and two threads when YᵀY spans several 1024-row blocks', () => {
    // Prepare: 2,600 users, so the item half-step's YᵀY has three blocks shared out between two threads.
    const m = randomCsr(2600, 50, 0.06, 21);
    const params = { factors: 12, iterations: 2, regularization: 0.1, alpha: 1, seed: 3 };
    // Act
    const one = trainIals(m, transpose(m), params, undefined, { threads: 1 });
    const two = trainIals(m, transpose(m), params, undefined, { threads: 2, parallelThreshold: 0 });
    // Assess
    expect(two.itemFactors).toEqual(one.itemFactors);
    expect(two.userFactors).toEqual(one.userFactors);
  });
});

/** A random SPD matrix R·Rᵀ + I with R of size n × rank. */
function randomSpd(n: number, rank: number, seed: number): Float64Array {
  const rand = mulberry32(seed);
  const r = Float64Array.from({ length: n * rank }, () => rand() - 0.5);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      let s = i === j ? 1 : 0;
      for (let k = 0; k < rank; k++) s += r[i * rank + k]! * r[j * rank + k]!;
      a[i * n + j] = s;
      a[j * n + i] = s;
    }
  return a;
}

describe('the float64 SIMD kernels of the SPD inverse', () => {
  it('return C + s·A·Bᵀ like the JavaScript gemm tile, for every remainder of rows, columns and depth', () => {
    const rand = mulberry32(8);
    for (const [m, nc, kc] of [
      [7, 5, 3],
      [4, 2, 9],
      [1, 1, 1],
      [9, 3, 0],
      [8, 6, 128],
      [5, 7, 65],
    ] as const) {
      // Prepare: A (m × 140, from column 1), B (nc × 150, from column 2), C (m × 9), in one arena.
      const arena = new Arena(Arena.bytesFor(2 * m * 140, 2 * nc * 150, 2 * m * 9));
      const [a, b, c] = [arena.f64(m * 140), arena.f64(nc * 150), arena.f64(m * 9)];
      for (const r of [a, b, c]) for (let t = 0; t < r.view.length; t++) r.view[t] = rand() - 0.5;
      const before = c.view.slice();
      const want = c.view.slice();
      gemmNT(m, nc, kc, -0.75, a.view, 1, 140, b.view, 2, 150, want, 0, 9);
      // Act
      arena.kernels.gemmNT(m, nc, kc, -0.75, a.ptr + 8, 140, b.ptr + 16, 150, c.ptr, 9);
      // Assess
      expect(maxAbsDiff(c.view, want)).toBeLessThan(1e-12);
      expect(maxAbsDiff(c.view, before) > 0).toBe(kc > 0);
    }
  });

  it('invert an SPD matrix like the JavaScript loops (A·A⁻¹ = I within 1e-9), bitwise alike on one and two threads', () => {
    // Prepare: 150 rows, so several 64-blocks and a ragged last one.
    const n = 150;
    const a = randomSpd(n, 40, 7);
    const one = spdArena(n);
    one.a.set(a);
    const two = spdArena(n);
    two.a.set(a);
    // Act
    const reference = invertSpd(a.slice(), n);
    const inv = invertSpdInArena(one, { threads: 1 });
    const inv2 = invertSpdInArena(two, { threads: 2, parallelFrom: 1 });
    // Assess
    let worst = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += a[i * n + k]! * inv[k * n + j]!;
        worst = Math.max(worst, Math.abs(s - (i === j ? 1 : 0)));
      }
    expect(worst).toBeLessThan(1e-9);
    expect(maxAbsDiff(inv, reference)).toBeLessThan(1e-10);
    let differing = 0;
    for (let t = 0; t < n * n; t++) if (!Object.is(inv[t], inv2[t])) differing++;
    expect(differing).toBe(0);
  });
});

function randomBaskets(users: number, items: number, perUser: number, seed: number): InteractionRecord[] {
  const rand = mulberry32(seed);
  const out: InteractionRecord[] = [];
  for (let u = 0; u < users; u++)
    for (let t = 0; t < perUser; t++) {
      const j = Math.floor(items * rand() * rand());
      out.push({ userId: `u${u}`, itemId: `i${j}`, type: 'purchase', timestamp: t });
    }
  return out;
}

describe('EASE on the SIMD kernels', () => {
  it('returns the weights of the JavaScript path within float32 rounding', () => {
    // Prepare
    const ix = buildInteractions(randomBaskets(500, 400, 12, 6));
    // Act
    const simd = trainEase(ix.csr, { lambda: 20 }, { threads: 1 });
    const js = trainEase(ix.csr, { lambda: 20 }, { threads: 1, simd: false });
    // Assess
    let largest = 0;
    for (const w of js.weights) largest = Math.max(largest, Math.abs(w));
    expect(ix.itemIds.length).toBeGreaterThan(300);
    expect(largest).toBeGreaterThan(0.01);
    expect(maxAbsDiff(simd.weights, js.weights)).toBeLessThan(largest * 1e-6);
  });
});
