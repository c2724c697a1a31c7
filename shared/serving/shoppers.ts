import type { Item } from '../domain/item.ts';
import type { Preferences, UserProfile } from '../domain/user.ts';
import { interestReason, judgeItem, segmentsOf } from '../domain/user-segments.ts';
import type { UserStore } from '../ports/user-store.ts';
import type { CatalogCache } from './catalog-cache.ts';
import type { Anchor } from './explanations.ts';
import type { ServingModel } from './model-cache.ts';
import type { Ranked } from './scoring.ts';
import { offerScored, plainSelection, Selection, type SelectionFactory } from './selection.ts';
import type { Filters } from './types.ts';

/**
 * Serving's use of what shoppers told us (issue 16): stated preferences as filters (price range, disliked
 * categories and brands — a dislike works like not_interested), as a boost of liked categories and brands with
 * their reason, and the cold start of a shopper without history: popular items of the liked categories, then what
 * is popular with similar shoppers (the artifact's segments.json, shared/training/shopper-segments.ts).
 */

/** The segments file of one model version: segment key → [itemId, score], best first. */
export type SegmentFile = { segments: Record<string, [string, number][]> } | undefined;

export interface ShopperContext {
  preferences?: Preferences;
  /** When the shopper was last forgotten: a model trained before then must not serve from the shopper's row. */
  forgottenAt?: string;
  /** The lists of the segments the shopper belongs to in the served version, most specific first. */
  segments: { reason: string; items: readonly [string, number][] }[];
}

export interface ShopperSource {
  get(userId: string, modelVersion: string): Promise<ShopperContext | undefined>;
}

/** Profiles and preferences per request; each version's segments file read once. */
export function createShopperSource(options: {
  users: Pick<UserStore, 'getShopper'>;
  segments: (modelVersion: string) => Promise<SegmentFile>;
}): ShopperSource {
  const files = new Map<string, Promise<SegmentFile>>();
  const segmentFile = (version: string) => {
    let file = files.get(version);
    if (file === undefined) {
      file = options.segments(version).catch(() => undefined);
      files.set(version, file);
      // Versions come and go: keep the few that serve (champion, challenger, the one before).
      if (files.size > 4) files.delete(files.keys().next().value as string);
    }
    return file;
  };
  return {
    async get(userId, modelVersion) {
      const { profile, preferences, forgottenAt } = await options.users.getShopper(userId);
      if (profile === undefined && preferences === undefined && forgottenAt === undefined) return undefined;
      return {
        ...(preferences !== undefined ? { preferences } : {}),
        ...(forgottenAt !== undefined ? { forgottenAt } : {}),
        segments: profile === undefined ? [] : segmentsFor(profile, await segmentFile(modelVersion)),
      };
    },
  };
}

function segmentsFor(profile: UserProfile, file: SegmentFile): ShopperContext['segments'] {
  if (file === undefined) return [];
  const out: ShopperContext['segments'] = [];
  for (const s of segmentsOf(profile)) {
    const items = file.segments[s.key];
    if (items !== undefined && items.length > 0) out.push({ reason: s.reason, items });
  }
  return out;
}

/** The shopper's context, or undefined without a source, a user or anything stated; never fails the request. */
export function shopperContext(
  source: ShopperSource | undefined,
  userId: string | undefined,
  modelVersion: string,
  report: (message: string, error: unknown) => void,
): Promise<ShopperContext | undefined> {
  if (source === undefined || userId === undefined) return Promise.resolve(undefined);
  return source.get(userId, modelVersion).catch((error: unknown) => {
    report('the shopper’s profile and preferences could not be read; serving without them', error);
    return undefined;
  });
}

/** A Selection that also applies the shopper's stated preferences, to every source (ranked, cold start, backfill). */
class PreferenceSelection extends Selection {
  private readonly prefs: Preferences;
  /** While set, only items of a liked category or brand are taken (the cold start's first source). */
  likedOnly = false;
  constructor(k: number, filters: Filters, excluded: { has(itemId: string): boolean }, prefs: Preferences) {
    super(k, filters, excluded);
    this.prefs = prefs;
  }
  override offer(
    c: Parameters<Selection['offer']>[0],
    item: Item | undefined,
    reason: string | (() => string),
    screened = false,
  ): void {
    const judged = judgeItem(this.prefs, item);
    if (judged.disliked) return;
    const liked = judged.liked;
    if (liked === undefined && this.likedOnly) return;
    super.offer(c, item, liked !== undefined ? interestReason(liked) : reason, screened);
  }
}

/** The request's filters narrowed by the stated price range (both apply: the narrower bound wins). */
function withPriceRange(filters: Filters, prefs: Preferences | undefined): Filters {
  const range = prefs?.priceRange;
  if (range === undefined) return filters;
  const out = { ...filters };
  if (range.min !== undefined) out.minPrice = Math.max(out.minPrice ?? range.min, range.min);
  if (range.max !== undefined) out.maxPrice = Math.min(out.maxPrice ?? range.max, range.max);
  return out;
}

