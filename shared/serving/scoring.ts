import { topK } from '../model/topk.ts';

/**
 * Scratch for the request hot path: accumulators over item indices that are reset in O(touched) instead of
 * being reallocated (a generation stamp marks which slots are live), so a request costs what it touches, not
 * the catalog size, and allocates (almost) nothing. One set per model version; a request uses it only
 * between two awaits (JavaScript runs one request at a time there), never across one.
 */

/** Sparse scores over item indices: a value and a stamp per item, the touched indices in first-touch order. */
export class SparseScores {
  readonly values: Float64Array;
  /** Touched indices, in the order they were first touched; `size` of them are live. */
  readonly touched: Int32Array;
  size = 0;
  private readonly stamp: Uint32Array;
  private generation = 1;

  constructor(items: number) {
    this.values = new Float64Array(items);
    this.touched = new Int32Array(items);
    this.stamp = new Uint32Array(items);
  }

  clear(): void {
    this.size = 0;
    if (++this.generation === 0xffffffff) {
      this.stamp.fill(0);
      this.generation = 1;
    }
  }

  has(j: number): boolean {
    return this.stamp[j] === this.generation;
  }

  /** values[j] = (values[j] ?? 0) + x, the same float arithmetic as a Map with a default of 0. */
  add(j: number, x: number): void {
    if (this.stamp[j] !== this.generation) {
      this.stamp[j] = this.generation;
      this.values[j] = 0;
      this.touched[this.size++] = j;
    }
    this.values[j] = this.values[j]! + x;
  }

  set(j: number, x: number): void {
    if (this.stamp[j] !== this.generation) {
      this.stamp[j] = this.generation;
      this.touched[this.size++] = j;
    }
    this.values[j] = x;
  }

  /** Min–max of the live values to [0, 1] (all 1 when they are equal), times `weight`, added into `target`. */
  addNormalisedInto(target: SparseScores, weight: number): void {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let p = 0; p < this.size; p++) {
      const s = this.values[this.touched[p]!]!;
      if (s < lo) lo = s;
      if (s > hi) hi = s;
    }
    const span = hi - lo;
    for (let p = 0; p < this.size; p++) {
      const j = this.touched[p]!;
      target.add(j, weight * (span > 0 ? (this.values[j]! - lo) / span : 1));
    }
  }
}

/** A set of item indices with O(1) clear; `slot` carries a small integer per member. */
export class IndexMark {
  readonly slot: Int32Array;
  private readonly stamp: Uint32Array;
  private generation = 1;

  constructor(items: number) {
    this.stamp = new Uint32Array(items);
    this.slot = new Int32Array(items);
  }

  clear(): void {
    if (++this.generation === 0xffffffff) {
      this.stamp.fill(0);
      this.generation = 1;
    }
  }

  add(j: number, slot = 0): void {
    this.stamp[j] = this.generation;
    this.slot[j] = slot;
  }

  has(j: number): boolean {
    return this.stamp[j] === this.generation;
  }
}

export interface Scratch {
  pre: SparseScores;
  fresh: SparseScores;
  scores: SparseScores;
  excluded: IndexMark;
  ranked: IndexMark;
  /** Compact candidate buffers for the top-k selection. */
  candidateIndex: Int32Array;
  candidateScore: Float64Array;
  topPosition: Int32Array;
  topScore: Float64Array;
}

const scratches = new WeakMap<object, Scratch>();

/** The scratch of one model (keyed by its object, so it goes with the model when the cache drops it). */
export function scratchFor(key: object, items: number): Scratch {
  let s = scratches.get(key);
  if (s === undefined) {
    s = {
      pre: new SparseScores(items),
      fresh: new SparseScores(items),
      scores: new SparseScores(items),
      excluded: new IndexMark(items),
      ranked: new IndexMark(items),
      candidateIndex: new Int32Array(items),
      candidateScore: new Float64Array(items),
      topPosition: new Int32Array(items),
      topScore: new Float64Array(items),
    };
    scratches.set(key, s);
  }
  return s;
}

export interface Ranked {
  /** Item index in the model, or −1 for an id the model does not know. */
  index: number;
  itemId: string;
  score: number;
  /** The score as responses show it, when worked out ahead (see the recommender's list ranking). */
  rounded?: number;
}

/**
 * The best `m` of `scores` (skipping `excluded`) plus `extras` (ids outside the model, already filtered), in
 * the order of a full sort by score descending then itemId ascending — exactly, ties at the cut included —
 * but through a bounded heap over the candidates instead of sorting them all.
 */
export function rankTop(
  scratch: Scratch,
  scores: SparseScores,
  excluded: IndexMark | undefined,
  itemIds: readonly string[],
  extras: readonly [string, number][],
  m: number,
): Ranked[] {
  const { candidateIndex, candidateScore, topPosition, topScore } = scratch;
  let c = 0;
  for (let p = 0; p < scores.size; p++) {
    const j = scores.touched[p]!;
    if (excluded?.has(j)) continue;
    candidateIndex[c] = j;
    candidateScore[c++] = scores.values[j]!;
  }
  const got = topK(candidateScore.subarray(0, c), m, topPosition, topScore);
  const out: Ranked[] = [];
  if (got < m) {
    for (let p = 0; p < c; p++) {
      const j = candidateIndex[p]!;
      out.push({ index: j, itemId: itemIds[j]!, score: candidateScore[p]! });
    }
    for (const [itemId, score] of extras) out.push({ index: -1, itemId, score });
  } else {
    // Everything at or above the m-th score: the heap's choice plus any ties it broke by position.
    const floor = topScore[got - 1]!;
    for (let p = 0; p < c; p++) {
      const s = candidateScore[p]!;
      if (s >= floor) out.push({ index: candidateIndex[p]!, itemId: itemIds[candidateIndex[p]!]!, score: s });
    }
    for (const [itemId, score] of extras) if (score >= floor) out.push({ index: -1, itemId, score });
  }
  out.sort((a, b) => b.score - a.score || (a.itemId < b.itemId ? -1 : 1));
  if (out.length > m) out.length = m;
  return out;
}

/** A score as responses show it: six significant digits. */
export function displayScore(x: number): number {
  return Number(x.toPrecision(6));
}
