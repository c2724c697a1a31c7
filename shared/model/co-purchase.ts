import type { InteractionRecord } from './interactions.ts';
import { emptyNeighbours, type Neighbours } from './neighbours.ts';
import { topK } from './topk.ts';

/**
 * "Bought together": complements from co-purchase within a basket (purchases sharing an `orderId`).
 *
 * The score of b as a complement of a is the log of a shrunk lift, ln((c + α) / (E + α)), where c is the number of
 * baskets holding both, E = s_a · s_b / N the number expected if a and b were bought independently (s: baskets
 * holding the item, N: baskets) and α a pseudo-count. Raw co-occurrence would recommend the best sellers with
 * everything; raw lift c / E would crown two rarities seen together once. The pseudo-count pulls a lift built on a
 * handful of baskets towards 1, so a pair needs both association and evidence: c = 2 against E = 0.01 scores
 * ln 3, c = 40 against E = 4 scores ln 8.2. Only pairs seen in at least `minCount` baskets with a shrunk lift above
 * 1 are complements.
 *
 * Near-substitutes are left out: a candidate whose content (TF-IDF over title, description, categories, brand;
 * shared/model/content.ts) is at least `substituteSimilarity` alike the anchor's is the same product in another
 * variant — a shopper deciding between the two needs one of them, not both (checked in both items' content
 * neighbour rows, the top 50 each). Collaborative similarity cannot tell the two apart: complements are exactly
 * what item-kNN finds similar.
 */
export interface ComplementOptions {
  /** Complements kept per item (default 50). */
  k?: number;
  /** The pseudo-count α of the shrunk lift (default 2). */
  shrinkage?: number;
  /** Baskets a pair must share (default 2). */
  minCount?: number;
  /**
   * Baskets with more distinct items than this count towards N and the supports but give no pairs (default 100):
   * a restock of 300 lines says little about which two belong together and costs 45,000 pairs.
   */
  maxBasketItems?: number;
  /** Content neighbours (index space of `itemIds`): the near-substitute test. */
  substitutes?: Neighbours;
  /** Content cosine from which a candidate is a near-substitute (default 0.5). */
  substituteSimilarity?: number;
}

export const COMPLEMENT_DEFAULTS = {
  k: 50,
  shrinkage: 2,
  minCount: 2,
  maxBasketItems: 100,
  substituteSimilarity: 0.5,
} as const;

/** What the manifest records about the complements (docs/model-artifact.md, `complements`). */
export interface ComplementStats {
  baskets: number;
  /** Baskets with 2 to maxBasketItems distinct items: those that gave pairs. */
  pairedBaskets: number;
  /** Items with at least one complement. */
  items: number;
  shrinkage: number;
  minCount: number;
  maxBasketItems: number;
  substituteSimilarity: number;
  /** Candidates left out as near-substitutes. */
  substitutesExcluded: number;
  /**
   * `false` when the near-substitute test was not applied (the Spark job without a catalog to read):
   * `substitutesExcluded` is then 0 by construction. Absent: the test ran (with content neighbours, if any).
   */
  substituteTest?: false;
}

export interface Complements {
  neighbours: Neighbours;
  stats: ComplementStats;
}

/** Baskets as item-index lists (distinct, ascending) from the purchases that carry an orderId. */
export function basketsOf(
  records: Iterable<InteractionRecord>,
  itemIndex: ReadonlyMap<string, number>,
): Int32Array[] {
  const byOrder = new Map<string, Set<number>>();
  for (const r of records) {
    if (r.type !== 'purchase' || r.orderId === undefined) continue;
    const j = itemIndex.get(r.itemId);
    if (j === undefined) continue;
    let basket = byOrder.get(r.orderId);
    if (basket === undefined) {
      basket = new Set();
      byOrder.set(r.orderId, basket);
    }
    basket.add(j);
  }
  const out: Int32Array[] = [];
  for (const set of byOrder.values()) out.push(Int32Array.from(set).sort());
  return out;
}

/** Whether a and b are near-substitutes: either's content neighbour row holds the other at ≥ `min`. */
function isSubstitute(content: Neighbours | undefined, a: number, b: number, min: number): boolean {
  if (content === undefined || content.k === 0) return false;
  const k = content.k;
  for (const [x, y] of [
    [a, b],
    [b, a],
  ] as const) {
    const o = x * k;
    for (let t = 0; t < k; t++) {
      const j = content.indices[o + t]!;
      if (j < 0 || content.scores[o + t]! < min) break;
      if (j === y) return true;
    }
  }
  return false;
}

