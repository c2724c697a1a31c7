import { describe, expect, it } from 'vitest';
import { encodeArtifact } from '../../../shared/model/artifact.ts';
import { decodeArtifact, loadedScorer } from '../../../shared/model/artifact-decode.ts';
import {
  buildInteractions,
  DEFAULT_EVENT_WEIGHTS,
  type InteractionRecord,
} from '../../../shared/model/interactions.ts';
import { pairRecency } from '../../../shared/model/recency.ts';
import { topKExcluding } from '../../../shared/model/topk.ts';
import { fitModel, modelScorer } from '../../../shared/model/trained-model.ts';
import { autoTune } from '../../../shared/training/tuning.ts';

const DAY = 86_400_000;

describe('pairRecency', () => {
  it('weighs each pair by the age of its last touch, 0.5 per half-life, ignoring later records and unknown pairs', () => {
    const now = 100 * DAY;
    const records: InteractionRecord[] = [
      { userId: 'a', itemId: 'x', type: 'purchase', timestamp: now },
      { userId: 'a', itemId: 'y', type: 'purchase', timestamp: now - 10 * DAY },
      // Re-bought: the last touch counts, not the sum of the touches.
      { userId: 'b', itemId: 'x', type: 'purchase', timestamp: now - 40 * DAY },
      { userId: 'b', itemId: 'x', type: 'purchase', timestamp: now - 20 * DAY },
      { userId: 'b', itemId: 'y', type: 'view', timestamp: now - 30 * DAY },
    ];
    const data = buildInteractions(records);
    // After `now` (a later period) and a pair the matrix does not hold: neither moves a weight.
    const extra: InteractionRecord[] = [
      { userId: 'a', itemId: 'y', type: 'purchase', timestamp: now + DAY },
      { userId: 'c', itemId: 'x', type: 'purchase', timestamp: now },
    ];
    const w = pairRecency(data, [...records, ...extra], now, 10);
    const at = (u: string, i: string) => {
      const r = data.userIndex.get(u)!;
      const j = data.itemIndex.get(i)!;
      for (let p = w.indptr[r]!; p < w.indptr[r + 1]!; p++) if (w.indices[p] === j) return w.values[p]!;
      throw new Error(`no pair ${u}:${i}`);
    };
    expect(at('a', 'x')).toBeCloseTo(1, 6);
    expect(at('a', 'y')).toBeCloseTo(0.5, 6);
    expect(at('b', 'x')).toBeCloseTo(0.25, 6);
    expect(at('b', 'y')).toBeCloseTo(0.125, 6);
    expect(Array.from(w.indices)).toEqual(Array.from(data.csr.indices));
    expect(() => pairRecency(data, records, now, 0)).toThrow(/halfLifeDays must be positive, got 0/);
  });
});

/**
 * 60 shoppers a year ago bought the lamp with the shade; 20 shoppers this month bought the lamp with the bulb:
 * what goes with a lamp changed. Plain EASE follows the many old baskets, recency-weighted EASE the recent ones.
 */
function shiftedBaskets(): InteractionRecord[] {
  const now = Date.parse('2024-12-01T00:00:00Z');
  const out: InteractionRecord[] = [];
  const buy = (u: string, items: string[], t: number) => {
    for (const itemId of items) out.push({ userId: u, itemId, type: 'purchase', timestamp: t });
  };
  for (let u = 0; u < 60; u++) buy(`old${u}`, ['lamp', 'shade', `filler${u % 7}`], now - 365 * DAY + u * DAY);
  for (let u = 0; u < 20; u++) buy(`new${u}`, ['lamp', 'bulb', `filler${u % 7}`], now - 30 * DAY + u * DAY);
  buy('asker', ['lamp'], now);
  return out;
}

function topOf(model: ReturnType<typeof fitModel>, user: string): string[] {
  const scores = new Float32Array(model.itemIds.length);
  modelScorer(model).scoreUser(model.userIds.indexOf(user), scores);
  const idx = new Int32Array(2);
  const got = topKExcluding(scores, model.history, model.userIds.indexOf(user), 2, idx, new Float32Array(2));
  return Array.from(idx.subarray(0, got), (j) => model.itemIds[j]!);
}

