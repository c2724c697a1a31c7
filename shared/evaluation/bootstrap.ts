import { mulberry32 } from '../model/rng.ts';

/** A mean over shoppers and its bootstrap percentile interval. */
export interface Interval {
  mean: number;
  low: number;
  high: number;
}

export interface BootstrapOptions {
  /** Resamples (default 500). */
  resamples?: number;
  /** Two-sided confidence level (default 0.95). */
  level?: number;
  seed?: number;
}

/**
 * Percentile bootstrap of the mean of `values` (one value per shopper): shoppers are resampled with
 * replacement. The generator restarts from `seed` on every call, so two calls over the same number of shoppers
 * draw the same resamples — intervals of different candidates are then computed on the same shopper draws.
 */
export function bootstrapMean(values: ArrayLike<number>, options: BootstrapOptions = {}): Interval {
  const n = values.length;
  const mean = meanOf(values);
  if (n < 2) return { mean, low: mean, high: mean };
  const b = options.resamples ?? 500;
  const level = options.level ?? 0.95;
  const rand = mulberry32(options.seed ?? 42);
  const means = new Float64Array(b);
  for (let r = 0; r < b; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += values[Math.floor(rand() * n)]!;
    means[r] = s / n;
  }
  means.sort();
  const tail = (1 - level) / 2;
  return { mean, low: quantile(means, tail), high: quantile(means, 1 - tail) };
}

/**
 * The bootstrap interval of the mean difference a − b over the same shoppers (paired): what "within the
 * noise" means when two candidates are scored on the same validation shoppers.
 */
export function pairedDifference(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  options: BootstrapOptions = {},
): Interval {
  if (a.length !== b.length)
    throw new RangeError(`paired scores need the same shoppers: ${a.length} vs ${b.length} values`);
  const d = new Float64Array(a.length);
  for (let i = 0; i < d.length; i++) d[i] = a[i]! - b[i]!;
  return bootstrapMean(d, options);
}

function meanOf(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return values.length > 0 ? s / values.length : 0;
}

/** Linear interpolation between the order statistics of a sorted array. */
function quantile(sorted: Float64Array, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}
