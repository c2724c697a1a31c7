/**
 * Recommendation quality on Online Retail with the README's temporal split (k = 10): fixed models, then the
 * auto-tuner, which sees the training period only and picks its model on a validation month carved from it.
 * Run: npx node bench/quality.bench.ts [budgetSeconds]
 */
import {
  buildTestSet,
  type EvaluationResult,
  evaluate,
  formatResults,
} from '../shared/evaluation/evaluate.ts';
import { buildInteractions } from '../shared/model/interactions.ts';
import type { Scorer } from '../shared/model/scorer.ts';
import { fitModel, type ModelSpec, modelScorer } from '../shared/model/trained-model.ts';
import { autoTune } from '../shared/training/tuning.ts';
import { EXPECTED, loadOnlineRetail } from './lib/online-retail-split.ts';

const budgetSeconds = Number(process.argv[2] ?? 60);
const TARGET = 0.115;
let t = performance.now();
const split = await loadOnlineRetail();
const ix = split.interactions;
const counts = {
  trainUsers: ix.userIds.length,
  items: ix.itemIds.length,
  trainPairs: ix.stats.pairs,
  testPairs: split.testSet.pairs,
  testUsers: split.testSet.users.length,
};
console.log(`loaded and split in ${((performance.now() - t) / 1000).toFixed(1)} s:`, counts);
for (const [key, want] of Object.entries(EXPECTED)) {
  const got = counts[key as keyof typeof counts];
  if (got !== want) throw new Error(`split mismatch: ${key} is ${got}, the README says ${want}`);
}
console.log('split reproduces the README counts');

const rows: (EvaluationResult & { trainSeconds?: number })[] = [];
const seed = 42;
const fixed: [string, ModelSpec][] = [
  ['popularity', { kind: 'popularity' }],
  ['recent-popularity 30d', { kind: 'recent-popularity', halfLifeDays: 30 }],
  ['item-knn k50 s10', { kind: 'item-knn', params: { neighbours: 50, shrink: 10 } }],
  ['content tf-idf', { kind: 'content' }],
  [
    'ials f64 it10',
    {
      kind: 'ials',
      params: { factors: 64, iterations: 10, regularization: 0.1, alpha: 1, transform: 'log', seed },
    },
  ],
  ['ease l200', { kind: 'ease', params: { lambda: 200 } }],
];
for (const [name, spec] of fixed) {
  t = performance.now();
  const model = fitModel(ix, split.train, spec, { catalog: split.items });
  const trainSeconds = (performance.now() - t) / 1000;
  const scorer: Scorer = { ...modelScorer(model), name };
  rows.push({ ...evaluate(scorer, ix.csr, split.testSet, 10), trainSeconds });
  console.log(`${name}: nDCG@10 ${rows.at(-1)!.ndcg.toFixed(4)} (train ${trainSeconds.toFixed(1)} s)`);
}

t = performance.now();
const tuned = autoTune(split.train, {
  budgetSeconds,
  catalog: split.items,
  seed,
  onProgress: (m) => console.log(`  [auto ${((performance.now() - t) / 1000).toFixed(0)} s] ${m}`),
});
const tuneSeconds = (performance.now() - t) / 1000;
const model = tuned.model;
const testSet = buildTestSet(
  {
    userIndex: new Map(model.userIds.map((id, i) => [id, i])),
    itemIndex: new Map(model.itemIds.map((id, i) => [id, i])),
    csr: model.history,
  },
  split.test,
);
const auto = {
  ...evaluate({ ...modelScorer(model), name: 'auto (tuned)' }, model.history, testSet, 10),
  trainSeconds: tuneSeconds,
};
rows.push(auto);
console.log('\nvalidation (carved from training):', tuned.validationSplit);
console.log(`auto-tune winner: ${JSON.stringify(tuned.spec)}`);
console.log(
  `validation nDCG@10 ${tuned.validation.ndcg.toFixed(4)} vs popularity ${tuned.baseline.ndcg.toFixed(4)}`,
);
console.log(`\nOnline Retail, temporal split at 2011-10-01, k=10, ${testSet.users.length} test users`);
console.log(formatResults(rows));
console.log(
  `\nauto nDCG@10 on test ${auto.ndcg.toFixed(4)}: target ${TARGET} ${auto.ndcg >= TARGET ? 'MET' : 'NOT met'}`,
);
// Keep the split honest: a fresh build from the same records must give the same ids as the tuned model.
const again = buildInteractions(split.train);
if (again.itemIds.length !== model.itemIds.length)
  throw new Error('tuned model item space differs from the split');
