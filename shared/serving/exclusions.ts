import type { EventType } from '../domain/event.ts';
import { has } from '../model/sparse.ts';
import type { ActivityEntry } from '../ports/serving-store.ts';
import type { ServingModel } from './model-cache.ts';
import type { IndexMark } from './scoring.ts';
import type { ExcludeKind } from './types.ts';

/**
 * The one rule set of exclusions: which kind an event makes ("purchased", "viewed" …), as a bit, so that a
 * request's kinds are one mask and the same rule serves item indices (the ranking's mark) and item ids (the
 * candidates outside the model).
 */
const KIND_BITS: Readonly<Record<ExcludeKind, number>> = {
  not_interested: 1,
  purchased: 2,
  viewed: 4,
  carted: 8,
};

export function exclusionBit(type: EventType): number {
  if (type === 'not_interested') return KIND_BITS.not_interested;
  if (type === 'purchase') return KIND_BITS.purchased;
  if (type === 'view' || type === 'click') return KIND_BITS.viewed;
  if (type === 'add_to_cart') return KIND_BITS.carted;
  return 0;
}

/** What a request's activity can exclude, in one model's index space (see activity.ts). */
export interface MarkedActivity {
  marked: Int32Array;
  markedKinds: Uint8Array;
}

/**
 * The exclusions of one request. Item indices go into the scratch mark at once (the ranking skips them); ids the
 * model does not know can only matter to a list's strangers and the backfill, which ask `has`: the same rules
 * over id strings, worked out only when asked.
 */
export class RequestExclusions {
  private readonly model: ServingModel;
  private readonly activity: readonly ActivityEntry[];
  private readonly feedback: readonly { itemId: string }[];
  private readonly mask: number;
  private readonly context: string | undefined;
  /** The training row excluded (what the shopper bought before), when "purchased" is asked for. */
  private readonly historyRow: number | undefined;
  private ids: Set<string> | undefined;

  constructor(
    model: ServingModel,
    kinds: readonly ExcludeKind[],
    activity: readonly ActivityEntry[],
    feedback: readonly { itemId: string }[],
    context: string | undefined,
    userIndex: number | undefined,
  ) {
    let mask = 0;
    for (const kind of kinds) mask |= KIND_BITS[kind];
    this.model = model;
    this.activity = activity;
    this.feedback = feedback;
    this.mask = mask;
    this.context = context;
    this.historyRow = (mask & KIND_BITS.purchased) !== 0 ? userIndex : undefined;
  }

  /** Marks every excluded item the model knows in `mark` (cleared first). */
  markInto(mark: IndexMark, digest: MarkedActivity): void {
    const { itemIndex, history } = this.model.model;
    mark.clear();
    if (this.context !== undefined) {
      const j = itemIndex.get(this.context);
      if (j !== undefined) mark.add(j);
    }
    const { marked, markedKinds } = digest;
    for (let p = 0; p < marked.length; p++) if ((markedKinds[p]! & this.mask) !== 0) mark.add(marked[p]!);
    if ((this.mask & KIND_BITS.not_interested) !== 0)
      for (const x of this.feedback) {
        const j = itemIndex.get(x.itemId);
        if (j !== undefined) mark.add(j);
      }
    const u = this.historyRow;
    if (u !== undefined)
      for (let p = history.indptr[u]!; p < history.indptr[u + 1]!; p++) mark.add(history.indices[p]!);
  }

  has(itemId: string): boolean {
    this.ids ??= this.excludedIds();
    if (this.ids.has(itemId)) return true;
    if (this.historyRow === undefined) return false;
    // A binary search of the sorted row instead of a string set rebuilt on every request.
    const j = this.model.model.itemIndex.get(itemId);
    return j !== undefined && has(this.model.model.history, this.historyRow, j);
  }

  private excludedIds(): Set<string> {
    const ids = new Set<string>();
    if (this.context !== undefined) ids.add(this.context);
    for (const e of this.activity)
      if (e.itemId !== undefined && (exclusionBit(e.type) & this.mask) !== 0) ids.add(e.itemId);
    if ((this.mask & KIND_BITS.not_interested) !== 0) for (const x of this.feedback) ids.add(x.itemId);
    return ids;
  }
}
