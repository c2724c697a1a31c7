import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { basketsOf, scoreCart, trainComplements } from '../../shared/model/co-purchase.ts';
import { trainContent } from '../../shared/model/content.ts';
import type { InteractionRecord } from '../../shared/model/interactions.ts';
import { trainItemKnn } from '../../shared/model/item-knn.ts';
import type { Neighbours } from '../../shared/model/neighbours.ts';
import { popularity } from '../../shared/model/popularity.ts';
import { mulberry32 } from '../../shared/model/rng.ts';
import { loadOnlineRetail, type OnlineRetailSplit } from './online-retail-split.ts';

/**
 * "Bought together" on Online Retail (issue 16): the complements trained on the invoices before the README's
 * temporal cut (2011-10-01), evaluated on the invoices after it. Of each later basket with at least two distinct
 * items the training knows, one item is held back (seeded, uniformly); every method recommends 10 items from the
 * rest of the basket (which it may not recommend), and a hit is the held-back item among them.
 *
 * - bought-together: the artifact's complements as served for a cart (co-purchase.ts: shrunk lift, summed over the
 *   basket, the basket's near-substitutes left out), and the same without leaving the substitutes out;
 * - item-kNN: the training's item-kNN neighbours (cosine over shoppers, 50 per item), summed over the basket;
 * - popularity: the most-bought items (distinct shoppers).
 * Run alone: npm run bench:bought-together; `bench:quality` runs it at its end.
 */

const K = 10;
const SEED = 42;

interface Method {
  name: string;
  recommend(query: readonly number[]): number[];
}

export interface BoughtTogetherRow {
  name: string;
  hitRate: number;
  /** Half-width of the 95 % normal interval of the hit rate. */
  ci95: number;
  /** Share of the baskets for which the method had any candidate. */
  answered: number;
}

/** Row number → InvoiceNo, the column online-retail-split.ts leaves out (its records' eventId is the row number). */
async function invoiceNumbers(path: string): Promise<string[]> {
  const file = await asyncBufferFromFile(path);
  const rows = (await parquetReadObjects({ file, columns: ['InvoiceNo'] })) as { InvoiceNo: string }[];
  return rows.map((r) => String(r.InvoiceNo));
}

function withOrders(records: readonly InteractionRecord[], invoices: readonly string[]): InteractionRecord[] {
  return records.map((r) => ({ ...r, orderId: invoices[Number(r.eventId)]! }));
}

function popularityMethod(split: OnlineRetailSplit): Method {
  const pop = popularity(split.interactions.csc);
  const order = Array.from(pop.keys()).sort((a, b) => pop[b]! - pop[a]! || a - b);
  return {
    name: 'popularity',
    recommend(query) {
      const skip = new Set(query);
      const out: number[] = [];
      for (const j of order) {
        if (out.length === K) break;
        if (!skip.has(j)) out.push(j);
      }
      return out;
    },
  };
}

function neighbourMethod(
  name: string,
  rows: Neighbours,
  substitutes?: Parameters<typeof scoreCart>[3],
): Method {
  return { name, recommend: (query) => scoreCart(rows, query, K, substitutes).map((c) => c.index) };
}

/** The complements first, item-kNN's answers after them up to K: what a shop might serve when complements run short. */
function backfilled(first: Method, then: Method): Method {
  return {
    name: `${first.name} + item-kNN backfill`,
    recommend(query) {
      const out = first.recommend(query);
      for (const j of then.recommend(query)) if (out.length < K && !out.includes(j)) out.push(j);
      return out;
    },
  };
}

async function evaluateBoughtTogether(
  path = '/work/shared/data/online-retail/online_retail.parquet',
): Promise<{
  baskets: number;
  rows: BoughtTogetherRow[];
  stats: ReturnType<typeof trainComplements>['stats'];
}> {
  const split = await loadOnlineRetail(path);
  const invoices = await invoiceNumbers(path);
  const { itemIds, itemIndex, csr, csc } = split.interactions;
  const content = trainContent(itemIds, split.items);
  const t0 = performance.now();
  const complements = trainComplements(
    basketsOf(withOrders(split.train, invoices), itemIndex),
    itemIds.length,
    {
      substitutes: content,
    },
  );
  const seconds = (performance.now() - t0) / 1000;
  const knn = trainItemKnn(csr, csc, { neighbours: 50, shrink: 10, transform: 'binary' });
  const substitutes = { content, similarity: complements.stats.substituteSimilarity };
  const raw = trainComplements(basketsOf(withOrders(split.train, invoices), itemIndex), itemIds.length);
  const itemKnn = neighbourMethod('item-kNN (basket → neighbours)', knn);
  const ours = neighbourMethod(
    'bought-together (served: substitutes out)',
    complements.neighbours,
    substitutes,
  );
  const methods: Method[] = [
    ours,
    neighbourMethod('bought-together, substitutes kept', raw.neighbours),
    backfilled(ours, itemKnn),
    itemKnn,
    popularityMethod(split),
  ];

  const later = basketsOf(withOrders(split.test, invoices), itemIndex).filter((b) => b.length >= 2);
  const rand = mulberry32(SEED);
  const hits = new Array<number>(methods.length).fill(0);
  const answered = new Array<number>(methods.length).fill(0);
  for (const basket of later) {
    const held = Math.floor(rand() * basket.length);
    const query = Array.from(basket).filter((_, i) => i !== held);
    methods.forEach((m, i) => {
      const recs = m.recommend(query);
      if (recs.length > 0) answered[i]!++;
      if (recs.includes(basket[held]!)) hits[i]!++;
    });
  }
  const n = later.length;
  console.log(
    `complements: ${complements.stats.items} of ${itemIds.length} items from ${complements.stats.baskets} training invoices (${seconds.toFixed(2)} s), ${complements.stats.substitutesExcluded} near-substitute pairs left out`,
  );
  const rows = methods.map((m, i) => {
    const p = hits[i]! / n;
    return {
      name: m.name,
      hitRate: p,
      ci95: 1.96 * Math.sqrt((p * (1 - p)) / n),
      answered: answered[i]! / n,
    };
  });
  return { baskets: n, rows, stats: complements.stats };
}

/** The section `bench:quality` ends with, and all that `bench:bought-together` runs. */
export async function boughtTogetherSection(): Promise<void> {
  console.log(
    '\n=== bought together: Online Retail invoices after 2011-10-01, one item held back per basket',
  );
  const { baskets, rows } = await evaluateBoughtTogether();
  console.log(`${baskets} baskets with ≥ 2 items the training knows; hit rate@${K} of the held-back item:`);
  for (const r of rows)
    console.log(
      `  ${r.name.padEnd(48)} ${r.hitRate.toFixed(4)} ± ${r.ci95.toFixed(4)}  (answered ${(r.answered * 100).toFixed(1)} %)`,
    );
}
