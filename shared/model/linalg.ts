import { invertSpdTeam, NotPositiveDefiniteError } from './blocked-spd.ts';
import { runTeam, sharedF64, teamSize } from './parallel.ts';

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

/**
 * In-place Cholesky factorisation A = L Lᵀ of a symmetric positive definite n×n matrix; only the lower
 * triangle is read, L is left in the lower triangle and the upper triangle is zeroed.
 */
function cholesky(a: Float64Array, n: number): void {
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
 * The inverse of a symmetric positive definite matrix via blocked Cholesky (blocked-spd.ts): A = L Lᵀ,
 * U = L⁻ᵀ, A⁻¹ = U Uᵀ. `a` (only its lower triangle is read) is destroyed; the full symmetric inverse is
 * returned in its storage. With `threads` > 1 and a matrix of at least `parallelFrom` rows, the work is
 * shared with worker threads (the result is bitwise the same for every thread count); `a` is then copied
 * to a SharedArrayBuffer unless it already lives on one.
 */
export function invertSpd(
  a: Float64Array,
  n: number,
  options: { threads?: number; parallelFrom?: number } = {},
): Float64Array {
  const threads = options.threads ?? 1;
  const size = threads > 1 && n >= (options.parallelFrom ?? 256) ? teamSize(threads) : 1;
  if (size === 1) {
    invertSpdTeam(a, new Float64Array(n * n), n);
    return a;
  }
  let m = a;
  if (!(a.buffer instanceof SharedArrayBuffer)) {
    m = sharedF64(n * n);
    m.set(a.subarray(0, n * n));
  }
  const u = sharedF64(n * n);
  runTeam(size, { op: 'invertSpd', args: { a: m, u, n } }, (team) => invertSpdTeam(m, u, n, team));
  if (m !== a) a.set(m);
  return a;
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
