import type { ContentItem } from '../model/content.ts';
import type { InteractionRecord } from '../model/interactions.ts';
import type { LakeZone } from '../ports/lake-description.ts';
import { createCatalogCollector, createEventCollector } from './events.ts';
import { createExposureCollector } from './exposures.ts';
import { TrainingInputError } from './pipeline.ts';
import { dropForgotten, readShoppers, type ShopperInput } from './shoppers-input.ts';

/** What a trainer reads: the interaction records, the manifest's `data` block, the catalog, warnings. */
export interface LoadedInteractions {
  records: InteractionRecord[];
  /** For the manifest's `data` block. */
  data: {
    source: string;
    events: number;
    duplicates: number;
    malformed: number;
    unknownTypes: number;
    skipped: number;
    skippedAnonymous?: number;
    skippedNoItem?: number;
    /** Interaction records added for items chosen after a search (search-interest.ts). */
    searchFollowUps?: number;
    /** Exposures without a click added as weak negatives, and the impression lists they came from. */
    exposures?: number;
    impressionLists?: number;
    /** Events of forgotten shoppers dropped (their tombstones in `raw/users/`). */
    forgotten?: number;
  };
  catalog?: ContentItem[];
  /** Profiles and tombstones of the users zone, when it was read. */
  shoppers?: ShopperInput;
  warnings: string[];
}

export type CountProgress = (label: string, done: number, total?: number) => void;

/**
 * Events (deduped, counted) and the catalog (latest updatedAt per item) from the lake's zones — the one
 * reading of the lake for every TypeScript trainer: `recsys train`, the local engine and the trainer run on
 * AWS (jobs/trainer) differ only in the LakeZone adapter. `describe` names the lake in the empty-lake error.
 */
export async function readLakeInteractions(
  zones: { events: LakeZone; items?: LakeZone; impressions?: LakeZone; users?: LakeZone; describe: string },
  onCount?: CountProgress,
): Promise<LoadedInteractions> {
  const keys = await zones.events.keys();
  const events = createEventCollector();
  let done = 0;
  for (const key of keys) {
    let n = 0;
    for await (const value of zones.events.read(key, (k, line) => {
      n++;
      events.addUnparsable(`${k} line ${line}`);
    })) {
      n++;
      events.add(value, `${key} record ${n}`);
    }
    onCount?.('reading events', ++done, keys.length);
  }
  const searchFollowUps = events.addSearchFollowUps();
  const catalog = createCatalogCollector();
  if (zones.items !== undefined)
    for (const key of await zones.items.keys())
      for await (const value of zones.items.read(key)) catalog.add(value);
  const c = events.counts;
  if (c.events === 0) {
    const where = zones.events.location.startsWith(zones.describe)
      ? zones.events.location.slice(zones.describe.length).replace(/^\/+/, '')
      : zones.events.location;
    throw new TrainingInputError(
      `the lake ${zones.describe} has no events under ${where} (import some: recsys import … / recsys ingest …)`,
    );
  }
  const items = catalog.items();
  // The right to be forgotten: shoppers with a tombstone lose their events up to it (shoppers-input.ts).
  const shoppers = zones.users !== undefined ? await readShoppers(zones.users) : undefined;
  const forgotten = shoppers !== undefined ? dropForgotten(events.records, shoppers.tombstones) : 0;
  // The served lists: exposures without a click join the records as weak negatives (shared/training/exposures.ts).
  const exposures = createExposureCollector();
  if (zones.impressions !== undefined)
    for (const key of await zones.impressions.keys())
      for await (const value of zones.impressions.read(key)) exposures.add(value);
  const negatives = exposures.records(events.records);
  for (const r of negatives) events.records.push(r);
  return {
    records: events.records,
    data: {
      source: zones.events.location.startsWith('s3://')
        ? zones.events.location
        : `lake:${zones.events.location}`,
      events: c.events,
      duplicates: c.duplicates,
      malformed: c.malformed,
      unknownTypes: c.unknownTypes,
      skipped: c.anonymous + c.noItem,
      skippedAnonymous: c.anonymous,
      skippedNoItem: c.noItem,
      searchFollowUps,
      ...(zones.impressions !== undefined
        ? { exposures: negatives.length, impressionLists: exposures.lists }
        : {}),
      ...(shoppers !== undefined ? { forgotten } : {}),
    },
    ...(items.length > 0 ? { catalog: items } : {}),
    ...(shoppers !== undefined ? { shoppers } : {}),
    warnings: events.malformedSamples,
  };
}
