import type { InteractionRecord } from '../model/interactions.ts';
import { SEGMENTS_FILE, segmentLists } from './shopper-segments.ts';
import type { ShopperInput } from './shoppers-input.ts';

/** The artifact files the lake's profiles add: `segments.json` (docs/model-artifact.md), when any segment is big enough. */
export function shopperFiles(
  records: readonly InteractionRecord[],
  shoppers: ShopperInput,
  log: (message: string) => void,
): Map<string, string> {
  const files = new Map<string, string>();
  if (shoppers.profiles.size === 0) return files;
  const lists = segmentLists(records, shoppers.profiles);
  const n = Object.keys(lists.segments).length;
  log(`cold start: ${n} segments of similar shoppers from ${shoppers.profiles.size} profiles`);
  if (n > 0) files.set(SEGMENTS_FILE, `${JSON.stringify({ version: 1, ...lists })}\n`);
  return files;
}
