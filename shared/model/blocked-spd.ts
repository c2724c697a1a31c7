/**
 * Blocked, cache-aware inverse of a symmetric positive definite matrix, written so that several threads can
 * share the work over one SharedArrayBuffer. Every floating-point sum is formed by the same kernel over the
 * same fixed blocks in the same order whichever thread computes it, so the result is bitwise identical for
 * any thread count (including 1).
 *
 * Three phases, all built on one register-tiled kernel (`gemmNT`: C ± A·Bᵀ over contiguous row segments):
 *   1. right-looking blocked Cholesky A = L Lᵀ (diagonal block, panel, trailing update),
 *   2. U = L⁻ᵀ, row block by row block (row j of U is column j of L⁻¹; row blocks are independent),
 *   3. A⁻¹ = U Uᵀ, tile by tile, written back into A's storage.
 */

/** Block size: a 64-double row segment is 512 bytes, so the 4+2 rows of one kernel call sit in L1. */
const BLOCK = 64;
/** Depth of one k-chunk in phases 2 and 3: a 64×128 chunk (64 KiB) of each operand stays close to L1 (measured: 64–128 beat 256). */
const KC = 128;

/**
 * c[i][j] += s · Σ_{k<kc} a[i][k] · b[j][k] for i < m, j < nc; each matrix is addressed by an offset and a
 * row stride. 4×2 register tile: six loads per eight multiply-adds, small enough for the x64 register file.
 */
export function gemmNT(
  m: number,
  nc: number,
  kc: number,
  s: number,
  a: Float64Array,
  aOff: number,
  lda: number,
  b: Float64Array,
  bOff: number,
  ldb: number,
  c: Float64Array,
  cOff: number,
  ldc: number,
): void {
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const a0 = aOff + i * lda;
    const a1 = a0 + lda;
    const a2 = a1 + lda;
    const a3 = a2 + lda;
    const c0 = cOff + i * ldc;
    const c1 = c0 + ldc;
    const c2 = c1 + ldc;
    const c3 = c2 + ldc;
    let j = 0;
    for (; j + 2 <= nc; j += 2) {
      const b0 = bOff + j * ldb;
      const b1 = b0 + ldb;
      let s00 = 0;
      let s01 = 0;
      let s10 = 0;
      let s11 = 0;
      let s20 = 0;
      let s21 = 0;
      let s30 = 0;
      let s31 = 0;
      for (let k = 0; k < kc; k++) {
        const x0 = b[b0 + k]!;
        const x1 = b[b1 + k]!;
        const y0 = a[a0 + k]!;
        s00 += y0 * x0;
        s01 += y0 * x1;
        const y1 = a[a1 + k]!;
        s10 += y1 * x0;
        s11 += y1 * x1;
        const y2 = a[a2 + k]!;
        s20 += y2 * x0;
        s21 += y2 * x1;
        const y3 = a[a3 + k]!;
        s30 += y3 * x0;
        s31 += y3 * x1;
      }
      c[c0 + j]! += s * s00;
      c[c0 + j + 1]! += s * s01;
      c[c1 + j]! += s * s10;
      c[c1 + j + 1]! += s * s11;
      c[c2 + j]! += s * s20;
      c[c2 + j + 1]! += s * s21;
      c[c3 + j]! += s * s30;
      c[c3 + j + 1]! += s * s31;
    }
    if (j < nc) {
      const b0 = bOff + j * ldb;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let k = 0; k < kc; k++) {
        const x = b[b0 + k]!;
        s0 += a[a0 + k]! * x;
        s1 += a[a1 + k]! * x;
        s2 += a[a2 + k]! * x;
        s3 += a[a3 + k]! * x;
      }
      c[c0 + j]! += s * s0;
      c[c1 + j]! += s * s1;
      c[c2 + j]! += s * s2;
      c[c3 + j]! += s * s3;
    }
  }
  for (; i < m; i++) {
    const ai = aOff + i * lda;
    const ci = cOff + i * ldc;
    for (let j = 0; j < nc; j++) {
      const bj = bOff + j * ldb;
      let t = 0;
      for (let k = 0; k < kc; k++) t += a[ai + k]! * b[bj + k]!;
      c[ci + j]! += s * t;
    }
  }
}

