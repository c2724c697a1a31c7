import { evaluateWithBaseline, formatResults } from '../shared/evaluation/evaluate.ts';
import { easeScorer, trainEase } from '../shared/model/ease.ts';
import { ialsScorer, trainIals } from '../shared/model/ials.ts';
import { loadOnlineRetail } from './lib/online-retail-split.ts';

const split = await loadOnlineRetail();
const ix = split.interactions;
const scorers = [];
for (const [alpha, reg, transform] of [
  [1, 0.1, 'log'],
  [10, 1, 'log'],
  [40, 1, 'binary'],
  [5, 0.1, 'log'],
] as const) {
  const t = performance.now();
  const m = trainIals(ix.csr, ix.csc, { factors: 64, iterations: 10, regularization: reg, alpha, transform });
  console.log('ials', alpha, reg, transform, ((performance.now() - t) / 1000).toFixed(1));
  scorers.push(ialsScorer(m, `ials a${alpha} r${reg} ${transform}`));
}
const t = performance.now();
const e = trainEase(ix.csr, { lambda: 200 });
console.log('ease', ((performance.now() - t) / 1000).toFixed(1));
scorers.push(easeScorer(e, ix.csr));
console.log(formatResults(evaluateWithBaseline(scorers, split.interactions, split.testSet, 10)));