/** The request's selection: a plain one, or one that applies the shopper's preferences. */
export function shopperSelection(
  k: number,
  filters: Filters,
  excluded: { has(itemId: string): boolean },
  shopper: ShopperContext | undefined,
): Selection {
  const prefs = shopper?.preferences;
  return prefs === undefined
    ? new Selection(k, filters, excluded)
    : new PreferenceSelection(k, withPriceRange(filters, prefs), excluded, prefs);
}

/** How far a liked item moves up: this share of the spread of the ranked scores. */
const LIKED_BOOST = 0.25;

/**
 * The ranked candidates with items of a liked category or brand boosted (a stable re-sort; new candidate
 * objects, since ranked ones may be cached by the published-lists ranking).
 */
export async function preferLiked(
  catalog: CatalogCache,
  ranked: Ranked[],
  explained: (Anchor | undefined)[],
  shopper: ShopperContext | undefined,
): Promise<[Ranked[], (Anchor | undefined)[]]> {
  const prefs = shopper?.preferences;
  if (prefs === undefined || ranked.length === 0) return [ranked, explained];
  if ((prefs.likedCategories?.length ?? 0) + (prefs.likedBrands?.length ?? 0) === 0)
    return [ranked, explained];
  const items = await catalog.getMany(ranked.map((r) => r.itemId));
  let hi = Number.NEGATIVE_INFINITY;
  let lo = Number.POSITIVE_INFINITY;
  for (const r of ranked) {
    hi = Math.max(hi, r.score);
    lo = Math.min(lo, r.score);
  }
  const boost = LIKED_BOOST * (hi > lo ? hi - lo : Math.abs(hi) || 1);
  const order = ranked.map((r, p) => {
    const judged = judgeItem(prefs, items.get(r.itemId));
    const liked = !judged.disliked && judged.liked !== undefined;
    return {
      r: liked ? { index: r.index, itemId: r.itemId, score: r.score + boost } : r,
      a: explained[p],
      p,
    };
  });
  order.sort((x, y) => y.r.score - x.r.score || x.p - y.p);
  return [order.map((o) => o.r), order.map((o) => o.a)];
}

/** Candidates the liked-only pass looks through: the head of the popularity order. */
const LIKED_POOL = 1_000;

/**
 * The cold start of a shopper the model has no history of: popular items of the liked categories and brands,
 * then the lists of the shopper's segments with their reasons ("popular with shoppers in United Kingdom");
 * the backfill (trending, popular) follows. Scores fall with the position across sources.
 */
export async function offerColdStart(
  catalog: CatalogCache,
  selection: Selection,
  model: ServingModel,
  shopper: ShopperContext | undefined,
): Promise<void> {
  if (shopper === undefined) return;
  let position = 0;
  const rescored = (list: readonly [string, number][]) =>
    list.map(([itemId]): [string, number] => [itemId, 0.99 ** ++position]);
  if (selection instanceof PreferenceSelection) {
    const { itemIds } = model.model;
    const head = Array.from(model.popularOrder.subarray(0, LIKED_POOL), (j): [string, number] => [
      itemIds[j]!,
      0,
    ]);
    selection.likedOnly = true;
    try {
      await offerScored(catalog, selection, rescored(head), 'popular');
    } finally {
      selection.likedOnly = false;
    }
  }
  for (const s of shopper.segments) {
    if (selection.full) return;
    await offerScored(catalog, selection, rescored(s.items), s.reason);
  }
}

/** Epoch ms of a model version's training start (`YYYYMMDDTHHMMSSZ-<hex>`), NaN for another shape. */
function trainingStart(version: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/.exec(version);
  return m === null ? Number.NaN : Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
}

/**
 * The shopper's row in the model, unless the shopper was forgotten after the model began training: that row is
 * the forgotten history, and serving must not use it until the retrain the tombstone asked for.
 */
export function modelRow(
  model: ServingModel,
  userId: string | undefined,
  shopper: ShopperContext | undefined,
): number | undefined {
  if (userId === undefined) return undefined;
  const row = model.model.userIndex.get(userId);
  if (row === undefined || shopper?.forgottenAt === undefined) return row;
  return trainingStart(model.version) > Date.parse(shopper.forgottenAt) ? row : undefined;
}

/**
 * The selection of a list that is not the shopper's own (similar items, trending) shown to a signed-in shopper:
 * his stated preferences apply as they do to his recommendations — disliked categories and brands left out, his
 * price range, liked ones labelled so. Without a user, a model or anything stated: the plain selection.
 */
export async function listSelection(
  source: ShopperSource | undefined,
  userId: string | undefined,
  model: { version: string } | undefined,
  report: (message: string, error: unknown) => void,
): Promise<SelectionFactory> {
  if (userId === undefined || model === undefined) return plainSelection;
  const shopper = await shopperContext(source, userId, model.version, report);
  return shopper?.preferences === undefined
    ? plainSelection
    : (k, filters, excluded) => shopperSelection(k, filters, excluded, shopper);
}