/**
 * Row x of a triangular solve against the lower-triangular l (n × n): for c in [c0, c1),
 * x[c] = (x[c] + (c = unit ? 1 : 0) − Σ_{c0 ≤ k < c} x[k]·l[c][k]) / l[c][c]; `xRow` is the offset of x[0].
 */
function solveRow(
  x: Float64Array,
  xRow: number,
  l: Float64Array,
  n: number,
  c0: number,
  c1: number,
  unit: number,
): void {
  for (let c = c0; c < c1; c++) {
    const lc = c * n;
    let s = x[xRow + c]! + (c === unit ? 1 : 0);
    for (let k = c0; k < c; k++) s -= x[xRow + k]! * l[lc + k]!;
    x[xRow + c] = s / l[lc + c]!;
  }
}

/**
 * The two inner loops of the inverse; the JavaScript ones below, or the WebAssembly SIMD ones
 * (simd/spd-simd.ts) when the matrices live in the kernels' memory.
 */
export interface SpdKernels {
  gemmNT: typeof gemmNT;
  solveRow: typeof solveRow;
}

const JS_SPD_KERNELS: SpdKernels = { gemmNT, solveRow };

export class NotPositiveDefiniteError extends Error {
  constructor(pivot: number, options?: ErrorOptions) {
    super(`matrix is not positive definite (pivot ${pivot})`, options);
    this.name = 'NotPositiveDefiniteError';
  }
}

/** Shared state of one parallel run: a barrier and an error flag in a small Int32Array. */
export interface Team {
  /** This thread's number, 0 … size − 1. */
  id: number;
  size: number;
  /** Waits until every thread of the team has arrived. */
  barrier(): void;
}

export const SOLO: Team = { id: 0, size: 1, barrier() {} };

/** ctrl layout: [0] arrivals, [1] generation, [2] failed flag, [3] finished threads. */
export const CTRL_INTS = 4;

export class TeamAbortedError extends Error {
  constructor() {
    super('another thread of the team failed');
    this.name = 'TeamAbortedError';
  }
}

export function sharedTeam(ctrl: Int32Array, id: number, size: number): Team {
  return {
    id,
    size,
    barrier() {
      const gen = Atomics.load(ctrl, 1);
      if (Atomics.add(ctrl, 0, 1) === size - 1) {
        Atomics.store(ctrl, 0, 0);
        Atomics.add(ctrl, 1, 1);
        Atomics.notify(ctrl, 1);
        return;
      }
      while (Atomics.load(ctrl, 1) === gen) {
        if (Atomics.load(ctrl, 2) !== 0) throw new TeamAbortedError();
        Atomics.wait(ctrl, 1, gen, 200);
      }
    },
  };
}

/** Unblocked Cholesky of the diagonal block [k0, k0 + kb) in place (lower triangle). */
function factorDiagonal(a: Float64Array, n: number, k0: number, kb: number): void {
  for (let i = k0; i < k0 + kb; i++) {
    const ri = i * n;
    for (let j = k0; j < i; j++) {
      const rj = j * n;
      let s = a[ri + j]!;
      for (let k = k0; k < j; k++) s -= a[ri + k]! * a[rj + k]!;
      a[ri + j] = s / a[rj + j]!;
    }
    let d = a[ri + i]!;
    for (let k = k0; k < i; k++) d -= a[ri + k]! * a[ri + k]!;
    if (!(d > 0)) throw new NotPositiveDefiniteError(i);
    a[ri + i] = Math.sqrt(d);
  }
}

/**
 * Blocked Cholesky A = L Lᵀ in place; only the lower triangle is read and L is left there (the upper
 * triangle holds scratch afterwards). Row blocks of the trailing update go round-robin to the team.
 */
function choleskyBlocked(a: Float64Array, n: number, team: Team, k: SpdKernels): void {
  for (let k0 = 0; k0 < n; k0 += BLOCK) {
    const kb = Math.min(BLOCK, n - k0);
    const rest = k0 + kb;
    if (team.id === 0) factorDiagonal(a, n, k0, kb);
    team.barrier();
    // Panel: L[i][k0..rest) = A[i][k0..rest) · L[k0..rest)⁻ᵀ, rows split in contiguous ranges.
    const rows = n - rest;
    const from = rest + Math.floor((rows * team.id) / team.size);
    const to = rest + Math.floor((rows * (team.id + 1)) / team.size);
    for (let i = from; i < to; i++) k.solveRow(a, i * n, a, n, k0, rest, -1);
    team.barrier();
    // Trailing update: A[I][J] −= L[I][k0..rest) · L[J][k0..rest)ᵀ for J ≤ I.
    let block = 0;
    for (let i0 = rest; i0 < n; i0 += BLOCK, block++) {
      if (block % team.size !== team.id) continue;
      const ib = Math.min(BLOCK, n - i0);
      for (let j0 = rest; j0 <= i0; j0 += BLOCK) {
        const jb = Math.min(BLOCK, n - j0);
        k.gemmNT(ib, jb, kb, -1, a, i0 * n + k0, n, a, j0 * n + k0, n, a, i0 * n + j0, n);
      }
    }
    team.barrier();
  }
}

