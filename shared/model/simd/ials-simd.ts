/**
 * iALS training on the WebAssembly SIMD kernels: the same algorithm as `trainIals`'s JavaScript path (CG
 * half-steps warm-started from the previous factors, YᵀY + λI shared by all rows), with both sides' factors,
 * the matrices and the confidences in one shared wasm memory so worker threads update their rows in place.
 * Arithmetic is float32 (as in `implicit`); YᵀY is summed in float32 over fixed blocks of rows, the blocks in
 * float64 and in block order, so the result does not depend on how the blocks were shared out.
 */
import { SOLO, type Team } from '../blocked-spd.ts';
import { transformValue, type ValueTransform } from '../ease.ts';
import { runTeam } from '../parallel.ts';
import type { Csc, Csr } from '../sparse.ts';
import { Arena, type Region } from './kernels.ts';

/** Rows of YᵀY summed per kernel call: float32 sums over at most this many rows, float64 across blocks. */
const GRAM_BLOCK = 1024;

/**
 * Factor rows a member gathers into its own block before a row's CG passes (cgRows in kernels.wat): 4096 × 64
 * floats is 1 MiB, within one core's L2. Even, so a long row's split between the copy and the rest keeps the
 * kernel's pairs of nonzeros where they were (the same sums as without the copy).
 */
const GATHER_ROWS = 4096;

/** What an `IalsArena` is sized for; `members` is the largest team that will train on it. */
export interface IalsShape {
  rows: number;
  cols: number;
  nnz: number;
  factors: number;
  members: number;
}

/** A sparse matrix in the arena: byte addresses of indptr, indices and confidences. */
interface SparseRegion {
  rows: number;
  indptr: number;
  indices: number;
  conf: number;
}

const gramBlocks = (s: IalsShape) => Math.ceil(Math.max(s.rows, s.cols, 1) / GRAM_BLOCK);

/** Bytes of the arena of a shape: the matrix both ways with confidences, both factor sides, A, YᵀY blocks, scratch. */
function ialsArenaBytes(s: IalsShape): number {
  const f = s.factors;
  return Arena.bytesFor(
    s.rows + 1,
    s.nnz,
    s.nnz,
    s.cols + 1,
    s.nnz,
    s.nnz,
    s.rows * f,
    s.cols * f,
    f * f,
    gramBlocks(s) * f * f,
    s.members * 3 * f,
    s.members * GATHER_ROWS * f,
    GATHER_ROWS,
  );
}

function region(arena: Arena, rows: number, cols: number, nnz: number): Csr {
  return {
    rows,
    cols,
    indptr: arena.i32(rows + 1).view,
    indices: arena.i32(nnz).view,
    values: arena.f32(nnz).view,
  };
}

/**
 * Everything one iALS fit works on, in one arena: the matrix by users and by items, whose `values` are the
 * confidences c = 1 + α·t(value) once filled, and both factor sides. Callers build the matrices straight into
 * it (`users` from a file or a CSR, `items` by `transposeUsers`), so no JavaScript copy of the matrix needs to
 * exist beside the one the kernels read.
 */
export class IalsArena {
  readonly arena: Arena;
  readonly shape: IalsShape;
  /** users × items; `values` are confidences (or raw values until `confidencesInPlace`). */
  readonly users: Csr;
  /** items × users, the same entries. */
  readonly items: Csc;
  readonly x: Region<Float32Array>;
  readonly y: Region<Float32Array>;
  readonly a: Region<Float32Array>;
  readonly partials: Region<Float32Array>;
  readonly scratch: Region<Float32Array>;
  /** Per member, GATHER_ROWS factor rows copied out of the fixed side; `iota` numbers them. */
  readonly gather: Region<Float32Array>;
  readonly iota: Region<Int32Array>;

