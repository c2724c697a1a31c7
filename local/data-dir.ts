import { join, resolve } from 'node:path';

/**
 * Where everything lives under one local data directory (RECSYS_DATA_DIR, default `.data`). Every path into it is
 * named here and nowhere else, so moving a file is a change of one line.
 */
interface DataDirLayout {
  /** The data directory itself, absolute. */
  root: string;
  /** The filesystem lake, laid out as Firehose lays out S3 (`raw/events/…`, `raw/items/…`). */
  lake: string;
  /** The embedded serving store: catalog, activity, published lists, deployment record, feedback. */
  servingDb: string;
  /** The model store: `<models>/<version>/` artifact directories. */
  models: string;
  /** One JSON record per local state machine execution. */
  runs: string;
  /** The file-backed model registry (SageMaker's fields). */
  registry: string;
  /** The local API key generated on first start. */
  apiKey: string;
  /** Which process owns the directory (one writer at a time). */
  lock: string;
  /** The local crawler's table (Glue's Data Catalog stand-in). */
  crawlerCatalog: string;
  /** The local "EMR clusters" of the retrain state machine. */
  clusters: string;
  /** Written once the demo shop has been imported (`npm start`). */
  demoMarker: string;
}

export function dataDirLayout(dataDir: string): DataDirLayout {
  const root = resolve(dataDir);
  return {
    root,
    lake: join(root, 'lake'),
    servingDb: join(root, 'serving.db'),
    models: join(root, 'models'),
    runs: join(root, 'runs'),
    registry: join(root, 'registry'),
    apiKey: join(root, 'api-key'),
    lock: join(root, 'LOCK'),
    crawlerCatalog: join(root, 'catalog', 'events.json'),
    clusters: join(root, 'clusters.json'),
    demoMarker: join(root, 'demo-imported.json'),
  };
}

/** The data directory a command works on: its flag, else RECSYS_DATA_DIR, else `.data`. */
export function resolveDataDir(flag?: string): string {
  return resolve(flag ?? process.env.RECSYS_DATA_DIR ?? '.data');
}