describe('EASE with recency-weighted pairs (spec halfLifeDays)', () => {
  it('recommends what goes with an item lately, where plain EASE follows the older majority', () => {
    const records = shiftedBaskets();
    const data = buildInteractions(records);
    const plain = fitModel(data, records, { kind: 'ease', params: { lambda: 5 } }, { threads: 1 });
    const recent = fitModel(
      data,
      records,
      { kind: 'ease', params: { lambda: 5 }, halfLifeDays: 30 },
      { threads: 1 },
    );
    expect(topOf(plain, 'asker')[0]).toBe('shade');
    expect(topOf(recent, 'asker')[0]).toBe('bulb');
    // Only the Gram matrix is weighted: serving reads the plain history as the spec's transform says.
    expect(recent.ease!.params.transform).toBe('binary');
    expect(recent.history).toBe(data.csr);
  });
});

/** The lamp's companion changed a month ago, and the last 20 days hold each recent shopper's bulb. */
function companionChanged(): InteractionRecord[] {
  const now = Date.parse('2024-12-01T00:00:00Z');
  const out: InteractionRecord[] = [];
  const buy = (u: string, itemId: string, t: number) => {
    out.push({ userId: u, itemId, type: 'purchase', timestamp: t });
  };
  for (let u = 0; u < 60; u++)
    for (const item of ['lamp', 'shade', `filler${u % 7}`]) buy(`old${u}`, item, now - (365 - u) * DAY);
  for (let u = 0; u < 50; u++) {
    const t = now - 50 * DAY + u * 0.5 * DAY;
    buy(`new${u}`, 'lamp', t);
    buy(`new${u}`, `filler${u % 7}`, t);
    // The first twenty bought the bulb with the lamp; the others come back for it in the validation's days.
    buy(`new${u}`, 'bulb', u < 20 ? t : now - 15 * DAY + (u - 20) * 0.4 * DAY);
  }
  return out;
}

describe('autoTune: recency-weighted EASE', () => {
  it('is a candidate under a future-facing validation, where it beats plain EASE, and not under mixed', () => {
    const records = companionChanged();
    const base = { budgetSeconds: 30, threads: 1, seed: 42 };
    const temporal = autoTune(records, { ...base, validation: { kind: 'temporal', days: 20 } });
    expect(temporal.validationSplit).toMatchObject({ method: 'temporal:20d', covered: 30 });
    const ndcg = (name: string) => temporal.tried.find((t) => t.result.name === name)!.result.ndcg;
    expect(ndcg('ease(l=125,hl=30d)')).toBeGreaterThan(ndcg('ease(l=250)') + 0.1);
    expect(temporal.tried.map((t) => t.result.name)).toContain('ease(l=125,hl=90d)');
    const mixed = autoTune(records, { ...base, validation: { kind: 'mixed', share: 0.2, seed: 42 } });
    expect(mixed.tried.map((t) => t.result.name).filter((n) => n.startsWith('ease('))).toEqual([
      'ease(l=250)',
      'ease(l=500)',
      'ease(l=1000)',
    ]);
  });
});

describe('recency-weighted EASE in the artifact', () => {
  it('round-trips: the decoded model scores every shopper as the trained one and the manifest keeps the half-life', async () => {
    const records = shiftedBaskets();
    const data = buildInteractions(records);
    const spec = { kind: 'ease' as const, params: { lambda: 5 }, halfLifeDays: 30 };
    const model = fitModel(data, records, spec, { threads: 1 });
    const zero = { precision: 0, recall: 0, ndcg: 0, map: 0, mrr: 0, hitRate: 0, coverage: 0 };
    const files = encodeArtifact(model, {
      version: '20241201T000000Z-0000abcd',
      data: {
        source: 'test',
        ...{ events: records.length, duplicates: 0, malformed: 0, unknownTypes: 0, skipped: 0 },
        ...{ users: data.stats.users, items: data.stats.items, interactions: data.stats.pairs },
        from: null,
        to: null,
      },
      eventWeights: { ...DEFAULT_EVENT_WEIGHTS },
      validation: { k: 10, split: 'last:1', model: zero, baseline: zero },
      holdout: [],
      trainingSeconds: 1,
    });
    const loaded = await decodeArtifact(async (name) => {
      const f = files.get(name)!;
      return typeof f === 'string' ? new TextEncoder().encode(f) : f;
    });
    expect(loaded.manifest.model.spec).toEqual(spec);
    expect(loaded.manifest.model.resolved?.ease?.transform).toBe('binary');
    const scorer = loadedScorer(loaded);
    const original = modelScorer(model);
    const a = new Float32Array(model.itemIds.length);
    const b = new Float32Array(model.itemIds.length);
    for (let u = 0; u < model.userIds.length; u++) {
      original.scoreUser(u, a);
      scorer.scoreUser(u, b);
      expect(Array.from(b)).toEqual(Array.from(a));
    }
    expect(topOf(model, 'asker')[0]).toBe('bulb');
  });
});
