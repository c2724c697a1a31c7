import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import type { Item } from '../../shared/domain/item.ts';
import { buildTestSet, type TestSet } from '../../shared/evaluation/evaluate.ts';
import { temporalSplit } from '../../shared/evaluation/splits.ts';
import {
  buildInteractions,
  type InteractionRecord,
  type Interactions,
} from '../../shared/model/interactions.ts';

const ONLINE_RETAIL_PATH = '/work/shared/data/online-retail/online_retail.parquet';
const ONLINE_RETAIL_CUTOFF = '2011-10-01T00:00:00Z';

/** The counts the data README states for this split; the benchmark asserts it reproduces them. */
export const EXPECTED = {
  trainUsers: 3616,
  items: 3508,
  trainPairs: 188_848,
  testPairs: 47_733,
  testUsers: 1753,
};

export interface OnlineRetailSplit {
  records: InteractionRecord[];
  train: InteractionRecord[];
  test: InteractionRecord[];
  interactions: Interactions;
  testSet: TestSet;
  /** Catalog entries built from the descriptions, for the content model. */
  items: Pick<Item, 'itemId' | 'title'>[];
}

/**
 * Reads Online Retail and applies the README's split: cancellations (InvoiceNo "C…"), non-positive
 * quantities and lines without CustomerID dropped; every remaining line is one purchase event whose
 * eventId is its row number (lines are distinct events even inside one invoice).
 */
export async function loadOnlineRetail(path = ONLINE_RETAIL_PATH): Promise<OnlineRetailSplit> {
  const file = await asyncBufferFromFile(path);
  const rows = (await parquetReadObjects({ file })) as {
    InvoiceNo: string;
    StockCode: string;
    Description: string | null;
    Quantity: bigint | number;
    InvoiceDate: Date;
    CustomerID: number | null;
  }[];
  const records: InteractionRecord[] = [];
  const titles = new Map<string, string>();
  rows.forEach((r, i) => {
    if (r.CustomerID === null || r.CustomerID === undefined) return;
    if (r.InvoiceNo.startsWith('C')) return;
    const q = Number(r.Quantity);
    if (!(q > 0)) return;
    const itemId = String(r.StockCode);
    records.push({
      userId: String(r.CustomerID),
      itemId,
      type: 'purchase',
      value: q,
      timestamp: r.InvoiceDate.getTime(),
      eventId: String(i),
    });
    if (r.Description && !titles.has(itemId)) titles.set(itemId, r.Description);
  });
  const { train, test } = temporalSplit(records, ONLINE_RETAIL_CUTOFF);
  const interactions = buildInteractions(train);
  const testSet = buildTestSet(interactions, test);
  const items = interactions.itemIds.map((itemId) => ({ itemId, title: titles.get(itemId) ?? itemId }));
  return { records, train, test, interactions, testSet, items };
}
