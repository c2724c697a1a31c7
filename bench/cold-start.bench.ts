/**
 * Cold start with and without profiles (issue 16) on Online Retail: the shoppers first seen after the README's
 * temporal cut (2011-10-01) have no history at training time; what serving gives them is a list trained on the
 * period before the cut. Without a profile: the popular items (distinct buyers) or the recent-popularity list
 * (the segments' own 30-day decay over everyone). With a profile (Country, as the importer fills it from the
 * shopper's first invoice): the segment list of the shopper's country (shared/training/shopper-segments.ts, the
 * code training runs), topped up with the recent-popularity list when it is short or missing. nDCG@10 against
 * everything the shopper bought after the cut.
 * Run: npm run bench:cold-start [-- sampleShoppers]
 */
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { listMetrics } from '../shared/evaluation/metrics.ts';
import { toEpochMs } from '../shared/model/interactions.ts';
import { segmentLists } from '../shared/training/shopper-segments.ts';
import type { ShopperProfile } from '../shared/training/shoppers-input.ts';
import { loadOnlineRetail } from './lib/online-retail-split.ts';

const PATH = '/work/shared/data/online-retail/online_retail.parquet';
const K = 10;
const sample = process.argv[2] !== undefined ? Number(process.argv[2]) : Number.POSITIVE_INFINITY;

/** Each customer's country at their first and latest invoice before `cut` (first at all for new shoppers). */
async function countries(cut: number) {
  const rows = (await parquetReadObjects({
    file: await asyncBufferFromFile(PATH),
    columns: ['CustomerID', 'InvoiceDate', 'Country'],
  })) as { CustomerID: number | null; InvoiceDate: Date; Country: string | null }[];
  const first = new Map<string, { at: number; country: string }>();
  const latestBefore = new Map<string, { at: number; country: string }>();
  for (const r of rows) {
    if (r.CustomerID === null || r.Country === null) continue;
    const id = String(r.CustomerID);
    const at = r.InvoiceDate.getTime();
    const f = first.get(id);
    if (f === undefined || at < f.at) first.set(id, { at, country: r.Country });
    const l = latestBefore.get(id);
    if (at < cut && (l === undefined || at >= l.at)) latestBefore.set(id, { at, country: r.Country });
  }
  return { first, latestBefore };
}

function ranked(ids: readonly string[], index: Map<string, number>): number[] {
  return ids.map((id) => {
    let j = index.get(id);
    if (j === undefined) {
      j = index.size;
      index.set(id, j);
    }
    return j;
  });
}

const topUp = (head: readonly string[], fill: readonly string[]) => {
  const out = [...head.slice(0, K)];
  for (const id of fill) if (out.length < K && !out.includes(id)) out.push(id);
  return out;
};

async function main() {
  const t0 = performance.now();
  const { train, test } = await loadOnlineRetail(PATH);
  const cut = Date.parse('2011-10-01T00:00:00Z');
  const { first, latestBefore } = await countries(cut);
  const known = new Set(train.map((r) => r.userId));
  const bought = new Map<string, Set<string>>();
  for (const r of test) {
    if (known.has(r.userId)) continue;
    let s = bought.get(r.userId);
    if (s === undefined) {
      s = new Set();
      bought.set(r.userId, s);
    }
    s.add(r.itemId);
  }
  const newShoppers = [...bought.keys()].sort().slice(0, sample);

  // Training: profiles of the shoppers known before the cut (their country then), joined with their events.
  const profiles = new Map<string, ShopperProfile>();
  for (const [userId, { country }] of latestBefore)
    if (known.has(userId)) profiles.set(userId, { userId, country });
  const lists = segmentLists(train, profiles);
  const everyone = new Map<string, ShopperProfile>([...known].map((u) => [u, { userId: u, country: '*' }]));
  const recent = (segmentLists(train, everyone, { top: 200 }).segments['country=*'] ?? []).map(([id]) => id);
  const buyers = new Map<string, Set<string>>();
  for (const r of train) {
    let s = buyers.get(r.itemId);
    if (s === undefined) {
      s = new Set();
      buyers.set(r.itemId, s);
    }
    s.add(r.userId);
  }
  const popular = [...buyers]
    .sort((a, b) => b[1].size - a[1].size || (a[0] < b[0] ? -1 : 1))
    .slice(0, 200)
    .map(([id]) => id);

  const index = new Map<string, number>();
  const sums = { popular: 0, recent: 0, country: 0 };
  let withSegment = 0;
  const byCountry = new Map<string, { n: number; recent: number; country: number }>();
  for (const userId of newShoppers) {
    const relevant = new Set(ranked([...bought.get(userId)!], index));
    const score = (ids: readonly string[]) =>
      listMetrics(ranked(ids.slice(0, K), index), K, relevant, K).ndcg;
    const country = first.get(userId)?.country;
    const segment = country !== undefined ? lists.segments[`country=${country}`] : undefined;
    if (segment !== undefined) withSegment++;
    const mine = topUp(
      (segment ?? []).map(([id]) => id),
      recent,
    );
    const r = score(recent);
    const c = score(mine);
    sums.popular += score(popular);
    sums.recent += r;
    sums.country += c;
    const key = country ?? '(none)';
    const row = byCountry.get(key) ?? { n: 0, recent: 0, country: 0 };
    row.n++;
    row.recent += r;
    row.country += c;
    byCountry.set(key, row);
  }
  const n = newShoppers.length;
  const newest = train.reduce((m, r) => Math.max(m, toEpochMs(r.timestamp)), Number.NEGATIVE_INFINITY);
  console.log(
    `Online Retail, cut 2011-10-01 (training to ${new Date(newest).toISOString().slice(0, 10)}): ${n} shoppers first seen after the cut${Number.isFinite(sample) ? ` (sample of the first ${sample} by id)` : ''}; ${Object.keys(lists.segments).length} country segments from ${profiles.size} profiles; ${withSegment} of the new shoppers have one`,
  );
  console.log(
    `nDCG@${K}, without profiles: popularity ${(sums.popular / n).toFixed(4)}, recent popularity ${(sums.recent / n).toFixed(4)}`,
  );
  console.log(
    `nDCG@${K}, with profiles (country): ${(sums.country / n).toFixed(4)} (${(((sums.country - sums.recent) / sums.recent) * 100).toFixed(1)} % over recent popularity)`,
  );
  for (const [country, row] of [...byCountry].sort((a, b) => b[1].n - a[1].n).slice(0, 6))
    console.log(
      `  ${country}: ${row.n} shoppers, recent popularity ${(row.recent / row.n).toFixed(4)}, country ${(row.country / row.n).toFixed(4)}`,
    );
  console.log(`(${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}

await main();
