import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseObjectKey } from '../../shared/adapters/local/lake-layout.ts';
import { listLakeObjects, readLakeObject } from '../../shared/adapters/local/lake-reader.ts';
import type { ClusterControl } from '../../shared/ports/cluster-control.ts';
import type { Crawler } from '../../shared/ports/crawler.ts';

async function writeJsonAtomically(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(3).toString('hex')}.tmp`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`);
  await rename(tmp, path);
}

/** The Glue crawler's local stand-in: lists the raw zone's partitions and summarises the schema of a sample. */
export interface CatalogSummary {
  crawledAt: string;
  table: string;
  partitions: { partition: string; objects: number }[];
  objects: number;
  /** Field → JSON types seen in the sampled records (what the crawler would put in the table schema). */
  schema: Record<string, string[]>;
  sampledRecords: number;
}

const SAMPLE = 1_000;

async function crawlLake(lakeRoot: string, catalogPath: string): Promise<CatalogSummary> {
  const keys = await listLakeObjects(lakeRoot, 'raw/events');
  const partitions = new Map<string, number>();
  for (const key of keys) {
    const p = parseObjectKey(key);
    const partition = key.slice(0, key.lastIndexOf('/'));
    if (p !== undefined) partitions.set(partition, (partitions.get(partition) ?? 0) + 1);
  }
  const schema = new Map<string, Set<string>>();
  let sampled = 0;
  // The newest objects: a new field shows up there first.
  for (const key of keys.slice(-3).reverse()) {
    for await (const record of readLakeObject(lakeRoot, key)) {
      if (typeof record === 'object' && record !== null)
        for (const [field, value] of Object.entries(record)) {
          const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
          const set = schema.get(field) ?? new Set<string>();
          set.add(type);
          schema.set(field, set);
        }
      if (++sampled >= SAMPLE) break;
    }
    if (sampled >= SAMPLE) break;
  }
  const summary: CatalogSummary = {
    crawledAt: new Date().toISOString(),
    table: 'events',
    partitions: [...partitions].map(([partition, objects]) => ({ partition, objects })),
    objects: keys.length,
    schema: Object.fromEntries(
      [...schema].sort(([a], [b]) => a.localeCompare(b)).map(([f, t]) => [f, [...t].sort()]),
    ),
    sampledRecords: sampled,
  };
  await writeJsonAtomically(catalogPath, summary);
  return summary;
}

/**
 * The Crawler port here: a crawl is the partition scan, done by the time start() resolves, so the crawler is
 * READY at once — or never, for tests of the state machine's crawler timeout.
 */
export function createLocalCrawler(options: {
  lakeRoot: string;
  catalogPath: string;
  neverReady?: boolean;
  onCrawled?: (summary: CatalogSummary) => void;
}): Crawler {
  let last: 'SUCCEEDED' | 'FAILED' | undefined;
  return {
    async start() {
      try {
        options.onCrawled?.(await crawlLake(options.lakeRoot, options.catalogPath));
        last = 'SUCCEEDED';
      } catch (error) {
        last = 'FAILED';
        throw error;
      }
      return true;
    },
    async status() {
      if (options.neverReady) return { state: 'RUNNING' };
      return { state: 'READY', ...(last !== undefined ? { lastCrawl: { status: last } } : {}) };
    },
  };
}

/** A local "cluster": what createCluster would have started, kept so tests (and people) can see it terminated. */
export interface LocalCluster {
  id: string;
  name: string;
  tags: Record<string, string>;
  /** The instance groups createCluster asked for (role and count), as the route's Pass state shaped them. */
  instanceGroups: { role: string; count: number }[];
  state: 'WAITING' | 'RUNNING' | 'TERMINATED';
  createdAt: string;
  terminatedAt?: string;
  steps: { name: string; state: 'RUNNING' | 'COMPLETED' | 'FAILED'; error?: string }[];
}

/** `<data-dir>/clusters.json`: the record of local clusters. One retrain at a time writes it. */
export function localClusters(path: string) {
  const read = async (): Promise<LocalCluster[]> =>
    JSON.parse(await readFile(path, 'utf8').catch(() => '[]')) as LocalCluster[];
  const update = async (id: string, change: (c: LocalCluster) => void) => {
    const all = await read();
    const c = all.find((x) => x.id === id);
    if (c === undefined)
      throw Object.assign(new Error(`cluster ${id} does not exist`), { name: 'EMR.InvalidRequestException' });
    change(c);
    await writeJsonAtomically(path, all);
    return c;
  };
  const control: ClusterControl & {
    list: typeof read;
    create(
      name: string,
      tags: Record<string, string>,
      instanceGroups: LocalCluster['instanceGroups'],
    ): Promise<LocalCluster>;
    update: typeof update;
  } = {
    list: read,
    async create(name, tags, instanceGroups) {
      const all = await read();
      const c: LocalCluster = {
        id: `j-${randomBytes(6).toString('hex').toUpperCase()}`,
        name,
        tags,
        instanceGroups,
        state: 'WAITING',
        createdAt: new Date().toISOString(),
        steps: [],
      };
      all.push(c);
      await writeJsonAtomically(path, all);
      return c;
    },
    update,
    async activeClustersTagged(key, value) {
      return (await read()).filter((c) => c.state !== 'TERMINATED' && c.tags[key] === value).map((c) => c.id);
    },
    async terminate(ids) {
      for (const id of ids)
        await update(id, (c) => {
          if (c.state !== 'TERMINATED') {
            c.state = 'TERMINATED';
            c.terminatedAt = new Date().toISOString();
          }
        });
    },
  };
  return control;
}

export { writeJsonAtomically };
