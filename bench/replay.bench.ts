/**
 * Replay of Online Retail's later period through serving (issue 17). Trains on everything before the README's cut
 * (2011-10-01) with the auto-tuner, calibrates the freshness block (fresh-event weight and decay, short-term and
 * live-trend components) on a replay of the month before the cut (a fit of the same spec on what came before
 * 2011-09-01; never the test period), publishes into local stores, then feeds every later event in time order
 * through the real ingestion path (and the live counts, replay-live-trend.ts) and asks the real recommender for the
 * sampled shoppers' top 10 before each of their purchases. Modes in one run: static lists, fold-in as it was (iALS
 * only, fixed 0.4/0.6), the improved fold-in (whole blend, calibrated; and at weight 1 without the trend), trending
 * only, popularity; anonymous sessions (invoices replayed as sessions); and the stability of a list after one view
 * and one purchase for shoppers with ≥ 20 past interactions. A case is a purchase of an item new to the shopper
 * (every mode excludes what the shopper bought; a re-buy is no case), the same for every mode.
 * Run: npm run bench:replay -- [--budget 60] [--shoppers 1000] [--sessions 200] [--probes 300] [--seed 42] [--out DIR]
 * Writes DIR/replay.txt (the tables), DIR/replay.json and DIR/replay.html (hit rate by days since training).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { withFreshness } from '../shared/model/fold-in-freshness.ts';
import { buildInteractions, type InteractionRecord, toEpochMs } from '../shared/model/interactions.ts';
import { shutdownPool } from '../shared/model/parallel.ts';
import { mulberry32, shuffle } from '../shared/model/rng.ts';
import { fitModel } from '../shared/model/trained-model.ts';
import { modelVersion, trainArtifact } from '../shared/training/pipeline.ts';
import { loadOnlineRetail } from './lib/online-retail-split.ts';
import { calibrateFreshness } from './replay-calibrate.ts';
import {
  personalMode,
  probeStability,
  type ReplayEvent,
  type ReplayMode,
  replaySessions,
  replayShoppers,
  trendingMode,
} from './replay-engine.ts';
import { formatTable, progress, reportHtml } from './replay-report.ts';
import { openReplayServing, plainArtifact } from './replay-setup.ts';

const { values: opt } = parseArgs({
  options: {
    budget: { type: 'string', default: '60' },
    shoppers: { type: 'string', default: '1000' },
    sessions: { type: 'string', default: '200' },
    probes: { type: 'string', default: '300' },
    seed: { type: 'string', default: '42' },
    out: { type: 'string', default: '.data/bench-replay' },
  },
});
const seed = Number(opt.seed);
const DAY = 86_400_000;
const CUT = Date.parse('2011-10-01T00:00:00Z');
const CALIBRATION_FROM = CUT - 30 * DAY;
const SESSION_ITEMS = 10;
const NO_TREND = { weight: 0, halfLifeDays: 3 };
const out = resolve(opt.out);
const log = (m: string) => console.log(`[${(performance.now() / 1000).toFixed(0)} s] ${m}`);

const split = await loadOnlineRetail();
const dataStats = {
  source: 'bench:online-retail',
  events: 0,
  duplicates: 0,
  malformed: 0,
  unknownTypes: 0,
  skipped: 0,
};
const at = (r: InteractionRecord) => toEpochMs(r.timestamp);

/** Items per user in `records`. */
function knownItems(records: readonly InteractionRecord[]): Map<string, Set<string>> {
  const m = new Map<string, Set<string>>();
  for (const r of records) {
    const s = m.get(r.userId) ?? new Set<string>();
    s.add(r.itemId);
    m.set(r.userId, s);
  }
  return m;
}

/** Time-ordered replay events of `records` (row order within an instant). */
function replayEvents(records: readonly InteractionRecord[], offset: number): ReplayEvent[] {
  return records
    .map((r, i) => ({ r, i }))
    .sort((a, b) => at(a.r) - at(b.r) || a.i - b.i)
    .map(({ r }, n) => ({
      userId: r.userId,
      itemId: r.itemId,
      type: r.type,
      timestamp: at(r),
      n: offset + n,
    }));
}

log('training on everything before the cut (auto-tuner)');
const version = modelVersion(CUT, 'a17e0001');
const trained = trainArtifact(split.train, {
  model: 'auto',
  budgetSeconds: Number(opt.budget),
  catalog: split.items,
  seed,
  version,
  data: { ...dataStats, events: split.train.length },
  onProgress: (m) => log(`  ${m}`),
});
log(`model: ${JSON.stringify(trained.model.spec)}`);
const popVersion = modelVersion(CUT, 'a17e0002');
const popularity = trainArtifact(split.train, {
  model: 'popularity',
  seed,
  version: popVersion,
  data: { ...dataStats, events: split.train.length },
});

