import type { Scorer } from './scorer.ts';
import type { Csr } from './sparse.ts';
import { topK } from './topk.ts';

/** The k most similar items of every item, best first; a row is padded with index −1 and score 0. */
export interface Neighbours {
  k: number;
  items: number;
  /** items × k, row-major. */
  indices: Int32Array;
  scores: Float32Array;
}

/**
 * Keeps the top `k` of a dense similarity row (excluding the item itself) in row `i` of `nb`, through the
 * bounded heap; `idx`/`sc` are caller-supplied scratch of length k.
 */
export function storeTopRow(
  nb: Neighbours,
  i: number,
  row: Float64Array,
  idx: Int32Array,
  sc: Float64Array,
): void {
  const self = row[i]!;
  row[i] = Number.NaN;
  const n = topK(row, nb.k, idx, sc);
  row[i] = self;
  const o = i * nb.k;
  for (let t = 0; t < nb.k; t++) {
    const ok = t < n && sc[t]! > 0;
    nb.indices[o + t] = ok ? idx[t]! : -1;
    nb.scores[o + t] = ok ? sc[t]! : 0;
  }
}

export function emptyNeighbours(items: number, k: number): Neighbours {
  return { k, items, indices: new Int32Array(items * k).fill(-1), scores: new Float32Array(items * k) };
}

/**
 * Scores a user as Σ over their items i of value(i) × sim(i, j) over i's neighbours: the classic item-kNN
 * recommender, also used with content neighbours for items nobody has interacted with yet.
 */
export function neighbourScorer(
  nb: Neighbours,
  history: Csr,
  name: string,
  weightOf: (v: number) => number = () => 1,
): Scorer {
  return {
    name,
    scoreUser(u, out) {
      out.fill(0);
      for (let p = history.indptr[u]!; p < history.indptr[u + 1]!; p++) {
        const x = weightOf(history.values[p]!);
        const o = history.indices[p]! * nb.k;
        for (let t = 0; t < nb.k; t++) {
          const j = nb.indices[o + t]!;
          if (j < 0) break;
          out[j]! += x * nb.scores[o + t]!;
        }
      }
    },
  };
}
