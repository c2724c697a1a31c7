import type { Deployment } from '../ports/publication-store.ts';

/** The variant a shopper is served: its name (reported and counted) and the model version behind it. */
export interface Assignment {
  variant: string;
  modelVersion: string;
  /** The running experiment the shopper is part of, if any. */
  experiment?: string;
}

const encoder = new TextEncoder();

/**
 * A 32-bit hash of the UTF-8 bytes: FNV-1a, then murmur3's finaliser, because FNV alone leaves similar
 * keys ("user-1", "user-2") close together in the high bits that decide the bucket.
 */
function hash32(key: string): number {
  let h = 0x811c9dc5;
  for (const byte of encoder.encode(key)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The shopper's position in [0, 1) for an experiment: the same for every request, independent across experiments. */
function bucketOf(experiment: string, shopperKey: string): number {
  return hash32(`${experiment}\u0000${shopperKey}`) / 4294967296;
}

/**
 * Sticky assignment: no experiment → the champion; otherwise the variant whose cumulative weight range holds the
 * shopper's bucket. Weights are normalised by their sum so that a record whose weights do not add up to one
 * exactly (0.33 + 0.33 + 0.33) still covers every bucket.
 */
export function assignVariant(deployment: Deployment, shopperKey: string): Assignment {
  const experiment = deployment.experiment;
  const variants = experiment?.variants.filter((v) => v.weight > 0) ?? [];
  if (experiment === undefined || variants.length === 0)
    return { variant: 'champion', modelVersion: deployment.champion };
  const total = variants.reduce((s, v) => s + v.weight, 0);
  const target = bucketOf(experiment.name, shopperKey) * total;
  let acc = 0;
  for (const v of variants) {
    acc += v.weight;
    if (target < acc) return { variant: v.name, modelVersion: v.modelVersion, experiment: experiment.name };
  }
  const last = variants.at(-1)!;
  return { variant: last.name, modelVersion: last.modelVersion, experiment: experiment.name };
}
