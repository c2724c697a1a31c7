import type { LoadedModel } from './artifact-decode.ts';
import { transformValue, type ValueTransform } from './ease.ts';
import { type Normalisation, normalise } from './hybrid.ts';
import { gramian } from './ials.ts';
import { foldIn, scoreAll } from './ials-scoring.ts';
import type { Neighbours } from './neighbours.ts';
import { itemScorer } from './simd/kernels.ts';
import type { Csr } from './sparse.ts';
import type { BaseSpec } from './trained-model.ts';

/**
 * Fold-in of the whole blend: the scores a model's members give a shopper whose row is the training row plus
 * events the model has not seen, blended exactly as the trainer's scorer blends them (the members and weights
 * of the artifact's spec, the same normalisation, the same float32 sums), so that a row with nothing fresh gets
 * the published list's scores. Factor members fold the row in, neighbour members sum the neighbours of its
 * items, EASE sums its weight rows, popularity and recent popularity are the shopper-free vectors they are.
 */

export type MemberKind = BaseSpec['kind'];

export interface BlendMember {
  kind: MemberKind;
  weight: number;
}

/** What a fold-in of factor members needs: the item factors and the training's confidence parameters. */
export interface FoldInFactors {
  factors: number;
  itemFactors: Float32Array;
  /** The trained user vectors, when the artifact has them (a known shopper starts from theirs). */
  userFactors?: Float32Array;
  params: { alpha: number; transform: ValueTransform; regularization: number };
  /** YᵀY + λI, computed once per model version. */
  gram: Float64Array;
}

export interface BlendPlan {
  members: readonly BlendMember[];
  normalisation: Normalisation;
  /** Per member: its normalised scores when they do not depend on the shopper (popularity), else undefined. */
  statics: readonly (Float32Array | undefined)[];
  factors?: FoldInFactors;
  ease?: { weights: Float32Array; transform: ValueTransform };
  knn: Neighbours;
  content?: Neighbours;
}

/**
 * A shopper's row: item indices, their confidence (training values plus fresh weights) for the members that
 * read values, and their presence for the members that count items, not confidences (the neighbour members,
 * binary EASE): 1 for a training item as at training time, plus each fresh event's calibrated weight — uncapped,
 * so that one event pulls every member in proportion to its weight against the history (issue 17.2).
 */
export interface FoldInRow {
  items: number[];
  values: number[];
  presence: number[];
  /** Whether anything fresh changed the training row. */
  changed: boolean;
}

/** A fresh signal on one item: its confidence to add and its presence for the counting members. */
export interface FreshSignal {
  value: number;
  presence: number;
  /** The short-term weight of the item's fresh events (decayed by the short-term half-life), 0 when none. */
  recent?: number;
}

function membersOf(m: LoadedModel): { members: BlendMember[]; normalisation: Normalisation } {
  const spec = m.manifest.model.spec;
  if (spec === undefined)
    // A Spark artifact: its lists are the factor dot products (see loadedScorer).
    return {
      members: [{ kind: m.factors !== undefined ? 'ials' : 'popularity', weight: 1 }],
      normalisation: 'none',
    };
  if (spec.kind !== 'hybrid') return { members: [{ kind: spec.kind, weight: 1 }], normalisation: 'none' };
  const members = spec.components
    .filter((c) => c.weight !== 0)
    .map((c) => ({ kind: c.spec.kind, weight: c.weight }));
  return { members, normalisation: spec.normalisation };
}

function factorsOf(model: LoadedModel): FoldInFactors | undefined {
  const f = model.factors;
  if (f === undefined) return undefined;
  // TypeScript artifacts record the resolved iALS parameters; Spark records its own (regParam is scaled per
  // row there, so λ here is an approximation for Spark models — the ranking it produces is what matters).
  const resolved = model.manifest.model.resolved?.ials;
  const params = model.manifest.model.params as
    | { alpha?: number; transform?: ValueTransform; regularization?: number }
    | undefined;
  const alpha = resolved?.alpha ?? params?.alpha ?? 1;
  const transform = resolved?.transform ?? params?.transform ?? 'log';
  const regularization = resolved?.regularization ?? params?.regularization ?? 0.1;
  const gram = new Float64Array(f.rank * f.rank);
  gramian(f.item, model.itemIds.length, f.rank, regularization, gram);
  return {
    factors: f.rank,
    itemFactors: f.item,
    userFactors: f.user,
    params: { alpha, transform, regularization },
    gram,
  };
}

