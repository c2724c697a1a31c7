import { EVENT_TYPES, type EventType, QUANTITY_TYPES } from '../domain/event.ts';
import eventWeightsJson from './event-weights.json' with { type: 'json' };
import { type Csc, type Csr, csrFromTriplets, transpose } from './sparse.ts';

/** The slice of a shopper event that training needs; `timestamp` is epoch milliseconds or ISO 8601. */
export interface InteractionRecord {
  userId: string;
  itemId: string;
  type: EventType;
  /** Quantity for cart/purchase/return events, 1–5 for ratings. */
  value?: number;
  timestamp: number | string;
  /** The client's dedupe key: Firehose delivers at least once, so the same event can arrive twice. */
  eventId?: string;
  /** The basket a purchase belongs to (co-purchase.ts groups by it). */
  orderId?: string;
  /** A confidence set by training's own derivation instead of the type's (an exposure without a click). */
  weight?: number;
}

export type EventWeights = Record<EventType, number>;

/** The shape of `event-weights.json`, the one config both trainers (TypeScript and the Spark job) read. */
export interface EventWeightsConfig {
  /** Confidence per event type; "veto" removes the pair whatever else happened. */
  weights: Record<EventType, number | 'veto'>;
  /** A rating r contributes `weights.rating × (r − midpoint) / scale`. */
  rating: { midpoint: number; scale: number };
  /** The default quantity transform (see `InteractionOptions.quantity`). */
  quantity: 'ignore' | 'log';
  /** The default time decay of training confidences; null: none. */
  halfLifeDays: number | null;
  /** The half-life of recent popularity when a model does not name one. */
  recentPopularityHalfLifeDays: number;
  /** How long after a search a click, cart or purchase counts as the search's follow-up (weight `search`). */
  searchWindowMinutes: number;
  /** Confidence of an exposure without a click (shared/training/exposures.ts); absent: 0, not used. */
  exposureWithoutClick?: number;
  /** Content cosine from which a co-purchased item is a near-substitute (co-purchase.ts); absent: its default. */
  complementSubstituteSimilarity?: number;
}

export const EVENT_WEIGHTS_CONFIG: Readonly<EventWeightsConfig> = Object.freeze(
  eventWeightsJson as unknown as EventWeightsConfig,
);

function fromConfig(w: EventWeightsConfig['weights']): EventWeights {
  const out = {} as EventWeights;
  for (const type of EVENT_TYPES) {
    const v = w[type];
    if (v === undefined) throw new Error(`event-weights.json: no weight for event type "${type}"`);
    out[type] = v === 'veto' ? Number.NEGATIVE_INFINITY : v;
  }
  return out;
}

/**
 * Confidence per event type, from `event-weights.json`. Positive types add evidence of interest in proportion
 * to how committal they are. `remove_from_cart` and `return` subtract (a return cancels the purchase it
 * undoes, a removal most of the add); a pair whose summed confidence is not positive is dropped, so negatives
 * never become negative confidence. `not_interested` is -Infinity ("veto" in the JSON): it removes the pair
 * whatever else happened. A search event carries no item: `search` is the weight added to an item the shopper
 * clicked, carted or bought within `searchWindowMinutes` after a search (shared/training/search-interest.ts). A rating r in 1..5 contributes
 * `rating × (r − 2.5) / 2.5`: 5 stars is +rating, 1 star is −0.6 × rating.
 */
export const DEFAULT_EVENT_WEIGHTS: Readonly<EventWeights> = Object.freeze(
  fromConfig(EVENT_WEIGHTS_CONFIG.weights),
);

/**
 * What a rating means (`recsys train --ratings`). 'preference' (the default): a rating is a signed opinion,
 * `weights.rating × (r − midpoint) / scale`, so 1–2 stars are dislikes that cancel the pair. 'interactions':
 * every rated item is a positive interaction, `weights.rating × r / (midpoint + scale)` (5 stars = full
 * weight), as the usual implicit-feedback protocols on rating data count them.
 */
export type RatingsMeaning = 'interactions' | 'preference';
export const RATINGS_MEANINGS: readonly RatingsMeaning[] = ['interactions', 'preference'];

/** The confidence one rating event adds under `meaning`. */
export function ratingWeight(weight: number, value: number | undefined, meaning: RatingsMeaning): number {
  const { midpoint, scale } = EVENT_WEIGHTS_CONFIG.rating;
  const r = value ?? midpoint;
  return meaning === 'interactions'
    ? (weight * Math.max(0, r)) / (midpoint + scale)
    : (weight * (r - midpoint)) / scale;
}

export interface InteractionOptions {
  weights?: Partial<EventWeights>;
  /** What a rating means; default 'preference'. */
  ratings?: RatingsMeaning;
  /**
   * 'ignore': every event counts once; 'log': quantity types are scaled by 1 + ln(quantity).
   * Default: `quantity` of event-weights.json.
   */
  quantity?: 'ignore' | 'log';
  /** Older events count less: weight × 0.5^(age / halfLife). Default: `halfLifeDays` of event-weights.json (null: no decay). */
  halfLifeDays?: number;
  /** The reference time for decay, epoch ms; defaults to the newest event. */
  now?: number;
  /** Fix the id spaces (e.g. map a test period onto the training ids); records with unknown ids are skipped. */
  userIds?: readonly string[];
  itemIds?: readonly string[];
}

