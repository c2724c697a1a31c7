/**
 * The data sets and splits of the quality benchmark: Online Retail under the README's temporal split and under a
 * per-user random 75/25 split (seed 42) of all its lines, and two generated shops (time without and with signal).
 */

import { randomSplit, temporalSplit } from '../../shared/evaluation/splits.ts';
import type { ContentItem } from '../../shared/model/content.ts';
import type { InteractionRecord } from '../../shared/model/interactions.ts';
import { generatedShop, SEASONAL_CUTOFF } from './generated-shop.ts';
import { EXPECTED, loadOnlineRetail } from './online-retail-split.ts';

export interface QualitySet {
  name: string;
  train: InteractionRecord[];
  test: InteractionRecord[];
  catalog?: readonly ContentItem[];
}

export async function qualitySets(only?: string): Promise<QualitySet[]> {
  const out: QualitySet[] = [];
  const wanted = (name: string) => only === undefined || name.includes(only) || only.includes(name);
  if (wanted('online-retail')) {
    const split = await loadOnlineRetail();
    const counts = {
      trainUsers: split.interactions.userIds.length,
      items: split.interactions.itemIds.length,
      trainPairs: split.interactions.stats.pairs,
      testPairs: split.testSet.pairs,
      testUsers: split.testSet.users.length,
    };
    for (const [key, want] of Object.entries(EXPECTED)) {
      const got = counts[key as keyof typeof counts];
      if (got !== want) throw new Error(`split mismatch: ${key} is ${got}, the README says ${want}`);
    }
    if (wanted('online-retail temporal'))
      out.push({
        name: 'online-retail temporal (README, 2011-10-01)',
        ...pick(split),
        catalog: split.items,
      });
    if (wanted('online-retail random')) {
      const r = randomSplit(split.records, 0.75, 42);
      out.push({ name: 'online-retail random 75/25 per user (seed 42)', ...r, catalog: split.items });
    }
  }
  if (wanted('generated timeless'))
    out.push({
      name: 'generated timeless, random 75/25 per user',
      ...randomSplit(generatedShop('timeless'), 0.75, 42),
    });
  if (wanted('generated seasonal'))
    out.push({
      name: 'generated seasonal, temporal last 30 days',
      ...temporalSplit(generatedShop('seasonal'), SEASONAL_CUTOFF),
    });
  return out;
}

function pick(s: { train: InteractionRecord[]; test: InteractionRecord[] }) {
  return { train: s.train, test: s.test };
}
