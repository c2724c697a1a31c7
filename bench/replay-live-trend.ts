import type { EventType } from '../shared/domain/event.ts';
import { DEFAULT_EVENT_WEIGHTS } from '../shared/model/interactions.ts';
import type { ServingModel } from '../shared/serving/model-cache.ts';

/**
 * Live item counts for the replay: every replayed event's type weight per item, decayed by its age with a
 * half-life (one decayed sum per half-life a recommender asks for, brought forward lazily). It stands in for the
 * live trending counters of issue 16.7, which are updated on ingest the same way; the recommender reads either
 * through its `liveTrend` dependency.
 */

const DAY_MS = 86_400_000;

interface Decayed {
  halfLifeMs: number;
  score: Map<string, number>;
  /** When each item's score was last brought forward. */
  at: Map<string, number>;
}

export class LiveCounts {
  private readonly sums = new Map<number, Decayed>();
  /** Every event counted so far, for a half-life asked for after they came. */
  private readonly log: { itemId: string; weight: number; t: number }[] = [];
  /** The newest event counted. */
  private latest = Number.NEGATIVE_INFINITY;
  private last: { model: ServingModel; now: number; halfLifeDays: number; vector: Float32Array } | undefined;

  /** Counts (weight > 0) or un-counts (weight < 0) one event of `type` on `itemId` at `t`. */
  add(itemId: string, type: EventType, t: number, sign: 1 | -1 = 1): void {
    // A search's weight is training's bonus for the items chosen after it (search-interest.ts), not a count.
    const w = type === 'search' ? 0 : DEFAULT_EVENT_WEIGHTS[type];
    if (typeof w !== 'number' || !(w > 0)) return;
    this.log.push({ itemId, weight: sign * w, t });
    if (t > this.latest) this.latest = t;
    for (const d of this.sums.values()) bump(d, itemId, sign * w, t);
    this.last = undefined;
  }

  /** The decayed counts at `now` by `model`'s item index (the same array while nothing changed). */
  vector(model: ServingModel, now: number, halfLifeDays: number): Float32Array {
    const l = this.last;
    if (l !== undefined && l.model === model && l.now === now && l.halfLifeDays === halfLifeDays)
      return l.vector;
    const { itemIds, itemIndex } = model.model;
    const vector = new Float32Array(itemIds.length);
    this.last = { model, now, halfLifeDays, vector };
    if (this.latest > now) {
      // Asked at an earlier time than events already counted (the session replay runs after the shoppers'):
      // only what had happened by `now` counts.
      const halfLifeMs = halfLifeDays * DAY_MS;
      for (const e of this.log) {
        const j = itemIndex.get(e.itemId);
        if (j !== undefined && e.t <= now) vector[j]! += e.weight * 0.5 ** ((now - e.t) / halfLifeMs);
      }
      return vector;
    }
    const d = this.decayed(halfLifeDays);
    for (let j = 0; j < itemIds.length; j++) {
      const s = d.score.get(itemIds[j]!);
      if (s !== undefined) vector[j] = s * 0.5 ** ((now - d.at.get(itemIds[j]!)!) / d.halfLifeMs);
    }
    return vector;
  }

  private decayed(halfLifeDays: number): Decayed {
    let d = this.sums.get(halfLifeDays);
    if (d === undefined) {
      d = { halfLifeMs: halfLifeDays * DAY_MS, score: new Map(), at: new Map() };
      for (const e of this.log) bump(d, e.itemId, e.weight, e.t);
      this.sums.set(halfLifeDays, d);
    }
    return d;
  }
}

/** Adds `w` at `t` to the item's decayed score, kept as of the later of its last update and `t`. */
function bump(d: Decayed, itemId: string, w: number, t: number): void {
  const s = d.score.get(itemId) ?? 0;
  const at = d.at.get(itemId) ?? t;
  const to = Math.max(at, t);
  d.score.set(itemId, s * 0.5 ** ((to - at) / d.halfLifeMs) + w * 0.5 ** ((to - t) / d.halfLifeMs));
  d.at.set(itemId, to);
}