/** The plan of a loaded artifact, made once per model version. A member whose data is missing is left out. */
export function blendPlan(model: LoadedModel): BlendPlan {
  const { members: all, normalisation } = membersOf(model);
  const factors = factorsOf(model);
  const ease =
    model.ease !== undefined
      ? { weights: model.ease, transform: model.manifest.model.resolved?.ease?.transform ?? 'binary' }
      : undefined;
  const available = (kind: MemberKind) =>
    (kind === 'ials' && factors !== undefined) ||
    (kind === 'ease' && ease !== undefined) ||
    (kind === 'content' && model.contentNeighbours !== undefined) ||
    kind === 'item-knn' ||
    kind === 'popularity' ||
    kind === 'recent-popularity';
  const members = all.filter((m) => available(m.kind));
  const n = model.itemIds.length;
  const statics = members.map((m) => {
    if (m.kind !== 'popularity' && m.kind !== 'recent-popularity') return undefined;
    const v = Float32Array.from(
      m.kind === 'popularity' ? model.popularity : (model.recentPopularity ?? new Float32Array(n)),
    );
    normalise(v, normalisation);
    return v;
  });
  return {
    members,
    normalisation,
    statics,
    ...(factors !== undefined ? { factors } : {}),
    ...(ease !== undefined ? { ease } : {}),
    knn: model.knn ?? model.neighbours,
    ...(model.contentNeighbours !== undefined ? { content: model.contentNeighbours } : {}),
  };
}

/**
 * The training row of `userIndex` (none for a shopper the model does not know) with `fresh` added: a value that
 * ends up not positive (a veto, a return) takes the item out, as training does.
 */
export function foldInRow(
  history: Csr,
  userIndex: number | undefined,
  fresh: ReadonlyMap<number, FreshSignal>,
): FoldInRow {
  const row: FoldInRow = { items: [], values: [], presence: [], changed: false };
  const seen = new Set<number>();
  if (userIndex !== undefined)
    for (let p = history.indptr[userIndex]!; p < history.indptr[userIndex + 1]!; p++) {
      const i = history.indices[p]!;
      const add = fresh.get(i);
      seen.add(i);
      const v = history.values[p]! + (add?.value ?? 0);
      if (add !== undefined) row.changed = true;
      if (!(v > 0) || !Number.isFinite(v)) continue;
      row.items.push(i);
      row.values.push(v);
      row.presence.push(1 + (add?.presence ?? 0));
    }
  for (const [i, s] of fresh) {
    if (seen.has(i)) continue;
    row.changed = true;
    if (!(s.value > 0) || !Number.isFinite(s.value)) continue;
    row.items.push(i);
    row.values.push(s.value);
    row.presence.push(s.presence);
  }
  return row;
}

/** Per-model buffers (one request at a time uses them, synchronously). */
interface Work {
  member: Float32Array;
  vector: Float32Array;
  solve: Float64Array;
  /** Fold-ins of training rows by user index, newest use last (see userVector). */
  bases: Map<number, Float32Array>;
}
const works = new WeakMap<BlendPlan, Work>();
/** Training-row fold-ins kept per model: 4,096 × rank floats (1 MiB at rank 64). */
const MAX_BASES = 4096;

function workFor(plan: BlendPlan, items: number): Work {
  let w = works.get(plan);
  if (w === undefined || w.member.length !== items) {
    const f = plan.factors?.factors ?? 0;
    w = {
      member: new Float32Array(items),
      vector: new Float32Array(f),
      solve: new Float64Array(2 * f * f + 2 * f),
      bases: new Map(),
    };
    works.set(plan, w);
  }
  return w;
}

