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
function tokens(item: ContentItem): string[] {
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

/** An item's TF-IDF vector: term columns and their L2-normalised weights (in the order the terms first occur). */
interface ContentVector {
  terms: Int32Array;
  weights: Float64Array;
}

/**
 * TF-IDF over a set of documents, the one meaning of "similar in content" (training's content neighbours and
 * serving's matches for an item the model never saw): weights (1 + ln tf) · ln(N / df), L2-normalised, and an
 * inverted index so that only documents sharing a term are ever compared. Document i is item i of the set.
 */
export interface ContentIndex {
  vocab: Map<string, number>;
  /** ln(N / df) per term column. */
  idf: Float64Array;
  vectors: ContentVector[];
  /** Per term column: the documents with a positive weight for it, and that weight. */
  postings: { item: number; w: number }[][];
}

function countTerms(item: ContentItem, vocab: Map<string, number>, doc: Map<number, number>): void {
  for (const tok of tokens(item)) {
    let t = vocab.get(tok);
    if (t === undefined) {
      t = vocab.size;
      vocab.set(tok, t);
    }
    doc.set(t, (doc.get(t) ?? 0) + 1);
  }
}

function weigh(doc: ReadonlyMap<number, number>, idf: Float64Array): ContentVector {
  const terms = Int32Array.from(doc.keys());
  const weights = new Float64Array(terms.length);
  let norm = 0;
  for (let q = 0; q < terms.length; q++) {
    const v = (1 + Math.log(doc.get(terms[q]!)!)) * idf[terms[q]!]!;
    weights[q] = v;
    norm += v * v;
  }
  if (norm > 0) {
    const inv = 1 / Math.sqrt(norm);
    for (let q = 0; q < terms.length; q++) weights[q]! *= inv;
  }
  return { terms, weights };
}

/** The index of `docs` (a missing document counts in N and has no terms). */
export function contentIndex(docs: readonly (readonly ContentItem[])[]): ContentIndex {
  const n = docs.length;
  const vocab = new Map<string, number>();
  const counts = docs.map((items) => {
    const doc = new Map<number, number>();
    for (const item of items) countTerms(item, vocab, doc);
    return doc;
  });
  const df = new Int32Array(vocab.size);
  for (const doc of counts) for (const t of doc.keys()) df[t]!++;
  const idf = Float64Array.from(df, (d) => Math.log(n / d));
  const postings: { item: number; w: number }[][] = Array.from({ length: vocab.size }, () => []);
  const vectors = counts.map((doc, i) => {
    const v = weigh(doc, idf);
    for (let q = 0; q < v.terms.length; q++)
      if (v.weights[q]! > 0) postings[v.terms[q]!]!.push({ item: i, w: v.weights[q]! });
    return v;
  });
  return { vocab, idf, vectors, postings };
}

/** The vector of an item outside the index, with the index's IDF (terms the index never saw are left out). */
export function contentVectorOf(index: ContentIndex, item: ContentItem): ContentVector {
  const doc = new Map<number, number>();
  for (const tok of tokens(item)) {
    const t = index.vocab.get(tok);
    if (t !== undefined) doc.set(t, (doc.get(t) ?? 0) + 1);
  }
  return weigh(doc, index.idf);
}

/** Cosine of `vector` with every document of the index, added into `row` (documents sharing no term get 0). */
export function cosineRow(index: ContentIndex, vector: ContentVector, row: Float64Array): void {
  const { terms, weights } = vector;
  for (let q = 0; q < terms.length; q++) {
    const wi = weights[q]!;
    if (wi === 0) continue;
    for (const p of index.postings[terms[q]!]!) row[p.item]! += wi * p.w;
  }
}

/**
 * Content neighbours of every item by TF-IDF cosine. `itemIds` fixes the order (the model's item index);
 * items without an entry in `catalog` get no neighbours.
 */
export function trainContent(
  itemIds: readonly string[],
  catalog: readonly ContentItem[],
  neighbours = 50,
): Neighbours {
  const n = itemIds.length;
  const position = new Map<string, number>();
  for (let i = 0; i < n; i++) position.set(itemIds[i]!, i);
  const docs: ContentItem[][] = Array.from({ length: n }, () => []);
  for (const item of catalog) {
    const i = position.get(item.itemId);
    if (i !== undefined) docs[i]!.push(item);
  }
  const index = contentIndex(docs);
  const nb = emptyNeighbours(n, neighbours);
  const row = new Float64Array(n);
  const idx = new Int32Array(neighbours);
  const sc = new Float64Array(neighbours);
  for (let i = 0; i < n; i++) {
    const v = index.vectors[i]!;
    if (v.terms.length === 0) continue;
    row.fill(0);
    cosineRow(index, v, row);
    storeTopRow(nb, i, row, idx, sc);
  }
  return nb;
}
