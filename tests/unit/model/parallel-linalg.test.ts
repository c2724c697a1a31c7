import { afterAll, describe, expect, it } from 'vitest';
import { gemmNT } from '../../../shared/model/blocked-spd.ts';
import { trainEase } from '../../../shared/model/ease.ts';
import { trainIals } from '../../../shared/model/ials.ts';
import { buildInteractions, type InteractionRecord } from '../../../shared/model/interactions.ts';
import { invertSpd } from '../../../shared/model/linalg.ts';
import { shutdownPool, teamSize } from '../../../shared/model/parallel.ts';
import { mulberry32 } from '../../../shared/model/rng.ts';

afterAll(async () => {
  await shutdownPool();
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

function randomBaskets(users: number, items: number, perUser: number, seed: number): InteractionRecord[] {
  const rand = mulberry32(seed);
  const out: InteractionRecord[] = [];
  for (let u = 0; u < users; u++)
    for (let t = 0; t < perUser; t++) {
      // Skewed item choice so that the Gram matrix has structure.
      const j = Math.floor(items * rand() * rand());
      out.push({ userId: `u${u}`, itemId: `i${j}`, type: 'purchase', timestamp: t });
    }
  return out;
}

describe('gemmNT', () => {
  it('returns C + s·A·Bᵀ for every remainder of the 4×2 tile', () => {
    // Prepare
    const rand = mulberry32(5);
    for (const [m, nc, kc] of [
      [7, 5, 3],
      [4, 2, 9],
      [1, 1, 1],
      [9, 3, 0],
    ] as const) {
      const a = Float64Array.from({ length: m * 11 }, () => rand());
      const b = Float64Array.from({ length: nc * 13 }, () => rand());
      const c = Float64Array.from({ length: m * 6 }, () => rand());
      const want = c.slice();
      for (let i = 0; i < m; i++)
        for (let j = 0; j < nc; j++) {
          let s = 0;
          for (let k = 0; k < kc; k++) s += a[1 + i * 11 + k]! * b[2 + j * 13 + k]!;
          want[i * 6 + j]! += -0.5 * s;
        }
      // Act
      gemmNT(m, nc, kc, -0.5, a, 1, 11, b, 2, 13, c, 0, 6);
      // Assess
      for (let t = 0; t < c.length; t++) expect(c[t]).toBeCloseTo(want[t]!, 12);
    }
  });
});

describe('invertSpd (blocked)', () => {
  it('returns A⁻¹ with A·A⁻¹ = I within 1e-9 across several 64-blocks and a ragged last block', () => {
    // Prepare
    const n = 150;
    const a = randomSpd(n, 40, 7);
    // Act
    const inv = invertSpd(a.slice(), n);
    // Assess
    let worst = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += a[i * n + k]! * inv[k * n + j]!;
        worst = Math.max(worst, Math.abs(s - (i === j ? 1 : 0)));
      }
    expect(worst).toBeLessThan(1e-9);
  });

  it('returns bitwise the same inverse on two threads as on one', () => {
    // Prepare
    const n = 300;
    const a = randomSpd(n, 60, 11);
    // Act
    const one = invertSpd(a.slice(), n, { threads: 1 });
    const two = invertSpd(a.slice(), n, { threads: 2, parallelFrom: 1 });
    // Assess
    expect(teamSize(2)).toBe(2);
    let differing = 0;
    for (let t = 0; t < n * n; t++) if (!Object.is(one[t], two[t])) differing++;
    expect(differing).toBe(0);
  });
});

describe('parallel training', () => {
  it('returns identical EASE weights on one and two threads', () => {
    // Prepare
    const ix = buildInteractions(randomBaskets(400, 300, 12, 3));
    // Act
    const one = trainEase(ix.csr, { lambda: 10 }, { threads: 1 });
    const two = trainEase(ix.csr, { lambda: 10 }, { threads: 2 });
    // Assess
    expect(ix.itemIds.length).toBeGreaterThanOrEqual(256);
    expect(two.weights).toEqual(one.weights);
  });

  it('returns identical iALS factors on one and two threads for the same seed', () => {
    // Prepare
    const ix = buildInteractions(randomBaskets(300, 120, 10, 4));
    const params = { factors: 8, iterations: 3, regularization: 0.1, alpha: 2, seed: 9 };
    // Act
    const one = trainIals(ix.csr, ix.csc, params, undefined, { threads: 1 });
    const two = trainIals(ix.csr, ix.csc, params, undefined, { threads: 2, parallelThreshold: 0 });
    // Assess
    expect(two.userFactors).toEqual(one.userFactors);
    expect(two.itemFactors).toEqual(one.itemFactors);
    expect(two.userFactors.buffer instanceof SharedArrayBuffer).toBe(false);
  });

  it('returns identical iALS factors on one and two threads on the JavaScript path too', () => {
    // Prepare: factors not a multiple of 4 take the JavaScript loops regardless; simd: false forces them.
    const ix = buildInteractions(randomBaskets(300, 120, 10, 4));
    const params = { factors: 8, iterations: 3, regularization: 0.1, alpha: 2, seed: 9 };
    // Act
    const one = trainIals(ix.csr, ix.csc, params, undefined, { threads: 1, simd: false });
    const two = trainIals(ix.csr, ix.csc, params, undefined, {
      threads: 2,
      parallelThreshold: 0,
      simd: false,
    });
    // Assess
    expect(two.userFactors).toEqual(one.userFactors);
    expect(two.itemFactors).toEqual(one.itemFactors);
  });
});
