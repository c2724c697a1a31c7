import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { DescribeLake, LakeZone } from '../../ports/lake-description.ts';
import { gzipJsonLines } from '../lake-lines.ts';
import { parseObjectKey } from './lake-layout.ts';

/** Object keys (relative to the lake root, `/`-separated) of the complete objects under a zone, in key order. */
export async function listLakeObjects(root: string, zonePrefix: string): Promise<string[]> {
  const base = join(root, zonePrefix);
  let entries: string[];
  try {
    entries = await readdir(base, { recursive: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.endsWith('.gz'))
    .map((e) => relative(root, join(base, e)).split(sep).join('/'))
    .filter((key) => parseObjectKey(key) !== undefined)
    .sort();
}

/** Streams the JSON lines of one object. Lines that are not JSON are reported through `onBadLine`, not thrown. */
export function readLakeObject(
  root: string,
  key: string,
  onBadLine?: (key: string, line: number, text: string) => void,
): AsyncGenerator<unknown> {
  return gzipJsonLines(createReadStream(join(root, key)), key, onBadLine);
}

/** A zone of the local lake as the trainers read it (the LakeZone port). */
export function localLakeZone(root: string, zonePrefix: string): LakeZone {
  return {
    location: `${root}/${zonePrefix}`,
    keys: () => listLakeObjects(root, zonePrefix),
    read: (key, onBadLine) => readLakeObject(root, key, onBadLine),
  };
}

export async function* readLakeZone(root: string, zonePrefix: string): AsyncGenerator<unknown> {
  for (const key of await listLakeObjects(root, zonePrefix)) yield* readLakeObject(root, key);
}

/**
 * The DescribeLake port over the local lake: the raw events zone's newest object, object count and bytes. The
 * count includes the users zone's objects: a tombstone must change the fingerprint, so that forgetting a shopper
 * makes the next retrain run even when no event came (issue 16).
 */
export function describeLocalLake(root: string): DescribeLake {
  return async () => {
    const keys = await listLakeObjects(root, 'raw/events');
    const newestKey = keys.at(-1);
    if (newestKey === undefined) return undefined;
    let bytes = 0;
    for (const key of keys) bytes += (await stat(join(root, key))).size;
    const users = await listLakeObjects(root, 'raw/users');
    return { newestKey, objects: keys.length + users.length, bytes };
  };
}
