import type { Team } from './blocked-spd.ts';
import { transformValue, type ValueTransform } from './ease.ts';
import { defaultThreads, runTeam, sharedF32, sharedF64, sharedI32, teamSize } from './parallel.ts';
import { mulberry32 } from './rng.ts';
import { IalsArena, type IalsShape, trainIalsSimd } from './simd/ials-simd.ts';
import { simdAvailable } from './simd/kernels.ts';
import type { Csc, Csr } from './sparse.ts';

export interface IalsParams {
  factors: number;
  iterations: number;
  /** L2 regularisation λ on both factor matrices. */
  regularization: number;
  /** Confidence c = 1 + alpha · transform(value). */
  alpha: number;
  transform?: ValueTransform;
  /** Conjugate-gradient steps per vector per half-step (Takács et al. 2011: 2–4 suffice with warm starts). */
  cgSteps?: number;
  seed?: number;
}

export interface IalsModel {
  factors: number;
  /** users × factors, row-major. */
  userFactors: Float32Array;
  /** items × factors, row-major. */
  itemFactors: Float32Array;
  params: Required<IalsParams>;
}

const DEFAULTS = { transform: 'log' as ValueTransform, cgSteps: 3, seed: 42 };

/** Scratch for one solver: reused across all vectors of a half-step so the hot loop does not allocate. */
interface Scratch {
  r: Float64Array;
  p: Float64Array;
  ap: Float64Array;
  x: Float64Array;
}

function scratch(f: number): Scratch {
  return { r: new Float64Array(f), p: new Float64Array(f), ap: new Float64Array(f), x: new Float64Array(f) };
}

/** YᵀY + λI of a factor matrix (rows × f) into `out` (f×f, Float64 for a stable sum). */
export function gramian(y: Float32Array, rows: number, f: number, lambda: number, out: Float64Array): void {
  out.fill(0);
  for (let i = 0; i < rows; i++) {
    const o = i * f;
    for (let a = 0; a < f; a++) {
      const ya = y[o + a]!;
      if (ya === 0) continue;
      const ra = a * f;
      for (let b = 0; b <= a; b++) out[ra + b]! += ya * y[o + b]!;
    }
  }
  for (let a = 0; a < f; a++) {
    for (let b = 0; b < a; b++) out[b * f + a] = out[a * f + b]!;
    out[a * f + a]! += lambda;
  }
}

/**
 * One half-step: for each row u of `m` (users of the CSR, or items of the CSC) refine x_u in `x` by
 * `steps` CG iterations on (YᵀY + λI + Yᵤᵀ(Cᵤ − I)Yᵤ) x = Yᵤᵀ Cᵤ 1, warm-started from the current x_u.
 */
export function cgHalfStep(
  m: Csr,
  x: Float32Array,
  y: Float32Array,
  yty: Float64Array,
  f: number,
  alpha: number,
  transform: ValueTransform,
  steps: number,
  from = 0,
  to = m.rows,
): void {
  const s = scratch(f);
  const { r, p, ap, x: xu } = s;
  const { indptr, indices, values } = m;
  for (let u = from; u < to; u++) {
    const xo = u * f;
    for (let a = 0; a < f; a++) xu[a] = x[xo + a]!;
    // r = b − A x = Σ (c − (c − 1) yᵢ·x) yᵢ − (YᵀY + λI) x
    for (let a = 0; a < f; a++) {
      let t = 0;
      const ra = a * f;
      for (let b = 0; b < f; b++) t += yty[ra + b]! * xu[b]!;
      r[a] = -t;
    }
    const start = indptr[u]!;
    const end = indptr[u + 1]!;
    for (let q = start; q < end; q++) {
      const c = 1 + alpha * transformValue(values[q]!, transform);
      const yo = indices[q]! * f;
      let d = 0;
      for (let a = 0; a < f; a++) d += y[yo + a]! * xu[a]!;
      const coef = c - (c - 1) * d;
      for (let a = 0; a < f; a++) r[a]! += coef * y[yo + a]!;
    }
    let rsold = 0;
    for (let a = 0; a < f; a++) {
      p[a] = r[a]!;
      rsold += r[a]! * r[a]!;
    }
    for (let it = 0; it < steps && rsold > 1e-20; it++) {
      for (let a = 0; a < f; a++) {
        let t = 0;
        const ra = a * f;
        for (let b = 0; b < f; b++) t += yty[ra + b]! * p[b]!;
        ap[a] = t;
      }
      for (let q = start; q < end; q++) {
        const c = 1 + alpha * transformValue(values[q]!, transform);
        const yo = indices[q]! * f;
        let d = 0;
        for (let a = 0; a < f; a++) d += y[yo + a]! * p[a]!;
        const coef = (c - 1) * d;
        for (let a = 0; a < f; a++) ap[a]! += coef * y[yo + a]!;
      }
      let pap = 0;
      for (let a = 0; a < f; a++) pap += p[a]! * ap[a]!;
      if (!(pap > 0)) break;
      const step = rsold / pap;
      let rsnew = 0;
      for (let a = 0; a < f; a++) {
        xu[a]! += step * p[a]!;
        r[a]! -= step * ap[a]!;
        rsnew += r[a]! * r[a]!;
      }
      const beta = rsnew / rsold;
      for (let a = 0; a < f; a++) p[a] = r[a]! + beta * p[a]!;
      rsold = rsnew;
    }
    for (let a = 0; a < f; a++) x[xo + a] = xu[a]!;
  }
}