  constructor(shape: IalsShape) {
    const { rows, cols, nnz, factors: f } = shape;
    this.shape = shape;
    this.arena = new Arena(ialsArenaBytes(shape));
    this.users = region(this.arena, rows, cols, nnz);
    this.items = region(this.arena, cols, rows, nnz);
    this.x = this.arena.f32(rows * f);
    this.y = this.arena.f32(cols * f);
    this.a = this.arena.f32(f * f);
    this.partials = this.arena.f32(gramBlocks(shape) * f * f);
    this.scratch = this.arena.f32(shape.members * 3 * f);
    this.gather = this.arena.f32(shape.members * GATHER_ROWS * f);
    this.iota = this.arena.i32(GATHER_ROWS);
    for (let i = 0; i < GATHER_ROWS; i++) this.iota.view[i] = i;
  }

  static fits(shape: IalsShape): boolean {
    return Arena.fits(ialsArenaBytes(shape));
  }

  /** An arena holding `csr` (and `csc`, or its transposition) with confidences computed on the way in. */
  static fromCsr(
    csr: Csr,
    csc: Csc | undefined,
    shape: IalsShape,
    alpha: number,
    transform: ValueTransform,
  ): IalsArena {
    const ia = new IalsArena(shape);
    const copy = (from: Csr, to: Csr) => {
      to.indptr.set(from.indptr.subarray(0, from.rows + 1));
      to.indices.set(from.indices.subarray(0, shape.nnz));
      for (let q = 0; q < shape.nnz; q++)
        to.values[q] = 1 + alpha * transformValue(from.values[q]!, transform);
    };
    copy(csr, ia.users);
    if (csc === undefined) ia.transposeUsers();
    else copy(csc, ia.items);
    return ia;
  }

  /** Turns raw values in `users.values` into confidences, in place. */
  confidencesInPlace(alpha: number, transform: ValueTransform): void {
    const v = this.users.values;
    for (let q = 0; q < this.shape.nnz; q++) v[q] = 1 + alpha * transformValue(v[q]!, transform);
  }

  /** Fills `items` from `users` (row indices stay sorted within each item). */
  transposeUsers(): void {
    const { users: m, items: t } = this;
    t.indptr.fill(0);
    for (let p = 0; p < this.shape.nnz; p++) t.indptr[m.indices[p]! + 1]!++;
    for (let j = 0; j < t.rows; j++) t.indptr[j + 1]! += t.indptr[j]!;
    const fill = t.indptr.slice(0, t.rows);
    for (let i = 0; i < m.rows; i++) {
      for (let p = m.indptr[i]!; p < m.indptr[i + 1]!; p++) {
        const q = fill[m.indices[p]!]!++;
        t.indices[q] = i;
        t.values[q] = m.values[p]!;
      }
    }
  }

  sparse(m: Csr): SparseRegion {
    return {
      rows: m.rows,
      indptr: m.indptr.byteOffset,
      indices: m.indices.byteOffset,
      conf: m.values.byteOffset,
    };
  }
}

/** What one team member needs for its share of a half-step; posted to the workers (the memory is shared). */
export interface SimdHalfStepArgs {
  memory: WebAssembly.Memory;
  /** Identifies the arena across jobs so a worker instantiates the kernels once per training run. */
  arenaId: string;
  m: SparseRegion;
  x: number;
  y: number;
  /** Rows of the fixed side y, whose YᵀY + λI goes into a. */
  fixedRows: number;
  lambda: number;
  a: number;
  /** YᵀY of row block b (GRAM_BLOCK rows) goes to partials + b·f²·4. */
  partials: number;
  f: number;
  steps: number;
  /** Scratch of 3·f floats per member, member t at scratch + t·3·f·4. */
  scratch: number;
  /** GATHER_ROWS · f floats per member, member t at gather + t·GATHER_ROWS·f·4; iota numbers their rows. */
  gather: number;
  iota: number;
  /** Member t owns rows [bounds[t], bounds[t + 1]); the team size the bounds were made for is their length − 1. */
  bounds: Int32Array;
}

let attached: { id: string; arena: Arena } | undefined;

export function simdHalfStepTeam(a: SimdHalfStepArgs, team: Team): void {
  if (attached?.id !== a.arenaId) attached = { id: a.arenaId, arena: Arena.attach(a.memory) };
  halfStepMember(attached.arena, a, team);
}

/**
 * One member's part of a half-step: its share of the YᵀY blocks, then (member 0) their float64 sum into
 * A = YᵀY + λI, then its rows' CG updates. A team of another size than planned (a pool that shrank) leaves
 * all the work to member 0.
 */
