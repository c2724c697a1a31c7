/**
 * Top-k selection with a bounded min-heap: O(n log k) over the catalog instead of sorting it.
 * Results are written into caller-supplied buffers, best first; returns how many were filled (≤ k).
 * `exclude` marks items that must not be returned (already bought, vetoed, out of stock).
 */
export function topK(
  scores: Float32Array | Float64Array,
  k: number,
  outIndex: Int32Array,
  outScore: Float32Array | Float64Array,
  exclude?: (item: number) => boolean,
): number {
  if (k <= 0) return 0;
  let size = 0;
  const n = scores.length;
  // The score to beat: the heap's worst once it is full. Items arrive in index order and ties go to the
  // lower index, so a later item enters only with a strictly higher score — one comparison per item for
  // almost the whole catalog. NaN and -Infinity ("not a candidate") never pass it.
  let bar = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < n; j++) {
    const s = scores[j]!;
    if (!(s > bar)) continue;
    if (exclude?.(j)) continue;
    if (size < k) {
      let i = size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!worse(s, j, outScore[parent]!, outIndex[parent]!)) break;
        outScore[i] = outScore[parent]!;
        outIndex[i] = outIndex[parent]!;
        i = parent;
      }
      outScore[i] = s;
      outIndex[i] = j;
      if (size === k) bar = outScore[0]!;
    } else {
      siftDown(outIndex, outScore, size, s, j);
      bar = outScore[0]!;
    }
  }
  // Heap-sort in place: repeatedly move the worst to the end, leaving the best first.
  for (let end = size - 1; end > 0; end--) {
    const s = outScore[end]!;
    const j = outIndex[end]!;
    outScore[end] = outScore[0]!;
    outIndex[end] = outIndex[0]!;
    siftDown(outIndex, outScore, end, s, j);
  }
  return size;
}

/** Ties are broken by the lower index so that results are deterministic. */
function worse(sa: number, ja: number, sb: number, jb: number): boolean {
  return sa < sb || (sa === sb && ja > jb);
}

function siftDown(
  idx: Int32Array,
  sc: Float32Array | Float64Array,
  size: number,
  s: number,
  j: number,
): void {
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= size) break;
    const r = l + 1;
    let m = l;
    if (r < size && worse(sc[r]!, idx[r]!, sc[l]!, idx[l]!)) m = r;
    if (!worse(sc[m]!, idx[m]!, s, j)) break;
    sc[i] = sc[m]!;
    idx[i] = idx[m]!;
    i = m;
  }
  sc[i] = s;
  idx[i] = j;
}

/**
 * "Score every item, mask the user's history, take the top k", the one place it is written: the top `k` of
 * `scores` leaving out the items of row `row` of `history` (a CSR: the user's training items) and any item
 * `exclude` names. The row's slots are overwritten with NaN instead of asking a callback per candidate: `scores`
 * is the caller's scratch, filled again for the next user anyway. A negative `row` (a user the model does not
 * know, or a caller that keeps seen items) masks nothing.
 */
export function topKExcluding(
  scores: Float32Array | Float64Array,
  history: { readonly indptr: Int32Array; readonly indices: Int32Array },
  row: number,
  k: number,
  outIndex: Int32Array,
  outScore: Float32Array | Float64Array,
  exclude?: (item: number) => boolean,
): number {
  if (row >= 0) {
    const { indptr, indices } = history;
    for (let p = indptr[row]!, end = indptr[row + 1]!; p < end; p++) scores[indices[p]!] = Number.NaN;
  }
  return topK(scores, k, outIndex, outScore, exclude);
}