export interface Interactions {
  userIds: string[];
  itemIds: string[];
  userIndex: Map<string, number>;
  itemIndex: Map<string, number>;
  /** users × items, summed confidence per pair. */
  csr: Csr;
  /** The same matrix column-major (items × users as a CSR). */
  csc: Csc;
  /** Newest event time per item (epoch ms, NaN if none), for trending and recency filters. */
  itemLastSeen: Float64Array;
  stats: {
    records: number;
    duplicates: number;
    skipped: number;
    users: number;
    items: number;
    pairs: number;
  };
}

export function toEpochMs(t: number | string): number {
  return typeof t === 'number' ? t : Date.parse(t);
}

const DAY_MS = 86_400_000;

function indexOf(ids: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i < ids.length; i++) m.set(ids[i]!, i);
  return m;
}

/** Builds the user × item confidence matrix (CSR and CSC) with dense id maps from raw interaction records. */
export function buildInteractions(
  records: Iterable<InteractionRecord>,
  options: InteractionOptions = {},
): Interactions {
  const weights: EventWeights = { ...DEFAULT_EVENT_WEIGHTS, ...options.weights };
  const quantity = options.quantity ?? EVENT_WEIGHTS_CONFIG.quantity;
  const halfLifeDays = options.halfLifeDays ?? EVENT_WEIGHTS_CONFIG.halfLifeDays ?? undefined;
  const ratings = options.ratings ?? 'preference';
  const fixedUsers = options.userIds !== undefined;
  const fixedItems = options.itemIds !== undefined;
  const userIds = fixedUsers ? [...options.userIds!] : [];
  const itemIds = fixedItems ? [...options.itemIds!] : [];
  const userIndex = indexOf(userIds);
  const itemIndex = indexOf(itemIds);
  const seen = new Set<string>();
  let rows = new Int32Array(1024);
  let cols = new Int32Array(1024);
  let vals = new Float64Array(1024);
  let times = new Float64Array(1024);
  let count = 0;
  let total = 0;
  let duplicates = 0;
  let skipped = 0;
  let newest = Number.NEGATIVE_INFINITY;
  for (const r of records) {
    total++;
    if (r.eventId !== undefined) {
      if (seen.has(r.eventId)) {
        duplicates++;
        continue;
      }
      seen.add(r.eventId);
    }
    // A weight derived by training itself (an exposure without a click) takes no rating or quantity terms.
    let w = r.weight ?? weights[r.type];
    if (r.weight === undefined && r.type === 'rating') w = ratingWeight(w, r.value, ratings);
    else if (
      r.weight === undefined &&
      quantity === 'log' &&
      QUANTITY_TYPES.has(r.type) &&
      r.value !== undefined &&
      r.value > 1 &&
      w !== 0 &&
      Number.isFinite(w)
    ) {
      w *= 1 + Math.log(r.value);
    }
    if (w === 0 || Number.isNaN(w)) {
      skipped++;
      continue;
    }
    let u = userIndex.get(r.userId);
    if (u === undefined) {
      if (fixedUsers) {
        skipped++;
        continue;
      }
      u = userIds.length;
      userIds.push(r.userId);
      userIndex.set(r.userId, u);
    }
    let it = itemIndex.get(r.itemId);
    if (it === undefined) {
      if (fixedItems) {
        skipped++;
        continue;
      }
      it = itemIds.length;
      itemIds.push(r.itemId);
      itemIndex.set(r.itemId, it);
    }
    const t = toEpochMs(r.timestamp);
    if (t > newest) newest = t;
    if (count === rows.length) {
      const grow = count * 2;
      rows = growI(rows, grow);
      cols = growI(cols, grow);
      vals = growF(vals, grow);
      times = growF(times, grow);
    }
    rows[count] = u;
    cols[count] = it;
    vals[count] = w;
    times[count] = t;
    count++;
  }
  if (halfLifeDays !== undefined && halfLifeDays > 0) {
    const now = options.now ?? newest;
    const k = Math.LN2 / (halfLifeDays * DAY_MS);
    for (let t = 0; t < count; t++) vals[t]! *= Math.exp(-k * Math.max(0, now - times[t]!));
  }
  const itemLastSeen = new Float64Array(itemIds.length).fill(Number.NaN);
  for (let t = 0; t < count; t++) {
    const j = cols[t]!;
    const prev = itemLastSeen[j]!;
    if (!(prev >= times[t]!)) itemLastSeen[j] = times[t]!;
  }
  const csr = csrFromTriplets(userIds.length, itemIds.length, rows, cols, vals, count, true);
  const csc = transpose(csr);
  return {
    userIds,
    itemIds,
    userIndex,
    itemIndex,
    csr,
    csc,
    itemLastSeen,
    stats: {
      records: total,
      duplicates,
      skipped,
      users: userIds.length,
      items: itemIds.length,
      pairs: csr.indptr[csr.rows]!,
    },
  };
}

function growI(a: Int32Array<ArrayBuffer>, n: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(n);
  b.set(a);
  return b;
}

function growF(a: Float64Array<ArrayBuffer>, n: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(n);
  b.set(a);
  return b;
}