function halfStepMember(arena: Arena, a: SimdHalfStepArgs, team: Team): void {
  const planned = a.bounds.length - 1;
  const solo = team.size !== planned;
  const [id, size] = solo ? [0, 1] : [team.id, team.size];
  const { f } = a;
  const ff = f * f;
  const mem = arena.memory.buffer;
  const blocks = Math.ceil(a.fixedRows / GRAM_BLOCK);
  const doWork = !solo || team.id === 0;
  if (doWork) {
    const end = Math.floor((blocks * (id + 1)) / size);
    for (let b = Math.floor((blocks * id) / size); b < end; b++) {
      const slot = a.partials + b * ff * 4;
      new Float32Array(mem, slot, ff).fill(0);
      const start = b * GRAM_BLOCK;
      arena.kernels.gramAdd(a.y + start * f * 4, Math.min(GRAM_BLOCK, a.fixedRows - start), f, slot);
    }
  }
  team.barrier();
  if (team.id === 0) {
    const gram = new Float64Array(ff);
    const partials = new Float32Array(mem, a.partials, blocks * ff);
    for (let b = 0; b < blocks; b++) for (let k = 0; k < ff; k++) gram[k]! += partials[b * ff + k]!;
    const out = new Float32Array(mem, a.a, ff);
    for (let k = 0; k < ff; k++) out[k] = gram[k]!;
    for (let d = 0; d < f; d++) out[d * f + d]! += a.lambda;
  }
  team.barrier();
  if (!doWork) return;
  const [from, to] = solo ? [0, a.m.rows] : [a.bounds[id]!, a.bounds[id + 1]!];
  const k = arena.kernels;
  k.cgRows(
    a.m.indptr,
    a.m.indices,
    a.m.conf,
    a.x,
    a.y,
    a.a,
    f,
    a.steps,
    from,
    to,
    a.scratch + id * 3 * f * 4,
    a.gather + id * GATHER_ROWS * f * 4,
    a.iota,
    GATHER_ROWS,
  );
}

export interface SimdIalsOptions {
  iterations: number;
  regularization: number;
  cgSteps: number;
  /** Team size (≤ the arena's `members`). */
  threads: number;
  /** Row ranges per member for the user and the item half-steps. */
  bounds: (m: Csr, parts: number) => Int32Array;
  onIteration?: (iteration: number) => void;
}

/** Trains the factors in `ia.x` and `ia.y` (initialised by the caller) in place. */
export function trainIalsSimd(ia: IalsArena, o: SimdIalsOptions): void {
  const f = ia.shape.factors;
  const size = Math.min(o.threads, ia.shape.members);
  const arenaId = `${process.pid}-${Math.random()}`;
  const whole = (m: Csr) => Int32Array.of(0, m.rows);
  const userBounds = size > 1 ? o.bounds(ia.users, size) : whole(ia.users);
  const itemBounds = size > 1 ? o.bounds(ia.items, size) : whole(ia.items);
  const half = (
    m: Csr,
    bounds: Int32Array,
    solve: Region<Float32Array>,
    fixed: Region<Float32Array>,
    fixedRows: number,
  ) => {
    const args: SimdHalfStepArgs = {
      memory: ia.arena.memory,
      arenaId,
      m: ia.sparse(m),
      x: solve.ptr,
      y: fixed.ptr,
      fixedRows,
      lambda: o.regularization,
      a: ia.a.ptr,
      partials: ia.partials.ptr,
      f,
      steps: o.cgSteps,
      scratch: ia.scratch.ptr,
      gather: ia.gather.ptr,
      iota: ia.iota.ptr,
      bounds,
    };
    if (size === 1) halfStepMember(ia.arena, args, SOLO);
    else runTeam(size, { op: 'ialsHalfStepSimd', args }, (team) => halfStepMember(ia.arena, args, team));
  };
  for (let it = 0; it < o.iterations; it++) {
    half(ia.users, userBounds, ia.x, ia.y, ia.shape.cols);
    half(ia.items, itemBounds, ia.y, ia.x, ia.shape.rows);
    o.onIteration?.(it + 1);
  }
}
