import type { Item } from './item.ts';
import type { Preferences, UserProfile } from './user.ts';

/**
 * Similar shoppers, for the cold start: shoppers sharing a country and age band, a country, a region or an age
 * band. Gender and occupation are kept on the profile but form no segment: targeting by them is the kind of
 * personalisation a shop has to justify, and the seeds' cold start needs neither.
 */
export interface Segment {
  /** `country=United Kingdom`, `country=United Kingdom&ageBand=25-34`: the key in the artifact's segments.json. */
  key: string;
  /** Shown to the shopper: "popular with shoppers in United Kingdom". */
  reason: string;
}

/** The segments a profile belongs to, most specific first. */
export function segmentsOf(profile: Pick<UserProfile, 'country' | 'region' | 'ageBand'>): Segment[] {
  const { country, region, ageBand } = profile;
  const out: Segment[] = [];
  if (country !== undefined && ageBand !== undefined)
    out.push({
      key: `country=${country}&ageBand=${ageBand}`,
      reason: `popular with shoppers in ${country} aged ${ageBand}`,
    });
  if (country !== undefined)
    out.push({ key: `country=${country}`, reason: `popular with shoppers in ${country}` });
  if (region !== undefined)
    out.push({ key: `region=${region}`, reason: `popular with shoppers in ${region}` });
  if (ageBand !== undefined)
    out.push({ key: `ageBand=${ageBand}`, reason: `popular with shoppers aged ${ageBand}` });
  return out;
}

const has = (list: readonly string[] | undefined, value: string | undefined) => {
  if (list === undefined || value === undefined) return undefined;
  const wanted = value.toLowerCase();
  return list.find((v) => v.toLowerCase() === wanted);
};

/**
 * How stated preferences judge one catalog item: `disliked` (any of its categories or its brand is disliked —
 * it is then treated like not_interested), else the liked category or brand it matches (for the boost and the
 * reason), else nothing. Names compare case-insensitively, as the category filter does.
 */
export function judgeItem(
  prefs: Pick<Preferences, 'likedCategories' | 'dislikedCategories' | 'likedBrands' | 'dislikedBrands'>,
  item: Pick<Item, 'categories' | 'brand'> | undefined,
): { disliked: true } | { disliked: false; liked?: string } {
  if (item === undefined) return { disliked: false };
  for (const c of item.categories ?? [])
    if (has(prefs.dislikedCategories, c) !== undefined) return { disliked: true };
  if (has(prefs.dislikedBrands, item.brand) !== undefined) return { disliked: true };
  // The most specific liked category first (categories run from the root to the leaf).
  const cats = item.categories ?? [];
  for (let i = cats.length - 1; i >= 0; i--) {
    const liked = has(prefs.likedCategories, cats[i]);
    if (liked !== undefined) return { disliked: false, liked: cats[i]! };
  }
  if (has(prefs.likedBrands, item.brand) !== undefined) return { disliked: false, liked: item.brand! };
  return { disliked: false };
}

export const interestReason = (what: string) => `matches your interest in ${what}`;
