import type { InteractionRecord } from '../model/interactions.ts';
import { toEpochMs } from '../model/interactions.ts';
import type { LakeZone } from '../ports/lake-description.ts';

/** A profile as training reads it from the lake: only what forms segments (shared/domain/user-segments.ts). */
export interface ShopperProfile {
  userId: string;
  country?: string;
  region?: string;
  ageBand?: string;
}

/** What the lake's `raw/users/` zone says, as of its last line: the newest profile and the forgotten shoppers. */
export interface ShopperInput {
  profiles: Map<string, ShopperProfile>;
  /** userId → epoch ms of the latest tombstone. */
  tombstones: Map<string, number>;
}

const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * Profiles (newest `updatedAt` per shopper) and tombstones from the users zone. A profile written before the
 * shopper's latest tombstone is gone with it; one written after is a shopper who came back. Bad lines are
 * skipped, never fatal, as bad event lines are.
 */
export async function readShoppers(zone: LakeZone): Promise<ShopperInput> {
  const latest = new Map<string, { at: number; profile: ShopperProfile }>();
  const tombstones = new Map<string, number>();
  for (const key of await zone.keys())
    for await (const value of zone.read(key)) {
      if (typeof value !== 'object' || value === null) continue;
      const v = value as Record<string, unknown>;
      const userId = text(v.userId);
      if (userId === undefined) continue;
      if (v.tombstone === true) {
        const at = Date.parse(String(v.forgottenAt));
        if (Number.isFinite(at) && !(at <= (tombstones.get(userId) ?? Number.NEGATIVE_INFINITY)))
          tombstones.set(userId, at);
        continue;
      }
      const at = Date.parse(String(v.updatedAt));
      const prev = latest.get(userId);
      if (!Number.isFinite(at) || (prev !== undefined && at <= prev.at)) continue;
      const profile: ShopperProfile = { userId };
      for (const f of ['country', 'region', 'ageBand'] as const) {
        const value = text(v[f]);
        if (value !== undefined) profile[f] = value;
      }
      latest.set(userId, { at, profile });
    }
  const profiles = new Map<string, ShopperProfile>();
  for (const [userId, { at, profile }] of latest)
    if (!(at <= (tombstones.get(userId) ?? Number.NEGATIVE_INFINITY))) profiles.set(userId, profile);
  return { profiles, tombstones };
}

/**
 * Drops, in place, every record of a forgotten shopper up to the tombstone (by the event's own time): what the
 * right to be forgotten asks of the next retrain. Returns how many were dropped.
 */
export function dropForgotten(records: InteractionRecord[], tombstones: ReadonlyMap<string, number>): number {
  if (tombstones.size === 0) return 0;
  let kept = 0;
  for (const r of records) {
    const at = tombstones.get(r.userId);
    if (at !== undefined && toEpochMs(r.timestamp) <= at) continue;
    records[kept++] = r;
  }
  const dropped = records.length - kept;
  records.length = kept;
  return dropped;
}
