import type { Item } from '../domain/item.ts';
import { emptyNeighbours, type Neighbours, storeTopRow } from './neighbours.ts';

export type ContentItem = Pick<Item, 'itemId' | 'title'> &
  Partial<Pick<Item, 'description' | 'categories' | 'brand'>>;

const STOP = new Set(
  'a an and are as at be by for from in is it of on or the to with set pack size'.split(' '),
);

/**
 * Tokens of one item: words of the title and description (lower-cased, ≥ 2 characters, common words
 * dropped), plus each category and the brand as a single prefixed token so that "Kitchen" the category and
 * "kitchen" in a title stay distinct signals. Title words are counted twice: titles are curated, descriptions
 * are long and noisy.
 */
export function tokens(item: ContentItem): string[] {
  const out: string[] = [];
  const words = (text: string | undefined, times: number) => {
    if (text === undefined) return;
    for (const w of text.toLowerCase().split(/[^\p{L}\p{N}]+/u)) {
      if (w.length < 2 || STOP.has(w)) continue;
      for (let t = 0; t < times; t++) out.push(w);
    }
  };
  words(item.title, 2);
  words(item.description, 1);
  for (const c of item.categories ?? []) out.push(`cat:${c.toLowerCase()}`);
  if (item.brand !== undefined) out.push(`brand:${item.brand.toLowerCase()}`);
  return out;
}

/**
 * TF-IDF content similarity: (1 + ln tf) · ln(N / df) vectors, L2-normalised, cosine neighbours found through
 * an inverted index so that only items sharing a term are ever compared. `itemIds` fixes the order (the
 * model's item index); items without an entry in `catalog` get no neighbours.
 */
export function trainContent(
  itemIds: readonly string[],
  catalog: readonly ContentItem[],
  neighbours = 50,
): Neighbours {
  const n = itemIds.length;
  const index = new Map<string, number>();
  for (let i = 0; i < n; i++) index.set(itemIds[i]!, i);
  const vocab = new Map<string, number>();
  const docs: Map<number, number>[] = Array.from({ length: n }, () => new Map());
  for (const item of catalog) {
    const i = index.get(item.itemId);
    if (i === undefined) continue;
    const doc = docs[i]!;
    for (const tok of tokens(item)) {
      let t = vocab.get(tok);
      if (t === undefined) {
        t = vocab.size;
        vocab.set(tok, t);
      }
      doc.set(t, (doc.get(t) ?? 0) + 1);
    }
  }
  const df = new Int32Array(vocab.size);
  for (const doc of docs) for (const t of doc.keys()) df[t]!++;
  const postings: { item: number; w: number }[][] = Array.from({ length: vocab.size }, () => []);
  const vectors: { t: Int32Array; w: Float64Array }[] = [];
  for (let i = 0; i < n; i++) {
    const doc = docs[i]!;
    const t = Int32Array.from(doc.keys());
    const w = new Float64Array(t.length);
    let norm = 0;
    for (let q = 0; q < t.length; q++) {
      const v = (1 + Math.log(doc.get(t[q]!)!)) * Math.log(n / df[t[q]!]!);
      w[q] = v;
      norm += v * v;
    }
    if (norm > 0) {
      const inv = 1 / Math.sqrt(norm);
      for (let q = 0; q < t.length; q++) {
        w[q]! *= inv;
        if (w[q]! > 0) postings[t[q]!]!.push({ item: i, w: w[q]! });
      }
    }
    vectors.push({ t, w });
  }
  const nb = emptyNeighbours(n, neighbours);
  const row = new Float64Array(n);
  const idx = new Int32Array(neighbours);
  const sc = new Float64Array(neighbours);
  for (let i = 0; i < n; i++) {
    const { t, w } = vectors[i]!;
    if (t.length === 0) continue;
    row.fill(0);
    for (let q = 0; q < t.length; q++) {
      const wi = w[q]!;
      if (wi === 0) continue;
      for (const p of postings[t[q]!]!) row[p.item]! += wi * p.w;
    }
    storeTopRow(nb, i, row, idx, sc);
  }
  return nb;
}
