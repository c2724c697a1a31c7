import { access } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { listLakeObjects, readLakeObject } from '../../shared/adapters/local/lake-reader.ts';
import { artifactDirectory, createLocalModelStore } from '../../shared/adapters/local/model-store.ts';
import { decodeArtifact, type LoadedModel } from '../../shared/model/artifact-decode.ts';
import { createCatalogCollector } from '../../shared/training/events.ts';
import { dataDirLayout } from '../data-dir.ts';

export class ModelNotFoundError extends Error {}

export interface OpenedModel {
  dir: string;
  model: LoadedModel;
  /** With `latest`: the newer versions passed over because the registry has rejected them, newest first. */
  skipped: string[];
}

/**
 * Opens an artifact: a directory path, a version under `<data-dir>/models/`, or `latest`: the newest complete
 * version there that is not `rejected` (a version the quality gate or a person turned down is not "the latest
 * model" anyone means).
 */
export async function openModel(
  ref: string,
  dataDir: string,
  options: { rejected?: ReadonlySet<string> } = {},
): Promise<OpenedModel> {
  const modelsDir = dataDirLayout(dataDir).models;
  const store = createLocalModelStore({ root: modelsDir });
  let dir = resolve(ref);
  const skipped: string[] = [];
  if (ref === 'latest') {
    const versions = await store.list();
    if (versions.length === 0)
      throw new ModelNotFoundError(`no trained model under ${modelsDir} (run recsys train)`);
    const rejected = options.rejected ?? new Set<string>();
    const at = versions.findLastIndex((v) => !rejected.has(v));
    skipped.push(...versions.slice(at + 1).reverse());
    const usable = versions[at];
    if (usable === undefined)
      throw new ModelNotFoundError(
        `every model under ${modelsDir} is Rejected in the registry (${skipped.join(', ')}): train another or name one with --model`,
      );
    dir = store.location(usable);
  } else if (!(await present(join(dir, 'manifest.json')))) {
    if (await present(join(store.location(ref), 'manifest.json'))) dir = store.location(ref);
    else
      throw new ModelNotFoundError(
        `${ref}: not a model artifact (no manifest.json there, and no version of that name under ${modelsDir})`,
      );
  }
  const a = artifactDirectory(dir);
  return { dir, model: await decodeArtifact(a.read, { exists: a.exists }), skipped };
}

async function present(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Item titles from the lake's catalog zone (latest version per item); empty when there is none. */
export async function catalogTitles(dataDir: string): Promise<Map<string, string>> {
  const lake = dataDirLayout(dataDir).lake;
  const catalog = createCatalogCollector();
  for (const key of await listLakeObjects(lake, 'raw/items'))
    for await (const v of readLakeObject(lake, key)) catalog.add(v);
  return new Map(catalog.items().map((i) => [i.itemId, i.title]));
}
