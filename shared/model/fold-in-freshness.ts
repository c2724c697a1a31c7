/**
 * How strongly the events a model has not seen count when serving folds them in (the artifact's optional
 * `freshness` block, docs/model-artifact.md): a fresh event adds `weight` × its type's weight × 0.5^(age /
 * halfLife) to the shopper's row, so one event pulls the list in proportion to its weight against the history.
 * Besides the long-term profile, a short-term component — the item-to-item neighbours of the fresh events, each
 * decayed by its own age (the session rule) — is added to the blend with `shortTerm.weight` against the blend.
 */
export interface FreshnessParams {
  /** Half-life of a fresh event's weight by its age at request time, in days; null: no decay. */
  halfLifeDays: number | null;
  /** A fresh event's weight relative to the same event in the training row (1: exactly as much). */
  weight: number;
  /** The short-term component: its weight against the whole blend (0: none) and its half-life in days. */
  shortTerm: ShortTerm;
  /**
   * The live trend component: every shopper's events since training (live counters, decayed by age), z-scored
   * like a member and weighted against the whole blend (0: none; serving without live counters ignores it).
   */
  trend: Trend;
}

export interface Trend {
  weight: number;
  /** Half-life of an event's count by its age, in days (the counters' decay). */
  halfLifeDays: number;
}

export interface ShortTerm {
  weight: number;
  halfLifeDays: number;
}

/** One candidate of the calibration and the replay's hit rate@k with it. */
export interface FreshnessTrial extends FreshnessParams {
  hitRate: number;
}

/** The artifact's block: the parameters serving uses and, when tuned, how they were chosen. */
export interface FreshnessBlock extends FreshnessParams {
  calibration?: {
    /** The replayed period (never the test period): ISO instants. */
    from: string;
    to: string;
    k: number;
    purchases: number;
    shoppers: number;
    tried: FreshnessTrial[];
  };
}

/**
 * A model without a calibration (`recsys train`, `npm start`): what the replay calibration on Online Retail chose
 * (bench:replay, docs/freshness.md): a fresh event weighs 4 of the same event in the training row, undecayed, and
 * the live trend counts half the blend (ignored where serving has no live counts).
 */
const DEFAULT_FRESHNESS: FreshnessParams = {
  halfLifeDays: null,
  weight: 4,
  shortTerm: { weight: 0, halfLifeDays: 1 },
  trend: { weight: 0.5, halfLifeDays: 3 },
};

const DAY_MS = 86_400_000;

/** The multiplier of a fresh event `ageMs` old (an event stamped after the request counts as new). */
export function freshFactor(p: FreshnessParams, ageMs: number): number {
  if (p.halfLifeDays === null || !(ageMs > 0)) return p.weight;
  return p.weight * 0.5 ** (ageMs / (p.halfLifeDays * DAY_MS));
}

/** The multiplier of a fresh event `ageMs` old in the short-term component (0 when it is off). */
export function shortTermFactor(p: FreshnessParams, ageMs: number): number {
  const { weight, halfLifeDays } = p.shortTerm;
  if (!(weight > 0)) return 0;
  return ageMs > 0 ? 0.5 ** (ageMs / (halfLifeDays * DAY_MS)) : 1;
}

const nonNegative = (x: unknown, otherwise: number) =>
  typeof x === 'number' && x >= 0 && Number.isFinite(x) ? x : otherwise;
const positive = (x: unknown) => (typeof x === 'number' && x > 0 && Number.isFinite(x) ? x : undefined);

/** The artifact's freshness parameters; a block (or a field of it) that is missing or malformed gives the defaults. */
export function freshnessOf(manifest: { freshness?: unknown }): FreshnessParams {
  const b = manifest.freshness as Partial<Record<keyof FreshnessParams, unknown>> | undefined;
  if (b === undefined || b === null || typeof b !== 'object') return DEFAULT_FRESHNESS;
  const weight = nonNegative(b.weight, DEFAULT_FRESHNESS.weight);
  const halfLifeDays = positive(b.halfLifeDays) ?? null;
  const s = b.shortTerm as Partial<ShortTerm> | undefined;
  const d = DEFAULT_FRESHNESS.shortTerm;
  const shortTerm =
    s !== null && typeof s === 'object'
      ? { weight: nonNegative(s.weight, d.weight), halfLifeDays: positive(s.halfLifeDays) ?? d.halfLifeDays }
      : d;
  const t = b.trend as Partial<Trend> | undefined;
  const dt = DEFAULT_FRESHNESS.trend;
  const trend =
    t !== null && typeof t === 'object'
      ? {
          weight: nonNegative(t.weight, dt.weight),
          halfLifeDays: positive(t.halfLifeDays) ?? dt.halfLifeDays,
        }
      : dt;
  return { halfLifeDays, weight, shortTerm, trend };
}

/**
 * The artifact files with `block` as the manifest's `freshness` (the manifest is rewritten, everything else
 * kept): for a calibration that runs after the model was encoded.
 */
export function withFreshness<T extends Map<string, Uint8Array | string>>(
  files: T,
  block: FreshnessBlock,
): T {
  const raw = files.get('manifest.json');
  if (raw === undefined) throw new Error('the artifact has no manifest.json');
  const text = typeof raw === 'string' ? raw : new TextDecoder().decode(raw);
  const manifest = JSON.parse(text) as Record<string, unknown>;
  manifest.freshness = block;
  files.set('manifest.json', `${JSON.stringify(manifest, null, 2)}\n`);
  return files;
}
