import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { personalMode, probeStability, type ReplayEvent, replayShoppers } from '../../bench/replay-engine.ts';
import { openReplayServing, plainArtifact, type ReplayServing } from '../../bench/replay-setup.ts';
import { median } from '../../shared/evaluation/replay-metrics.ts';
import { buildInteractions, type InteractionRecord } from '../../shared/model/interactions.ts';
import { fitModel } from '../../shared/model/trained-model.ts';

/**
 * The replay on a shop small enough to work out by hand: 30 items p0…p29 whose popularity falls strictly with the
 * index (item pj bought by 2·(30 − j) + 1 filler shoppers, plus the shoppers below), a popularity model published
 * into local stores, then five purchases replayed through ingestion and the real recommender.
 */

const DAY = 86_400_000;
const T0 = Date.parse('2024-01-01T00:00:00.000Z');
const VERSION = '20240101T000000Z-0000e1a7';

function trainingRecords(): InteractionRecord[] {
  const out: InteractionRecord[] = [];
  const buy = (userId: string, j: number) =>
    out.push({ userId, itemId: `p${j}`, type: 'purchase', value: 1, timestamp: T0 });
  for (let m = 0; m <= 60; m++) for (let j = 0; j < 30; j++) if (2 * (30 - j) + 1 > m) buy(`filler${m}`, j);
  for (let j = 10; j < 30; j++) buy('u-s', j); // 20 past interactions: the stability probe's shopper
  buy('u-a', 0);
  return out;
}

const at = (days: number) => T0 + days * DAY + 3_600_000;
/** u-a, u-s and u-c (new) buy; day 8's p1 is a repeat (no case) in the same invoice as p12. */
const REPLAY: Omit<ReplayEvent, 'n'>[] = [
  { userId: 'u-a', itemId: 'p1', type: 'purchase', timestamp: at(1) },
  { userId: 'u-s', itemId: 'p3', type: 'purchase', timestamp: at(2) },
  { userId: 'u-c', itemId: 'p5', type: 'purchase', timestamp: at(3) },
  { userId: 'u-a', itemId: 'p1', type: 'purchase', timestamp: at(8) },
  { userId: 'u-a', itemId: 'p12', type: 'purchase', timestamp: at(8) },
  { userId: 'u-c', itemId: 'p10', type: 'purchase', timestamp: at(15) },
];

describe('Replay through ingestion and serving', () => {
  let dir: string;
  let serving: ReplayServing;
  let known: Map<string, Set<string>>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'recsys-replay-test-'));
    serving = await openReplayServing(dir);
    const records = trainingRecords();
    const model = fitModel(buildInteractions(records), records, { kind: 'popularity' }, { threads: 1 });
    await serving.publish(VERSION, plainArtifact(model, VERSION, 'test'));
    known = new Map();
    for (const r of records) known.set(r.userId, (known.get(r.userId) ?? new Set()).add(r.itemId));
  }, 60_000);
  afterAll(async () => {
    await serving?.close().catch(() => {});
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('scores each new purchase by its rank in the list asked before it, per week since training, and the stability', async () => {
    // Prepare
    const modes = [
      personalMode('popularity', serving.recommender(VERSION, 'blend')),
      personalMode('static', serving.recommender(VERSION, 'static')),
    ];

    // Act: the stability probe at the cut (u-s is the one shopper with ≥ 20 past interactions), then the replay.
    const stability = await probeStability({
      serving,
      probes: [{ userId: 'u-s', itemId: 'p3', timestamp: T0 + DAY }],
      modes,
    });
    const tally = await replayShoppers({
      serving,
      events: REPLAY.map((e, n) => ({ ...e, n })),
      known,
      modes,
      trainedAt: T0,
    });

    // Assess. The lists, by hand: u-a (has p0) → p1 p2 …: p1 at rank 1. u-s (has p10…p29) → p0…p9: p3 at 4.
    // u-c (new) → the popular items p0…p9: p5 at 6. Day 8: u-a has p0 and the fresh p1 → p2…p11, p12 at 11: a miss
    // (p1 again is no case). Day 15: u-c has the fresh p5 → p0…p4 p6…p10: p10 at 10.
    const ranks = [1, 4, 6, 0, 10];
    const expected = {
      cases: 5,
      hitRate: 4 / 5,
      ndcg: ranks.reduce((s, r) => s + (r > 0 ? 1 / Math.log2(r + 1) : 0), 0) / 5,
      mrr: ranks.reduce((s, r) => s + (r > 0 ? 1 / r : 0), 0) / 5,
    };
    for (const row of tally.rows()) {
      expect(row.cases).toBe(expected.cases);
      expect(row.hitRate).toBeCloseTo(expected.hitRate, 12);
      expect(row.ndcg).toBeCloseTo(expected.ndcg, 12);
      expect(row.mrr).toBeCloseTo(expected.mrr, 12);
      // Weeks since training: days 1–3 (three hits), day 8 (the miss), day 15 (a hit).
      expect(tally.curve(row.mode)).toEqual([
        { fromDay: 0, cases: 3, hitRate: 1 },
        { fromDay: 7, cases: 1, hitRate: 0 },
        { fromDay: 14, cases: 1, hitRate: 1 },
      ]);
    }
    // u-s's top 10 is p0…p9: a view of p3 leaves it whole; a purchase of p3 excludes it, and nothing new can
    // enter (everything else is u-s's already): 9 kept.
    for (const mode of ['popularity', 'static']) {
      expect(median(stability.get(mode)!.afterView)).toBe(10);
      expect(median(stability.get(mode)!.afterPurchase)).toBe(9);
    }
  });
});
