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
  let size = 0;
  const n = scores.length;
  for (let j = 0; j < n; j++) {
    const s = scores[j]!;
    // NaN and -Infinity mean "not a candidate".
    if (!(s > Number.NEGATIVE_INFINITY)) continue;
    if (size === k && !worse(outScore[0]!, outIndex[0]!, s, j)) continue;
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
    } else {
      siftDown(outIndex, outScore, size, s, j);
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

/** Marks the items of row `u` of a CSR in `mask` (1 = excluded) and returns a function clearing them again. */
export function markRow(indptr: Int32Array, indices: Int32Array, u: number, mask: Uint8Array): () => void {
  const start = indptr[u]!;
  const end = indptr[u + 1]!;
  for (let p = start; p < end; p++) mask[indices[p]!] = 1;
  return () => {
    for (let p = start; p < end; p++) mask[indices[p]!] = 0;
  };
}
