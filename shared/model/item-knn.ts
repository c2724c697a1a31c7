import { transformValue, type ValueTransform } from './ease.ts';
import { emptyNeighbours, type Neighbours, storeTopRow } from './neighbours.ts';
import type { Csc, Csr } from './sparse.ts';

export interface ItemKnnParams {
  /** Neighbours kept per item (serving keeps 50; scoring may use more). */
  neighbours: number;
  /** Shrinkage: sim = x_i·x_j / (‖x_i‖‖x_j‖ + shrink) damps similarities resting on a handful of users. */
  shrink: number;
  transform?: ValueTransform;
}

/**
 * Item-item cosine similarity over the users' co-occurrences with shrinkage, keeping the top neighbours of
 * each item. One sparse pass per item: its users (CSC), then those users' items (CSR), accumulated densely.
 */
export function trainItemKnn(csr: Csr, csc: Csc, params: ItemKnnParams): Neighbours {
  const t = params.transform ?? 'binary';
  const n = csr.cols;
  const norms = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let p = csc.indptr[j]!; p < csc.indptr[j + 1]!; p++) {
      const v = transformValue(csc.values[p]!, t);
      s += v * v;
    }
    norms[j] = Math.sqrt(s);
  }
  const nb = emptyNeighbours(n, params.neighbours);
  const row = new Float64Array(n);
  const idx = new Int32Array(params.neighbours);
  const sc = new Float64Array(params.neighbours);
  for (let i = 0; i < n; i++) {
    row.fill(0);
    for (let p = csc.indptr[i]!; p < csc.indptr[i + 1]!; p++) {
      const u = csc.indices[p]!;
      const xi = transformValue(csc.values[p]!, t);
      for (let q = csr.indptr[u]!; q < csr.indptr[u + 1]!; q++) {
        row[csr.indices[q]!]! += xi * transformValue(csr.values[q]!, t);
      }
    }
    const ni = norms[i]!;
    for (let j = 0; j < n; j++) {
      const d = row[j]!;
      if (d !== 0) row[j] = d / (ni * norms[j]! + params.shrink);
    }
    storeTopRow(nb, i, row, idx, sc);
  }
  return nb;
}
