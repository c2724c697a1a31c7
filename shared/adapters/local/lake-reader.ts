import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
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
export async function* readLakeObject(
  root: string,
  key: string,
  onBadLine?: (key: string, line: number, text: string) => void,
): AsyncGenerator<unknown> {
  const lines = createInterface({
    input: createReadStream(join(root, key)).pipe(createGunzip()),
    crlfDelay: Infinity,
  });
  let n = 0;
  for await (const text of lines) {
    n++;
    if (text === '') continue;
    try {
      yield JSON.parse(text);
    } catch {
      onBadLine?.(key, n, text);
    }
  }
}

export async function* readLakeZone(root: string, zonePrefix: string): AsyncGenerator<unknown> {
  for (const key of await listLakeObjects(root, zonePrefix)) yield* readLakeObject(root, key);
}
