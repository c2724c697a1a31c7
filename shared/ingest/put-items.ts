import type { RejectedEvent } from '../domain/event-validation.ts';
import { type Item, validateItem } from '../domain/item.ts';
import type { RecordSink } from '../ports/record-sink.ts';
import type { ServingStore } from '../ports/serving-store.ts';

export interface PutItemsDeps {
  itemSink: RecordSink;
  store: ServingStore;
  now?: () => number;
}

export interface PutItemsResult {
  upserted: number;
  rejected: { index: number; itemId: string | undefined; errors: RejectedEvent['errors'] }[];
  unavailable: { index: number; itemId: string | undefined; errors: RejectedEvent['errors'] }[];
}

/**
 * Catalog upserts: validated, written to the lake's `raw/items/` zone first (so training sees every version) and
 * then to the serving store, which keeps the newest `updatedAt` per item.
 */
export async function putItems(inputs: readonly unknown[], deps: PutItemsDeps): Promise<PutItemsResult> {
  const now = (deps.now ?? Date.now)();
  const valid: { index: number; item: Item }[] = [];
  const rejected: PutItemsResult['rejected'] = [];
  const seen = new Set<string>();
  inputs.forEach((input, index) => {
    const r = validateItem(input, now);
    if (!r.ok) rejected.push({ index, itemId: r.itemId, errors: r.errors });
    else if (seen.has(r.item.itemId)) {
      rejected.push({
        index,
        itemId: r.item.itemId,
        errors: [{ path: 'itemId', message: 'appears more than once in this batch' }],
      });
    } else {
      seen.add(r.item.itemId);
      valid.push({ index, item: r.item });
    }
  });

  const { failed } = await deps.itemSink.put(
    valid.map(({ item }) => ({ id: item.itemId, json: JSON.stringify(item) })),
  );
  const failedAt = new Set(failed.map((f) => f.index));
  const unavailable: PutItemsResult['unavailable'] = [];
  for (const f of failed) {
    const entry = {
      index: valid[f.index]!.index,
      itemId: f.id,
      errors: [{ path: '(root)', message: f.message }],
    };
    (f.code === 'too_large' ? rejected : unavailable).push(entry);
  }
  rejected.sort((a, b) => a.index - b.index);
  const landed = valid.filter((_, i) => !failedAt.has(i)).map((v) => v.item);
  await deps.store.putItems(landed);
  return { upserted: landed.length, rejected, unavailable };
}
