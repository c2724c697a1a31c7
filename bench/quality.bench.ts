/**
 * Recommendation quality (k = 10) under two protocols on Online Retail — the README's temporal split and a
 * per-user random 75/25 split (seed 42) — and on two generated shops, one where time carries no signal and one
 * where it does. Every member model, the tuner's blend, the learned ranker over the tuner's winner (kept by auto
 * or not) and `auto` (which sees the training part only and picks on a validation carved from it), with popularity
 * beside them, and `auto` validated the way each split tests (what `recsys evaluate` does). The target: auto ≥ its
 * best member − 1 %.
 * Run: npx node bench/quality.bench.ts [budgetSeconds] [set name filter]
 */
import {
  buildTestSet,
  type EvaluationResult,
  evaluate,
  formatResults,
} from '../shared/evaluation/evaluate.ts';
import { EASE_DEFAULT_MAX_ITEMS } from '../shared/model/ease.ts';
import { buildInteractions } from '../shared/model/interactions.ts';
import { fixedSpec } from '../shared/model/model-choice.ts';
import { rankedScorer } from '../shared/model/ranker.ts';
import { fitModel, type ModelSpec, modelScorer } from '../shared/model/trained-model.ts';
import { label } from '../shared/training/candidates.ts';
import { autoTune } from '../shared/training/tuning.ts';
import { formatValidation, mirrorValidation } from '../shared/training/validation.ts';
import { type QualitySet, qualitySets } from './lib/quality-sets.ts';

const budgetSeconds = Number(process.argv[2] ?? 120);
const TEMPORAL_TARGET = 0.125;
const seed = 42;
const RECENCY_MEMBER = 'ease l125 on recency pairs hl30d';

type Row = EvaluationResult & { trainSeconds?: number };

function members(set: QualitySet, items: number): [string, ModelSpec][] {
  const m: [string, ModelSpec][] = [
    ['popularity', { kind: 'popularity' }],
    ['recent-popularity 30d', { kind: 'recent-popularity', halfLifeDays: 30 }],
    ['item-knn k50 s10', fixedSpec('item-knn', seed)],
    ['ials f64 it10', fixedSpec('als', seed)],
  ];
  if (set.catalog !== undefined) m.push(['content tf-idf', { kind: 'content' }]);
  if (items <= EASE_DEFAULT_MAX_ITEMS) m.push(['ease l250', fixedSpec('ease', seed)]);
  // auto searches it only under a future-facing validation (temporal, leave-last): beside, not in, the target.
  if (items <= EASE_DEFAULT_MAX_ITEMS)
    m.push([RECENCY_MEMBER, { kind: 'ease', params: { lambda: 125 }, halfLifeDays: 30 }]);
  return m;
}

async function run(set: QualitySet) {
  console.log(`\n=== ${set.name}`);
  const ix = buildInteractions(set.train);
  const testSet = buildTestSet(ix, set.test);
  console.log(
    `${ix.stats.users} training users × ${ix.stats.items} items, ${ix.stats.pairs} pairs; ${testSet.users.length} test users, ${testSet.pairs} test pairs`,
  );
  const rows: Row[] = [];
  const fitAndScore = (name: string, spec: ModelSpec) => {
    const t = performance.now();
    const model = fitModel(ix, set.train, spec, set.catalog !== undefined ? { catalog: set.catalog } : {});
    const trainSeconds = (performance.now() - t) / 1000;
    const row = { ...evaluate({ ...modelScorer(model), name }, ix.csr, testSet, 10), trainSeconds };
    console.log(`${name}: nDCG@10 ${row.ndcg.toFixed(4)} (train ${trainSeconds.toFixed(1)} s)`);
    return row;
  };
  for (const [name, spec] of members(set, ix.stats.items)) rows.push(fitAndScore(name, spec));
  const t = performance.now();
  const tuned = autoTune(set.train, {
    budgetSeconds,
    // One search serves both rows: auto as it ships (the first stage) and auto --ranker (with it when kept).
    ranker: true,
    seed,
    ...(set.catalog !== undefined ? { catalog: set.catalog } : {}),
    onProgress: (m) => console.log(`  [auto ${((performance.now() - t) / 1000).toFixed(0)} s] ${m}`),
  });
  const tuneSeconds = (performance.now() - t) / 1000;
  const blend = tuned.tried.find((x) => x.spec.kind === 'hybrid');
  if (blend !== undefined) rows.push(fitAndScore(`blend ${label(blend.spec)}`, blend.spec));
  const model = tuned.model;
  if (model.itemIds.length !== ix.itemIds.length) throw new Error('the tuned model has another item space');
  const first = modelScorer(model);
  if (tuned.ranker !== undefined)
    rows.push(
      evaluate(
        {
          ...rankedScorer(first, tuned.ranker.model, model, model.history),
          name: `ranker over ${label(tuned.spec)}${tuned.ranker.kept ? '' : ' (not kept)'}`,
        },
        model.history,
        testSet,
        10,
      ),
    );
  const auto: Row = {
    ...evaluate({ ...first, name: `auto → ${label(tuned.spec)}` }, model.history, testSet, 10),
    trainSeconds: tuneSeconds,
  };
  if (model.ranker !== undefined)
    rows.push(
      evaluate(
        { ...rankedScorer(first, model.ranker, model, model.history), name: 'auto --ranker (kept)' },
        model.history,
        testSet,
        10,
      ),
    );
  rows.push(auto);
  console.log(`validation: ${JSON.stringify(tuned.validationSplit)}; ${tuned.selection}`);
  const future = autoMirrored(set, ix.itemIds.length, testSet);
  rows.push(future.row);
  console.log(formatResults(rows));
  const single = rows.filter((r) => !/^(blend|auto|ranker)/.test(r.name));
  const withRanker = rows.find((r) => r.name.startsWith('auto --ranker'))?.ndcg ?? auto.ndcg;
  const bestOf = (rs: Row[]) => rs.reduce((a, b) => (b.ndcg > a.ndcg ? b : a));
  const best = bestOf(single.filter((r) => r.name !== RECENCY_MEMBER));
  const bestAny = bestOf(single);
  return {
    set: set.name,
    popularity: rows[0]!.ndcg,
    best,
    blend: rows.find((r) => r.name.startsWith('blend'))?.ndcg,
    ranker: rows.find((r) => r.name.startsWith('ranker'))?.ndcg,
    auto: auto.ndcg,
    withRanker,
    winner: label(tuned.spec),
    future: { ndcg: future.row.ndcg, winner: future.winner, how: future.how, best: bestAny },
  };
}