function initFactors(out: Float32Array, rand: () => number): Float32Array {
  // Small positive-centred noise as in `implicit`: large starts slow the first iterations down.
  for (let i = 0; i < out.length; i++) out[i] = (rand() - 0.5) * 0.02;
  return out;
}

/** What one member of a team needs for its share of a half-step (all arrays on SharedArrayBuffers). */
export interface HalfStepArgs {
  m: Csr;
  x: Float32Array;
  y: Float32Array;
  yty: Float64Array;
  f: number;
  alpha: number;
  transform: ValueTransform;
  steps: number;
  /** Row ranges per member: member t owns rows [bounds[t], bounds[t + 1]). */
  bounds: Int32Array;
}

export function halfStepTeam(a: HalfStepArgs, team: Team): void {
  cgHalfStep(
    a.m,
    a.x,
    a.y,
    a.yty,
    a.f,
    a.alpha,
    a.transform,
    a.steps,
    a.bounds[team.id]!,
    a.bounds[team.id + 1]!,
  );
}

/** Splits rows into `parts` contiguous ranges of about equal work (nnz · f for the data, f² per row). */
function balancedBounds(m: Csr, f: number, parts: number): Int32Array {
  const bounds = new Int32Array(parts + 1);
  const total = m.indptr[m.rows]! * f + m.rows * f * f;
  let row = 0;
  for (let t = 1; t < parts; t++) {
    const target = (total * t) / parts;
    while (row < m.rows && m.indptr[row]! * f + row * f * f < target) row++;
    bounds[t] = row;
  }
  bounds[parts] = m.rows;
  return bounds;
}

function shareCsr(m: Csr): Csr {
  const indptr = sharedI32(m.indptr.length);
  indptr.set(m.indptr);
  const indices = sharedI32(m.indices.length);
  indices.set(m.indices);
  const values = sharedF32(m.values.length);
  values.set(m.values);
  return { rows: m.rows, cols: m.cols, indptr, indices, values };
}

export interface IalsTrainOptions {
  /** Threads for the half-steps (default: the machine's parallelism, RECSYS_THREADS overrides). */
  threads?: number;
  /** Below this many nnz × factors the half-steps stay on the caller's thread (spawning costs more). */
  parallelThreshold?: number;
  /** false: the JavaScript loops even where the WebAssembly SIMD kernels could run (tests compare the two). */
  simd?: boolean;
}

function teamFor(nnz: number, f: number, options: IalsTrainOptions): number {
  const threads = options.threads ?? defaultThreads();
  return threads > 1 && nnz * f >= (options.parallelThreshold ?? 2_000_000) ? teamSize(threads) : 1;
}

/** The shape of the arena `trainIalsInArena` needs for this matrix (sized for this machine's team). */
export function ialsShape(
  rows: number,
  cols: number,
  nnz: number,
  factors: number,
  options: IalsTrainOptions = {},
): IalsShape {
  return { rows, cols, nnz, factors, members: teamFor(nnz, factors, options) };
}

/**
 * iALS on matrices already built in an arena (`IalsArena`, confidences in its `values`), for callers that
 * read their data straight into it. The factors returned are views on the arena: no copy is made, and the
 * arena lives as long as they do. Same seed, same factors as `trainIals` on the same matrix.
 */
