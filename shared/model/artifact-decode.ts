import {
  ARTIFACT_SCHEMA_VERSION,
  type ArtifactManifest,
  type HoldoutLine,
  type RecommendationLine,
} from './artifact.ts';
import type { EaseModel } from './ease.ts';
import type { IalsModel } from './ials.ts';
import { emptyNeighbours, type Neighbours } from './neighbours.ts';
import { TRENDING_WINDOWS, type TrendingWindow } from './popularity.ts';
import { parseRanker, type RankerModel } from './ranker.ts';
import type { Scorer } from './scorer.ts';
import type { Csr } from './sparse.ts';
import { modelScorer, SERVING_NEIGHBOURS, type TrainedModel } from './trained-model.ts';

/**
 * Reading a model artifact (docs/model-artifact.md) back: the named files → a LoadedModel with id → index maps, and
 * the scorer serving, the CLI and the quality gate use. Pure, like the encoding in artifact.ts: a model store adapter
 * hands over the bytes.
 */

export class ArtifactError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ArtifactError';
  }
}

/** What serving, the CLI and the quality gate read: the artifact in memory, with id → index maps. */
export interface LoadedModel {
  manifest: ArtifactManifest;
  userIds: string[];
  itemIds: string[];
  userIndex: Map<string, number>;
  itemIndex: Map<string, number>;
  history: Csr;
  popularity: Float32Array;
  recentPopularity?: Float32Array;
  trending: { asOf: string; windows: Record<string, [string, number][]> };
  neighbours: Neighbours;
  contentNeighbours?: Neighbours;
  knn?: Neighbours;
  /** users × rank and items × rank, when the model has factors. */
  factors?: { rank: number; user: Float32Array; item: Float32Array };
  /** items × items, when the model is or contains EASE. */
  ease?: Float32Array;
  /** The learned second stage, when the trainer kept one (`ranker.json`). */
  ranker?: RankerModel;
  /** Complements from co-purchase ("bought together", `complements.jsonl`), scored ln(shrunk lift). */
  complements?: Neighbours;
}

export type ReadArtifactFile = (name: string) => Promise<Uint8Array>;

const decoder = new TextDecoder('utf-8', { fatal: true });

function text(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

function lines(s: string): string[] {
  if (s === '') return [];
  const out = s.split('\n');
  if (out.at(-1) === '') out.pop();
  return out;
}

/** A typed view on little-endian bytes; copies when the bytes are not 4-byte aligned. */
function typed<T extends Int32Array | Float32Array>(
  ctor: { new (b: ArrayBuffer, o: number, l: number): T; new (n: number): T },
  bytes: Uint8Array,
  expected: number,
  name: string,
): T {
  if (bytes.byteLength !== expected * 4)
    throw new ArtifactError(
      `${name} has ${bytes.byteLength} bytes, the manifest's shapes say ${expected * 4}`,
    );
  if (bytes.byteOffset % 4 === 0) return new ctor(bytes.buffer as ArrayBuffer, bytes.byteOffset, expected);
  const copy = new ctor(expected);
  new Uint8Array(copy.buffer).set(bytes);
  return copy;
}

function parseNeighbours(
  s: string,
  itemIndex: ReadonlyMap<string, number>,
  k: number,
  name: string,
): Neighbours {
  const nb = emptyNeighbours(itemIndex.size, k);
  let n = 0;
  for (const line of lines(s)) {
    n++;
    let row: { itemId: string; neighbours: [string, number][] };
    try {
      row = JSON.parse(line);
    } catch (error) {
      throw new ArtifactError(`${name} line ${n} is not JSON`, { cause: error });
    }
    const i = itemIndex.get(row.itemId);
    if (i === undefined) throw new ArtifactError(`${name} line ${n}: unknown item ${row.itemId}`);
    const list = row.neighbours.slice(0, k);
    for (let t = 0; t < list.length; t++) {
      const j = itemIndex.get(list[t]![0]);
      if (j === undefined) throw new ArtifactError(`${name} line ${n}: unknown neighbour ${list[t]![0]}`);
      nb.indices[i * k + t] = j;
      nb.scores[i * k + t] = list[t]![1];
    }
  }
  return nb;
}

function indexOf(ids: readonly string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i < ids.length; i++) m.set(ids[i]!, i);
  return m;
}

/**
 * Reads an artifact through `read` (a file name → bytes function the store provides): refuses unknown schema
 * versions and, given `exists`, artifacts with missing files. The precomputed and holdout lists are not loaded here — they
 * can be large; stream them with `readJsonLineParts`.
 */
