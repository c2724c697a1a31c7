import { bestTrial } from '../shared/evaluation/replay-metrics.ts';
import type { FreshnessBlock, FreshnessParams, FreshnessTrial } from '../shared/model/fold-in-freshness.ts';
import { personalMode, type ReplayEvent, replayShoppers } from './replay-engine.ts';
import type { ReplayServing } from './replay-setup.ts';

/**
 * Calibration of the fresh-event weight and decay: one replay of a period before the test period (the month
 * before the cut) through the blend, every candidate asked before each purchase in the same pass; the candidate
 * with the best hit rate@k is the block the artifact carries.
 */

const p = (weight: number, halfLifeDays: number | null, shortTerm: number, trend: number, trendDays = 3) => ({
  halfLifeDays,
  weight,
  shortTerm: { weight: shortTerm, halfLifeDays: 1 },
  trend: { weight: trend, halfLifeDays: trendDays },
});

/**
 * The candidates: a fresh event's weight against the history (1, 4, 16), each without the live trend and with it
 * (two weights, two half-lives); decay by age and the short-term component once each.
 */
const FRESHNESS_GRID: readonly FreshnessParams[] = [
  ...[1, 4, 16].flatMap((w) => [
    p(w, null, 0, 0),
    p(w, null, 0, 0.25),
    p(w, null, 0, 0.5),
    p(w, null, 0, 0.5, 7),
  ]),
  p(1, 7, 0, 0.5),
  p(1, null, 1, 0.5),
];

export interface Calibration {
  serving: ReplayServing;
  /** The model fitted on what came before the calibration period, published in `serving`. */
  version: string;
  trainedAt: number;
  events: readonly ReplayEvent[];
  known: ReadonlyMap<string, ReadonlySet<string>>;
  grid?: readonly FreshnessParams[];
  k?: number;
  onProgress?: (done: number, total: number) => void;
}

const nameOf = (p: FreshnessParams) =>
  `half-life ${p.halfLifeDays ?? '∞'} d, weight ${p.weight}, short-term ${p.shortTerm.weight}, ` +
  `trend ${p.trend.weight} (${p.trend.halfLifeDays} d)`;

export async function calibrateFreshness(c: Calibration): Promise<FreshnessBlock> {
  const grid = c.grid ?? FRESHNESS_GRID;
  const k = c.k ?? 10;
  const modes = grid.map((p) => personalMode(nameOf(p), c.serving.recommender(c.version, 'blend', p)));
  const tally = await replayShoppers({
    serving: c.serving,
    events: c.events,
    known: c.known,
    modes,
    trainedAt: c.trainedAt,
    k,
    ...(c.onProgress !== undefined ? { onProgress: c.onProgress } : {}),
  });
  const rows = tally.rows();
  const tried: FreshnessTrial[] = grid.map((p, i) => ({ ...p, hitRate: rows[i]!.hitRate }));
  const best = bestTrial(tried);
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  for (const e of c.events) {
    from = Math.min(from, e.timestamp);
    to = Math.max(to, e.timestamp);
  }
  return {
    halfLifeDays: best.halfLifeDays,
    weight: best.weight,
    shortTerm: best.shortTerm,
    trend: best.trend,
    calibration: {
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      k,
      purchases: rows[0]?.cases ?? 0,
      shoppers: new Set(c.events.map((e) => e.userId)).size,
      tried,
    },
  };
}
