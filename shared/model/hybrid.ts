import type { Scorer } from './scorer.ts';

export type Normalisation = 'zscore' | 'max' | 'none';

export interface HybridComponent {
  scorer: Scorer;
  weight: number;
}

/**
 * Normalises one user's score vector in place so that components on different scales can be added:
 * 'zscore' centres and scales by the standard deviation over the catalog, 'max' divides by the largest
 * absolute score. A constant vector (nothing known about the user) becomes all zeros.
 */
export function normalise(scores: Float32Array, how: Normalisation): void {
  if (how === 'none') return;
  const n = scores.length;
  if (how === 'max') {
    let m = 0;
    for (let j = 0; j < n; j++) m = Math.max(m, Math.abs(scores[j]!));
    if (m > 0) for (let j = 0; j < n; j++) scores[j]! /= m;
    return;
  }
  let s = 0;
  let ss = 0;
  for (let j = 0; j < n; j++) {
    const v = scores[j]!;
    s += v;
    ss += v * v;
  }
  const mean = s / n;
  const variance = ss / n - mean * mean;
  if (!(variance > 1e-24)) {
    scores.fill(0);
    return;
  }
  const inv = 1 / Math.sqrt(variance);
  for (let j = 0; j < n; j++) scores[j] = (scores[j]! - mean) * inv;
}

/** A weighted sum of per-user normalised component scores. */
export function hybridScorer(
  components: readonly HybridComponent[],
  items: number,
  how: Normalisation = 'zscore',
  name = 'hybrid',
): Scorer {
  const buf = new Float32Array(items);
  return {
    name,
    scoreUser(u, out) {
      out.fill(0);
      for (const c of components) {
        if (c.weight === 0) continue;
        c.scorer.scoreUser(u, buf);
        normalise(buf, how);
        for (let j = 0; j < items; j++) out[j]! += c.weight * buf[j]!;
      }
    },
  };
}
