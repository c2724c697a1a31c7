import type { EventType } from '../domain/event.ts';
import type { Interactions } from '../model/interactions.ts';
import { popularity, popularityScorer } from '../model/popularity.ts';
import type { Scorer } from '../model/scorer.ts';
import type { Csr } from '../model/sparse.ts';
import { topKExcluding } from '../model/topk.ts';
import { type Metrics, MetricsAccumulator } from './metrics.ts';
import type { Timed } from './splits.ts';

/** Held-out relevance on the training id space: for each evaluated user, the set of relevant item indices. */
export interface TestSet {
  users: Int32Array;
  relevant: Set<number>[];
  pairs: number;
}

const NOT_RELEVANT: ReadonlySet<EventType> = new Set([
  'remove_from_cart',
  'return',
  'not_interested',
  'search',
]);

/**
 * Maps held-out records onto the training ids. Users or items unknown to training are dropped (no model can
 * rank them); with `newPairsOnly` (the default) pairs already present in training are dropped too, because
 * the lists exclude training items and asking for them would only measure the exclusion.
 */
export function buildTestSet(
  train: Pick<Interactions, 'userIndex' | 'itemIndex' | 'csr'>,
  test: readonly (Timed & { type?: EventType; weight?: number })[],
  options: { newPairsOnly?: boolean } = {},
): TestSet {
  const newOnly = options.newPairsOnly ?? true;
  const byUser = new Map<number, Set<number>>();
  const { csr } = train;
  for (const r of test) {
    if (r.type !== undefined && NOT_RELEVANT.has(r.type)) continue;
    // A training-derived negative (an exposure without a click) is never a relevant item.
    if (r.weight !== undefined && !(r.weight > 0)) continue;
    const u = train.userIndex.get(r.userId);
    const j = train.itemIndex.get(r.itemId);
    if (u === undefined || j === undefined) continue;
    if (newOnly && rowHas(csr, u, j)) continue;
    let set = byUser.get(u);
    if (set === undefined) {
      set = new Set();
      byUser.set(u, set);
    }
    set.add(j);
  }
  const users = Int32Array.from([...byUser.keys()].sort((a, b) => a - b));
  const relevant = Array.from(users, (u) => byUser.get(u)!);
  let pairs = 0;
  for (const s of relevant) pairs += s.size;
  return { users, relevant, pairs };
}

function rowHas(m: Csr, i: number, j: number): boolean {
  for (let p = m.indptr[i]!; p < m.indptr[i + 1]!; p++) if (m.indices[p] === j) return true;
  return false;
}

export interface EvaluationResult extends Metrics {
  name: string;
  seconds: number;
}

/**
 * Ranks the top-k for every test user with `scorer`, excluding the user's training items (rows of
 * `exclude`, normally the training matrix), and averages the metrics.
 */
export function evaluate(scorer: Scorer, exclude: Csr, testSet: TestSet, k = 10): EvaluationResult {
  const started = performance.now();
  const nItems = exclude.cols;
  const scores = new Float32Array(nItems);
  const idx = new Int32Array(k);
  const top = new Float32Array(k);
  const acc = new MetricsAccumulator(k, nItems);
  for (let t = 0; t < testSet.users.length; t++) {
    const u = testSet.users[t]!;
    scorer.scoreUser(u, scores);
    const n = topKExcluding(scores, exclude, u, k, idx, top);
    acc.add(idx, n, testSet.relevant[t]!);
  }
  return { name: scorer.name, ...acc.result(), seconds: (performance.now() - started) / 1000 };
}

/** Evaluates `scorers` and always the popularity baseline on the same split (reported first). */
export function evaluateWithBaseline(
  scorers: readonly Scorer[],
  train: Pick<Interactions, 'csr' | 'csc'>,
  testSet: TestSet,
  k = 10,
): EvaluationResult[] {
  const base = evaluate(popularityScorer(popularity(train.csc)), train.csr, testSet, k);
  return [
    base,
    ...scorers.filter((s) => s.name !== 'popularity').map((s) => evaluate(s, train.csr, testSet, k)),
  ];
}

/** A fixed-width text table of results, for benchmarks and the CLI. */
export function formatResults(results: readonly (EvaluationResult & { trainSeconds?: number })[]): string {
  const head = ['model', 'P@k', 'R@k', 'nDCG@k', 'MAP@k', 'MRR', 'HR@k', 'cov', 'train s', 'eval s'];
  const rows = results.map((r) => [
    r.name,
    r.precision.toFixed(4),
    r.recall.toFixed(4),
    r.ndcg.toFixed(4),
    r.map.toFixed(4),
    r.mrr.toFixed(4),
    r.hitRate.toFixed(4),
    r.coverage.toFixed(3),
    r.trainSeconds === undefined ? '-' : r.trainSeconds.toFixed(2),
    r.seconds.toFixed(2),
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((row) => row[c]!.length)));
  const line = (cells: string[]) =>
    cells.map((x, c) => (c === 0 ? x.padEnd(widths[c]!) : x.padStart(widths[c]!))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