export function trainIalsInArena(
  ia: IalsArena,
  params: IalsParams,
  onIteration?: (iteration: number) => void,
  options: IalsTrainOptions = {},
): IalsModel {
  const p: Required<IalsParams> = { ...DEFAULTS, ...params };
  if (p.factors !== ia.shape.factors)
    throw new Error(`arena made for ${ia.shape.factors} factors, not ${p.factors}`);
  const rand = mulberry32(p.seed);
  initFactors(ia.x.view, rand);
  initFactors(ia.y.view, rand);
  trainIalsSimd(ia, {
    iterations: p.iterations,
    regularization: p.regularization,
    cgSteps: p.cgSteps,
    threads: teamFor(ia.shape.nnz, p.factors, options),
    bounds: (m, parts) => balancedBounds(m, p.factors, parts),
    onIteration,
  });
  return { factors: p.factors, userFactors: ia.x.view, itemFactors: ia.y.view, params: p };
}

/**
 * Implicit-feedback ALS (Hu, Koren, Volinsky 2008) with the conjugate-gradient solver. Deterministic from
 * `seed`: initialisation is seeded and every vector's update reads only the other side's factors, so the
 * result is identical whether the half-steps run on one thread or are split over several.
 */
export function trainIals(
  csr: Csr,
  csc: Csc,
  params: IalsParams,
  onIteration?: (iteration: number) => void,
  options: IalsTrainOptions = {},
): IalsModel {
  const p: Required<IalsParams> = { ...DEFAULTS, ...params };
  const f = p.factors;
  const nnz = csr.indptr[csr.rows]!;
  const shape = ialsShape(csr.rows, csr.cols, nnz, f, options);
  // Beyond a 4 GiB arena (hundreds of millions of interactions) the JavaScript loops take over.
  if (simdAvailable(f) && options.simd !== false && IalsArena.fits(shape)) {
    const ia = IalsArena.fromCsr(csr, csc, shape, p.alpha, p.transform);
    const model = trainIalsInArena(ia, p, onIteration, options);
    // Ordinary arrays for callers that keep the model: the views would keep the whole arena alive.
    model.userFactors = Float32Array.from(model.userFactors);
    model.itemFactors = Float32Array.from(model.itemFactors);
    return model;
  }
  const size = shape.members;
  const parallel = size > 1;
  const rand = mulberry32(p.seed);
  let userFactors: Float32Array = initFactors(new Float32Array(csr.rows * f), rand);
  let itemFactors: Float32Array = initFactors(new Float32Array(csr.cols * f), rand);
  let gram: Float64Array = new Float64Array(f * f);
  let rowsOf = csr;
  let colsOf = csc;
  if (parallel) {
    const uf = sharedF32(userFactors.length);
    uf.set(userFactors);
    const itf = sharedF32(itemFactors.length);
    itf.set(itemFactors);
    userFactors = uf;
    itemFactors = itf;
    gram = sharedF64(f * f);
    rowsOf = shareCsr(csr);
    colsOf = shareCsr(csc);
  }
  const half = (m: Csr, x: Float32Array, y: Float32Array) => {
    if (!parallel) {
      cgHalfStep(m, x, y, gram, f, p.alpha, p.transform, p.cgSteps);
      return;
    }
    const args: HalfStepArgs = {
      m,
      x,
      y,
      yty: gram,
      f,
      alpha: p.alpha,
      transform: p.transform,
      steps: p.cgSteps,
      bounds: balancedBounds(m, f, size),
    };
    runTeam(size, { op: 'ialsHalfStep', args }, (team) => {
      if (team.size === 1) cgHalfStep(m, x, y, gram, f, p.alpha, p.transform, p.cgSteps);
      else halfStepTeam(args, team);
    });
  };
  for (let it = 0; it < p.iterations; it++) {
    gramian(itemFactors, csr.cols, f, p.regularization, gram);
    half(rowsOf, userFactors, itemFactors);
    gramian(userFactors, csr.rows, f, p.regularization, gram);
    half(colsOf, itemFactors, userFactors);
    onIteration?.(it + 1);
  }
  // Hand back ordinary (non-shared) arrays: callers serialise and post them freely.
  return {
    factors: f,
    userFactors: parallel ? Float32Array.from(userFactors) : userFactors,
    itemFactors: parallel ? Float32Array.from(itemFactors) : itemFactors,
    params: p,
  };
}
