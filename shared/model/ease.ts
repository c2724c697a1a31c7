import { invertSpd } from './linalg.ts';
import { defaultThreads, sharedF64 } from './parallel.ts';
import type { Scorer } from './scorer.ts';
import { invertSpdInArena, spdArena, spdSimdAvailable } from './simd/spd-simd.ts';
import type { Csr } from './sparse.ts';

export interface EaseParams {
  /** L2 regularisation of the item-item weights (Steck 2019 uses a few hundred on sparse retail data). */
  lambda: number;
  /** How confidences enter the Gram matrix: 1/0, log(1 + c), or c itself. */
  transform?: ValueTransform;
  /** Refuse catalogs larger than this: the dense n×n inverse costs O(n³) time and 16·n² bytes. */
  maxItems?: number;
}

export type ValueTransform = 'binary' | 'log' | 'linear';

export const EASE_DEFAULT_MAX_ITEMS = 20_000;

export function transformValue(v: number, t: ValueTransform): number {
  return t === 'binary' ? 1 : t === 'log' ? Math.log1p(v) : v;
}

export class CatalogTooLargeError extends Error {
  constructor(items: number, max: number) {
    super(
      `EASE needs a dense ${items}×${items} inverse; the limit is ${max} items (raise maxItems or use iALS)`,
    );
    this.name = 'CatalogTooLargeError';
  }
}

export interface EaseModel {
  /** n×n row-major item-item weights with a zero diagonal: score(u) = x_u · B. */
  weights: Float32Array;
  items: number;
  params: Required<EaseParams>;
}

/**
 * EASE (Steck 2019): B = I − P·diag(1/diag(P)) with P = (XᵀX + λI)⁻¹, the closed-form solution of the
 * least squares item-item model with a zero-diagonal constraint.
 */
export function trainEase(
  csr: Csr,
  params: EaseParams,
  options: { threads?: number; simd?: boolean } = {},
): EaseModel {
  const p: Required<EaseParams> = {
    lambda: params.lambda,
    transform: params.transform ?? 'binary',
    maxItems: params.maxItems ?? EASE_DEFAULT_MAX_ITEMS,
  };
  const n = csr.cols;
  if (n > p.maxItems) throw new CatalogTooLargeError(n, p.maxItems);
  const threads = options.threads ?? defaultThreads();
  // Built straight into the kernels' memory, or on a SharedArrayBuffer when threads will share the
  // JavaScript inverse: no 8·n² copy either way. simd: false keeps to the JavaScript loops (tests, bench).
  const simd = options.simd !== false && spdSimdAvailable(n) ? spdArena(n) : undefined;
  const g = simd?.a ?? (threads > 1 && n >= 256 ? sharedF64(n * n) : new Float64Array(n * n));
  const { indptr, indices } = csr;
  // Transformed once, not once per pair of a row's entries.
  const x = Float64Array.from(csr.values.subarray(0, indptr[csr.rows]!), (v) =>
    transformValue(v, p.transform),
  );
  // Gram matrix, lower triangle only (the Cholesky reads nothing else), row by row of X.
  for (let u = 0; u < csr.rows; u++) {
    const start = indptr[u]!;
    const end = indptr[u + 1]!;
    for (let a = start; a < end; a++) {
      const xi = x[a]!;
      const row = indices[a]! * n;
      // Row indices are sorted, so every j in [start, a] is ≤ i: the lower triangle.
      for (let b = start; b <= a; b++) g[row + indices[b]!]! += xi * x[b]!;
    }
  }
  for (let i = 0; i < n; i++) g[i * n + i]! += p.lambda;
  const inv =
    simd === undefined
      ? invertSpd(g, n, { threads, parallelFrom: 256 })
      : invertSpdInArena(simd, { threads, parallelFrom: 256 });
  const weights = new Float32Array(n * n);
  const diagonal = Float64Array.from({ length: n }, (_, j) => inv[j * n + j]!);
  for (let i = 0; i < n; i++) {
    const row = i * n;
    for (let j = 0; j < n; j++) {
      if (i !== j) weights[row + j] = -inv[row + j]! / diagonal[j]!;
    }
  }
  return { weights, items: n, params: p };
}

/** Scores for user `u`: the sum of the weight rows of the user's items, scaled like the training input. */
export function easeScorer(model: EaseModel, history: Csr, name = 'ease'): Scorer {
  const n = model.items;
  const w = model.weights;
  const t = model.params.transform;
  return {
    name,
    scoreUser(u, out) {
      out.fill(0);
      for (let p = history.indptr[u]!; p < history.indptr[u + 1]!; p++) {
        const x = transformValue(history.values[p]!, t);
        const row = history.indices[p]! * n;
        for (let j = 0; j < n; j++) out[j]! += x * w[row + j]!;
      }
    },
  };
}
