/**
 * A generated implicit-feedback matrix with planted structure, for timing the trainers at scale: shoppers
 * belong to taste segments, each segment favours its own slice of the catalogue (Zipf-distributed inside
 * the slice), and the rest of the traffic follows global popularity (Zipf over the whole catalogue). Activity
 * per shopper is skewed like a shop's (many light, few heavy shoppers). Deterministic from the seed.
 */
import { mulberry32 } from '../../shared/model/rng.ts';
import { type Csr, csrFromTriplets, transpose } from '../../shared/model/sparse.ts';

export interface PlantedOptions {
  users: number;
  items: number;
  /** Distinct (user, item) pairs to generate (the matrix's non-zeros). */
  interactions: number;
  segments?: number;
  /** Items in each segment's slice of the catalogue. */
  sliceSize?: number;
  /** Share of a shopper's interactions drawn from their segment (the rest from global popularity). */
  inSegment?: number;
  seed?: number;
}

/** Zipf(s = 1) sampler over [0, n) by inverse CDF on a precomputed table. */
export function zipf(n: number, rand: () => number): () => number {
  const cdf = new Float64Array(n);
  let s = 0;
  for (let i = 0; i < n; i++) {
    s += 1 / (i + 1);
    cdf[i] = s;
  }
  return () => {
    const target = rand() * s;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

export function plantedMatrix(o: PlantedOptions): { csr: Csr; csc: Csr } {
  const rand = mulberry32(o.seed ?? 11);
  const segments = o.segments ?? 100;
  const slice = Math.min(o.items, o.sliceSize ?? 1_000);
  const inSegment = o.inSegment ?? 0.8;
  // Each segment's slice: a random permutation window, so slices overlap a little as real tastes do.
  const perm = Int32Array.from({ length: o.items }, (_, i) => i);
  for (let i = o.items - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  }
  const sliceStart = Int32Array.from({ length: segments }, () => Math.floor(rand() * o.items));
  const globalRank = Int32Array.from({ length: o.items }, (_, i) => i);
  for (let i = o.items - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [globalRank[i], globalRank[j]] = [globalRank[j]!, globalRank[i]!];
  }
  const inSlice = zipf(slice, rand);
  const global = zipf(o.items, rand);
  // Activity: a log-normal weight per user, scaled so the counts sum to `interactions`, at least 1 each.
  const weight = new Float64Array(o.users);
  let total = 0;
  for (let u = 0; u < o.users; u++) {
    const g = Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
    weight[u] = Math.exp(1.1 * g);
    total += weight[u]!;
  }
  const rows = new Int32Array(o.interactions);
  const cols = new Int32Array(o.interactions);
  const vals = new Float32Array(o.interactions);
  let w = 0;
  const seen = new Set<number>();
  for (let u = 0; u < o.users && w < o.interactions; u++) {
    const left = o.users - u - 1;
    const want = Math.max(
      1,
      Math.min(o.items / 4, Math.round((weight[u]! / total) * o.interactions), o.interactions - w - left),
    );
    const segment = Math.floor(rand() * segments);
    seen.clear();
    for (let attempts = 0; seen.size < want && attempts < want * 20; attempts++) {
      const item =
        rand() < inSegment ? perm[(sliceStart[segment]! + inSlice()) % o.items]! : globalRank[global()]!;
      if (seen.has(item)) continue;
      seen.add(item);
      rows[w] = u;
      cols[w] = item;
      // A purchase count: mostly 1, sometimes more.
      vals[w] = 1 + Math.floor(-Math.log(1 - rand()) * 0.7);
      w++;
    }
  }
  const csr = csrFromTriplets(o.users, o.items, rows, cols, vals, w);
  return { csr, csc: transpose(csr) };
}
