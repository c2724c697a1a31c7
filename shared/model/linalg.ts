/**
 * Dense linear algebra on row-major Float64Array matrices. The EASE inverse dominates training time, so the
 * three O(n³) phases are written as dot products of contiguous row segments, four rows at a time: each
 * loaded element of the shared row is used four times, which quarters the memory traffic that otherwise
 * bounds these loops once the matrix outgrows the caches.
 */

/** Four dot products of rows r0..r3 with row b of `m` over columns [from, to). Writes into `out[0..3]`. */
function dot4(
  m: Float64Array,
  r0: number,
  r1: number,
  r2: number,
  r3: number,
  b: number,
  from: number,
  to: number,
  out: Float64Array,
): void {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  for (let k = from; k < to; k++) {
    const x = m[b + k]!;
    s0 += m[r0 + k]! * x;
    s1 += m[r1 + k]! * x;
    s2 += m[r2 + k]! * x;
    s3 += m[r3 + k]! * x;
  }
  out[0] = s0;
  out[1] = s1;
  out[2] = s2;
  out[3] = s3;
}

function dot(m: Float64Array, a: number, b: number, from: number, to: number): number {
  let s = 0;
  for (let k = from; k < to; k++) s += m[a + k]! * m[b + k]!;
  return s;
}

export class NotPositiveDefiniteError extends Error {
  constructor(pivot: number, options?: ErrorOptions) {
    super(`matrix is not positive definite (pivot ${pivot})`, options);
    this.name = 'NotPositiveDefiniteError';
  }
}

/**
 * In-place Cholesky factorisation A = L Lᵀ of a symmetric positive definite n×n matrix; only the lower
 * triangle is read, L is left in the lower triangle and the upper triangle is zeroed.
 */
export function cholesky(a: Float64Array, n: number): void {
  const acc = new Float64Array(4);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const r0 = i * n;
    const r1 = r0 + n;
    const r2 = r1 + n;
    const r3 = r2 + n;
    for (let j = 0; j < i; j++) {
      const rj = j * n;
      dot4(a, r0, r1, r2, r3, rj, 0, j, acc);
      const d = a[rj + j]!;
      a[r0 + j] = (a[r0 + j]! - acc[0]!) / d;
      a[r1 + j] = (a[r1 + j]! - acc[1]!) / d;
      a[r2 + j] = (a[r2 + j]! - acc[2]!) / d;
      a[r3 + j] = (a[r3 + j]! - acc[3]!) / d;
    }
    for (let t = i; t < i + 4; t++) choleskyRowTail(a, n, t, i);
  }
  for (; i < n; i++) choleskyRowTail(a, n, i, 0);
  for (let r = 0; r < n; r++) a.fill(0, r * n + r + 1, r * n + n);
}

/** Finishes row `i` of the factor from column `from` up to and including the diagonal. */
function choleskyRowTail(a: Float64Array, n: number, i: number, from: number): void {
  const ri = i * n;
  for (let j = from; j < i; j++) {
    const rj = j * n;
    a[ri + j] = (a[ri + j]! - dot(a, ri, rj, 0, j)) / a[rj + j]!;
  }
  const d = a[ri + i]! - dot(a, ri, ri, 0, i);
  if (!(d > 0)) throw new NotPositiveDefiniteError(i);
  a[ri + i] = Math.sqrt(d);
}

/**
 * The inverse of a symmetric positive definite matrix via Cholesky: A = L Lᵀ, U = L⁻ᵀ (computed row by row
 * as forward substitutions), A⁻¹ = U Uᵀ. `a` is destroyed; the full symmetric inverse is returned.
 */
export function invertSpd(a: Float64Array, n: number): Float64Array {
  cholesky(a, n);
  const l = a;
  // Row j of U is column j of L⁻¹: U[j][i] = (δij − Σ_{k<i} L[i][k] U[j][k]) / L[i][i]; zeros below the
  // diagonal of U let four right-hand sides share one sweep over L.
  const u = new Float64Array(n * n);
  const acc = new Float64Array(4);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const u0 = j * n;
    const u1 = u0 + n;
    const u2 = u1 + n;
    const u3 = u2 + n;
    for (let i = j; i < n; i++) {
      const li = i * n;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let k = j; k < i; k++) {
        const x = l[li + k]!;
        s0 += u[u0 + k]! * x;
        s1 += u[u1 + k]! * x;
        s2 += u[u2 + k]! * x;
        s3 += u[u3 + k]! * x;
      }
      const d = l[li + i]!;
      u[u0 + i] = ((i === j ? 1 : 0) - s0) / d;
      u[u1 + i] = ((i === j + 1 ? 1 : 0) - s1) / d;
      u[u2 + i] = ((i === j + 2 ? 1 : 0) - s2) / d;
      u[u3 + i] = ((i === j + 3 ? 1 : 0) - s3) / d;
    }
  }
  for (; j < n; j++) {
    const uj = j * n;
    for (let i = j; i < n; i++) {
      const li = i * n;
      let s = 0;
      for (let k = j; k < i; k++) s += u[uj + k]! * l[li + k]!;
      u[uj + i] = ((i === j ? 1 : 0) - s) / l[li + i]!;
    }
  }
  // A⁻¹[a][b] = Σ_{k ≥ max(a,b)} U[a][k] U[b][k]; written into the freed factor's storage.
  const p = l;
  let r = 0;
  for (; r + 4 <= n; r += 4) {
    const a0 = r * n;
    for (let b = r; b < n; b++) {
      const rb = b * n;
      dot4(u, a0, a0 + n, a0 + 2 * n, a0 + 3 * n, rb, b, n, acc);
      for (let t = 0; t < 4; t++) {
        p[(r + t) * n + b] = acc[t]!;
        p[b * n + r + t] = acc[t]!;
      }
    }
  }
  for (; r < n; r++) {
    const ar = r * n;
    for (let b = r; b < n; b++) {
      const s = dot(u, ar, b * n, b, n);
      p[ar + b] = s;
      p[b * n + r] = s;
    }
  }
  return p;
}

/**
 * Solves A x = b for a small SPD matrix (the f×f systems of ALS) by Cholesky into caller-supplied
 * scratch `l` (n×n); `a` is left untouched, the solution is written into `x`.
 */
export function solveSpd(
  a: Float64Array,
  b: Float64Array,
  n: number,
  l: Float64Array,
  x: Float64Array,
): void {
  l.set(a.subarray(0, n * n));
  cholesky(l, n);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * n + k]! * x[k]!;
    x[i] = s / l[i * n + i]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = x[i]!;
    for (let k = i + 1; k < n; k++) s -= l[k * n + i]! * x[k]!;
    x[i] = s / l[i * n + i]!;
  }
}
