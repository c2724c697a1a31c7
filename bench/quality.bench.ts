import { evaluateWithBaseline, formatResults } from '../shared/evaluation/evaluate.ts';
import { EXPECTED, loadOnlineRetail } from './lib/online-retail-split.ts';

const split = await loadOnlineRetail();
const counts = {
  trainUsers: split.interactions.userIds.length,
  items: split.interactions.itemIds.length,
  trainPairs: split.interactions.stats.pairs,
  testPairs: split.testSet.pairs,
  testUsers: split.testSet.users.length,
};
console.log('split', counts);
console.log(formatResults(evaluateWithBaseline([], split.interactions, split.testSet, 10)));
