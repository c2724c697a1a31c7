import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { calibrateFreshness } from '../../bench/replay-calibrate.ts';
import {
  personalMode,
  probeStability,
  type ReplayEvent,
  replaySessions,
  replayShoppers,
  trendingMode,
} from '../../bench/replay-engine.ts';
import { LiveCounts } from '../../bench/replay-live-trend.ts';
import { reportHtml } from '../../bench/replay-report.ts';
import { openReplayServing, plainArtifact, type ReplayServing } from '../../bench/replay-setup.ts';
import { median } from '../../shared/evaluation/replay-metrics.ts';
import { buildInteractions, type InteractionRecord } from '../../shared/model/interactions.ts';
import { fitModel } from '../../shared/model/trained-model.ts';
import type { ServingModel } from '../../shared/serving/model-cache.ts';

/**
 * The replay on a shop small enough to work out by hand: 30 items p0…p29 whose popularity falls strictly with the
 * index (item pj bought by 2·(30 − j) + 1 filler shoppers, plus the shoppers below), a popularity model published
 * into local stores, then five purchases replayed through ingestion and the real recommender.
 */

const DAY = 86_400_000;
const T0 = Date.parse('2024-01-01T00:00:00.000Z');
const VERSION = '20240101T000000Z-0000e1a7';
const NO_SHORT_TERM = { weight: 0, halfLifeDays: 1 };
const NO_TREND = { weight: 0, halfLifeDays: 3 };

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

  let second: { dir: string; serving: ReplayServing } | undefined;
  const records = trainingRecords();
  const model = fitModel(buildInteractions(records), records, { kind: 'popularity' }, { threads: 1 });
  const open = async () => {
    const d = await mkdtemp(join(tmpdir(), 'recsys-replay-test-'));
    const s = await openReplayServing(d);
    await s.publish(VERSION, plainArtifact(model, VERSION, 'test'));
    return { dir: d, serving: s };
  };

  beforeAll(async () => {
    ({ dir, serving } = await open());
    known = new Map();
    for (const r of records) known.set(r.userId, (known.get(r.userId) ?? new Set()).add(r.itemId));
  }, 60_000);
  afterAll(async () => {
    for (const s of [{ dir, serving }, second]) {
      await s?.serving?.close().catch(() => {});
      if (s?.dir !== undefined) await rm(s.dir, { recursive: true, force: true });
    }
  });

  it('scores each new purchase by its rank in the list asked before it, per week since training, and the stability', async () => {
    // Prepare
    const modes = [
      personalMode('popularity', serving.recommender(VERSION, 'blend')),
      personalMode('static', serving.recommender(VERSION, 'static')),
      trendingMode('trending', serving.recommender(VERSION, 'static')),
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

    // Assess. Every mode ranks by popularity here (trending: all events at training time, one per shopper and
    // item, so the week's trending order is the popularity order). The lists, by hand: u-a (has p0) → p1 p2 …: p1 at rank 1. u-s (has p10…p29) → p0…p9: p3 at 4.
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
    // The trending list knows nothing of the shopper's events; the replay filters what the shopper has.
    expect(stability.get('trending')).toEqual({ afterView: [10], afterPurchase: [10] });
    const html = reportHtml(
      't',
      [{ title: 'c', curves: modes.map((m) => ({ mode: m.name, points: tally.curve(m.name) })) }],
      [],
    );
    expect(html.match(/<polyline /g)).toHaveLength(3);
  });

  it('scores an anonymous session before each next item from what the session did so far', async () => {
    // Prepare: a session buys p4, then p6, then p2 (one invoice replayed as a session).
    const session = ['p4', 'p6', 'p2'].map((itemId, q) => ({
      sessionId: 'sess-1',
      itemId,
      type: 'purchase' as const,
      timestamp: at(4),
      n: 100 + q,
    }));
    const modes = [
      personalMode('popularity', serving.recommender(VERSION, 'blend')),
      personalMode('static', serving.recommender(VERSION, 'static')),
    ];

    // Act
    const tally = await replaySessions({ serving, sessions: [session], modes, trainedAt: T0 });

    // Assess: before p6 the list is p0…p3 p5 p6 … (p4 bought): rank 6; before p2, p0 p1 p2 …: rank 3.
    for (const row of tally.rows())
      expect(row).toEqual({
        mode: row.mode,
        cases: 2,
        hitRate: 1,
        ndcg: (1 / Math.log2(7) + 1 / Math.log2(4)) / 2,
        mrr: (1 / 6 + 1 / 3) / 2,
      });
  });

  it('calibrates on a replay: every candidate scored in one pass, the best kept with what it was tuned on', async () => {
    // Prepare: stores of their own (the replay above already fed these events).
    second = await open();

    // Act
    const block = await calibrateFreshness({
      serving: second.serving,
      version: VERSION,
      trainedAt: T0,
      events: REPLAY.map((e, n) => ({ ...e, n })),
      known,
      grid: [
        { halfLifeDays: 3, weight: 0.25, shortTerm: NO_SHORT_TERM, trend: NO_TREND },
        { halfLifeDays: null, weight: 1, shortTerm: NO_SHORT_TERM, trend: NO_TREND },
      ],
    });

    // Assess: popularity ignores fresh events, so both candidates score 4 of 5: the tie goes to the first.
    expect(block).toEqual({
      halfLifeDays: 3,
      weight: 0.25,
      shortTerm: NO_SHORT_TERM,
      trend: NO_TREND,
      calibration: {
        from: new Date(at(1)).toISOString(),
        to: new Date(at(15)).toISOString(),
        k: 10,
        purchases: 5,
        shoppers: 3,
        tried: [
          { halfLifeDays: 3, weight: 0.25, shortTerm: NO_SHORT_TERM, trend: NO_TREND, hitRate: 0.8 },
          { halfLifeDays: null, weight: 1, shortTerm: NO_SHORT_TERM, trend: NO_TREND, hitRate: 0.8 },
        ],
      },
    });
  });

  it('counts every fed event per item for the live trend, decayed by age, un-counted when forgotten, never ahead of the clock', () => {
    // Prepare: a model of three items (the counts read only its item ids and their indices).
    const itemIds = ['a', 'b', 'c'];
    const shop = { model: { itemIds, itemIndex: new Map(itemIds.map((id, j) => [id, j])) } };
    const m = shop as unknown as ServingModel;
    const live = new LiveCounts();

    // Act: a purchase of a (weight 5), a view of b (1) a day later, a purchase of b forgotten again.
    live.add('a', 'purchase', T0);
    live.add('b', 'view', T0 + DAY);
    const atTwoDays = Array.from(live.vector(m, T0 + 2 * DAY, 1));
    live.add('b', 'purchase', T0 + 2 * DAY);
    live.add('b', 'purchase', T0 + 2 * DAY, -1);
    live.add('c', 'search', T0 + 2 * DAY); // a search: training's follow-up bonus, not counted
    const afterForget = Array.from(live.vector(m, T0 + 2 * DAY, 1));
    const earlier = Array.from(live.vector(m, T0 + DAY / 2, 1));
    const slower = Array.from(live.vector(m, T0 + 2 * DAY, 2));

    // Assess: 5 × 0.5² and 1 × 0.5 at two days with a one-day half-life; half a day in, b has not happened yet.
    expect(atTwoDays).toEqual([1.25, 0.5, 0]);
    expect(afterForget.map((x) => Number(x.toFixed(6)))).toEqual([1.25, 0.5, 0]);
    expect(earlier[0]).toBeCloseTo(5 * 0.5 ** 0.5, 5);
    expect(earlier.slice(1)).toEqual([0, 0]);
    expect(slower[0]).toBeCloseTo(2.5, 5);
    expect(slower[1]).toBeCloseTo(0.5 ** 0.5, 5);
  });
});