// Calibration: the same spec fitted on what came before the calibration month, replayed over that month.
const calTrain = split.train.filter((r) => at(r) < CALIBRATION_FROM);
const calMonth = split.train.filter((r) => at(r) >= CALIBRATION_FROM);
log(`calibration: fit on ${calTrain.length} events before ${new Date(CALIBRATION_FROM).toISOString()}`);
const calModel = fitModel(buildInteractions(calTrain), calTrain, trained.model.spec, {
  catalog: split.items,
});
const calVersion = modelVersion(CALIBRATION_FROM, 'a17e0003');
const calDir = await mkdtemp(join(tmpdir(), 'recsys-replay-calibration-'));
const cal = await openReplayServing(calDir);
await cal.publish(
  calVersion,
  plainArtifact(calModel, calVersion, 'bench:online-retail before the calibration month'),
);
const freshness = await calibrateFreshness({
  serving: cal,
  version: calVersion,
  trainedAt: calModel.trainedAt,
  events: replayEvents(calMonth, 0),
  known: knownItems(calTrain),
  onProgress: progress('calibration replay'),
});
await cal.close();
await rm(calDir, { recursive: true, force: true });
log(`freshness chosen: ${JSON.stringify({ ...freshness, calibration: undefined })}`);

// The test period: published model (with its freshness block) and popularity, in fresh stores.
const dir = await mkdtemp(join(tmpdir(), 'recsys-replay-'));
const serving = await openReplayServing(dir);
await serving.publish(version, withFreshness(trained.files, freshness));
await serving.publish(popVersion, popularity.files);
const trainedAt = trained.model.trainedAt;
const modes: ReplayMode[] = [
  personalMode('static lists', serving.recommender(version, 'static')),
  personalMode('fold-in (as it was)', serving.recommender(version, 'legacy')),
  personalMode('fold-in (whole blend, calibrated)', serving.recommender(version, 'blend')),
  personalMode(
    'fold-in (whole blend, weight 1, no trend)',
    serving.recommender(version, 'blend', {
      halfLifeDays: null,
      weight: 1,
      shortTerm: { weight: 0, halfLifeDays: 1 },
      trend: NO_TREND,
    }),
  ),
  trendingMode('trending only (7d)', serving.recommender(version, 'static')),
  // The all-time popularity baseline, without the default live trend a model without a calibration would get.
  personalMode('popularity', serving.recommender(popVersion, 'blend', { ...freshness, trend: NO_TREND })),
];

// The sample: shoppers of the test period, seeded.
const rand = mulberry32(seed);
const testShoppers = [...new Set(split.test.map((r) => r.userId))].sort();
const sampled = new Set(shuffle([...testShoppers], rand).slice(0, Number(opt.shoppers)));
// Every shopper's events are fed (the live counts see them all); only the sample's purchases are cases.
const events = replayEvents(split.test, 1_000_000);
const known = knownItems(split.train);
log(
  `sample: ${sampled.size} of ${testShoppers.length} test shoppers (seed ${seed}); ${events.length} events fed`,
);

// Stability first, at the cut, for shoppers with ≥ 20 past interactions: one view, then (instead) one purchase
// of the item they bought next.
const probes: { userId: string; itemId: string; timestamp: number }[] = [];
const probedUsers = new Set<string>();
for (const e of events) {
  const had = known.get(e.userId!);
  if (!sampled.has(e.userId!) || probedUsers.has(e.userId!)) continue;
  if (had === undefined || had.size < 20 || had.has(e.itemId)) continue;
  probedUsers.add(e.userId!);
  probes.push({ userId: e.userId!, itemId: e.itemId, timestamp: CUT });
}
const probed = probes.slice(0, Number(opt.probes));
log(`stability: ${probed.length} shoppers with ≥ 20 past interactions`);
const stability = await probeStability({ serving, probes: probed, modes: modes.slice(0, 4) });

const shoppers = await replayShoppers({
  serving,
  events,
  known,
  modes,
  trainedAt,
  asked: sampled,
  onProgress: progress('replay'),
});