/**
 * U = L⁻ᵀ into `u` (zero-filled n×n, upper triangular on return): row j of U solves L y = e_j. Row blocks
 * of U are independent; they are dealt to the team in a zigzag so that the costly first blocks spread.
 */
function inverseTransposeBlocked(
  l: Float64Array,
  u: Float64Array,
  n: number,
  team: Team,
  k: SpdKernels,
): void {
  const blocks = Math.ceil(n / BLOCK);
  for (let b = 0; b < blocks; b++) {
    const round = Math.floor(b / team.size);
    const slot = b % team.size;
    const owner = round % 2 === 0 ? slot : team.size - 1 - slot;
    if (owner !== team.id) continue;
    const j0 = b * BLOCK;
    const jb = Math.min(BLOCK, n - j0);
    for (let i0 = j0; i0 < n; i0 += BLOCK) {
      const ib = Math.min(BLOCK, n - i0);
      // U[J][I] −= U[J][j0..i0) · L[I][j0..i0)ᵀ, in k-chunks that fit L2.
      for (let k0 = j0; k0 < i0; k0 += KC) {
        const kc = Math.min(KC, i0 - k0);
        k.gemmNT(jb, ib, kc, -1, u, j0 * n + k0, n, l, i0 * n + k0, n, u, j0 * n + i0, n);
      }
      // Then the triangle inside the block: U[j][i] = (δij + U[j][i] − Σ_{i0≤k<i} U[j][k] L[i][k]) / L[i][i].
      for (let j = j0; j < j0 + jb; j++) k.solveRow(u, j * n, l, n, Math.max(i0, j), i0 + ib, j);
    }
  }
}

/** P = U Uᵀ into `p` (n×n, fully written, symmetric), tile by tile; Σ over k ≥ the later tile's start. */
function gramTransposeBlocked(u: Float64Array, p: Float64Array, n: number, team: Team, k: SpdKernels): void {
  let block = 0;
  for (let a0 = 0; a0 < n; a0 += BLOCK, block++) {
    const round = Math.floor(block / team.size);
    const slot = block % team.size;
    const owner = round % 2 === 0 ? slot : team.size - 1 - slot;
    if (owner !== team.id) continue;
    const ab = Math.min(BLOCK, n - a0);
    for (let b0 = a0; b0 < n; b0 += BLOCK) {
      const bb = Math.min(BLOCK, n - b0);
      for (let r = 0; r < ab; r++) p.fill(0, (a0 + r) * n + b0, (a0 + r) * n + b0 + bb);
      for (let k0 = b0; k0 < n; k0 += KC) {
        const kc = Math.min(KC, n - k0);
        k.gemmNT(ab, bb, kc, 1, u, a0 * n + k0, n, u, b0 * n + k0, n, p, a0 * n + b0, n);
      }
      if (b0 !== a0) {
        for (let r = 0; r < ab; r++) {
          const src = (a0 + r) * n + b0;
          for (let c = 0; c < bb; c++) p[(b0 + c) * n + a0 + r] = p[src + c]!;
        }
      }
    }
  }
}

/**
 * The whole inverse for one member of a team: `a` (n×n, lower triangle read) is overwritten with A⁻¹,
 * `u` (n×n, zero-filled) is scratch. Every member calls this with the same buffers.
 */
export function invertSpdTeam(
  a: Float64Array,
  u: Float64Array,
  n: number,
  team: Team = SOLO,
  kernels: SpdKernels = JS_SPD_KERNELS,
): void {
  choleskyBlocked(a, n, team, kernels);
  inverseTransposeBlocked(a, u, n, team, kernels);
  team.barrier();
  gramTransposeBlocked(u, a, n, team, kernels);
  team.barrier();
}
