import type { HoldoutLine } from '../model/artifact.ts';
import { popularity, popularityScorer } from '../model/popularity.ts';
import type { Scorer } from '../model/scorer.ts';
import type { Csr } from '../model/sparse.ts';
import { topKExcluding } from '../model/topk.ts';
import type { TestSet } from './evaluate.ts';
import { type Metrics, MetricsAccumulator } from './metrics.ts';

export const HOLDOUT_K = 50;

/**
 * The holdout lists of the quality gate: for every validation user, the held-out items, the top-`k` of the
 * candidate `scorer` (fitted without the held-out data) and of popularity on the same training part, both
 * excluding the user's training items. Lists are longer than the gate's k so that the gate can choose its k.
 */
export function buildHoldoutLines(
  scorer: Scorer,
  train: { csr: Csr; csc: Csr; userIds: readonly string[]; itemIds: readonly string[] },
  testSet: TestSet,
  k = HOLDOUT_K,
): HoldoutLine[] {
  const n = train.itemIds.length;
  const base = popularityScorer(popularity(train.csc));
  const scores = new Float32Array(n);
  const idx = new Int32Array(k);
  const sc = new Float32Array(k);
  const h = train.csr;
  const list = (s: Scorer, u: number): string[] => {
    s.scoreUser(u, scores);
    const got = topKExcluding(scores, h, u, k, idx, sc);
    return Array.from({ length: got }, (_, t) => train.itemIds[idx[t]!]!);
  };
  const out: HoldoutLine[] = [];
  for (let t = 0; t < testSet.users.length; t++) {
    const u = testSet.users[t]!;
    out.push({
      userId: train.userIds[u]!,
      relevant: [...testSet.relevant[t]!].sort((a, b) => a - b).map((j) => train.itemIds[j]!),
      recommended: list(scorer, u),
      baseline: list(base, u),
    });
  }
  return out;
}

export interface GateMetrics {
  k: number;
  users: number;
  model: Metrics;
  baseline: Metrics;
}

/**
 * Metrics at `k` of the recommended and the baseline lists against `relevant`, with shared/evaluation's
 * metric code (the same definitions the trainer's validation used). `lines` may be parsed objects or raw
 * JSON lines. Coverage is over `catalogSize` items (the manifest's shapes.items); without it, over the
 * distinct items the lines mention.
 */
export function gateMetricsFromHoldout(
  lines: Iterable<HoldoutLine | string>,
  k: number,
  options: { catalogSize?: number } = {},
): GateMetrics {
  const parsed: HoldoutLine[] = [];
  for (const l of lines) {
    if (typeof l !== 'string') parsed.push(l);
    else if (l.trim() !== '') parsed.push(JSON.parse(l) as HoldoutLine);
  }
  const ids = new Map<string, number>();
  const id = (s: string) => {
    let j = ids.get(s);
    if (j === undefined) {
      j = ids.size;
      ids.set(s, j);
    }
    return j;
  };
  const encoded = parsed.map((h) => ({
    relevant: new Set(h.relevant.map(id)),
    recommended: Int32Array.from(h.recommended.slice(0, k), id),
    baseline: Int32Array.from(h.baseline.slice(0, k), id),
  }));
  const items = Math.max(options.catalogSize ?? ids.size, ids.size);
  const model = new MetricsAccumulator(k, items);
  const baseline = new MetricsAccumulator(k, items);
  for (const e of encoded) {
    // A user with nothing held out cannot be scored (the trainer never writes one; a foreign writer might).
    if (e.relevant.size === 0) continue;
    model.add(e.recommended, e.recommended.length, e.relevant);
    baseline.add(e.baseline, e.baseline.length, e.relevant);
  }
  const m = model.result();
  return { k, users: m.users, model: m, baseline: baseline.result() };
}
