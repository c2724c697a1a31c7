import { beforeAll, describe, expect, it } from 'vitest';
import type { EventType } from '../../../shared/domain/event.ts';
import { precomputeRecommendations } from '../../../shared/model/artifact.ts';
import { decodeArtifact } from '../../../shared/model/artifact-decode.ts';
import { contentIndex, contentVectorOf, trainContent } from '../../../shared/model/content.ts';
import { buildInteractions } from '../../../shared/model/interactions.ts';
import { fitModel } from '../../../shared/model/trained-model.ts';
import type { ScoredItem } from '../../../shared/ports/publication-store.ts';
import type { ActivityEntry } from '../../../shared/ports/serving-store.ts';
import { activityDigest } from '../../../shared/serving/activity.ts';
import { RequestExclusions } from '../../../shared/serving/exclusions.ts';
import { anchorsFor, historyAnchors } from '../../../shared/serving/explanations.ts';
import { type ServingModel, servingModel } from '../../../shared/serving/model-cache.ts';
import { decodedList, listRanking } from '../../../shared/serving/published-lists.ts';
import { IndexMark, rankTop, scratchFor } from '../../../shared/serving/scoring.ts';
import { EXCLUDE_KINDS, type ExcludeKind } from '../../../shared/serving/types.ts';
import { plantedRecords } from '../../fixtures/training-data.ts';
import { KNN, shopItem, testArtifactFiles } from '../../helpers/serving-model.ts';

/** The planted shop's item-kNN model as serving holds it, built in memory. */
async function buildModel(): Promise<{ model: ServingModel; lists: Map<string, ScoredItem[]> }> {
  const records = plantedRecords();
  const data = buildInteractions(records);
  const catalog = Array.from({ length: 40 }, (_, j) => shopItem(j));
  const trained = fitModel(data, records, KNN, { catalog, threads: 1 });
  const files = testArtifactFiles(trained, data, records.length, 'v');
  const bytes = (name: string) => {
    const f = files.get(name);
    if (f === undefined) return Promise.reject(new Error(`no ${name}`));
    return Promise.resolve(typeof f === 'string' ? new TextEncoder().encode(f) : f);
  };
  const loaded = await decodeArtifact(bytes, { exists: async (name) => files.has(name) });
  const lists = new Map(precomputeRecommendations(trained).map((l) => [l.userId, l.items]));
  return { model: servingModel('v', loaded), lists };
}

function lcg(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('Serving parts', () => {
  let model: ServingModel;
  let lists: Map<string, ScoredItem[]>;
  beforeAll(async () => {
    ({ model, lists } = await buildModel());
  });

  it("ranks and explains a list from its cache exactly as rankTop and anchorsFor do over the list's scores", () => {
    const n = model.model.itemIds.length;
    const scratch = scratchFor({}, n);
    const rand = lcg(3);
    for (const [userId, list] of lists) {
      const u = model.model.userIndex.get(userId)!;
      const decoded = decodedList(model, list);
      const cached = listRanking(model, decoded, u, scratch);
      // The general path: the list as the only signal, some items excluded, depth cut.
      const excluded = new IndexMark(n);
      for (let e = 0; e < 5; e++) excluded.add(Math.floor(rand() * n));
      const depth = 5 + Math.floor(rand() * 40);
      scratch.scores.clear();
      for (let p = 0; p < decoded.indices.length; p++)
        scratch.scores.add(decoded.indices[p]!, decoded.norm[p]!);
      const ranked = rankTop(scratch, scratch.scores, excluded, model.model.itemIds, [], depth);
      const explained = anchorsFor(model, historyAnchors(model, u), ranked, new IndexMark(n));
      const kept = cached.ranked
        .map((r, p) => ({ r, a: cached.explained[p] }))
        .filter(({ r }) => !excluded.has(r.index))
        .slice(0, depth);
      expect(kept.map(({ r }) => [r.itemId, r.score])).toEqual(ranked.map((r) => [r.itemId, r.score]));
      expect(kept.map(({ a }) => a?.itemId)).toEqual(explained.map((a) => a?.itemId));
    }
  });

  it('excludes by one rule set: the marked indices and the ids asked about agree for every kind', () => {
    const types: EventType[] = ['view', 'click', 'purchase', 'add_to_cart', 'not_interested', 'wishlist'];
    const activity: ActivityEntry[] = types.map((type, t) => ({
      eventId: `e${t}`,
      type,
      itemId: t === 5 ? 'not-in-model' : `i${t * 3}`,
      timestamp: '2030-01-01T00:00:00.000Z',
      receivedAt: '2030-01-01T00:00:00.000Z',
    }));
    const feedback = [{ itemId: 'i30' }];
    const u = model.model.userIndex.get('u0')!;
    const digest = activityDigest(model, activity);
    const byKind: Record<ExcludeKind, string[]> = {
      viewed: ['i0', 'i3'],
      purchased: ['i6'],
      carted: ['i9'],
      not_interested: ['i12', 'i30'],
    };
    const bought = Array.from(
      model.model.history.indices.subarray(
        model.model.history.indptr[u]!,
        model.model.history.indptr[u + 1]!,
      ),
      (j) => model.model.itemIds[j]!,
    );
    for (let mask = 0; mask < 16; mask++) {
      const kinds = EXCLUDE_KINDS.filter((_, b) => (mask & (1 << b)) !== 0);
      const excluded = new RequestExclusions(model, kinds, activity, feedback, 'i39', u);
      const mark = new IndexMark(model.model.itemIds.length);
      excluded.markInto(mark, digest);
      const expected = new Set(['i39', ...kinds.flatMap((k) => byKind[k])]);
      if (kinds.includes('purchased')) for (const id of bought) expected.add(id);
      const marked = model.model.itemIds.filter((_, j) => mark.has(j));
      expect(new Set(marked), kinds.join(',')).toEqual(expected);
      for (const id of [...model.model.itemIds, 'not-in-model'])
        expect(excluded.has(id), `${kinds.join(',')} ${id}`).toBe(expected.has(id));
    }
  });

  it("weighs an item outside the index with the index's IDF, as the item would be weighed inside it", () => {
    const items = Array.from({ length: 40 }, (_, j) => shopItem(j));
    const index = contentIndex(items.map((i) => [i]));
    for (const [j, item] of items.entries()) {
      const outside = contentVectorOf(index, item);
      expect(Array.from(outside.terms)).toEqual(Array.from(index.vectors[j]!.terms));
      expect(Array.from(outside.weights)).toEqual(Array.from(index.vectors[j]!.weights));
    }
    // The training's neighbours are the index's cosines: i23's best neighbours are the other green vases.
    const nb = trainContent(
      items.map((i) => i.itemId),
      items,
      3,
    );
    expect(Array.from(nb.indices.subarray(23 * 3, 24 * 3)).every((j) => j >= 20 && j < 30)).toBe(true);
  });
});
