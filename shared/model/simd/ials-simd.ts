/**
 * iALS training on the WebAssembly SIMD kernels: the same algorithm as `trainIals`'s JavaScript path (CG
 * half-steps warm-started from the previous factors, YᵀY + λI shared by all rows), with both sides' factors,
 * the matrices and the confidences in one shared wasm memory so worker threads update their rows in place.
 * Arithmetic is float32 (as in `implicit`); YᵀY is summed in float64 over blocks of rows.
 */
import type { Team } from '../blocked-spd.ts';
import { transformValue, type ValueTransform } from '../ease.ts';
import { runTeam, teamSize } from '../parallel.ts';
import type { Csc, Csr } from '../sparse.ts';
import { Arena, type Region } from './kernels.ts';

/** A sparse matrix in the arena: byte addresses of indptr, indices and confidences. */
interface SparseRegion {
  rows: number;
  indptr: number;
  indices: number;
  conf: number;
}

/** What one team member needs for its rows of a half-step; posted to the workers (the memory is shared). */
export interface SimdHalfStepArgs {
  memory: WebAssembly.Memory;
  /** Identifies the arena across jobs so a worker instantiates the kernels once per training run. */
  arenaId: string;
  m: SparseRegion;
  x: number;
  y: number;
  a: number;
  f: number;
  steps: number;
  /** Scratch of 3·f floats per member, member t at scratch + t·3·f·4. */
  scratch: number;
  /** Member t owns rows [bounds[t], bounds[t + 1]). */
  bounds: Int32Array;
}

let attached: { id: string; arena: Arena } | undefined;

export function simdHalfStepTeam(a: SimdHalfStepArgs, team: Team): void {
  if (attached?.id !== a.arenaId) attached = { id: a.arenaId, arena: Arena.attach(a.memory) };
  runRows(attached.arena, a, team.id);
}

function runRows(arena: Arena, a: SimdHalfStepArgs, member: number): void {
  arena.kernels.cgRows(
    a.m.indptr,
    a.m.indices,
    a.m.conf,
    a.x,
    a.y,
    a.a,
    a.f,
    a.steps,
    a.bounds[member]!,
    a.bounds[member + 1]!,
    a.scratch + member * 3 * a.f * 4,
  );
}

export interface SimdIalsInput {
  csr: Csr;
  csc: Csc;
  factors: number;
  iterations: number;
  regularization: number;
  alpha: number;
  transform: ValueTransform;
  cgSteps: number;
  /** Initial factors (drawn by the caller from its seeded generator, as the JavaScript path does). */
  userInit: Float32Array;
  itemInit: Float32Array;
  threads: number;
  /** Row ranges per member for the user and the item half-steps. */
  bounds: (m: Csr, parts: number) => Int32Array;
  onIteration?: (iteration: number) => void;
}

/** Rows of YᵀY summed per kernel call: float32 sums over at most this many rows, float64 across blocks. */
const GRAM_BLOCK = 1024;

/** Bytes of the arena `trainIalsSimd` needs: the matrix both ways with confidences, both factor sides, A, scratch. */
export function ialsArenaBytes(csr: Csr, f: number, members: number): number {
  const nnz = csr.indptr[csr.rows]!;
  return Arena.bytesFor(
    csr.rows + 1,
    nnz,
    nnz,
    csr.cols + 1,
    nnz,
    nnz,
    csr.rows * f,
    csr.cols * f,
    f * f,
    f * f,
    members * 3 * f,
  );
}

export function trainIalsSimd(input: SimdIalsInput): {
  userFactors: Float32Array;
  itemFactors: Float32Array;
} {
  const { csr, csc, factors: f } = input;
  const nnz = csr.indptr[csr.rows]!;
  const size = input.threads > 1 ? teamSize(input.threads) : 1;
  const arena = new Arena(ialsArenaBytes(csr, f, size));
  const place = (m: Csr): SparseRegion => {
    const indptr = arena.i32(m.rows + 1);
    indptr.view.set(m.indptr);
    const indices = arena.i32(nnz);
    indices.view.set(m.indices.subarray(0, nnz));
    const conf = arena.f32(nnz);
    for (let q = 0; q < nnz; q++)
      conf.view[q] = 1 + input.alpha * transformValue(m.values[q]!, input.transform);
    return { rows: m.rows, indptr: indptr.ptr, indices: indices.ptr, conf: conf.ptr };
  };
  const users = place(csr);
  const items = place(csc);
  const x = arena.f32(csr.rows * f);
  x.view.set(input.userInit);
  const y = arena.f32(csc.rows * f);
  y.view.set(input.itemInit);
  const a = arena.f32(f * f);
  const block = arena.f32(f * f);
  const scratch = arena.f32(size * 3 * f);
  const gram = new Float64Array(f * f);
  const arenaId = `${process.pid}-${Math.random()}`;
  const userBounds = input.bounds(csr, size);
  const itemBounds = input.bounds(csc, size);

  // A = VᵀV + λI of the fixed side V (rows × f).
  const setGram = (v: Region<Float32Array>, rows: number) => {
    gram.fill(0);
    for (let start = 0; start < rows; start += GRAM_BLOCK) {
      block.view.fill(0);
      arena.kernels.gramAdd(v.ptr + start * f * 4, Math.min(GRAM_BLOCK, rows - start), f, block.ptr);
      for (let k = 0; k < f * f; k++) gram[k]! += block.view[k]!;
    }
    for (let k = 0; k < f * f; k++) a.view[k] = gram[k]!;
    for (let d = 0; d < f; d++) a.view[d * f + d]! += input.regularization;
  };
  const half = (
    m: SparseRegion,
    solve: Region<Float32Array>,
    fixed: Region<Float32Array>,
    bounds: Int32Array,
  ) => {
    const args: SimdHalfStepArgs = {
      memory: arena.memory,
      arenaId,
      m,
      x: solve.ptr,
      y: fixed.ptr,
      a: a.ptr,
      f,
      steps: input.cgSteps,
      scratch: scratch.ptr,
      bounds,
    };
    if (size === 1) runRows(arena, args, 0);
    else
      runTeam(size, { op: 'ialsHalfStepSimd', args }, (team) =>
        // A pool that shrank below the planned size leaves this thread alone: it does every row.
        team.size === 1
          ? runRows(arena, { ...args, bounds: Int32Array.of(0, m.rows) }, 0)
          : runRows(arena, args, team.id),
      );
  };
  for (let it = 0; it < input.iterations; it++) {
    setGram(y, csc.rows);
    half(users, x, y, userBounds);
    setGram(x, csr.rows);
    half(items, y, x, itemBounds);
    input.onIteration?.(it + 1);
  }
  return { userFactors: Float32Array.from(x.view), itemFactors: Float32Array.from(y.view) };
}
