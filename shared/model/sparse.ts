/**
 * Compressed sparse matrices. `Csr` is row-major (rows = users for the interaction matrix), `Csc` the same
 * data column-major; both keep indices sorted within a row/column so that merges and binary searches work.
 */
export interface Csr {
  rows: number;
  cols: number;
  indptr: Int32Array;
  indices: Int32Array;
  values: Float32Array;
}

/** The same layout read column-wise: `indptr` has cols + 1 entries and `indices` are row numbers. */
export type Csc = Csr;

function nnz(m: Csr): number {
  return m.indptr[m.rows]!;
}

/**
 * Builds a CSR from coordinate triplets; duplicate (row, col) pairs are summed. Entries whose summed value
 * is not strictly positive are dropped when `dropNonPositive` (negative feedback cancels positive feedback
 * but never becomes a negative confidence).
 */
export function csrFromTriplets(
  rows: number,
  cols: number,
  r: Int32Array,
  c: Int32Array,
  v: Float32Array | Float64Array,
  count: number,
  dropNonPositive = true,
): Csr {
  const rowCount = new Int32Array(rows + 1);
  for (let t = 0; t < count; t++) rowCount[r[t]! + 1]!++;
  for (let i = 0; i < rows; i++) rowCount[i + 1]! += rowCount[i]!;
  const order = new Int32Array(count);
  const fill = rowCount.slice(0, rows);
  for (let t = 0; t < count; t++) order[fill[r[t]!]!++] = t;
  // Within each row sort by column, then merge duplicates; rows are short so an insertion sort is cheap.
  const outIdx = new Int32Array(count);
  const outVal = new Float64Array(count);
  const indptr = new Int32Array(rows + 1);
  let w = 0;
  const colsBuf: number[] = [];
  for (let i = 0; i < rows; i++) {
    const start = rowCount[i]!;
    const end = rowCount[i + 1]!;
    colsBuf.length = 0;
    for (let p = start; p < end; p++) colsBuf.push(order[p]!);
    colsBuf.sort((a, b) => c[a]! - c[b]! || a - b);
    const rowStart = w;
    let last = -1;
    for (const t of colsBuf) {
      const col = c[t]!;
      if (col === last) outVal[w - 1]! += v[t]!;
      else {
        outIdx[w] = col;
        outVal[w] = v[t]!;
        w++;
        last = col;
      }
    }
    if (dropNonPositive) {
      let k = rowStart;
      for (let p = rowStart; p < w; p++) {
        if (outVal[p]! > 0) {
          outIdx[k] = outIdx[p]!;
          outVal[k] = outVal[p]!;
          k++;
        }
      }
      w = k;
    }
    indptr[i + 1] = w;
  }
  return {
    rows,
    cols,
    indptr,
    indices: outIdx.slice(0, w),
    values: Float32Array.from(outVal.subarray(0, w)),
  };
}

/** Transposes a CSR (giving the CSC of the same matrix, or the CSR of its transpose). Indices stay sorted. */
export function transpose(m: Csr): Csr {
  const n = nnz(m);
  const indptr = new Int32Array(m.cols + 1);
  for (let p = 0; p < n; p++) indptr[m.indices[p]! + 1]!++;
  for (let j = 0; j < m.cols; j++) indptr[j + 1]! += indptr[j]!;
  const fill = indptr.slice(0, m.cols);
  const indices = new Int32Array(n);
  const values = new Float32Array(n);
  for (let i = 0; i < m.rows; i++) {
    for (let p = m.indptr[i]!; p < m.indptr[i + 1]!; p++) {
      const j = m.indices[p]!;
      const q = fill[j]!++;
      indices[q] = i;
      values[q] = m.values[p]!;
    }
  }
  return { rows: m.cols, cols: m.rows, indptr, indices, values };
}

/** Whether row `i` contains column `j` (binary search over the sorted row). */
export function has(m: Csr, i: number, j: number): boolean {
  let lo = m.indptr[i]!;
  let hi = m.indptr[i + 1]! - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const c = m.indices[mid]!;
    if (c === j) return true;
    if (c < j) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}