// Anonymous sessions: invoices of shoppers outside the sample, replayed as sessions (their first 10 items).
const invoices = new Map<string, InteractionRecord[]>();
for (const r of split.test) {
  if (sampled.has(r.userId)) continue;
  const key = `${r.userId}|${at(r)}`;
  const inv = invoices.get(key) ?? [];
  if (!inv.some((x) => x.itemId === r.itemId)) inv.push(r);
  invoices.set(key, inv);
}
const chosen = shuffle(
  [...invoices.values()].filter((inv) => inv.length >= 3),
  rand,
).slice(0, Number(opt.sessions));
const sessions = chosen.map((inv, s) =>
  inv.slice(0, SESSION_ITEMS).map((r, q) => ({
    sessionId: `replay-session-${s}`,
    itemId: r.itemId,
    type: r.type,
    timestamp: at(r),
    n: 5_000_000 + s * 100 + q,
  })),
);
const sessionTally = await replaySessions({
  serving,
  sessions,
  modes: modes.filter((m) => m.name !== 'fold-in (whole blend, weight 1, no trend)'),
  trainedAt,
  onProgress: progress('sessions'),
});
await serving.close();
await rm(dir, { recursive: true, force: true });

const tuned = freshness.calibration!;
const trials = [
  `Calibration of the fresh-event weight and decay: replay ${tuned.from.slice(0, 10)} – ${tuned.to.slice(0, 10)}, ` +
    `${tuned.purchases} purchases of ${tuned.shoppers} shoppers, model fitted before ${tuned.from.slice(0, 10)}`,
  ...tuned.tried.map((t) => {
    const chosen =
      t.halfLifeDays === freshness.halfLifeDays &&
      t.weight === freshness.weight &&
      t.shortTerm.weight === freshness.shortTerm.weight &&
      t.trend.weight === freshness.trend.weight &&
      t.trend.halfLifeDays === freshness.trend.halfLifeDays;
    return (
      `  half-life ${String(t.halfLifeDays ?? '∞').padStart(2)} d, weight ${String(t.weight).padStart(2)}, ` +
      `short-term ${t.shortTerm.weight}, live trend ${String(t.trend.weight).padStart(4)} ` +
      `(half-life ${t.trend.halfLifeDays} d): ` +
      `HR@10 ${(100 * t.hitRate).toFixed(2)}%${chosen ? '  ← chosen, stored in the artifact' : ''}`
    );
  }),
].join('\n');
const shopperTable = formatTable(
  `Signed-in shoppers, ${new Date(CUT).toISOString().slice(0, 10)} onward: ${sampled.size} of ${testShoppers.length} ` +
    `shoppers (seed ${seed}), every purchase of an item new to the shopper; stability = median of the top 10 kept ` +
    `(${probed.length} shoppers with ≥ 20 past interactions)`,
  shoppers.rows(),
  stability,
  'static lists',
);
const sessionTable = formatTable(
  `Anonymous sessions: ${sessions.length} invoices replayed as sessions (first ${SESSION_ITEMS} items), before each next item`,
  sessionTally.rows(),
  undefined,
  'static lists',
);
const text = [trials, shopperTable, sessionTable].join('\n\n');
console.log(`\n${text}`);
await mkdir(out, { recursive: true });
const curves = (tally: typeof shoppers, names: string[]) =>
  names.map((mode) => ({ mode, points: tally.curve(mode) }));
await writeFile(join(out, 'replay.txt'), `${text}\n`);
await writeFile(
  join(out, 'replay.json'),
  `${JSON.stringify(
    {
      spec: trained.model.spec,
      freshness,
      sample: {
        seed,
        shoppers: sampled.size,
        of: testShoppers.length,
        events: events.length,
        sessions: sessions.length,
      },
      shoppers: shoppers.rows(),
      stability: Object.fromEntries(stability),
      sessions: sessionTally.rows(),
      curves: curves(
        shoppers,
        modes.map((m) => m.name),
      ),
    },
    null,
    2,
  )}\n`,
);
await writeFile(
  join(out, 'replay.html'),
  reportHtml(
    'Online Retail replay: hit rate by days since training',
    [
      {
        title: 'Signed-in shoppers: hit rate@10 by days since training',
        curves: curves(
          shoppers,
          modes.map((m) => m.name),
        ),
      },
      {
        title: 'Anonymous sessions: hit rate@10 by days since training',
        curves: curves(
          sessionTally,
          sessionTally.rows().map((r) => r.mode),
        ),
      },
    ],
    [trials, shopperTable, sessionTable],
  ),
);
console.log(`\nwritten: ${join(out, 'replay.txt')}, replay.json, replay.html`);
await shutdownPool();