export async function decodeArtifact(
  read: ReadArtifactFile,
  options: { exists?: (name: string) => Promise<boolean> } = {},
): Promise<LoadedModel> {
  let manifest: ArtifactManifest;
  try {
    manifest = JSON.parse(text(await read('manifest.json')));
  } catch (error) {
    throw new ArtifactError(`cannot read manifest.json: ${(error as Error).message}`, { cause: error });
  }
  if (manifest.schemaVersion !== ARTIFACT_SCHEMA_VERSION)
    throw new ArtifactError(
      `schemaVersion ${String(manifest.schemaVersion)} is not supported (this reader knows ${ARTIFACT_SCHEMA_VERSION})`,
    );
  const files = new Set(manifest.files);
  const get = async (name: string): Promise<Uint8Array> => {
    if (!files.has(name)) throw new ArtifactError(`${name} is not listed in manifest.files`);
    try {
      return await read(name);
    } catch (error) {
      throw new ArtifactError(
        `${name} is listed in the manifest but cannot be read: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  };
  const optional = async (name: string) => (files.has(name) ? get(name) : undefined);
  // Every listed file must be present, also those this reader does not load (the format's promise).
  if (options.exists !== undefined) {
    const exists = options.exists;
    const missing = (
      await Promise.all(manifest.files.map(async (f) => ((await exists(f)) ? undefined : f)))
    ).filter((f) => f !== undefined);
    if (missing.length > 0)
      throw new ArtifactError(
        `incomplete artifact: ${missing.join(', ')} listed in the manifest but missing`,
      );
  }

  const userIds = lines(text(await get('users.txt')));
  const itemIds = lines(text(await get('items.txt')));
  const { shapes } = manifest;
  if (userIds.length !== shapes.users || itemIds.length !== shapes.items)
    throw new ArtifactError(
      `users.txt/items.txt have ${userIds.length}/${itemIds.length} ids, the manifest says ${shapes.users}/${shapes.items}`,
    );
  const users = userIds.length;
  const items = itemIds.length;
  const indptr = typed(Int32Array, await get('history.indptr.i32'), users + 1, 'history.indptr.i32');
  const nnz = indptr[users] ?? 0;
  const history: Csr = {
    rows: users,
    cols: items,
    indptr,
    indices: typed(Int32Array, await get('history.indices.i32'), nnz, 'history.indices.i32'),
    values: typed(Float32Array, await get('history.values.f32'), nnz, 'history.values.f32'),
  };
  const itemIndex = indexOf(itemIds);
  const loaded: LoadedModel = {
    manifest,
    userIds,
    itemIds,
    userIndex: indexOf(userIds),
    itemIndex,
    history,
    popularity: typed(Float32Array, await get('popularity.f32'), items, 'popularity.f32'),
    trending: JSON.parse(text(await get('trending.json'))),
    neighbours: parseNeighbours(
      text(await get('neighbours.jsonl')),
      itemIndex,
      Number(shapes.neighbours ?? SERVING_NEIGHBOURS),
      'neighbours.jsonl',
    ),
  };
  const recent = await optional('recent-popularity.f32');
  if (recent !== undefined)
    loaded.recentPopularity = typed(Float32Array, recent, items, 'recent-popularity.f32');
  const content = await optional('content-neighbours.jsonl');
  if (content !== undefined)
    loaded.contentNeighbours = parseNeighbours(
      text(content),
      itemIndex,
      SERVING_NEIGHBOURS,
      'content-neighbours.jsonl',
    );
  const knn = await optional('knn-neighbours.jsonl');
  if (knn !== undefined)
    loaded.knn = parseNeighbours(text(knn), itemIndex, Number(shapes.knnNeighbours), 'knn-neighbours.jsonl');
  const uf = await optional('user-factors.f32');
  const itf = await optional('item-factors.f32');
  if (uf !== undefined && itf !== undefined) {
    const rank = Number(shapes.rank);
    if (!(rank > 0)) throw new ArtifactError('factor files are present but shapes.rank is not');
    loaded.factors = {
      rank,
      user: typed(Float32Array, uf, users * rank, 'user-factors.f32'),
      item: typed(Float32Array, itf, items * rank, 'item-factors.f32'),
    };
  }
  const ease = await optional('ease.f32');
  if (ease !== undefined) loaded.ease = typed(Float32Array, ease, items * items, 'ease.f32');
  const complements = await optional('complements.jsonl');
  if (complements !== undefined)
    loaded.complements = parseNeighbours(
      text(complements),
      itemIndex,
      Number(shapes.complements),
      'complements.jsonl',
    );
  const ranker = await optional('ranker.json');
  if (ranker !== undefined) {
    try {
      loaded.ranker = parseRanker(JSON.parse(text(ranker)));
    } catch (error) {
      throw new ArtifactError((error as Error).message, { cause: error });
    }
  }
  return loaded;
}

/** Streams the parsed lines of `recommendations/` or `holdout/` parts, in part order. */
export async function* readJsonLineParts<T = RecommendationLine | HoldoutLine>(
  read: ReadArtifactFile,
  manifest: ArtifactManifest,
  dir: 'recommendations' | 'holdout',
): AsyncGenerator<T> {
  const parts = manifest.files.filter((f) => f.startsWith(`${dir}/`)).sort();
  for (const part of parts) {
    let n = 0;
    for (const line of lines(text(await read(part)))) {
      n++;
      try {
        yield JSON.parse(line) as T;
      } catch (error) {
        throw new ArtifactError(`${part} line ${n} is not JSON`, { cause: error });
      }
    }
  }
}

function neighboursDense(trending: [string, number][] | undefined, itemIndex: ReadonlyMap<string, number>) {
  const out = new Float32Array(itemIndex.size);
  for (const [id, s] of trending ?? []) {
    const j = itemIndex.get(id);
    if (j !== undefined) out[j] = s;
  }
  return out;
}

/**
 * The TrainedModel a TypeScript-engine artifact came from, rebuilt so `modelScorer` scores exactly as at
 * training time. Trending comes back only as the stored top-100 per window (it does not score). Undefined
 * when the artifact has no TypeScript ModelSpec (a Spark artifact) or lacks what the spec needs.
 */
function toTrainedModel(m: LoadedModel): TrainedModel | undefined {
  const spec = m.manifest.model.spec;
  if (spec === undefined) return undefined;
  const kinds = spec.kind === 'hybrid' ? spec.components.map((c) => c.spec.kind) : [spec.kind];
  const resolved = m.manifest.model.resolved ?? {};
  let ials: IalsModel | undefined;
  let ease: EaseModel | undefined;
  if (kinds.includes('ials')) {
    if (m.factors === undefined || resolved.ials === undefined) return undefined;
    ials = {
      factors: m.factors.rank,
      userFactors: m.factors.user,
      itemFactors: m.factors.item,
      params: resolved.ials,
    };
  }
  if (kinds.includes('ease')) {
    if (m.ease === undefined || resolved.ease === undefined) return undefined;
    ease = { weights: m.ease, items: m.itemIds.length, params: resolved.ease };
  }
  if (kinds.includes('content') && m.contentNeighbours === undefined) return undefined;
  if (kinds.includes('recent-popularity') && m.recentPopularity === undefined) return undefined;
  const trending = {} as Record<TrendingWindow, Float32Array>;
  for (const w of Object.keys(TRENDING_WINDOWS) as TrendingWindow[])
    trending[w] = neighboursDense(m.trending.windows[w], m.itemIndex);
  return {
    schemaVersion: 1,
    spec,
    userIds: m.userIds,
    itemIds: m.itemIds,
    history: m.history,
    trainedAt: Date.parse(m.trending.asOf),
    popularity: m.popularity,
    recentPopularity: m.recentPopularity ?? new Float32Array(m.itemIds.length),
    trending,
    neighbours: m.neighbours,
    ...(m.contentNeighbours !== undefined ? { contentNeighbours: m.contentNeighbours } : {}),
    ...(ials !== undefined ? { ials } : {}),
    ...(ease !== undefined ? { ease } : {}),
    ...(m.knn !== undefined ? { knn: m.knn } : {}),
  };
}

/**
 * A scorer over the artifact's users: the exact training-time scorer for TypeScript artifacts, the factor dot
 * product for factor-only artifacts (Spark ALS), else popularity.
 */
export function loadedScorer(m: LoadedModel): Scorer {
  const trained = toTrainedModel(m);
  if (trained !== undefined) return modelScorer(trained);
  const f = m.factors;
  if (f !== undefined) {
    return {
      name: m.manifest.model.kind,
      scoreUser(u, out) {
        const uo = u * f.rank;
        for (let j = 0; j < out.length; j++) {
          const yo = j * f.rank;
          let s = 0;
          for (let a = 0; a < f.rank; a++) s += f.user[uo + a]! * f.item[yo + a]!;
          out[j] = s;
        }
      },
    };
  }
  const pop = m.popularity;
  return { name: 'popularity', scoreUser: (_u, out) => out.set(pop) };
}