/**
 * The shopper's factor vector: their trained vector moved by what the fresh events change in the fold-in
 * (fold-in of the new row minus fold-in of the training row), so nothing fresh gives exactly the trained
 * vector; a shopper the model does not know gets the fold-in of their row. The training row's fold-in never
 * changes within a model, so it is kept for the shopper's next requests (a long row costs as much as the new one).
 */
function userVector(plan: BlendPlan, history: Csr, userIndex: number | undefined, row: FoldInRow, w: Work) {
  const fa = plan.factors!;
  const f = fa.factors;
  const known = userIndex !== undefined && fa.userFactors !== undefined;
  if (known && !row.changed) return { vector: fa.userFactors!, offset: userIndex * f };
  // foldIn reads only alpha and transform of the parameters.
  const params = { ...fa.params, factors: f, iterations: 0, cgSteps: 0, seed: 0 };
  const model = { factors: f, itemFactors: fa.itemFactors, params };
  foldIn(model, fa.gram, row.items, row.values, w.vector, w.solve);
  if (known) {
    let base = w.bases.get(userIndex);
    if (base !== undefined) w.bases.delete(userIndex);
    else {
      base = new Float32Array(f);
      const a = history.indptr[userIndex]!;
      const b = history.indptr[userIndex + 1]!;
      foldIn(model, fa.gram, history.indices.subarray(a, b), history.values.subarray(a, b), base, w.solve);
      if (w.bases.size >= MAX_BASES) w.bases.delete(w.bases.keys().next().value as number);
    }
    w.bases.set(userIndex, base);
    const u = fa.userFactors!;
    for (let x = 0; x < f; x++) w.vector[x] = u[userIndex * f + x]! + w.vector[x]! - base[x]!;
  }
  return { vector: w.vector, offset: 0 };
}

function sumNeighbours(nb: Neighbours, row: FoldInRow, out: Float32Array): void {
  out.fill(0);
  const { k, indices, scores } = nb;
  for (let q = 0; q < row.items.length; q++) {
    const x = row.presence[q]!;
    const o = row.items[q]! * k;
    for (let t = 0; t < k; t++) {
      const j = indices[o + t]!;
      if (j < 0) break;
      out[j]! += x * scores[o + t]!;
    }
  }
}

function memberScores(
  plan: BlendPlan,
  kind: MemberKind,
  history: Csr,
  userIndex: number | undefined,
  row: FoldInRow,
  w: Work,
): Float32Array {
  const out = w.member;
  if (kind === 'ials') {
    const fa = plan.factors!;
    const { vector, offset } = userVector(plan, history, userIndex, row, w);
    const simd = itemScorer(fa.itemFactors, out.length, fa.factors);
    if (simd !== undefined) out.set(simd.score(vector, offset));
    else scoreAll(vector, offset, fa.itemFactors, fa.factors, out);
  } else if (kind === 'ease') {
    const { weights, transform } = plan.ease!;
    const n = out.length;
    out.fill(0);
    for (let q = 0; q < row.items.length; q++) {
      // Binary EASE counts items: a fresh item by its presence, so its weight is not lost to the transform.
      const x = transform === 'binary' ? row.presence[q]! : transformValue(row.values[q]!, transform);
      const o = row.items[q]! * n;
      for (let j = 0; j < n; j++) out[j]! += x * weights[o + j]!;
    }
  } else sumNeighbours(kind === 'content' ? plan.content! : plan.knn, row, out);
  return out;
}

/** The blend's score of every item for `row` into `out` (length = the model's item count). */
export function blendScores(
  plan: BlendPlan,
  history: Csr,
  userIndex: number | undefined,
  row: FoldInRow,
  out: Float32Array,
): void {
  const w = workFor(plan, out.length);
  out.fill(0);
  for (let m = 0; m < plan.members.length; m++) {
    const { kind, weight } = plan.members[m]!;
    let buf = plan.statics[m];
    if (buf === undefined) {
      buf = memberScores(plan, kind, history, userIndex, row, w);
      normalise(buf, plan.normalisation);
    }
    for (let j = 0; j < out.length; j++) out[j]! += weight * buf[j]!;
  }
}
