/**
 * Training wall time per model on Online Retail (the README split's training part: 3,616 users × 3,508
 * items, 188,848 pairs), median of 3 runs, on 1 thread and on the machine's threads for the models that use
 * workers (EASE's blocked inverse, iALS half-steps). Peak RSS is printed at the end.
 * Run: npx node bench/train.bench.ts [repeats]
 */

import { defaultThreads, shutdownPool } from '../shared/model/parallel.ts';
import type { BaseSpec } from '../shared/model/trained-model.ts';
import { fitModel } from '../shared/model/trained-model.ts';
import { loadOnlineRetail } from './lib/online-retail-split.ts';

const repeats = Number(process.argv[2] ?? 3);
const split = await loadOnlineRetail();
const ix = split.interactions;
const threads = defaultThreads();
console.log(
  `Online Retail training part: ${ix.userIds.length} users × ${ix.itemIds.length} items, ${ix.stats.pairs} pairs; ` +
    `median of ${repeats}; machine threads ${threads}`,
);
const ials = (factors: number): BaseSpec => ({
  kind: 'ials',
  params: { factors, iterations: 10, regularization: 0.1, alpha: 1, transform: 'log', seed: 42 },
});
const models: [string, BaseSpec, boolean][] = [
  ['popularity (+ serving extras)', { kind: 'popularity' }, false],
  ['item-knn k50 s10', { kind: 'item-knn', params: { neighbours: 50, shrink: 10 } }, false],
  ['content tf-idf', { kind: 'content' }, false],
  ['ials f64 it10', ials(64), true],
  ['ease l500', { kind: 'ease', params: { lambda: 500 } }, true],
];
let peak = process.memoryUsage().rss;
for (const [name, spec, parallel] of models) {
  for (const t of parallel && threads > 1 ? [1, threads] : [1]) {
    const secs: number[] = [];
    for (let r = 0; r < repeats; r++) {
      const started = performance.now();
      fitModel(ix, split.train, spec, { catalog: split.items, threads: t });
      secs.push((performance.now() - started) / 1000);
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    secs.sort((a, b) => a - b);
    const median = secs[Math.floor(secs.length / 2)]!;
    const per =
      spec.kind === 'ials'
        ? `  (${((median * 1000) / spec.params.iterations).toFixed(0)} ms/iteration incl. extras)`
        : '';
    console.log(
      `${name.padEnd(30)} threads ${t}  median ${median.toFixed(2)} s  [${secs.map((s) => s.toFixed(2)).join(', ')}]${per}`,
    );
  }
}
console.log(`peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB`);
await shutdownPool();