/** The complements of every item of `itemCount` from `baskets` (see the module comment). */
export function trainComplements(
  baskets: readonly Int32Array[],
  itemCount: number,
  options: ComplementOptions = {},
): Complements {
  const k = options.k ?? COMPLEMENT_DEFAULTS.k;
  const alpha = options.shrinkage ?? COMPLEMENT_DEFAULTS.shrinkage;
  const minCount = options.minCount ?? COMPLEMENT_DEFAULTS.minCount;
  const maxItems = options.maxBasketItems ?? COMPLEMENT_DEFAULTS.maxBasketItems;
  const tau = options.substituteSimilarity ?? COMPLEMENT_DEFAULTS.substituteSimilarity;
  const support = new Float64Array(itemCount);
  // Item → the paired baskets holding it (CSR over items), so each item's row is counted on its own.
  const degree = new Int32Array(itemCount + 1);
  let paired = 0;
  for (const b of baskets) {
    for (let t = 0; t < b.length; t++) support[b[t]!]!++;
    if (b.length < 2 || b.length > maxItems) continue;
    paired++;
    for (let t = 0; t < b.length; t++) degree[b[t]! + 1]!++;
  }
  for (let j = 0; j < itemCount; j++) degree[j + 1]! += degree[j]!;
  const fill = degree.slice(0, itemCount);
  const holders = new Int32Array(degree[itemCount]!);
  const pairedBaskets: Int32Array[] = [];
  for (const b of baskets) {
    if (b.length < 2 || b.length > maxItems) continue;
    const id = pairedBaskets.length;
    pairedBaskets.push(b);
    for (let t = 0; t < b.length; t++) holders[fill[b[t]!]!++] = id;
  }

  const n = baskets.length;
  const nb = emptyNeighbours(itemCount, k);
  const counts = new Float64Array(itemCount);
  const touched = new Int32Array(itemCount);
  const candScore = new Float64Array(itemCount);
  const outIdx = new Int32Array(k);
  const outScore = new Float64Array(k);
  let withComplements = 0;
  let substitutesExcluded = 0;
  for (let a = 0; a < itemCount; a++) {
    let size = 0;
    for (let p = degree[a]!; p < degree[a + 1]!; p++) {
      const basket = pairedBaskets[holders[p]!]!;
      for (let t = 0; t < basket.length; t++) {
        const b = basket[t]!;
        if (b === a) continue;
        if (counts[b] === 0) touched[size++] = b;
        counts[b]!++;
      }
    }
    let c = 0;
    for (let p = 0; p < size; p++) {
      const b = touched[p]!;
      const together = counts[b]!;
      counts[b] = 0;
      if (together < minCount) continue;
      const expected = (support[a]! * support[b]!) / n;
      const score = Math.log((together + alpha) / (expected + alpha));
      if (!(score > 0)) continue;
      if (isSubstitute(options.substitutes, a, b, tau)) {
        substitutesExcluded++;
        continue;
      }
      touched[c] = b;
      candScore[c++] = score;
    }
    const got = topK(candScore.subarray(0, c), k, outIdx, outScore);
    // topK breaks ties by position; make them deterministic by item index instead.
    const row = Array.from({ length: got }, (_, t) => [touched[outIdx[t]!]!, outScore[t]!] as const).sort(
      (x, y) => y[1] - x[1] || x[0] - y[0],
    );
    for (let t = 0; t < row.length; t++) {
      nb.indices[a * k + t] = row[t]![0];
      nb.scores[a * k + t] = row[t]![1];
    }
    if (got > 0) withComplements++;
  }
  return {
    neighbours: nb,
    stats: {
      baskets: n,
      pairedBaskets: paired,
      items: withComplements,
      shrinkage: alpha,
      minCount,
      maxBasketItems: maxItems,
      substituteSimilarity: tau,
      substitutesExcluded,
    },
  };
}

/** One candidate for a cart: its complement score and the cart item that contributed most (the reason's anchor). */
export interface CartCandidate {
  index: number;
  score: number;
  anchor: number;
}

/**
 * Complements of a whole cart, best first, the first `m`: each candidate's scores summed over the cart's items
 * (ln-lifts add up like a naive-Bayes log-odds: an item that goes with several of the cart's items beats one that
 * goes with a single one), the cart's own items and the near-substitutes of any of them left out. Ties go to the
 * lower item index. `rows` is the complements (or, lacking those, any neighbour lists of the same format).
 */
export function scoreCart(
  rows: Neighbours,
  cart: readonly number[],
  m: number,
  substitutes?: { content: Neighbours | undefined; similarity: number },
): CartCandidate[] {
  const inCart = new Set(cart);
  const found = new Map<number, { score: number; anchor: number; best: number }>();
  const k = rows.k;
  for (const a of inCart) {
    for (let t = 0; t < k; t++) {
      const b = rows.indices[a * k + t]!;
      if (b < 0) break;
      if (inCart.has(b)) continue;
      const s = rows.scores[a * k + t]!;
      const c = found.get(b);
      if (c === undefined) found.set(b, { score: s, anchor: a, best: s });
      else {
        c.score += s;
        if (s > c.best) {
          c.best = s;
          c.anchor = a;
        }
      }
    }
  }
  const out: CartCandidate[] = [];
  for (const [index, c] of found) {
    if (substitutes !== undefined) {
      let substitute = false;
      for (const a of inCart)
        if (isSubstitute(substitutes.content, a, index, substitutes.similarity)) {
          substitute = true;
          break;
        }
      if (substitute) continue;
    }
    out.push({ index, score: c.score, anchor: c.anchor });
  }
  out.sort((x, y) => y.score - x.score || x.index - y.index);
  if (out.length > m) out.length = m;
  return out;
}
