import { type InteractionRecord, type Interactions, toEpochMs } from './interactions.ts';
import type { Csr } from './sparse.ts';

const DAY_MS = 86_400_000;

/**
 * The training matrix's pattern with each pair weighted by how recently it was last touched,
 * 0.5^(age / halfLifeDays) with age measured back from `now` (1 for a pair touched at `now`). Records of pairs
 * the matrix does not hold (dropped negatives, unknown ids) and records after `now` are ignored.
 *
 * Why a weight per pair and not per event: the item-item model should learn from what shoppers buy together
 * lately (a gift shop's autumn is not its spring), while a shopper who re-buys an item should not weigh it more
 * than one who bought it once, which summing decayed events would do.
 */
export function pairRecency(
  data: Pick<Interactions, 'csr' | 'userIndex' | 'itemIndex'>,
  records: Iterable<InteractionRecord>,
  now: number,
  halfLifeDays: number,
): Csr {
  if (!(halfLifeDays > 0)) throw new RangeError(`halfLifeDays must be positive, got ${halfLifeDays}`);
  const { csr } = data;
  const last = new Float64Array(csr.values.length).fill(Number.NEGATIVE_INFINITY);
  for (const r of records) {
    const u = data.userIndex.get(r.userId);
    const j = data.itemIndex.get(r.itemId);
    if (u === undefined || j === undefined) continue;
    const p = position(csr, u, j);
    const t = toEpochMs(r.timestamp);
    if (p >= 0 && t <= now && t > last[p]!) last[p] = t;
  }
  const values = new Float32Array(last.length);
  const rate = Math.LN2 / (halfLifeDays * DAY_MS);
  // A pair with no record up to `now` gets exp(−∞) = 0: nothing recent to learn from.
  for (let p = 0; p < last.length; p++) values[p] = Math.exp(-rate * (now - last[p]!));
  return { ...csr, values };
}

/** Index of (row i, column j) in the CSR's arrays, or −1; rows keep their column indices sorted. */
function position(m: Csr, i: number, j: number): number {
  let lo = m.indptr[i]!;
  let hi = m.indptr[i + 1]! - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const c = m.indices[mid]!;
    if (c === j) return mid;
    if (c < j) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
