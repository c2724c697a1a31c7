/**
 * The embedded serving store in the ingest and serving paths: appendActivity in batches of 500 (what one
 * POST /v1/events carries) and point reads of the catalog. Prints the median of 5 runs.
 *
 *   npx node bench/serving-store.bench.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ulid } from 'ulid';
import { dataDirLayout } from '../local/data-dir.ts';
import { createSqliteServingStore } from '../shared/adapters/local/sqlite-serving-store.ts';
import type { StoredEvent } from '../shared/domain/event.ts';
import type { Item } from '../shared/domain/item.ts';

const RUNS = 5;
const BATCH = 500;
const BATCHES_PER_RUN = 100;
const SHOPPERS = 1_000;
const ITEMS = 20_000;
const READS_PER_RUN = 200_000;
const ACTIVITY_READS_PER_RUN = 5_000;

const dir = mkdtempSync(join(tmpdir(), 'recsys-store-bench-'));
const store = createSqliteServingStore({ path: dataDirLayout(dir).servingDb });
const start = Date.now();

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function perSecond(count: number, ms: number): number {
  return Math.round((count / ms) * 1000);
}

// Deterministic pseudo-random picks, so runs compare.
let seed = 42;
function pick(n: number): number {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return seed % n;
}

let minute = 0;
function batch(): { shopperKey: string; event: StoredEvent }[] {
  const receivedAt = new Date().toISOString();
  return Array.from({ length: BATCH }, () => {
    const userId = String(10_000 + pick(SHOPPERS));
    minute += 1;
    return {
      shopperKey: `u:${userId}`,
      event: {
        eventId: ulid(),
        type: 'view',
        userId,
        itemId: `sku-${pick(ITEMS)}`,
        timestamp: new Date(start - 86_400_000 + minute * 1000).toISOString(),
        receivedAt,
      },
    };
  });
}

const items: Item[] = Array.from({ length: ITEMS }, (_, i) => ({
  itemId: `sku-${i}`,
  title: `Product number ${i}`,
  categories: ['Home', 'Kitchen'],
  price: (i % 1000) / 10,
  currency: 'GBP',
  inStock: true,
  updatedAt: new Date(start).toISOString(),
}));
await store.putItems(items);

// Steady state: every shopper already at the 200 cap, so each append also trims.
for (let i = 0; i < (SHOPPERS * 220) / BATCH; i++) await store.appendActivity(batch());

const appendRates: number[] = [];
for (let run = 0; run < RUNS; run++) {
  // Batches are built outside the timed part: the figure is the store's, not the fixture's.
  const batches = Array.from({ length: BATCHES_PER_RUN }, batch);
  const t = performance.now();
  for (const b of batches) await store.appendActivity(b);
  appendRates.push(perSecond(BATCH * BATCHES_PER_RUN, performance.now() - t));
}

const readRates: number[] = [];
for (let run = 0; run < RUNS; run++) {
  const ids = Array.from({ length: READS_PER_RUN }, () => `sku-${pick(ITEMS)}`);
  const t = performance.now();
  for (const id of ids) await store.getItem(id);
  readRates.push(perSecond(READS_PER_RUN, performance.now() - t));
}

const activityRates: number[] = [];
for (let run = 0; run < RUNS; run++) {
  const keys = Array.from({ length: ACTIVITY_READS_PER_RUN }, () => `u:${10_000 + pick(SHOPPERS)}`);
  const t = performance.now();
  for (const key of keys) await store.recentActivity(key);
  activityRates.push(perSecond(ACTIVITY_READS_PER_RUN, performance.now() - t));
}

const fullShoppers = (await store.recentActivity('u:10000')).length;
await store.close();
rmSync(dir, { recursive: true, force: true });

console.log(`sqlite serving store (file, WAL, synchronous=NORMAL), median of ${RUNS} runs`);
console.log(
  `  appendActivity: ${median(appendRates).toLocaleString('en')} events/s` +
    ` (batches of ${BATCH} over ${SHOPPERS} shoppers at the cap; runs: ${appendRates.join(', ')})`,
);
console.log(
  `  getItem:        ${median(readRates).toLocaleString('en')} reads/s (runs: ${readRates.join(', ')})`,
);
console.log(
  `  recentActivity: ${median(activityRates).toLocaleString('en')} reads/s of up to 200 entries` +
    ` (a shopper holds ${fullShoppers}; runs: ${activityRates.join(', ')})`,
);
