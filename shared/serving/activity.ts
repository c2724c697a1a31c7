import type { ActivityEntry } from '../ports/serving-store.ts';
import { exclusionBit, type MarkedActivity } from './exclusions.ts';
import { isCanonicalIso, type ServingModel } from './model-cache.ts';

/** Recent events read per request: enough to fold in a browsing session, cheap to read. */
export const ACTIVITY_READ = 50;

/**
 * What a request needs of a shopper's recent activity, in one model's index space: the entries after trainedAt,
 * and the item indices the entries can exclude with the exclusion kind of each (ids the model does not know
 * cannot be in its ranked list and are left to RequestExclusions.has).
 */
interface ActivityDigest extends MarkedActivity {
  model: ServingModel;
  entries: readonly ActivityEntry[];
  fresh: readonly ActivityEntry[];
}

/**
 * Digests kept on the first entry object and reused while a read hands back the very same entry objects in the
 * same order (the local store's read cache does until the shopper's next event, which makes new ones): pointer
 * comparisons instead of reading every entry, its timestamp and its item id again. A store that makes new
 * objects on every read (DynamoDB) simply gets a new digest every time.
 */
const digests = new WeakMap<ActivityEntry, ActivityDigest>();
const EMPTY_PARTS = { fresh: [], marked: new Int32Array(0), markedKinds: new Uint8Array(0) };

/** Date.parse(timestamp) > model.trainedAt, comparing strings when both are in toISOString's form. */
function isFresh(model: ServingModel, timestamp: string): boolean {
  const iso = model.trainedAtIso;
  if (iso !== undefined && isCanonicalIso(timestamp)) return timestamp > iso;
  return Date.parse(timestamp) > model.trainedAt;
}

export function activityDigest(model: ServingModel, activity: readonly ActivityEntry[]): ActivityDigest {
  const first = activity[0];
  if (first === undefined) return { model, entries: activity, ...EMPTY_PARTS };
  const hit = digests.get(first);
  if (hit !== undefined && hit.model === model && hit.entries.length === activity.length) {
    let same = true;
    for (let i = 1; i < activity.length && same; i++) same = hit.entries[i] === activity[i];
    if (same) return hit;
  }
  const { itemIndex } = model.model;
  const fresh: ActivityEntry[] = [];
  const marked: number[] = [];
  const markedKinds: number[] = [];
  for (const e of activity) {
    if (isFresh(model, e.timestamp)) fresh.push(e);
    if (e.itemId === undefined) continue;
    const kind = exclusionBit(e.type);
    if (kind === 0) continue;
    const j = itemIndex.get(e.itemId);
    if (j === undefined) continue;
    marked.push(j);
    markedKinds.push(kind);
  }
  const digest: ActivityDigest = {
    model,
    entries: activity,
    fresh,
    marked: Int32Array.from(marked),
    markedKinds: Uint8Array.from(markedKinds),
  };
  digests.set(first, digest);
  return digest;
}
