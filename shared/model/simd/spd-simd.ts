/**
 * The blocked SPD inverse (blocked-spd.ts) on the WebAssembly SIMD kernels: the matrix and its scratch live in
 * an arena, and the two inner loops (the 4×2 gemm tile, the triangular row solve) run as f64x2 kernels on it.
 * Same blocks, same order, same team split as the JavaScript path, so the result is bitwise the same for any
 * thread count; against the JavaScript loops it differs by rounding only (sums taken two lanes at a time).
 */
import { invertSpdTeam, SOLO, type SpdKernels, type Team } from '../blocked-spd.ts';
import { runTeam, teamSize } from '../parallel.ts';
import { Arena, type Kernels, simdAvailable } from './kernels.ts';

/** The SpdKernels over an arena's memory: every matrix passed in must be a view on that memory. */
function spdKernels(k: Kernels): SpdKernels {
  return {
    gemmNT(m, nc, kc, s, a, aOff, lda, b, bOff, ldb, c, cOff, ldc) {
      k.gemmNT(
        m,
        nc,
        kc,
        s,
        a.byteOffset + aOff * 8,
        lda,
        b.byteOffset + bOff * 8,
        ldb,
        c.byteOffset + cOff * 8,
        ldc,
      );
    },
    solveRow(x, xRow, l, n, c0, c1, unit) {
      k.solveRow(x.byteOffset + xRow * 8, l.byteOffset, n, c0, c1, unit);
    },
  };
}

/** Bytes of the arena of an n × n inverse: the matrix and an n × n scratch. */
function spdArenaBytes(n: number): number {
  return Arena.bytesFor(2 * n * n, 2 * n * n);
}

/** Whether the kernels can invert an n × n matrix here (a 4 GiB memory holds two n × n float64 matrices). */
export function spdSimdAvailable(n: number): boolean {
  return simdAvailable(4) && Arena.fits(spdArenaBytes(n));
}

/** An n × n float64 matrix in a fresh arena sized for its inverse: fill it, then `invertSpdInArena`. */
export interface SpdArena {
  arena: Arena;
  n: number;
  a: Float64Array;
  u: Float64Array;
}

export function spdArena(n: number): SpdArena {
  const arena = new Arena(spdArenaBytes(n));
  return { arena, n, a: arena.f64(n * n).view, u: arena.f64(n * n).view };
}

/** What the workers get: the memory and the byte addresses of the two matrices. */
export interface SpdSimdArgs {
  memory: WebAssembly.Memory;
  a: number;
  u: number;
  n: number;
}

/** Worker side: views on the shared memory and a kernel instance of its own. */
export function invertSpdSimdTeam(args: SpdSimdArgs, team: Team): void {
  const arena = Arena.attach(args.memory);
  const view = (ptr: number) => new Float64Array(arena.memory.buffer, ptr, args.n * args.n);
  invertSpdTeam(view(args.a), view(args.u), args.n, team, spdKernels(arena.kernels));
}

/**
 * A⁻¹ of the SPD matrix in `s.a` (lower triangle read), written over it; with `threads` > 1 and at least
 * `parallelFrom` rows, shared with the worker pool.
 */
export function invertSpdInArena(
  s: SpdArena,
  options: { threads?: number; parallelFrom?: number } = {},
): Float64Array {
  const threads = options.threads ?? 1;
  const size = threads > 1 && s.n >= (options.parallelFrom ?? 256) ? teamSize(threads) : 1;
  const kernels = spdKernels(s.arena.kernels);
  if (size === 1) {
    invertSpdTeam(s.a, s.u, s.n, SOLO, kernels);
    return s.a;
  }
  const args: SpdSimdArgs = {
    memory: s.arena.memory,
    a: s.a.byteOffset,
    u: s.u.byteOffset,
    n: s.n,
  };
  runTeam(size, { op: 'invertSpdSimd', args }, (team) => invertSpdTeam(s.a, s.u, s.n, team, kernels));
  return s.a;
}