/**
 * auto as `recsys evaluate` runs it: validated the way the split tests (mirrorValidation): temporal on a global
 * time cut, random on a random hold-out. The first stage only, as it ships.
 */
function autoMirrored(set: QualitySet, items: number, testSet: ReturnType<typeof buildTestSet>) {
  const t = performance.now();
  const mirrored = mirrorValidation(set.train, set.test, seed);
  const how = formatValidation(mirrored.protocol);
  console.log(`  mirrored validation ${how}: ${mirrored.reason}`);
  const tuned = autoTune(set.train, {
    budgetSeconds,
    validation: mirrored.protocol,
    seed,
    ...(set.catalog !== undefined ? { catalog: set.catalog } : {}),
    onProgress: (m) => console.log(`  [auto ${how} ${((performance.now() - t) / 1000).toFixed(0)} s] ${m}`),
  });
  if (tuned.model.itemIds.length !== items) throw new Error('the tuned model has another item space');
  const name = `auto --validation ${how} → ${label(tuned.spec)}`;
  const row: Row = {
    ...evaluate({ ...modelScorer(tuned.model), name }, tuned.model.history, testSet, 10),
    trainSeconds: (performance.now() - t) / 1000,
  };
  return { row, winner: label(tuned.spec), how };
}

const summary = [];
for (const set of await qualitySets(process.argv[3])) summary.push(await run(set));
console.log('\n=== summary (nDCG@10 on each test part; target: auto ≥ best member − 1 %)');
for (const s of summary) {
  const met = s.auto >= s.best.ndcg * 0.99;
  console.log(
    `${s.set}: popularity ${s.popularity.toFixed(4)}, best member ${s.best.name} ${s.best.ndcg.toFixed(4)}, blend ${s.blend?.toFixed(4) ?? '-'}, ranker ${s.ranker?.toFixed(4) ?? '-'}, auto ${s.auto.toFixed(4)} (${s.winner}) → ${met ? 'MET' : 'NOT met'}; auto --ranker ${s.withRanker.toFixed(4)}`,
  );
  console.log(
    `  auto validated as the split tests (--validation ${s.future.how}, what recsys evaluate does) ${s.future.ndcg.toFixed(4)} (${s.future.winner}), best of all members ${s.future.best.name} ${s.future.best.ndcg.toFixed(4)} → ${s.future.ndcg >= s.future.best.ndcg * 0.99 ? 'MET' : 'NOT met'}`,
  );
  if (s.set.includes('temporal (README'))
    console.log(
      `  temporal target nDCG@10 ≥ ${TEMPORAL_TARGET}: auto with the default mixed validation ${s.auto >= TEMPORAL_TARGET ? 'MET' : 'NOT met'}, auto validated as the split tests ${s.future.ndcg >= TEMPORAL_TARGET ? 'MET' : 'NOT met'}`,
    );
}

// Bought together (issue 16): its own section, also `npm run bench:bought-together`.
const { boughtTogetherSection } = await import('./lib/bought-together.ts');
await boughtTogetherSection();
